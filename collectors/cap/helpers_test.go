package cap

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/feedtest"
)

// yamlDecode returns a Decode that reads src strictly, as the daemon's config
// loader does, and counts its calls in *calls (when calls is not nil).
func yamlDecode(src string, calls *int) collectors.Decode {
	return func(v any) error {
		if calls != nil {
			*calls++
		}
		dec := yaml.NewDecoder(strings.NewReader(src))
		dec.KnownFields(true)
		if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		return nil
	}
}

// newMapper builds the mapper of a collector configured with optionsYAML.
func newMapper(t testing.TB, optionsYAML string) *mapper {
	t.Helper()
	c := newCollector(t, "https://example.test/cap.xml", optionsYAML, nil)
	return &c.mapper
}

// newCollector builds a collector named "test" for url, with a fetcher whose
// clock is clock (default: one that moves an hour per reading, so that the
// fetcher's backoff after a failure never holds back the next request).
func newCollector(t testing.TB, url, optionsYAML string, clock func() time.Time) *collector {
	t.Helper()
	env := collectors.Env{Info: collectors.Info{Name: "test", Kind: "cap"}, URL: url, Fetcher: feedtest.Fetcher(clock, "")}
	c, err := New(env, yamlDecode(optionsYAML, nil))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c.(*collector)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(b)
}

// rfc3339 formats t with its own offset, as the alert JSON does.
func rfc3339(t *time.Time) string {
	if t == nil {
		return "<nil>"
	}
	return t.Format(time.RFC3339)
}
