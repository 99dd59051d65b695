package kmahub

import (
	"strings"
	"testing"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// testKey is an API Hub key of the usual shape, made up for the tests.
const testKey = "Zk9tesTKEY-hub_b64xyzQ"

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
	c, err := New(testEnv(url, fetcher), golden.Decode(withKey(optionsYAML), nil))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c.(*collector)
}

// caseInput returns the input of golden case name, testdata/<name>/input.txt
// or the capture named by its input.from, and its content-type file ("" when
// there is none).
func caseInput(t testing.TB, name string) (body []byte, contentType string) {
	t.Helper()
	c := golden.At(name)
	body, ok := c.ReadOptional(t, "input.txt")
	if !ok {
		body = golden.Fixture(t, strings.TrimSpace(string(c.Read(t, "input.from"))))
	}
	ct, _ := c.ReadOptional(t, "content-type")
	return body, strings.TrimSpace(string(ct))
}

// runCase parses golden case name as a collector named "kmahub" configured
// with the case's options.
func runCase(t testing.TB, name string) (collectors.Result, []error, error) {
	t.Helper()
	return casePayload(t, name).Parse()
}

// casePayload is golden case name made ready for runCase: the collector
// built, the input read.
func casePayload(t testing.TB, name string) golden.Payload {
	t.Helper()
	c := newTestCollector(t, "", golden.At(name).Options(t), nil)
	body, ct := caseInput(t, name)
	return golden.Payload{Bytes: len(body), Parse: func() (collectors.Result, []error, error) { return c.mapper.parse(body, ct) }}
}
