package heatindex

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

// testEnv is the environment of a collector named "heat" for url.
func testEnv(url string, fetcher *collectors.Fetcher) collectors.Env {
	return collectors.Env{
		Info:    collectors.Info{Name: "heat", Kind: kindName},
		URL:     url,
		Fetcher: fetcher,
	}
}

// testURL is the url of collectors that never fetch.
const testURL = "https://example.org/observations.json"

// newTestCollector builds a collector configured with optionsYAML whose clock
// reads now.
func newTestCollector(t testing.TB, url, optionsYAML string, fetcher *collectors.Fetcher, now time.Time) *collector {
	t.Helper()
	c, err := New(testEnv(url, fetcher), yamlDecode(optionsYAML, nil))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	g := c.(*collector)
	g.now = func() time.Time { return now }
	return g
}

// readTestdata reads testdata/<name>.
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// caseOptions returns testdata/<name>/options.yaml ("" when there is none).
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

// caseInput returns the input of golden case name: testdata/<name>/input.json
// or, for a case on a verbatim capture, the capture named by input.
func caseInput(t testing.TB, name, input string) []byte {
	t.Helper()
	if input != "" {
		return readTestdata(t, input)
	}
	b, err := os.ReadFile(filepath.Join("testdata", name, "input.json"))
	if errors.Is(err, os.ErrNotExist) {
		t.Fatalf("testdata/%s has no input.json and its facts name no capture", name)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// runOnce parses body and evaluates it, as one successful run of c does.
func runOnce(c *collector, body []byte) (collectors.Result, []error, error) {
	p, err := c.parse(body, "application/json")
	if err != nil {
		return collectors.Result{}, nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	res := c.evaluate(p, c.now())
	return res, p.problems, nil
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(b)
}

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}
