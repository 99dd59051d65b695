package meteoalarm

import (
	"fmt"
	"os"
	"path"
	"strings"
	"testing"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/capdoc"
	"github.com/hazardwire/hazardwire/collectors/internal/docindex"
	harness "github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// BenchmarkParse parses the golden cases that parse (see golden.Bench; imported as harness, for this package has a func golden).
func BenchmarkParse(b *testing.B) {
	harness.Bench(b, cases, func(tb testing.TB, name string, _ facts) harness.Payload {
		if _, err := os.Stat(harness.At(name).Dir + "/feed.atom.xml"); err == nil {
			return feedPayload(tb, name)
		}
		return docPayload(tb, name)
	})
}

// docPayload is golden case name, one CAP document (input.xml), made ready
// for runCase.
func docPayload(tb testing.TB, name string) harness.Payload {
	tb.Helper()
	c := harness.At(name)
	m := &newCollector(tb, "https://feeds.example.test/feed", c.Options(tb), nil).mapper
	in := c.Read(tb, "input.xml")
	return harness.Payload{Bytes: len(in), Parse: func() (collectors.Result, []error, error) {
		a, err := parseCAP(in, "")
		if err != nil {
			return collectors.Result{}, nil, err
		}
		d := m.mapAlert(a, nil)
		s := capdoc.NewSnapshot(false)
		s.Add(d)
		return s.Result, d.Problems, nil
	}}
}

// feedPayload is golden case name, a feed (feed.atom.xml) and the documents
// it links (docs/<id>.xml), made ready to parse as Collect does on a first
// run, when every document is new: the feed, then each document parsed and
// mapped. The fetches and the index's bookkeeping are left out.
func feedPayload(tb testing.TB, name string) harness.Payload {
	tb.Helper()
	const feedURL = "https://feeds.meteoalarm.org/feeds/meteoalarm-legacy-atom-france"
	c := harness.At(name)
	m := &newCollector(tb, feedURL, c.Options(tb), nil).mapper
	feed := c.Read(tb, "feed.atom.xml")
	size := len(feed)
	ents, err := os.ReadDir(c.Dir + "/docs")
	if err != nil {
		tb.Fatal(err)
	}
	docs := map[string][]byte{}
	for _, e := range ents {
		b := c.Read(tb, "docs/"+e.Name())
		docs[strings.TrimSuffix(e.Name(), ".xml")] = b
		size += len(b)
	}
	return harness.Payload{Bytes: size, Parse: func() (collectors.Result, []error, error) {
		fds, invalid, err := parseFeed(feed, "", feedURL)
		if err != nil {
			return collectors.Result{}, nil, err
		}
		s := capdoc.NewSnapshot(false)
		for range invalid {
			s.Result.Fetched++
			s.Result.Drop(collectors.DropInvalid)
		}
		for _, d := range fds {
			body, ok := docs[path.Base(d.link)]
			if !ok {
				return collectors.Result{}, nil, fmt.Errorf("no document for %s", d.link)
			}
			a, err := parseCAP(body, "")
			s.Add(m.mapDocument(&docindex.Parsed[*capdoc.Alert]{Value: a, Err: err}, d.entries))
		}
		return s.Result, nil, nil
	}}
}
