package kmahub

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// FuzzParse feeds the parser arbitrary bodies and content types, seeded with
// every testdata input. It must never panic, and whatever it accepts must be
// a Result the lifecycle can take: valid alerts in KST, one item per key,
// drops within the count.
func FuzzParse(f *testing.F) {
	for _, b := range golden.Inputs(f, "*/input.txt") {
		f.Add(b, "text/plain")
		f.Add(b, "")
		f.Add(b, "text/plain; charset=euc-kr")
	}
	m := newTestCollector(f, "", "kinds:\n  열대야: heat\n  폭풍해일: flood\n", nil).mapper
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		res, _, err := m.parse(body, contentType)
		if err != nil {
			if len(res.Items) != 0 || res.Fetched != 0 {
				t.Fatalf("error %v with a non-empty Result", err)
			}
			return
		}
		if !res.Snapshot {
			t.Fatal("a table read is not a snapshot")
		}
		dropped := 0
		for _, n := range res.Dropped {
			dropped += n
		}
		if dropped+len(res.Items) > res.Fetched {
			t.Fatalf("%d dropped and %d items of %d lines", dropped, len(res.Items), res.Fetched)
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
			if !strings.HasPrefix(a.Key, "kmahub:") || strings.Count(a.Key, "/") != 1 {
				t.Fatalf("key %q", a.Key)
			}
			if _, off := a.Sent.Zone(); off != 9*3600 {
				t.Fatalf("sent %s is not in KST", a.Sent)
			}
			if _, err := json.Marshal(a); err != nil {
				t.Fatalf("marshal %q: %v", a.Key, err)
			}
		}
	})
}
