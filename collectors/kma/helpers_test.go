package kma

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// testKey is a service key in the decoded form data.go.kr issues: base64,
// with the + / = that URL encoding changes.
const testKey = "Xk9+test/KEY+b64Zm9vYmFyYmF6cXV4==" // made up for the tests

// withKey prepends the service key to optionsYAML, unless it sets one.
func withKey(optionsYAML string) string {
	if strings.Contains(optionsYAML, "service_key:") {
		return optionsYAML
	}
	return "service_key: \"" + testKey + "\"\n" + optionsYAML
}

// testEnv is the environment of a collector named "kma" for url.
func testEnv(url string, fetcher *collectors.Fetcher) collectors.Env {
	return collectors.Env{Info: collectors.Info{Name: "kma", Kind: kindName}, URL: url, Fetcher: fetcher}
}

// newTestCollector builds a collector configured with optionsYAML (and the
// test key), whose clock reads now.
func newTestCollector(t testing.TB, url, optionsYAML string, fetcher *collectors.Fetcher, now time.Time) *collector {
	t.Helper()
	c, err := New(testEnv(url, fetcher), golden.Decode(withKey(optionsYAML), nil))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	col := c.(*collector)
	col.now = func() time.Time { return now }
	return col
}

// parseBody reads one answer as Collect does: UTF-8 check, then envelope.
func parseBody(body []byte) ([]json.RawMessage, error) {
	text, err := collectors.DecodeText(body, "application/json;charset=UTF-8", "")
	if err != nil {
		return nil, err
	}
	return decodeEnvelope(text)
}

// parse maps one getPwnCd answer, and one getWthrWrnMsg answer when msg is
// not nil: Collect's work on a single page of each.
func (m *mapper) parse(pwn, msg []byte) (collectors.Result, []error, error) {
	rows, err := parseBody(pwn)
	if err != nil {
		return collectors.Result{}, nil, err
	}
	picked, res, problems := m.pick(rows)
	var texts map[string]bulletin
	if msg != nil {
		items, err := parseBody(msg)
		if err != nil {
			return collectors.Result{}, nil, err
		}
		var p []error
		texts, p = readBulletins(items)
		problems = append(problems, p...)
	}
	build(picked, texts, &res)
	return res, problems, nil
}

// caseFile returns file part ("input" or "msg") of golden case name:
// testdata/<name>/<part>.json, or the capture that <part>.from names; nil
// when the case has neither.
func caseFile(t testing.TB, name, part string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name, part+".json"))
	if errors.Is(err, os.ErrNotExist) {
		from, ferr := os.ReadFile(filepath.Join("testdata", name, part+".from"))
		switch {
		case errors.Is(ferr, os.ErrNotExist) && part == "input":
			b, err = os.ReadFile(filepath.Join("testdata", name+".json"))
		case errors.Is(ferr, os.ErrNotExist):
			return nil
		case ferr != nil:
			t.Fatal(ferr)
		default:
			b, err = os.ReadFile(filepath.Join("testdata", strings.TrimSpace(string(from))))
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// runCase parses golden case name as a collector named "kma" configured
// with the case's options.
func runCase(t testing.TB, name string) (collectors.Result, []error, error) {
	t.Helper()
	return casePayload(t, name).Parse()
}

// casePayload is golden case name made ready for runCase: the collector
// built, the answers read.
func casePayload(t testing.TB, name string) golden.Payload {
	t.Helper()
	c := newTestCollector(t, "", golden.At(name).Options(t), nil, time.Now())
	pwn, msg := caseFile(t, name, "input"), caseFile(t, name, "msg")
	return golden.Payload{Bytes: len(pwn) + len(msg), Parse: func() (collectors.Result, []error, error) {
		return c.mapper.parse(pwn, msg)
	}}
}
