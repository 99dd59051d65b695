package mois

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// FuzzParse feeds the page parser and the mapping arbitrary bodies, seeded
// with every testdata input. It must never panic, and whatever it accepts
// must be a Result the lifecycle can take: valid alerts, one item per key,
// every row counted once as an item or a drop.
func FuzzParse(f *testing.F) {
	for _, b := range golden.Inputs(f, "*.json", "*/input.json") {
		f.Add(b)
	}
	m := newTestCollector(f, "", "typhoon_as_flood: true\nkeywords: true\n", nil).mapper
	f.Fuzz(func(t *testing.T, body []byte) {
		res, _, err := m.parseOne(body)
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
		if dropped+len(res.Items) != res.Fetched {
			t.Fatalf("%d items + %d dropped != %d fetched", len(res.Items), dropped, res.Fetched)
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
			if !strings.HasPrefix(a.Key, "mois:") || it.Intent != collectors.IntentActive {
				t.Fatalf("key %q, intent %q", a.Key, it.Intent)
			}
			if a.Expires == nil || !a.Expires.After(a.Sent) {
				t.Fatalf("%q: expires %v not after sent %v", a.Key, a.Expires, a.Sent)
			}
			if _, err := json.Marshal(a); err != nil {
				t.Fatalf("marshal %q: %v", a.Key, err)
			}
		}
	})
}
