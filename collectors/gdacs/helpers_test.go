package gdacs

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/collectors"
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

// testEnv is the environment of a collector named "gdacs" for url.
func testEnv(url string, fetcher *collectors.Fetcher) collectors.Env {
	return collectors.Env{Info: collectors.Info{Name: "gdacs", Kind: kindName}, URL: url, Fetcher: fetcher}
}

// newTestCollector builds a collector configured with optionsYAML.
func newTestCollector(t testing.TB, url, optionsYAML string, fetcher *collectors.Fetcher) *collector {
	t.Helper()
	c, err := New(testEnv(url, fetcher), yamlDecode(optionsYAML, nil))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c.(*collector)
}

// inputNames are the input files a case folder may hold.
var inputNames = []string{"input.xml", "input.json"}

// caseInput returns the input of golden case name: testdata/<name>/input.*,
// or for the verbatim captures, testdata/<name>.xml.
func caseInput(t testing.TB, name string) []byte {
	t.Helper()
	for _, f := range inputNames {
		b, err := os.ReadFile(filepath.Join("testdata", name, f))
		if err == nil {
			return b
		}
		if !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(filepath.Join("testdata", name+".xml"))
	if err != nil {
		t.Fatal(err)
	}
	return b
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

// runCase parses the input of golden case name as a collector named "gdacs"
// configured with the case's options.
func runCase(t testing.TB, name string) (collectors.Result, []error, error) {
	t.Helper()
	c := newTestCollector(t, "", caseOptions(t, name), nil)
	return c.mapper.parse(caseInput(t, name), "")
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
