package cap

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/feedtest"
)

func testdataFile(t *testing.T, parts ...string) []byte {
	t.Helper()
	return readFile(t, filepath.Join(append([]string{"testdata"}, parts...)...))
}

// The NWS Atom index, its links rewritten to the test server: an unchanged
// entry is not fetched again, a changed one is, and a vanished one leaves
// the cache.
func TestIndexAtomFetchesOnlyNewOrChanged(t *testing.T) {
	srv := feedtest.NewServer(t)
	index := strings.ReplaceAll(string(testdataFile(t, "index", "nws-index.atom.xml")), "http://www.weather.gov", srv.URL)
	const (
		doc1 = "/alerts-beta/wwacapget.php?x=CT20100831030400OKXAirQualityAlertOKX20100901031500CT"
		doc2 = "/alerts-beta/wwacapget.php?x=DC20100830203300LWXAirQualityAlertLWX20100901040000DC"
	)
	srv.Set("/index.atom", []byte(index))
	srv.Set(doc1, testdataFile(t, "nws-flash-flood-watch-cap11", "input.xml"))
	srv.Set(doc2, testdataFile(t, "nws-ipaws-update-hurricane", "input.xml"))
	c := newCollector(t, srv.URL+"/index.atom", "", nil)

	first := feedtest.MustCollect(t, c)
	wantEq(t, "keys", feedtest.Keys(first), []string{"test:w-nws.webmaster@noaa.gov,NOAA-NWS-ALERTS-MT20100830100700TFXFlashFloodWatchTFX20100830180000MT/en-US"})
	wantEq(t, "Fetched", first.Fetched, 2)
	wantEq(t, "Dropped", first.Dropped, map[string]int{"unmapped": 1})
	wantEq(t, "Snapshot", first.Snapshot, true)
	wantEq(t, "hits", []int{srv.Count("/index.atom"), srv.Count(doc1), srv.Count(doc2)}, []int{1, 1, 1})
	wantEq(t, "cache ids", c.index.Len(), 2)
	if !c.index.Has(srv.URL + doc1) {
		t.Errorf("cache is not keyed by the entry id %q", srv.URL+doc1)
	}

	second := feedtest.MustCollect(t, c)
	wantEq(t, "unchanged run items", mustJSON(t, second.Items), mustJSON(t, first.Items))
	wantEq(t, "unchanged run counts", []int{second.Fetched, second.Dropped["unmapped"]}, []int{2, 1})
	wantEq(t, "hits after unchanged run", []int{srv.Count("/index.atom"), srv.Count(doc1), srv.Count(doc2)}, []int{2, 1, 1})

	changed := strings.Replace(index, "<updated>2010-08-30T16:33:00-04:00</updated>", "<updated>2010-08-30T17:00:00-04:00</updated>", 1)
	if changed == index {
		t.Fatal("the test did not change the index")
	}
	srv.Set("/index.atom", []byte(changed))
	feedtest.MustCollect(t, c)
	wantEq(t, "hits after a changed entry", []int{srv.Count(doc1), srv.Count(doc2)}, []int{1, 2})

	start, end := strings.Index(changed, "<entry>"), strings.Index(changed, "</entry>")+len("</entry>")
	withoutFirst := changed[:start] + changed[end:]
	srv.Set("/index.atom", []byte(withoutFirst))
	gone := feedtest.MustCollect(t, c)
	wantEq(t, "items once the flood entry left", len(gone.Items), 0)
	wantEq(t, "Fetched once the flood entry left", gone.Fetched, 1)
	wantEq(t, "cache ids", c.index.Len(), 1)

	srv.Set("/index.atom", []byte(changed))
	back := feedtest.MustCollect(t, c)
	wantEq(t, "a returning entry is fetched again", srv.Count(doc1), 2)
	wantEq(t, "items", feedtest.Keys(back), feedtest.Keys(first))
}

// The NY RSS index: links from <link>, entry ids from <guid>, pubDate as
// the version.
func TestIndexRSS(t *testing.T) {
	srv := feedtest.NewServer(t)
	index := strings.ReplaceAll(string(testdataFile(t, "index", "ny-index.rss.xml")), "http://www.nyalert.gov", srv.URL)
	const (
		doc1 = "/Public/News/GetCapAlert.aspx?capID=NYAlert-ALLHAZALERT-3167113"
		doc2 = "/Public/News/GetCapAlert.aspx?capID=NYAlert-ALLHAZALERT-3162202"
	)
	srv.Set("/rss.xml", []byte(index))
	srv.Set(doc1, testdataFile(t, "korean-heat", "input.xml"))
	srv.Set(doc2, testdataFile(t, "allclear-hochwasser-de", "input.xml"))
	c := newCollector(t, srv.URL+"/rss.xml", "", nil)

	res := feedtest.MustCollect(t, c)
	wantEq(t, "keys", feedtest.Keys(res), []string{
		"test:test-warnings@example.kr,HW-TEST-KR-HEAT-0001/ko-KR",
		"test:hochwasser@example.de,2.49.0.0.276.0.DE.HW.20240601.0001/de-DE",
	})
	wantEq(t, "intents", []collectors.Intent{res.Items[0].Intent, res.Items[1].Intent}, []collectors.Intent{collectors.IntentActive, collectors.IntentCancel})
	for _, id := range []string{"NYAlert-ALLHAZALERT-3167113", "NYAlert-ALLHAZALERT-3162202"} {
		if !c.index.Has(id) {
			t.Errorf("no cache entry for guid %q", id)
		}
	}
	srv.Set("/rss.xml", []byte(strings.Replace(index, "Fri, 28 Jan 2011 16:13:00 GMT", "Fri, 28 Jan 2011 17:13:00 GMT", 1)))
	feedtest.MustCollect(t, c)
	wantEq(t, "hits after a changed pubDate", []int{srv.Count(doc1), srv.Count(doc2)}, []int{1, 2})
}

// The MeteoAlarm Atom index: of an entry's links, the one typed
// application/cap+xml is fetched, never the untyped alternate web page.
func TestIndexAtomPrefersCAPLink(t *testing.T) {
	srv := feedtest.NewServer(t)
	index := string(testdataFile(t, "index", "meteoalarm-france.atom.xml"))
	index = strings.ReplaceAll(index, "https://feeds.meteoalarm.org", srv.URL)
	index = strings.ReplaceAll(index, "https://meteoalarm.org", srv.URL)
	const (
		flood    = "/api/v1/warnings/feeds-france/04d497d4-d114-4d6b-93ba-13fa7ed577fe"
		allclear = "/api/v1/warnings/feeds-france/2f32f9f9-06df-48aa-b0a0-10493ea07c51"
	)
	srv.Set("/feed", []byte(index))
	srv.Set(flood, testdataFile(t, "meteoalarm-flood-awareness", "input.xml"))
	srv.Set(allclear, testdataFile(t, "meteoalarm-france-update-allclear", "input.xml"))
	c := newCollector(t, srv.URL+"/feed", "", nil)

	res := feedtest.MustCollect(t, c)
	wantEq(t, "hits", []int{srv.Count(flood), srv.Count(allclear), srv.Total()}, []int{1, 1, 3})
	wantEq(t, "keys", feedtest.Keys(res), []string{
		"test:vigilance@meteo.fr,2.49.0.0.250.0.FR.20240117060126.000001/fr-FR",
		"test:vigilance@meteo.fr,2.49.0.0.250.0.FR.20240117060126.000001/en-GB",
	})
	wantEq(t, "Fetched", res.Fetched, 4)
	wantEq(t, "Dropped", res.Dropped, map[string]int{"unmapped": 2})
}

// Hand-made Atom: relative links resolve against the index URL; a link in
// another namespace is not a link; an entry without a usable link is
// counted invalid.
func TestIndexAtomLinks(t *testing.T) {
	srv := feedtest.NewServer(t)
	index := `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:x="urn:example:ext">
  <entry>
    <id>urn:uuid:a</id>
    <updated>2024-01-01T00:00:00Z</updated>
    <x:link href="/wrong.xml"/>
    <link rel="alternate" type="text/html" href="docs/a.xml"/>
  </entry>
  <entry>
    <id>urn:uuid:b</id>
    <updated>2024-01-01T00:00:00Z</updated>
    <link rel="alternate" type="text/html" href="/page.html"/>
    <link rel="enclosure" type="application/cap+xml; charset=utf-8" href="/cap/b.xml"/>
  </entry>
  <entry>
    <id>` + srv.URL + `/byid/c.xml</id>
    <updated>2024-01-01T00:00:00Z</updated>
    <link rel="related" href="/related.html"/>
  </entry>
  <entry>
    <id>urn:uuid:d</id>
    <updated>2024-01-01T00:00:00Z</updated>
    <link rel="self" href="/self.xml"/>
  </entry>
  <entry>
    <id>urn:uuid:e</id>
    <link href="mailto:ops@example.org"/>
  </entry>
</feed>`
	srv.Set("/feeds/index.atom", []byte(index))
	srv.Set("/feeds/docs/a.xml", testdataFile(t, "cap11-prefixed-namespace", "input.xml"))
	srv.Set("/cap/b.xml", testdataFile(t, "korean-heat", "input.xml"))
	srv.Set("/byid/c.xml", testdataFile(t, "circle-area-ko", "input.xml"))
	c := newCollector(t, srv.URL+"/feeds/index.atom", "", nil)

	res := feedtest.MustCollect(t, c)
	wantEq(t, "items", len(res.Items), 3)
	wantEq(t, "Dropped", res.Dropped, map[string]int{"invalid": 2})
	wantEq(t, "hits", []int{srv.Count("/feeds/docs/a.xml"), srv.Count("/cap/b.xml"), srv.Count("/byid/c.xml"), srv.Total()}, []int{1, 1, 1, 4})
}

// Hand-made RSS: an item without <link> uses a guid that is a URL; an
// atom:link inside an item is not its link.
func TestIndexRSSGuidAndForeignLink(t *testing.T) {
	srv := feedtest.NewServer(t)
	index := `<?xml version="1.0"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <atom:link href="/self" rel="self"/>
    <item>
      <atom:link href="/wrong.xml"/>
      <guid isPermaLink="true">` + srv.URL + `/cap/1.xml</guid>
      <pubDate>Mon, 01 Jan 2024 00:00:00 GMT</pubDate>
    </item>
    <item>
      <guid isPermaLink="false">not-a-url</guid>
    </item>
  </channel>
</rss>`
	srv.Set("/rss", []byte(index))
	srv.Set("/cap/1.xml", testdataFile(t, "korean-heat", "input.xml"))
	c := newCollector(t, srv.URL+"/rss", "", nil)
	res := feedtest.MustCollect(t, c)
	wantEq(t, "items", len(res.Items), 1)
	wantEq(t, "Dropped", res.Dropped, map[string]int{"invalid": 1})
	wantEq(t, "hits", []int{srv.Count("/cap/1.xml"), srv.Count("/wrong.xml")}, []int{1, 0})
}

// atomIndex builds an Atom index of docs (name → updated), linked at /d/<name>.
func atomIndex(docs ...[2]string) []byte {
	var b strings.Builder
	b.WriteString(`<feed xmlns="http://www.w3.org/2005/Atom">`)
	for _, d := range docs {
		fmt.Fprintf(&b, `<entry><id>urn:test:%s</id><updated>%s</updated><link href="/d/%s"/></entry>`, d[0], d[1], d[0])
	}
	b.WriteString(`</feed>`)
	return []byte(b.String())
}

// capDoc builds a flood CAP message.
func capDoc(id, sent, msgType, refs string) []byte {
	return fmt.Appendf(nil, `<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
<identifier>%s</identifier><sender>hydro@example.org</sender><sent>%s</sent>
<status>Actual</status><msgType>%s</msgType><scope>Public</scope><references>%s</references>
<info><event>Flood Warning</event><urgency>Expected</urgency><severity>Severe</severity><certainty>Likely</certainty>
<area><areaDesc>River</areaDesc></area></info></alert>`, id, sent, msgType, refs)
}

const t0 = "2024-01-01T00:00:00Z"

// A document that fails makes the run partial: the others' items and an
// error naming the count. The failed one is tried again on the next run,
// the others are not.
func TestIndexPartialOnFailedDocument(t *testing.T) {
	srv := feedtest.NewServer(t)
	srv.Set("/index", atomIndex([2]string{"a", t0}, [2]string{"b", t0}, [2]string{"c", t0}))
	srv.Set("/d/a", capDoc("A", "2024-01-01T00:00:00+00:00", "Alert", ""))
	srv.Fail("/d/b", 500)
	srv.Set("/d/c", capDoc("C", "2024-01-01T00:00:00+00:00", "Alert", ""))
	c := newCollector(t, srv.URL+"/index", "", nil)

	res, err := feedtest.Collect(t, c)
	if !errors.Is(err, ErrPartial) {
		t.Fatalf("err = %v, want ErrPartial", err)
	}
	if !strings.Contains(err.Error(), "1 of 3 new or changed documents failed") || !strings.Contains(err.Error(), "HTTP 500") {
		t.Errorf("err = %q, want the count and the first failure", err)
	}
	wantEq(t, "reason", collectors.Reason(err), "http_status")
	wantEq(t, "keys", feedtest.Keys(res), []string{"test:hydro@example.org,A/en-US", "test:hydro@example.org,C/en-US"})

	_, err = feedtest.Collect(t, c)
	if !errors.Is(err, ErrPartial) || !strings.Contains(err.Error(), "1 of 1 new or changed") {
		t.Errorf("second run err = %v, want 1 of 1 failed", err)
	}
	wantEq(t, "hits", []int{srv.Count("/d/a"), srv.Count("/d/b"), srv.Count("/d/c")}, []int{1, 2, 1})

	srv.Set("/d/b", capDoc("B", "2024-01-01T00:00:00+00:00", "Alert", ""))
	res = feedtest.MustCollect(t, c)
	wantEq(t, "items once fixed", len(res.Items), 3)
}

// A document gone from its server (404) is an answer about that document
// only: the other documents of the host are still fetched in the same run.
func TestIndexMissingDocumentDoesNotHoldBackTheHost(t *testing.T) {
	srv := feedtest.NewServer(t)
	srv.Set("/index", atomIndex([2]string{"a", t0}, [2]string{"b", t0}, [2]string{"c", t0}))
	srv.Fail("/d/a", 404)
	srv.Set("/d/b", capDoc("B", "2024-01-01T00:00:00+00:00", "Alert", ""))
	srv.Set("/d/c", capDoc("C", "2024-01-01T00:00:00+00:00", "Alert", ""))
	c := newCollector(t, srv.URL+"/index", "", nil)
	c.workers = 1
	res, err := feedtest.Collect(t, c)
	if !errors.Is(err, ErrPartial) || !strings.Contains(err.Error(), "HTTP 404") {
		t.Fatalf("err = %v, want a partial run naming the 404", err)
	}
	wantEq(t, "items", len(res.Items), 2)
}

// A document whose server keeps failing (5xx) makes the fetcher back off
// from its host; it is tried after the others on later runs, so it cannot
// starve them.
func TestIndexFailingDocumentGoesLast(t *testing.T) {
	srv := feedtest.NewServer(t)
	srv.Set("/index", atomIndex([2]string{"a", t0}, [2]string{"b", t0}, [2]string{"c", t0}))
	srv.Fail("/d/a", 503)
	srv.Set("/d/b", capDoc("B", "2024-01-01T00:00:00+00:00", "Alert", ""))
	srv.Set("/d/c", capDoc("C", "2024-01-01T00:00:00+00:00", "Alert", ""))
	clock := feedtest.NewManualClock(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	c := newCollector(t, srv.URL+"/index", "", clock.Now)
	c.workers = 1 // fetch in index order, so that the backoff hits b and c

	res, err := feedtest.Collect(t, c)
	if !errors.Is(err, ErrPartial) || !strings.Contains(err.Error(), "2 documents left for the next run (backoff)") {
		t.Fatalf("err = %v, want a partial run with 2 documents held back by backoff", err)
	}
	wantEq(t, "items", len(res.Items), 0)

	clock.Advance(2 * time.Minute)
	res, err = feedtest.Collect(t, c)
	if !errors.Is(err, ErrPartial) {
		t.Fatalf("err = %v, want ErrPartial (a still fails)", err)
	}
	wantEq(t, "keys", feedtest.Keys(res), []string{"test:hydro@example.org,B/en-US", "test:hydro@example.org,C/en-US"})
	wantEq(t, "hits", []int{srv.Count("/d/a"), srv.Count("/d/b"), srv.Count("/d/c")}, []int{2, 1, 1})
}

// max_documents bounds the fetches of a run; the rest come next run.
func TestIndexMaxDocuments(t *testing.T) {
	srv := feedtest.NewServer(t)
	srv.Set("/index", atomIndex([2]string{"a", t0}, [2]string{"b", t0}, [2]string{"c", t0}))
	for _, n := range []string{"a", "b", "c"} {
		srv.Set("/d/"+n, capDoc(strings.ToUpper(n), "2024-01-01T00:00:00+00:00", "Alert", ""))
	}
	c := newCollector(t, srv.URL+"/index", "max_documents: 2", nil)

	res, err := feedtest.Collect(t, c)
	if !errors.Is(err, ErrPartial) || !strings.Contains(err.Error(), "1 documents left for the next run by max_documents 2") {
		t.Fatalf("err = %v, want a partial run held back by max_documents", err)
	}
	wantEq(t, "items", len(res.Items), 2)
	res = feedtest.MustCollect(t, c)
	wantEq(t, "items on the next run", len(res.Items), 3)
	wantEq(t, "hits", []int{srv.Count("/d/a"), srv.Count("/d/b"), srv.Count("/d/c")}, []int{1, 1, 1})
}

// An index holding two messages of one story yields one item: the one
// sent last, wherever it stands in the index.
func TestIndexKeepsLatestOfStory(t *testing.T) {
	srv := feedtest.NewServer(t)
	srv.Set("/index", atomIndex([2]string{"update", t0}, [2]string{"alert", t0}))
	srv.Set("/d/alert", capDoc("X1", "2024-01-01T00:00:00+00:00", "Alert", ""))
	srv.Set("/d/update", capDoc("X2", "2024-01-01T06:00:00+00:00", "Update", "hydro@example.org,X1,2024-01-01T00:00:00+00:00"))
	c := newCollector(t, srv.URL+"/index", "", nil)
	res := feedtest.MustCollect(t, c)
	wantEq(t, "keys", feedtest.Keys(res), []string{"test:hydro@example.org,X1/en-US"})
	wantEq(t, "sent", res.Items[0].Alert.Sent.Format(time.RFC3339), "2024-01-01T06:00:00Z")
	wantEq(t, "Fetched", res.Fetched, 2)
}

// Two entries linking one document fetch it once and count it once.
func TestIndexSharedDocument(t *testing.T) {
	srv := feedtest.NewServer(t)
	srv.Set("/index", []byte(`<feed xmlns="http://www.w3.org/2005/Atom">
<entry><id>e1</id><updated>1</updated><link href="/d/x"/></entry>
<entry><id>e2</id><updated>1</updated><link href="/d/x"/></entry></feed>`))
	srv.Set("/d/x", capDoc("X", "2024-01-01T00:00:00+00:00", "Alert", ""))
	c := newCollector(t, srv.URL+"/index", "", nil)
	res := feedtest.MustCollect(t, c)
	wantEq(t, "items, Fetched, hits", []int{len(res.Items), res.Fetched, srv.Count("/d/x")}, []int{1, 1, 1})
	feedtest.MustCollect(t, c)
	wantEq(t, "hits after an unchanged run", srv.Count("/d/x"), 1)
}

// A document that does not parse is reported once, then counted as invalid
// without being fetched again until its entry changes.
func TestIndexUnparsableDocumentCached(t *testing.T) {
	srv := feedtest.NewServer(t)
	srv.Set("/index", atomIndex([2]string{"bad", t0}))
	srv.Set("/d/bad", []byte("<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'><identifier>"))
	c := newCollector(t, srv.URL+"/index", "", nil)

	res, err := feedtest.Collect(t, c)
	if !errors.Is(err, ErrPartial) || !strings.Contains(err.Error(), "parse "+srv.URL+"/d/bad") {
		t.Fatalf("err = %v, want a partial run naming the document", err)
	}
	wantEq(t, "reason", collectors.Reason(err), "parse")
	wantEq(t, "Dropped", res.Dropped, map[string]int{"invalid": 1})

	res = feedtest.MustCollect(t, c)
	wantEq(t, "Dropped on the next run", res.Dropped, map[string]int{"invalid": 1})
	wantEq(t, "hits", srv.Count("/d/bad"), 1)

	srv.Set("/index", atomIndex([2]string{"bad", "2024-01-02T00:00:00Z"}))
	if _, err := feedtest.Collect(t, c); !errors.Is(err, ErrPartial) {
		t.Errorf("err = %v, want ErrPartial again for the changed entry", err)
	}
	wantEq(t, "hits after the entry changed", srv.Count("/d/bad"), 2)
}

// Items re-emitted from the cache are copies: changing a Result does not
// change the next one.
func TestIndexResultsDoNotShareCache(t *testing.T) {
	srv := feedtest.NewServer(t)
	srv.Set("/index", atomIndex([2]string{"a", t0}))
	srv.Set("/d/a", testdataFile(t, "no-namespace-excessive-heat", "input.xml"))
	c := newCollector(t, srv.URL+"/index", "", nil)
	first := feedtest.MustCollect(t, c)
	want := mustJSON(t, first.Items)
	first.Items[0].Alert.Parameters["VTEC"][0] = "changed"
	first.Items[0].Alert.Areas[0].Polygons[0][0] = [2]float64{0, 0}
	second := feedtest.MustCollect(t, c)
	wantEq(t, "items", mustJSON(t, second.Items), want)
}

// A changed document that no longer parses (an HTML page served with 200)
// is still in the index: the keys of its last good version stay seen, as
// unreadable, on that run and every later one, so that the lifecycle ends
// none of them.
func TestIndexChangedDocumentUnparsableHoldsItsKeys(t *testing.T) {
	srv := feedtest.NewServer(t)
	srv.Set("/index", atomIndex([2]string{"x", t0}))
	srv.Set("/d/x", capDoc("X1", "2024-01-01T00:00:00+00:00", "Alert", ""))
	c := newCollector(t, srv.URL+"/index", "", nil)
	keys := feedtest.Keys(feedtest.MustCollect(t, c))
	if len(keys) != 1 {
		t.Fatalf("keys of the good version = %v, want one", keys)
	}

	srv.Set("/index", atomIndex([2]string{"x", "2024-01-02T00:00:00Z"}))
	srv.Set("/d/x", []byte("<!DOCTYPE html><html><body>maintenance</body></html>"))
	res, err := feedtest.Collect(t, c)
	if !errors.Is(err, ErrPartial) {
		t.Fatalf("err = %v, want ErrPartial", err)
	}
	wantEq(t, "Unreadable (the partial run)", res.Unreadable, keys)
	res = feedtest.MustCollect(t, c)
	wantEq(t, "items, Dropped on the next run", []any{len(res.Items), res.Dropped}, []any{0, map[string]int{"invalid": 1}})
	wantEq(t, "Unreadable on the next run", res.Unreadable, keys)
	wantEq(t, "hits", srv.Count("/d/x"), 2)
}
