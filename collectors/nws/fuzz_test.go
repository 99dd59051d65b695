package nws

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// FuzzParse feeds the parser arbitrary bodies, seeded with every testdata
// input. It must never panic, and whatever it accepts must be a Result the
// lifecycle can take: valid alerts, one item per key, drops within the count.
func FuzzParse(f *testing.F) {
	for _, b := range golden.Inputs(f, "*.json", "*/input.json") {
		f.Add(b)
	}
	m := newTestCollector(f, "", "events:\n  Storm Surge Warning: flood\n", nil).mapper
	f.Fuzz(func(t *testing.T, body []byte) {
		res, _, err := m.parse(body)
		if err != nil {
			if len(res.Items) != 0 || res.Fetched != 0 {
				t.Fatalf("error %v with a non-empty Result", err)
			}
			return
		}
		dropped := 0
		for _, n := range res.Dropped {
			dropped += n
		}
		if dropped > res.Fetched {
			t.Fatalf("dropped %d of %d features", dropped, res.Fetched)
		}
		keys := map[string]bool{}
		for _, it := range res.Items {
			a := it.Alert
			if err := a.Validate(); err != nil {
				t.Fatalf("invalid alert %q: %v", a.Key, err)
			}
			if keys[a.Key] {
				t.Fatalf("key %q twice", a.Key)
			}
			keys[a.Key] = true
			if !strings.HasPrefix(a.Key, "nws:") {
				t.Fatalf("key %q", a.Key)
			}
			if _, err := json.Marshal(a); err != nil {
				t.Fatalf("marshal %q: %v", a.Key, err)
			}
		}
	})
}
