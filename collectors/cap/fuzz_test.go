package cap

import (
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/hazardwire/hazardwire/collectors/internal/feedtest"
)

// FuzzParse feeds arbitrary bodies to the parsers of outside input: the CAP
// document parser and mapper, and the index parser. Neither may panic, and
// whatever they accept must be publishable: items that validate and encode
// as JSON, links that are absolute http(s) URLs.
func FuzzParse(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "*", "input.xml"))
	if err != nil {
		f.Fatal(err)
	}
	indexes, _ := filepath.Glob(filepath.Join("testdata", "index", "*.xml"))
	for _, p := range append(seeds, indexes...) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`<alert><identifier>i</identifier><sender>s</sender><sent>2024-01-01T00:00:00Z</sent><status>Actual</status><msgType>Update</msgType><references>s,a,2023-01-01T00:00:00Z</references><info><event>Flood</event><area><areaDesc>a</areaDesc><polygon>1,1 1,2 2,2 1,1</polygon><circle>1,1 0</circle></area></info></alert>`))
	m := &mapper{source: "fuzz", classifier: classifier{keywords: true}}
	f.Fuzz(func(t *testing.T, body []byte) {
		kind, _, err := sniff(body)
		if err != nil {
			return
		}
		if kind != rootCAP {
			entries, _, err := parseIndex(kind, body, "https://example.test/feeds/index.atom")
			if err != nil {
				return
			}
			for _, e := range entries {
				u, err := url.Parse(e.Link)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || e.ID == "" {
					t.Fatalf("entry %+v: link is not an absolute http(s) URL or id is empty", e)
				}
			}
			return
		}
		res, err := m.documentResult(body)
		if err != nil {
			return
		}
		feedtest.CheckResult(t, res, "fuzz:")
	})
}
