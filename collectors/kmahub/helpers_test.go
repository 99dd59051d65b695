package kmahub

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/internal/yamlx"
)

// testKey is an API Hub key of the usual shape, made up for the tests.
const testKey = "Zk9tesTKEY-hub_b64xyzQ"

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

// withKey prepends the key to optionsYAML, unless it sets one.
func withKey(optionsYAML string) string {
	if strings.Contains(optionsYAML, "auth_key:") {
		return optionsYAML
	}
	return "auth_key: " + testKey + "\n" + optionsYAML
}

// testEnv is the environment of a collector named "kmahub" for url.
func testEnv(url string, fetcher *collectors.Fetcher) collectors.Env {
	return collectors.Env{Info: collectors.Info{Name: "kmahub", Kind: kindName}, URL: url, Fetcher: fetcher}
}

// newTestCollector builds a collector configured with optionsYAML (and the
// test key).
func newTestCollector(t testing.TB, url, optionsYAML string, fetcher *collectors.Fetcher) *collector {
	t.Helper()
	c, err := New(testEnv(url, fetcher), yamlDecode(withKey(optionsYAML), nil))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c.(*collector)
}

// caseInput returns the input of golden case name, testdata/<name>/input.txt
// or the file its input.from names, and its content type ("" when the case
// has no content-type file).
func caseInput(t testing.TB, name string) (body []byte, contentType string) {
	t.Helper()
	dir := filepath.Join("testdata", name)
	body, err := os.ReadFile(filepath.Join(dir, "input.txt"))
	if errors.Is(err, os.ErrNotExist) {
		from, ferr := os.ReadFile(filepath.Join(dir, "input.from"))
		if ferr != nil {
			t.Fatal(ferr)
		}
		body, err = os.ReadFile(filepath.Join("testdata", strings.TrimSpace(string(from))))
	}
	if err != nil {
		t.Fatal(err)
	}
	ct, err := os.ReadFile(filepath.Join(dir, "content-type"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return body, strings.TrimSpace(string(ct))
}

// caseOptions returns the options of golden case name ("" when it has none).
func caseOptions(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name, "options.yaml"))
	if errors.Is(err, os.ErrNotExist) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// runCase parses golden case name as a collector named "kmahub" configured
// with the case's options.
func runCase(t testing.TB, name string) (collectors.Result, []error, error) {
	t.Helper()
	c := newTestCollector(t, "", caseOptions(t, name), nil)
	body, ct := caseInput(t, name)
	return c.mapper.parse(body, ct)
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

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}
