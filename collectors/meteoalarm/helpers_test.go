package meteoalarm

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/feedtest"
	"github.com/hazardwire/hazardwire/internal/yamlx"
)

// yamlDecode returns a Decode that reads src strictly with the daemon's own
// decoder, and counts its calls in *calls (when calls is not nil).
func yamlDecode(src string, calls *int) collectors.Decode {
	return func(v any) error {
		if calls != nil {
			*calls++
		}
		node, errs := yamlx.Load("options.yaml", []byte(src))
		if errs != nil {
			return errs.Err()
		}
		return yamlx.Decode(node, v, yamlx.Options{File: "options.yaml"}).Err()
	}
}

// newCollector builds a collector named "test" for url, with a real fetcher
// sending the kind's Accept header, whose clock is clock (default: one that
// moves an hour per reading, so that the fetcher's backoff after a failure
// never holds back the next request).
func newCollector(t testing.TB, url, optionsYAML string, clock func() time.Time) *collector {
	t.Helper()
	env := collectors.Env{Info: collectors.Info{Name: "test", Kind: kindName}, URL: url, Fetcher: feedtest.Fetcher(clock, accept)}
	c, err := New(env, yamlDecode(optionsYAML, nil))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c.(*collector)
}

// serveFeed serves the feed of testdata/<name>/feed.atom.xml with its
// feeds.meteoalarm.org links pointing at f, and each testdata/<name>/docs/<id>.xml
// at /api/v1/warnings/feeds-france/<id>. It returns the feed's URL.
func serveFeed(t testing.TB, f *feedtest.Server, name string) string {
	t.Helper()
	feed := readFile(t, "testdata/"+name+"/feed.atom.xml")
	f.Set("/feeds/meteoalarm-legacy-atom-france", []byte(strings.ReplaceAll(string(feed), "https://feeds.meteoalarm.org", f.URL)))
	docs, err := os.ReadDir("testdata/" + name + "/docs")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		id := strings.TrimSuffix(d.Name(), ".xml")
		f.Set(docPath(id), readFile(t, "testdata/"+name+"/docs/"+d.Name()))
	}
	return f.URL + "/feeds/meteoalarm-legacy-atom-france"
}

func docPath(id string) string { return "/api/v1/warnings/feeds-france/" + id }

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(b)
}

// rfc3339 formats an optional time as the alert JSON does, offset kept.
func rfc3339(t *time.Time) string {
	if t == nil {
		return "<nil>"
	}
	return t.Format(time.RFC3339)
}

// wantEq compares got and want by their JSON, which shows both on failure.
func wantEq[T any](t testing.TB, what string, got, want T) {
	t.Helper()
	if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
		t.Errorf("%s = %s, want %s", what, g, w)
	}
}
