package collectors

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Redact removes secrets from s: every configured secret, and the values of
// query parameters that usually carry keys.
func (f *Fetcher) Redact(s string) string {
	f.mu.Lock()
	secrets := f.opts.Secrets
	f.mu.Unlock()
	return RedactString(s, secrets)
}

// AddSecret registers a secret (a service key from a kind's options) that
// must never appear in this fetcher's errors, including where a server
// echoes it in an error body. Kinds call it in their factory.
func (f *Fetcher) AddSecret(secret string) {
	if secret == "" {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opts.Secrets = append(slices.Clip(f.opts.Secrets), secret)
}

// secretParams are the query parameters, in any case, whose values are keys.
var secretParams = []string{"serviceKey", "authKey", "apikey", "api_key", "key", "token", "access_token"}

// secretParamRE matches a key-carrying query parameter and its value anywhere
// in a string: in a URL, but also in a URL quoted inside an error message
// (`Get "https://…?serviceKey=…": dial tcp …`), or in one that does not parse.
var secretParamRE = func() *regexp.Regexp {
	names := make([]string, len(secretParams))
	for i, p := range secretParams {
		names[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile(`(?i)([?&;](?:` + strings.Join(names, "|") + `)=)[^&#\s"'<>]*`)
}()

// RedactString removes secrets from s: every configured secret of four or more
// characters, as given and in its URL-escaped and unescaped forms, the values
// of query parameters named like keys, and URL passwords.
func RedactString(s string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) < 4 {
			continue
		}
		forms := []string{sec, url.QueryEscape(sec), url.PathEscape(sec)}
		if u, err := url.QueryUnescape(sec); err == nil {
			forms = append(forms, u)
		}
		for _, f := range forms {
			if len(f) >= 4 {
				s = strings.ReplaceAll(s, f, "REDACTED")
			}
		}
	}
	s = secretParamRE.ReplaceAllString(s, "${1}REDACTED")
	if u, err := url.Parse(s); err == nil && u.Scheme != "" && u.User != nil {
		s = u.Redacted()
	}
	return s
}
