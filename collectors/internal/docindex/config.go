package docindex

import (
	"fmt"
	"net/url"

	"github.com/hazardwire/hazardwire/collectors"
)

// CheckEnv checks the common keys of an index kind's collector: a name, and
// the index's url, an absolute http(s) URL. Errors start with kind; example,
// when not empty, is shown in the error for a missing url.
func CheckEnv(kind string, env collectors.Env, example string) error {
	if env.Info.Name == "" {
		return fmt.Errorf("%s: collector name is empty", kind)
	}
	if env.URL == "" {
		if example != "" {
			return fmt.Errorf("%s: url is required (e.g. %s)", kind, example)
		}
		return fmt.Errorf("%s: url is required", kind)
	}
	u, err := url.Parse(env.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s: url %q is not an absolute http(s) URL", kind, collectors.RedactString(env.URL, nil))
	}
	return nil
}

// MaxDocuments returns the per-run bound of new or changed documents that
// the max_documents option n sets: def when n is 0; a negative n is an
// error, which starts with kind.
func MaxDocuments(kind string, n, def int) (int, error) {
	switch {
	case n < 0:
		return 0, fmt.Errorf("%s: max_documents %d is negative", kind, n)
	case n == 0:
		return def, nil
	}
	return n, nil
}
