package docindex

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/feedtest"
)

var errTestPartial = errors.New("partial run")

// newIndex returns an Index whose documents are their bodies, fetched from
// a test server; a body starting with "bad" does not parse.
func newIndex(t *testing.T, clock func() time.Time) (*Index[string], *feedtest.Server) {
	t.Helper()
	srv := feedtest.NewServer(t)
	x := New(Options[string]{
		Fetcher: feedtest.Fetcher(clock, ""),
		Parse: func(resp *collectors.Response) (string, error) {
			if strings.HasPrefix(string(resp.Body), "bad") {
				return "", errors.New("unreadable")
			}
			return string(resp.Body), nil
		},
		Name:    "test index",
		Partial: errTestPartial,
	})
	return x, srv
}

func entry(srv *feedtest.Server, id, version, doc string) Entry {
	return Entry{ID: id, Version: version, Link: srv.URL + "/" + doc}
}

// values returns the value of each document, "-" for none, with "(old)"
// after one that is not current.
func values(docs []Document[string]) string {
	var out []string
	for _, d := range docs {
		switch {
		case d.Parsed == nil:
			out = append(out, "-")
		case d.Parsed.Err != nil:
			out = append(out, "error")
		default:
			out = append(out, d.Parsed.Value)
		}
		if d.Parsed != nil && !d.Current {
			out[len(out)-1] += "(old)"
		}
	}
	return strings.Join(out, " ")
}

// roomy is a budget that every test run stays within.
func roomy() Budget { return Budget{Documents: 10, Workers: 2} }

func run(t *testing.T, x *Index[string], entries []Entry, b Budget) ([]Document[string], error) {
	t.Helper()
	return x.Run(context.Background(), entries, b)
}

func mustRun(t *testing.T, x *Index[string], entries ...Entry) []Document[string] {
	t.Helper()
	docs, err := run(t, x, entries, roomy())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return docs
}

// A document is fetched once for all the entries that link it, and again
// only when one of them changes; a document whose entries all left is
// forgotten, the fetcher's copy too.
func TestRunFetchesOnlyNewOrChanged(t *testing.T) {
	x, srv := newIndex(t, nil)
	srv.Set("/a", []byte("A"))
	srv.Set("/b", []byte("B"))
	entries := []Entry{entry(srv, "1", "v1", "a"), entry(srv, "2", "v1", "b"), entry(srv, "3", "v1", "a")}

	docs := mustRun(t, x, entries...)
	if got := values(docs); got != "A B" || len(docs[0].Entries) != 2 || docs[0].Link != srv.URL+"/a" {
		t.Fatalf("documents = %q, %+v", got, docs)
	}
	mustRun(t, x, entries...)
	if srv.Count("/a") != 1 || srv.Count("/b") != 1 || x.Len() != 3 || !x.Has("3") {
		t.Fatalf("hits after an unchanged run: a %d, b %d; cache %d", srv.Count("/a"), srv.Count("/b"), x.Len())
	}

	entries[2].Version = "v2"
	srv.Set("/a", []byte("A2"))
	if got := values(mustRun(t, x, entries...)); got != "A2 B" || srv.Count("/a") != 2 || srv.Count("/b") != 1 {
		t.Fatalf("after a changed entry: %q, hits a %d", got, srv.Count("/a"))
	}

	mustRun(t, x, entries[1])
	if x.Len() != 1 || x.Has("1") {
		t.Fatalf("cache after a left: %d entries", x.Len())
	}
	if got := values(mustRun(t, x, entries...)); got != "A2 B" || srv.Count("/a") != 3 {
		t.Fatalf("a returning document: %q, hits %d", got, srv.Count("/a"))
	}
	if srv.LastHeader(t, "/a").Get("If-None-Match") != "" {
		t.Error("a forgotten document was asked for conditionally")
	}
}

// An entry that moves to another document makes that one new; the entries
// left on its old document keep it current.
func TestRunEntryMoves(t *testing.T) {
	x, srv := newIndex(t, nil)
	srv.Set("/a", []byte("A"))
	srv.Set("/b", []byte("B"))
	mustRun(t, x, entry(srv, "1", "v", "a"), entry(srv, "2", "v", "a"))
	docs := mustRun(t, x, entry(srv, "1", "v", "a"), entry(srv, "2", "v", "b"))
	if got := values(docs); got != "A B" || srv.Count("/a") != 1 || srv.Count("/b") != 1 {
		t.Errorf("documents = %q, hits a %d, b %d", got, srv.Count("/a"), srv.Count("/b"))
	}
}

// The first entry of an ID seen twice counts.
func TestRunRepeatedID(t *testing.T) {
	x, srv := newIndex(t, nil)
	srv.Set("/a", []byte("A"))
	docs := mustRun(t, x, entry(srv, "1", "v", "a"), entry(srv, "1", "v", "b"))
	if len(docs) != 1 || srv.Count("/b") != 0 {
		t.Errorf("documents = %+v, hits b %d", docs, srv.Count("/b"))
	}
}

// A document that fails makes the run partial; a new one has nothing to
// show, a changed one its older version; only they are fetched again.
func TestRunPartialOnFailedDocument(t *testing.T) {
	x, srv := newIndex(t, nil)
	srv.Set("/a", []byte("A"))
	srv.Set("/b", []byte("B"))
	mustRun(t, x, entry(srv, "1", "v1", "a"))

	srv.Fail("/a", 500)
	srv.Fail("/c", 404)
	docs, err := run(t, x, []Entry{entry(srv, "1", "v2", "a"), entry(srv, "2", "v1", "b"), entry(srv, "3", "v1", "c")}, roomy())
	if !errors.Is(err, errTestPartial) || collectors.Reason(err) != "http_status" {
		t.Fatalf("err = %v, want a partial run", err)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "test index: 2 of 3 new or changed documents failed (first: ") || !strings.Contains(msg, "HTTP 500") {
		t.Errorf("err = %q", msg)
	}
	if got := values(docs); got != "A(old) B -" {
		t.Errorf("documents = %q", got)
	}
	srv.Set("/a", []byte("A2"))
	srv.Set("/c", []byte("C"))
	if got := values(mustRun(t, x, entry(srv, "1", "v2", "a"), entry(srv, "2", "v1", "b"), entry(srv, "3", "v1", "c"))); got != "A2 B C" {
		t.Errorf("documents once fixed = %q", got)
	}
	if hits := fmt.Sprint(srv.Count("/a"), srv.Count("/b"), srv.Count("/c")); hits != "3 1 2" {
		t.Errorf("hits = %s", hits)
	}
}

// A document that does not parse is kept with its error, and not fetched
// again until its entries change.
func TestRunParseErrorCached(t *testing.T) {
	x, srv := newIndex(t, nil)
	srv.Set("/a", []byte("bad"))
	docs, err := run(t, x, []Entry{entry(srv, "1", "v1", "a")}, roomy())
	if !errors.Is(err, errTestPartial) || collectors.Reason(err) != "parse" || !strings.Contains(err.Error(), "parse "+srv.URL+"/a: unreadable") {
		t.Fatalf("err = %v, want a partial run naming the document", err)
	}
	if values(docs) != "error" || !docs[0].Current {
		t.Fatalf("documents = %+v", docs)
	}
	if got := values(mustRun(t, x, entry(srv, "1", "v1", "a"))); got != "error" || srv.Count("/a") != 1 {
		t.Errorf("next run: %q, hits %d", got, srv.Count("/a"))
	}
	if _, err := run(t, x, []Entry{entry(srv, "1", "v2", "a")}, roomy()); !errors.Is(err, errTestPartial) || srv.Count("/a") != 2 {
		t.Errorf("changed entry: err %v, hits %d", err, srv.Count("/a"))
	}
}

// A changed document that no longer parses keeps its last good parse as
// Older, through later unreadable versions too, until it parses again.
func TestRunParseErrorKeepsOlder(t *testing.T) {
	x, srv := newIndex(t, nil)
	srv.Set("/a", []byte("good"))
	mustRun(t, x, entry(srv, "1", "v1", "a"))
	srv.Set("/a", []byte("bad"))
	for _, v := range []string{"v2", "v3"} {
		docs, _ := run(t, x, []Entry{entry(srv, "1", v, "a")}, roomy())
		if p := docs[0].Parsed; p == nil || p.Err == nil || p.Older == nil || p.Older.Value != "good" {
			t.Fatalf("%s: parsed = %+v, want the error with the older parse", v, p)
		}
	}
	srv.Set("/a", []byte("better"))
	if got := mustRun(t, x, entry(srv, "1", "v4", "a")); values(got) != "better" || got[0].Parsed.Older != nil {
		t.Errorf("parses again: %+v", got[0].Parsed)
	}
}

// The budget bounds the fetches of a run; the rest come next run.
func TestRunBudget(t *testing.T) {
	x, srv := newIndex(t, nil)
	var entries []Entry
	for _, n := range []string{"a", "b", "c"} {
		srv.Set("/"+n, []byte(strings.ToUpper(n)))
		entries = append(entries, entry(srv, n, "v", n))
	}
	docs, err := run(t, x, entries, Budget{Documents: 2, Workers: 1})
	if !errors.Is(err, errTestPartial) || err.Error() != "test index: 1 documents left for the next run by max_documents 2" {
		t.Fatalf("err = %v", err)
	}
	if got := values(docs); got != "A B -" {
		t.Errorf("documents = %q", got)
	}
	if got := values(mustRun(t, x, entries...)); got != "A B C" || srv.Total() != 3 {
		t.Errorf("next run: %q, %d requests", got, srv.Total())
	}
}

// A document whose server keeps failing makes the fetcher back off from
// the host; it is tried after the others on later runs.
func TestRunFailingDocumentGoesLast(t *testing.T) {
	clock := feedtest.NewManualClock(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	x, srv := newIndex(t, clock.Now)
	srv.Fail("/a", 503)
	srv.Set("/b", []byte("B"))
	srv.Set("/c", []byte("C"))
	entries := []Entry{entry(srv, "a", "v", "a"), entry(srv, "b", "v", "b"), entry(srv, "c", "v", "c")}
	one := Budget{Documents: 10, Workers: 1}

	_, err := run(t, x, entries, one)
	if !errors.Is(err, errTestPartial) || !strings.Contains(err.Error(), "2 documents left for the next run (backoff)") || collectors.Reason(err) != "http_status" {
		t.Fatalf("err = %v, want 2 documents held back by backoff", err)
	}
	clock.Advance(2 * time.Minute)
	docs, err := run(t, x, entries, one)
	if !errors.Is(err, errTestPartial) || values(docs) != "- B C" {
		t.Fatalf("err = %v, documents %q", err, values(docs))
	}
	if hits := fmt.Sprint(srv.Count("/a"), srv.Count("/b"), srv.Count("/c")); hits != "2 1 1" {
		t.Errorf("hits = %s", hits)
	}
}

// A run whose context ends before the documents are fetched is partial.
func TestRunCanceled(t *testing.T) {
	x, srv := newIndex(t, nil)
	srv.Set("/a", []byte("A"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	docs, err := x.Run(ctx, []Entry{entry(srv, "a", "v", "a")}, roomy())
	if !errors.Is(err, errTestPartial) || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "1 documents left for the next run (context canceled)") {
		t.Fatalf("err = %v, want a partial run cut short", err)
	}
	if values(docs) != "-" || srv.Total() != 0 {
		t.Errorf("documents %q, %d requests", values(docs), srv.Total())
	}
}

func TestResolveLink(t *testing.T) {
	base, _ := url.Parse("https://example.org/feeds/index.atom")
	for ref, want := range map[string]string{
		"":                        "",
		"  ":                      "",
		"docs/a.xml":              "https://example.org/feeds/docs/a.xml",
		" /cap/b.xml#frag ":       "https://example.org/cap/b.xml",
		"http://other.test/x?y=1": "http://other.test/x?y=1",
		"mailto:ops@example.org":  "",
		"ftp://example.org/a.xml": "",
		"https:///no-host":        "",
		"%zz":                     "",
		"//cdn.example.org/c.xml": "https://cdn.example.org/c.xml",
	} {
		if got := ResolveLink(base, ref); got != want {
			t.Errorf("ResolveLink(%q) = %q, want %q", ref, got, want)
		}
	}
}

func TestCheckEnv(t *testing.T) {
	env := func(name, u string) collectors.Env {
		return collectors.Env{Info: collectors.Info{Name: name}, URL: u}
	}
	for _, tc := range []struct {
		env           collectors.Env
		example, want string
	}{
		{env("c", "https://example.org/feed"), "", ""},
		{env("", "https://example.org/feed"), "", "k: collector name is empty"},
		{env("c", ""), "", "k: url is required"},
		{env("c", ""), "https://example.org/x", "k: url is required (e.g. https://example.org/x)"},
		{env("c", "ftp://example.org/x"), "", `k: url "ftp://example.org/x" is not an absolute http(s) URL`},
		{env("c", "/feed"), "", "is not an absolute http(s) URL"},
	} {
		err := CheckEnv("k", tc.env, tc.example)
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("CheckEnv(%+v) = %v, want %q", tc.env, err, tc.want)
		}
	}
}

func TestMaxDocuments(t *testing.T) {
	if n, err := MaxDocuments("k", 0, 200); n != 200 || err != nil {
		t.Errorf("0 = %d, %v; want the default", n, err)
	}
	if n, err := MaxDocuments("k", 7, 200); n != 7 || err != nil {
		t.Errorf("7 = %d, %v", n, err)
	}
	if _, err := MaxDocuments("k", -1, 200); err == nil || err.Error() != "k: max_documents -1 is negative" {
		t.Errorf("-1: %v", err)
	}
}
