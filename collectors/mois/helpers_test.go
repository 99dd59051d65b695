package mois

import (
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// testKey is the service key of every test collector: it must never show in
// an error. Its '+', '/' and '=' change under URL escaping, so every escaped
// form is checked too.
const testKey = "TESTKEY+s3cr3t/Xy=="

// testEnv is the environment of a collector named "mois" for url.
func testEnv(url string, fetcher *collectors.Fetcher) collectors.Env {
	return collectors.Env{
		Info:    collectors.Info{Name: "mois", Kind: kindName},
		URL:     url,
		Fetcher: fetcher,
	}
}

// withKey prefixes optionsYAML with the test service key.
func withKey(optionsYAML string) string {
	return "service_key: \"" + testKey + "\"\n" + optionsYAML
}

// newTestCollector builds a collector configured with the test key and
// optionsYAML.
func newTestCollector(t testing.TB, url, optionsYAML string, fetcher *collectors.Fetcher) *collector {
	t.Helper()
	c, err := New(testEnv(url, fetcher), golden.Decode(withKey(optionsYAML), nil))
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

// parseOne maps one answer as a run that read only it: the path Collect
// takes for each page, without the HTTP.
func (m *mapper) parseOne(body []byte) (collectors.Result, []error, error) {
	p, err := decodePage(body, "application/json;charset=UTF-8")
	if err != nil {
		return collectors.Result{}, nil, err
	}
	b := newBuilder(m)
	b.addPage(p.rows)
	res, problems := b.result()
	return res, problems, nil
}

// runCase parses the input of golden case name as a collector named "mois"
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
	return golden.Payload{Bytes: len(in), Parse: func() (collectors.Result, []error, error) { return c.mapper.parseOne(in) }}
}

// rfc3339 formats an optional time as the alert JSON does, offset kept.
func rfc3339(t *time.Time) string {
	if t == nil {
		return "<nil>"
	}
	return t.Format(time.RFC3339Nano)
}
