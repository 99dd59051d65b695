package eafloods

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// FuzzParse feeds the parser arbitrary bodies, seeded with every testdata
// input. It must never panic, and whatever it accepts must be a Result the
// lifecycle can take: valid flood alerts, one item per key, drops within the
// count, level 4 and only level 4 a cancel.
func FuzzParse(f *testing.F) {
	for _, b := range golden.Inputs(f, "*.json", "*/input.json") {
		f.Add(b)
	}
	m := mapper{source: "ea"}
	f.Fuzz(func(t *testing.T, body []byte) {
		res, _, err := m.parse(body, "application/json")
		if err != nil {
			if len(res.Items) != 0 || res.Fetched != 0 {
				t.Fatalf("error %v with a non-empty Result", err)
			}
			return
		}
		if !res.Snapshot {
			t.Fatal("not a snapshot")
		}
		dropped := 0
		for _, n := range res.Dropped {
			dropped += n
		}
		if dropped+len(res.Items) > res.Fetched {
			t.Fatalf("%d dropped and %d items of %d warnings", dropped, len(res.Items), res.Fetched)
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
			if !strings.HasPrefix(a.Key, "ea:") || len(a.Key) == len("ea:") {
				t.Fatalf("key %q", a.Key)
			}
			if want := a.EventCodes["severityLevel"][0] == "4"; (it.Intent == collectors.IntentCancel) != want {
				t.Fatalf("level %v with intent %s", a.EventCodes["severityLevel"], it.Intent)
			}
			if _, err := json.Marshal(a); err != nil {
				t.Fatalf("marshal %q: %v", a.Key, err)
			}
		}
	})
}
