package gauge

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// fuzzOptions configure every station of the seeds, in auto format, so that
// both parsers and the evaluation are reached.
const fuzzOptions = `stations:
  "01541000": {minor: 6.5, moderate: 12, major: 14}
  "01541300": {minor: 5}
  "690140": {minor: 0.7, moderate: 0.8}
  "690142": {minor: 0.2}
  "710102": {minor: 1}
  "L1931": {minor: 0.2}
  "531160": {minor: 1}
  "2001": {minor: 3}
`

// FuzzParse feeds the parsers arbitrary bodies, seeded with every testdata
// input. They must never panic, and whatever they accept must be a Result
// the lifecycle can take: valid derived alerts, one item per key, drops
// within the count.
func FuzzParse(f *testing.F) {
	for _, b := range golden.Inputs(f, "*.json", "*/input.json") {
		f.Add(b)
	}
	c := newTestCollector(f, testURL, fuzzOptions, nil, time.Date(2019, 2, 17, 20, 0, 0, 0, time.UTC))
	c.cfg.maxAge = 0
	f.Fuzz(func(t *testing.T, body []byte) {
		// A fresh state per input: the levels of one must not leak into the
		// checks of another.
		c.mu.Lock()
		c.levels = map[string]int{}
		c.mu.Unlock()
		res, _, err := runOnce(c, body)
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
		if dropped+len(res.Items) > res.Fetched {
			t.Fatalf("%d dropped and %d items of %d fetched", dropped, len(res.Items), res.Fetched)
		}
		keys := map[string]bool{}
		for _, it := range res.Items {
			a := it.Alert
			if err := a.Validate(); err != nil {
				t.Fatalf("invalid alert %q: %v", a.Key, err)
			}
			if keys[a.Key] || !strings.HasPrefix(a.Key, "gauges:") || !a.Derived {
				t.Fatalf("key %q (twice: %v), derived %v", a.Key, keys[a.Key], a.Derived)
			}
			keys[a.Key] = true
			if _, err := json.Marshal(a); err != nil {
				t.Fatalf("marshal %q: %v", a.Key, err)
			}
		}
	})
}
