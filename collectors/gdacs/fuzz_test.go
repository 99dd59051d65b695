package gdacs

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// FuzzParse feeds the parser arbitrary bodies, seeded with every testdata
// input, read both as detected and as GeoJSON with every area option on. It
// must never panic, and whatever it accepts must be a Result the lifecycle
// can take: valid alerts, one item per key, drops within the count.
func FuzzParse(f *testing.F) {
	for _, b := range golden.Inputs(f, "*.xml", "*/input.xml", "*/input.json") {
		f.Add(b)
	}
	mappers := []*mapper{
		&newTestCollector(f, "", "", nil).mapper,
		&newTestCollector(f, "", "format: geojson\nradius_km: 10\nbbox_polygon: true\nexpires_after: 1h\n", nil).mapper,
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, m := range mappers {
			res, problems, err := m.parse(body, "")
			if err != nil {
				if len(res.Items) != 0 || res.Fetched != 0 || problems != nil {
					t.Fatalf("error %v with a non-empty Result", err)
				}
				continue
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
				if keys[a.Key] {
					t.Fatalf("key %q twice", a.Key)
				}
				keys[a.Key] = true
				if !strings.HasPrefix(a.Key, "gdacs:FL") || strings.Trim(a.Key[len("gdacs:FL"):], "0123456789") != "" {
					t.Fatalf("key %q", a.Key)
				}
				if _, err := json.Marshal(a); err != nil {
					t.Fatalf("marshal %q: %v", a.Key, err)
				}
				_ = a.ContentHash()
			}
		}
	})
}
