package heatindex

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// FuzzParse feeds the parsers arbitrary bodies, seeded with every testdata
// input, through both formulas and both inputs. They must never panic, and
// whatever they accept must be a Result the lifecycle can take: valid
// derived heat alerts, one item per key, drops within the count.
func FuzzParse(f *testing.F) {
	for _, b := range golden.Inputs(f, "*.json", "*/*.json") {
		f.Add(b)
	}
	now := time.Date(2025, 8, 2, 16, 0, 0, 0, time.UTC)
	var cs []*collector
	for _, opts := range []string{"", "formula: nws\n", "input: forecast\n", "formula: nws\ninput: forecast\nmax_age: 0s\n"} {
		cs = append(cs, newTestCollector(f, testURL, opts, nil, now))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, c := range cs {
			// A fresh memory per input: one input's state must not leak
			// into the checks of another.
			c.mu.Lock()
			c.memory, c.levels = map[string]*memory{}, map[string]int{}
			c.mu.Unlock()
			res, _, err := runOnce(c, body)
			if err != nil {
				if len(res.Items) != 0 || res.Fetched != 0 {
					t.Fatalf("error %v with a non-empty Result", err)
				}
				continue
			}
			dropped := 0
			for _, n := range res.Dropped {
				dropped += n
			}
			if dropped > res.Fetched {
				t.Fatalf("%d dropped of %d fetched", dropped, res.Fetched)
			}
			keys := map[string]bool{}
			for _, it := range res.Items {
				a := it.Alert
				if err := a.Validate(); err != nil {
					t.Fatalf("invalid alert %q: %v", a.Key, err)
				}
				if keys[a.Key] || !strings.HasPrefix(a.Key, "heat:") || !a.Derived || a.Hazard != "heat" {
					t.Fatalf("key %q (twice: %v), derived %v, hazard %q", a.Key, keys[a.Key], a.Derived, a.Hazard)
				}
				keys[a.Key] = true
				if _, err := json.Marshal(a); err != nil {
					t.Fatalf("marshal %q: %v", a.Key, err)
				}
			}
		}
	})
}
