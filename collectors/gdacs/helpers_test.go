package gdacs

import (
	"testing"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// testEnv is the environment of a collector named "gdacs" for url.
func testEnv(url string, fetcher *collectors.Fetcher) collectors.Env {
	return collectors.Env{Info: collectors.Info{Name: "gdacs", Kind: kindName}, URL: url, Fetcher: fetcher}
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

// inputNames are the input files a case folder may hold.
var inputNames = []string{"input.xml", "input.json"}

// caseInput returns the input of golden case name: the first of inputNames
// in testdata/<name>, or for the verbatim captures, testdata/<name>.xml.
func caseInput(t testing.TB, name string) []byte {
	t.Helper()
	c := golden.At(name)
	for _, f := range inputNames {
		if b, ok := c.ReadOptional(t, f); ok {
			return b
		}
	}
	return golden.Fixture(t, name+".xml")
}

// runCase parses the input of golden case name as a collector named "gdacs"
// configured with the case's options.
func runCase(t testing.TB, name string) (collectors.Result, []error, error) {
	t.Helper()
	return casePayload(t, name).Parse()
}

// casePayload is golden case name made ready for runCase: the collector
// built, the input read.
func casePayload(t testing.TB, name string) golden.Payload {
	t.Helper()
	c := newTestCollector(t, "", golden.At(name).Options(t), nil)
	in := caseInput(t, name)
	return golden.Payload{Bytes: len(in), Parse: func() (collectors.Result, []error, error) { return c.mapper.parse(in, "") }}
}
