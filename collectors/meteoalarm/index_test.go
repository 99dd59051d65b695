package meteoalarm

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/feedtest"
)

// feedEntry is one entry of a hand-made feed in MeteoAlarm's shape.
type feedEntry struct {
	doc, identifier, msgType, updated string
	info, area                        int
	areaDesc, emma                    string
}

// atomFeedOf writes a MeteoAlarm-style Atom feed (as in
// testdata/feed-france/feed.atom.xml) whose documents are at base.
func atomFeedOf(base string, entries ...feedEntry) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:cap="urn:oasis:names:tc:emergency:cap:1.2">
<id>tag:meteoalarm.org,2021-02-19:FR</id><title>test</title><updated>2024-01-01T00:00:00Z</updated>`)
	for _, e := range entries {
		doc := base + docPath(e.doc)
		fmt.Fprintf(&b, `<entry>
<cap:geocode><valueName>NUTS3</valueName><value>X%d</value></cap:geocode>
<link href="https://meteoalarm.org?geocode=EMMA_ID:%s" hreflang="en" title="%s"/>
<cap:areaDesc>%s</cap:areaDesc><cap:message_type>%s</cap:message_type><cap:identifier>%s</cap:identifier>
<link href="%s" type="application/cap+xml"/>
<id>%s?index_info=%d&amp;index_area=%d&amp;index_geocode=0</id><updated>%s</updated>
</entry>`, e.area, e.emma, e.areaDesc, e.areaDesc, e.msgType, e.identifier, doc, doc, e.info, e.area, e.updated)
	}
	b.WriteString("</feed>")
	return []byte(b.String())
}

// testDoc writes a heat (type 5) or flood (type 12) message with infos in
// fr-FR and en-GB over the areas "Area 0", "Area 1", ...
func testDoc(id, sent, msgType, refs string, typ, areas int) []byte {
	var ar strings.Builder
	for i := range areas {
		fmt.Fprintf(&ar, `<area><areaDesc>Area %d</areaDesc><geocode><valueName>NUTS3</valueName><value>X%d</value></geocode></area>`, i, i)
	}
	info := func(lang string) string {
		return fmt.Sprintf(`<info><language>%s</language><category>Met</category><event>Warning %d</event><urgency>Future</urgency>
<severity>Moderate</severity><certainty>Likely</certainty><expires>2030-01-01T00:00:00+01:00</expires>
<parameter><valueName>awareness_level</valueName><value>2; yellow; Moderate</value></parameter>
<parameter><valueName>awareness_type</valueName><value>%d; x</value></parameter>%s</info>`, lang, typ, typ, ar.String())
	}
	return fmt.Appendf(nil, `<?xml version="1.0" encoding="utf-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>%s</identifier><sender>test@example.org</sender>
<sent>%s</sent><status>Actual</status><msgType>%s</msgType><scope>Public</scope><references>%s</references>%s%s</alert>`,
		id, sent, msgType, refs, info("fr-FR"), info("en-GB"))
}

// entriesOf returns the entries of one document: one per info and area.
func entriesOf(doc, identifier, updated string, areas int) []feedEntry {
	var out []feedEntry
	for info := range 2 {
		for a := range areas {
			out = append(out, feedEntry{doc: doc, identifier: identifier, msgType: "Alert", updated: updated,
				info: info, area: a, areaDesc: fmt.Sprintf("Area %d", a), emma: fmt.Sprintf("EM%d", a)})
		}
	}
	return out
}

const (
	feedPath = "/feeds/meteoalarm-legacy-atom-test"
	t0       = "2024-07-10T04:00:00Z"
)

// Many entries link one document: it is fetched once, and again only when
// an entry changes; every request sends the kind's Accept header; a
// document that left the feed is forgotten, the fetcher's copy too.
func TestFeedFetchesEachDocumentOnce(t *testing.T) {
	srv := feedtest.NewServer(t)
	entries := entriesOf("a", "ID-A", t0, 3)
	srv.Set(feedPath, atomFeedOf(srv.URL, entries...))
	srv.Set(docPath("a"), testDoc("ID-A", "2024-07-10T06:00:00+02:00", "Alert", "", 5, 3))
	c := newCollector(t, srv.URL+feedPath, "", nil)

	first := feedtest.MustCollect(t, c)
	wantEq(t, "keys", feedtest.Keys(first), []string{"test:ID-A/fr-FR", "test:ID-A/en-GB"})
	wantEq(t, "Fetched, hits", []int{first.Fetched, srv.Count(feedPath), srv.Count(docPath("a"))}, []int{2, 1, 1})
	wantEq(t, "EMMA_ID from the entries", first.Items[1].Alert.Areas[2].Geocodes, map[string][]string{"NUTS3": {"X2"}, "EMMA_ID": {"EM2"}})
	wantEq(t, "Accept (feed)", srv.LastHeader(t, feedPath).Get("Accept"), accept)
	wantEq(t, "Accept (document)", srv.LastHeader(t, docPath("a")).Get("Accept"), accept)

	second := feedtest.MustCollect(t, c)
	wantEq(t, "NotModified", second.NotModified, true)
	wantEq(t, "items of an unchanged run", mustJSON(t, second.Items), mustJSON(t, first.Items))
	wantEq(t, "hits after an unchanged run", []int{srv.Count(feedPath), srv.Count(docPath("a"))}, []int{2, 1})

	entries[4].updated = "2024-07-10T05:00:00Z"
	srv.Set(feedPath, atomFeedOf(srv.URL, entries...))
	feedtest.MustCollect(t, c)
	wantEq(t, "hits after an entry changed", srv.Count(docPath("a")), 2)
	if srv.LastHeader(t, docPath("a")).Get("If-None-Match") == "" {
		t.Error("the changed document was not asked for conditionally")
	}

	srv.Set(feedPath, atomFeedOf(srv.URL))
	gone := feedtest.MustCollect(t, c)
	wantEq(t, "items once the document left", len(gone.Items), 0)
	wantEq(t, "cache", c.index.Len(), 0)

	srv.Set(feedPath, atomFeedOf(srv.URL, entries...))
	back := feedtest.MustCollect(t, c)
	wantEq(t, "a returning document is fetched again", srv.Count(docPath("a")), 3)
	wantEq(t, "unconditionally (Forget)", srv.LastHeader(t, docPath("a")).Get("If-None-Match"), "")
	wantEq(t, "keys", feedtest.Keys(back), feedtest.Keys(first))
}

// An Alert and its Update in the feed at once give one item per language:
// the Update's, keyed by the Alert's identifier, whatever their order.
func TestFeedKeepsLatestOfStory(t *testing.T) {
	srv := feedtest.NewServer(t)
	srv.Set(feedPath, atomFeedOf(srv.URL, append(entriesOf("upd", "ID-2", t0, 1), entriesOf("alert", "ID-1", t0, 1)...)...))
	srv.Set(docPath("alert"), testDoc("ID-1", "2024-07-10T06:00:00+02:00", "Alert", "", 12, 1))
	srv.Set(docPath("upd"), testDoc("ID-2", "2024-07-10T09:00:00+02:00", "Update", "test@example.org,ID-1,2024-07-10T06:00:00+02:00", 12, 1))
	c := newCollector(t, srv.URL+feedPath, "", nil)
	res := feedtest.MustCollect(t, c)
	wantEq(t, "keys", feedtest.Keys(res), []string{"test:ID-1/fr-FR", "test:ID-1/en-GB"})
	wantEq(t, "sent (the Update's)", rfc3339(&res.Items[0].Alert.Sent), "2024-07-10T09:00:00+02:00")
	wantEq(t, "Fetched", res.Fetched, 4)
}

// A document that fails makes the run partial: the others' items and an
// error naming the count and the failure. Only the failed one is fetched
// again on the next run.
func TestFeedPartialOnFailedDocument(t *testing.T) {
	srv := feedtest.NewServer(t)
	var entries []feedEntry
	for _, n := range []string{"a", "b", "c"} {
		entries = append(entries, entriesOf(n, "ID-"+n, t0, 1)...)
		srv.Set(docPath(n), testDoc("ID-"+n, "2024-07-10T06:00:00+02:00", "Alert", "", 5, 1))
	}
	srv.Set(feedPath, atomFeedOf(srv.URL, entries...))
	srv.Fail(docPath("b"), 500)
	c := newCollector(t, srv.URL+feedPath, "", nil)

	res, err := feedtest.Collect(t, c)
	if !errors.Is(err, ErrPartial) || !strings.Contains(err.Error(), "1 of 3 new or changed documents failed") || !strings.Contains(err.Error(), "HTTP 500") {
		t.Fatalf("err = %v, want a partial run naming the count and the 500", err)
	}
	wantEq(t, "reason", collectors.Reason(err), "http_status")
	wantEq(t, "keys", feedtest.Keys(res), []string{"test:ID-a/fr-FR", "test:ID-a/en-GB", "test:ID-c/fr-FR", "test:ID-c/en-GB"})
	wantEq(t, "Snapshot", res.Snapshot, true)

	srv.Set(docPath("b"), testDoc("ID-b", "2024-07-10T06:00:00+02:00", "Alert", "", 5, 1))
	res = feedtest.MustCollect(t, c)
	wantEq(t, "items once fixed", len(res.Items), 6)
	wantEq(t, "hits", []int{srv.Count(docPath("a")), srv.Count(docPath("b")), srv.Count(docPath("c"))}, []int{1, 2, 1})
}

// A changed document that fails to fetch keeps its older version in the
// result, so that its keys are still seen while the run is partial.
func TestFeedChangedDocumentFailingKeepsOlderVersion(t *testing.T) {
	srv := feedtest.NewServer(t)
	srv.Set(feedPath, atomFeedOf(srv.URL, entriesOf("a", "ID-A", t0, 1)...))
	srv.Set(docPath("a"), testDoc("ID-A", "2024-07-10T06:00:00+02:00", "Alert", "", 5, 1))
	c := newCollector(t, srv.URL+feedPath, "", nil)
	first := feedtest.MustCollect(t, c)

	srv.Set(feedPath, atomFeedOf(srv.URL, entriesOf("a", "ID-A2", "2024-07-10T05:00:00Z", 1)...))
	srv.Fail(docPath("a"), 503)
	res, err := feedtest.Collect(t, c)
	if !errors.Is(err, ErrPartial) {
		t.Fatalf("err = %v, want ErrPartial", err)
	}
	wantEq(t, "items (the older version)", mustJSON(t, res.Items), mustJSON(t, first.Items))
}

// A changed document that no longer parses (an HTML page served with 200)
// is still in the feed: the keys of its last good version stay seen, as
// unreadable, on that run and every later one, so that the lifecycle ends
// none of them (DESIGN.md §3: a broken fetch ends nothing).
func TestFeedChangedDocumentUnparsableHoldsItsKeys(t *testing.T) {
	srv := feedtest.NewServer(t)
	srv.Set(feedPath, atomFeedOf(srv.URL, entriesOf("a", "ID-A", t0, 1)...))
	srv.Set(docPath("a"), testDoc("ID-A", "2024-07-10T06:00:00+02:00", "Alert", "", 5, 1))
	c := newCollector(t, srv.URL+feedPath, "", nil)
	first := feedtest.MustCollect(t, c)
	keys := feedtest.Keys(first)

	srv.Set(feedPath, atomFeedOf(srv.URL, entriesOf("a", "ID-A2", "2024-07-10T05:00:00Z", 1)...))
	srv.Set(docPath("a"), []byte("<!DOCTYPE html><html><body>maintenance</body></html>"))
	res, err := feedtest.Collect(t, c)
	if !errors.Is(err, ErrPartial) {
		t.Fatalf("err = %v, want ErrPartial", err)
	}
	wantEq(t, "Unreadable (the partial run)", res.Unreadable, keys)
	res = feedtest.MustCollect(t, c)
	wantEq(t, "items, Dropped on the next run", []any{len(res.Items), res.Dropped}, []any{0, map[string]int{invalid: 1}})
	wantEq(t, "Unreadable on the next run", res.Unreadable, keys)
	wantEq(t, "hits", srv.Count(docPath("a")), 2)
}

// max_documents bounds the fetches of a run; the rest come next run.
func TestFeedMaxDocuments(t *testing.T) {
	srv := feedtest.NewServer(t)
	var entries []feedEntry
	for _, n := range []string{"a", "b", "c"} {
		entries = append(entries, entriesOf(n, "ID-"+n, t0, 2)...)
		srv.Set(docPath(n), testDoc("ID-"+n, "2024-07-10T06:00:00+02:00", "Alert", "", 12, 2))
	}
	srv.Set(feedPath, atomFeedOf(srv.URL, entries...))
	c := newCollector(t, srv.URL+feedPath, "max_documents: 2", nil)

	res, err := feedtest.Collect(t, c)
	if !errors.Is(err, ErrPartial) || !strings.Contains(err.Error(), "1 documents left for the next run by max_documents 2") {
		t.Fatalf("err = %v, want a partial run held back by max_documents", err)
	}
	wantEq(t, "items", len(res.Items), 4)
	res = feedtest.MustCollect(t, c)
	wantEq(t, "items on the next run", len(res.Items), 6)
	wantEq(t, "hits", []int{srv.Count(docPath("a")), srv.Count(docPath("b")), srv.Count(docPath("c"))}, []int{1, 1, 1})
}

// A document that does not parse is reported once, then counted as invalid
// without being fetched again until its entries change.
func TestFeedUnparsableDocumentCached(t *testing.T) {
	srv := feedtest.NewServer(t)
	srv.Set(feedPath, atomFeedOf(srv.URL, entriesOf("bad", "ID-BAD", t0, 1)...))
	srv.Set(docPath("bad"), []byte("<!DOCTYPE html><html><body>maintenance</body></html>"))
	c := newCollector(t, srv.URL+feedPath, "", nil)

	res, err := feedtest.Collect(t, c)
	if !errors.Is(err, ErrPartial) || !strings.Contains(err.Error(), "parse "+srv.URL+docPath("bad")) {
		t.Fatalf("err = %v, want a partial run naming the document", err)
	}
	wantEq(t, "reason", collectors.Reason(err), "parse")
	wantEq(t, "Dropped", res.Dropped, map[string]int{invalid: 1})

	res = feedtest.MustCollect(t, c)
	wantEq(t, "Dropped, Fetched on the next run", []int{res.Dropped[invalid], res.Fetched}, []int{1, 1})
	wantEq(t, "hits", srv.Count(docPath("bad")), 1)
}

// Entries without a CAP link fall back to their id without the index_*
// parameters; an entry with neither is counted invalid.
func TestFeedEntryLinks(t *testing.T) {
	srv := feedtest.NewServer(t)
	srv.Set(feedPath, []byte(`<feed xmlns="http://www.w3.org/2005/Atom" xmlns:cap="urn:oasis:names:tc:emergency:cap:1.2">
<entry><id>`+srv.URL+docPath("a")+`?index_info=0&amp;index_area=0&amp;index_geocode=0</id><updated>1</updated>
  <link href="https://meteoalarm.org?geocode=EMMA_ID:EM0"/><cap:areaDesc>Area 0</cap:areaDesc></entry>
<entry><id>`+srv.URL+docPath("a")+`?index_info=1&amp;index_area=0&amp;index_geocode=0</id><updated>1</updated></entry>
<entry><id>urn:uuid:no-link</id><link rel="alternate" type="text/html" href="/page"/></entry>
</feed>`))
	srv.Set(docPath("a"), testDoc("ID-A", "2024-07-10T06:00:00+02:00", "Alert", "", 5, 1))
	c := newCollector(t, srv.URL+feedPath, "", nil)
	res := feedtest.MustCollect(t, c)
	wantEq(t, "keys", feedtest.Keys(res), []string{"test:ID-A/fr-FR", "test:ID-A/en-GB"})
	wantEq(t, "Dropped, Fetched", []int{res.Dropped[invalid], res.Fetched}, []int{1, 3})
	wantEq(t, "hits", srv.Count(docPath("a")), 1)
	wantEq(t, "fr-FR geocodes (entry 0 names Area 0)", res.Items[0].Alert.Areas[0].Geocodes, map[string][]string{"NUTS3": {"X0"}, "EMMA_ID": {"EM0"}})
	wantEq(t, "en-GB geocodes (entry 1 names no area)", res.Items[1].Alert.Areas[0].Geocodes, map[string][]string{"NUTS3": {"X0"}})
}

// A feed without entries is a successful, empty snapshot: no warnings.
func TestFeedEmpty(t *testing.T) {
	srv := feedtest.NewServer(t)
	srv.Set(feedPath, atomFeedOf(srv.URL))
	res := feedtest.MustCollect(t, newCollector(t, srv.URL+feedPath, "", nil))
	wantEq(t, "Snapshot, items, Fetched", []any{res.Snapshot, len(res.Items), res.Fetched}, []any{true, 0, 0})
}

// A run whose context ends before the documents are fetched is partial.
func TestRefreshCanceled(t *testing.T) {
	srv := feedtest.NewServer(t)
	srv.Set(docPath("a"), testDoc("ID-A", "2024-07-10T06:00:00+02:00", "Alert", "", 5, 1))
	c := newCollector(t, srv.URL+feedPath, "", nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.refresh(ctx, []*feedDoc{{link: srv.URL + docPath("a"), version: t0}})
	if !errors.Is(err, ErrPartial) || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "1 documents left for the next run (context canceled)") {
		t.Fatalf("err = %v, want a partial run cut short", err)
	}
	wantEq(t, "hits", srv.Count(docPath("a")), 0)
}

// A document whose server keeps failing (5xx) makes the fetcher back off
// from the host; it is tried after the others on later runs.
func TestFeedFailingDocumentGoesLast(t *testing.T) {
	srv := feedtest.NewServer(t)
	var entries []feedEntry
	for _, n := range []string{"a", "b", "c"} {
		entries = append(entries, entriesOf(n, "ID-"+n, t0, 1)...)
		srv.Set(docPath(n), testDoc("ID-"+n, "2024-07-10T06:00:00+02:00", "Alert", "", 5, 1))
	}
	srv.Set(feedPath, atomFeedOf(srv.URL, entries...))
	srv.Fail(docPath("a"), 503)
	clock := feedtest.NewManualClock(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	c := newCollector(t, srv.URL+feedPath, "", clock.Now)
	c.workers = 1 // in feed order, so that the backoff holds back b and c

	_, err := feedtest.Collect(t, c)
	if !errors.Is(err, ErrPartial) || !strings.Contains(err.Error(), "2 documents left for the next run (backoff)") {
		t.Fatalf("err = %v, want 2 documents held back by backoff", err)
	}
	clock.Advance(2 * time.Minute)
	res, err := feedtest.Collect(t, c)
	if !errors.Is(err, ErrPartial) {
		t.Fatalf("err = %v, want ErrPartial (a still fails)", err)
	}
	wantEq(t, "keys", feedtest.Keys(res), []string{"test:ID-b/fr-FR", "test:ID-b/en-GB", "test:ID-c/fr-FR", "test:ID-c/en-GB"})
}
