package eafloods

import (
	"testing"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// testEnv is the environment of a collector named "ea" for url.
func testEnv(url string, fetcher *collectors.Fetcher) collectors.Env {
	return collectors.Env{Info: collectors.Info{Name: "ea", Kind: kindName}, URL: url, Fetcher: fetcher}
}

// newTestCollector builds a collector configured with optionsYAML.
func newTestCollector(t testing.TB, url, optionsYAML string, fetcher *collectors.Fetcher) *collector {
	t.Helper()
	c, err := New(testEnv(url, fetcher), golden.Decode(optionsYAML, nil))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c.(*collector)
}

// caseInput returns the input of golden case name: testdata/<name>/input.json,
// or for the verbatim captures, testdata/<name>.json.
func caseInput(t testing.TB, name string) []byte {
	t.Helper()
	return golden.At(name).Input(t, "input.json", ".json")
}

// runCase parses the input of golden case name as a collector named "ea"
// would, served as application/json.
func runCase(t testing.TB, name string) (collectors.Result, []error, error) {
	t.Helper()
	return casePayload(t, name).Parse()
}

// casePayload is golden case name made ready for runCase: the collector
// built, the input read.
func casePayload(t testing.TB, name string) golden.Payload {
	t.Helper()
	c := newTestCollector(t, "", "", nil)
	in := caseInput(t, name)
	return golden.Payload{Bytes: len(in), Parse: func() (collectors.Result, []error, error) {
		return c.mapper.parse(in, "application/json")
	}}
}
