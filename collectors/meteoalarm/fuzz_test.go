package meteoalarm

import (
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/hazardwire/hazardwire/collectors/internal/capdoc"
	"github.com/hazardwire/hazardwire/collectors/internal/feedtest"
)

// FuzzParse feeds arbitrary bodies to both parsers of outside input: the
// Atom feed parser, and the CAP parser with the mapper. Neither may panic,
// and whatever they accept must be usable: links that are absolute http(s)
// URLs, items that validate and encode, one item per key, drops within the
// count.
func FuzzParse(f *testing.F) {
	var seeds []string
	for _, pattern := range []string{"*/input.xml", "*/feed.atom.xml", "*/docs/*.xml"} {
		m, err := filepath.Glob(filepath.Join("testdata", pattern))
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, m...)
	}
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(atomFeedOf("https://feeds.example.test", entriesOf("a", "ID-A", t0, 2)...))
	f.Add(testDoc("ID-B", "2024-07-10T09:00:00+02:00", "Update", "s,ID-A,2024-07-10T06:00:00+02:00", 12, 2))
	m := &mapper{source: "fuzz", rainAsFlood: true}
	f.Fuzz(func(t *testing.T, body []byte) {
		if docs, _, err := parseFeed(body, "", "https://feeds.example.test/feeds/x"); err == nil {
			var entries []entry
			for _, d := range docs {
				u, err := url.Parse(d.link)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					t.Fatalf("link %q is not an absolute http(s) URL", d.link)
				}
				if len(d.entries) == 0 {
					t.Fatalf("document %q without entries", d.link)
				}
				entries = append(entries, d.entries...)
			}
			// The entries of any feed may meet any document.
			checkResult(t, m, testDoc("ID-A", "2024-07-10T06:00:00+02:00", "Alert", "", 5, 3), entries)
		}
		checkResult(t, m, body, nil)
	})
}

func checkResult(t *testing.T, m *mapper, body []byte, entries []entry) {
	a, err := parseCAP(body, "")
	if err != nil {
		return
	}
	s := capdoc.NewSnapshot(false)
	s.Add(m.mapAlert(a, entries))
	feedtest.CheckResult(t, s.Result, "fuzz:")
}
