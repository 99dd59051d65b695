package hrfco

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// FuzzParse feeds the parsers arbitrary answers of the three endpoints
// (fldfct/list, waterlevel/info, waterlevel/list; an empty one is not read),
// seeded with every testdata case. It must never panic, and whatever it
// accepts must be a Result the lifecycle can take: valid alerts, one item
// per key, drops within the count, and the key nowhere.
func FuzzParse(f *testing.F) {
	dirs, err := os.ReadDir("testdata")
	if err != nil {
		f.Fatal(err)
	}
	for _, d := range dirs {
		if d.IsDir() {
			f.Add(readCase(f, d.Name(), "fldfct.json"), readCase(f, d.Name(), "info.json"), readCase(f, d.Name(), "levels.json"))
		}
	}
	m := newTestCollector(f, "", "mode: both\n", nil).mapper
	orNil := func(b []byte) []byte {
		if len(b) == 0 {
			return nil
		}
		return b
	}
	f.Fuzz(func(t *testing.T, fldfct, info, levels []byte) {
		res, _, err := parseCase(&m, orNil(info), orNil(fldfct), orNil(levels))
		if err != nil {
			if strings.Contains(err.Error(), testKey) {
				t.Fatalf("error shows the key: %v", err)
			}
			return
		}
		dropped := 0
		for _, n := range res.Dropped {
			dropped += n
		}
		if dropped+len(res.Items) > res.Fetched {
			t.Fatalf("%d dropped and %d items of %d rows", dropped, len(res.Items), res.Fetched)
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
			if !strings.HasPrefix(a.Key, "hrfco:") || a.Derived != strings.HasPrefix(a.Key, "hrfco:level:") {
				t.Fatalf("key %q, derived %v", a.Key, a.Derived)
			}
			b, err := json.Marshal(a)
			if err != nil {
				t.Fatalf("marshal %q: %v", a.Key, err)
			}
			if strings.Contains(string(b), testKey) {
				t.Fatalf("alert %q shows the key", a.Key)
			}
			_ = a.ContentHash()
		}
	})
}
