package cap

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/capdoc"
	"github.com/hazardwire/hazardwire/collectors/internal/docindex"
	"github.com/hazardwire/hazardwire/collectors/internal/feedtest"
)

func TestCollectSingleDocument(t *testing.T) {
	srv := feedtest.NewServer(t)
	body := testdataFile(t, "nws-flash-flood-watch-cap11", "input.xml")
	srv.Set("/cap.xml", body)
	c := newCollector(t, srv.URL+"/cap.xml", "", nil)
	res := feedtest.MustCollect(t, c)
	want, err := c.mapper.documentResult(body)
	if err != nil {
		t.Fatal(err)
	}
	wantEq(t, "result", mustJSON(t, res), mustJSON(t, want))
	wantEq(t, "Snapshot", res.Snapshot, true)
	wantEq(t, "items", len(res.Items), 1)
}

func TestCollectErrors(t *testing.T) {
	srv := feedtest.NewServer(t)
	srv.Set("/html", []byte("<!DOCTYPE html><html><body>maintenance</body></html>"))
	srv.Set("/bad", []byte("<feed xmlns='http://www.w3.org/2005/Atom'><entry>"))
	srv.Set("/bad-cap", []byte("<alert><info></alert>"))
	srv.Fail("/down", 503)
	for _, tc := range []struct{ path, want, reason string }{
		{"/html", "parse " + srv.URL + "/html: ", "parse"},
		{"/bad", "parse " + srv.URL + "/bad: XML syntax error", "parse"},
		{"/bad-cap", "parse " + srv.URL + "/bad-cap: XML syntax error", "parse"},
		{"/down", "HTTP 503", "http_status"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			c := newCollector(t, srv.URL+tc.path, "", nil)
			res, err := feedtest.Collect(t, c)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
			wantEq(t, "reason", collectors.Reason(err), tc.reason)
			wantEq(t, "items", len(res.Items), 0)
		})
	}
}

// A run whose context ends before the documents are fetched is partial.
func TestIndexCanceled(t *testing.T) {
	srv := feedtest.NewServer(t)
	srv.Set("/index", atomIndex([2]string{"a", t0}))
	srv.Set("/d/a", capDoc("A", "2024-01-01T00:00:00+00:00", "Alert", ""))
	c := newCollector(t, srv.URL+"/index", "", nil)
	ctx, cancel := context.WithCancel(context.Background())
	entries := []docindex.Entry{{ID: "urn:test:a", Version: t0, Link: srv.URL + "/d/a"}}
	cancel()
	b := capdoc.NewSnapshot(true)
	err := c.collectIndex(ctx, entries, b)
	if !errors.Is(err, ErrPartial) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want ErrPartial and context.Canceled", err)
	}
	wantEq(t, "hits", srv.Count("/d/a"), 0)
	wantEq(t, "items", len(b.Result.Items), 0)
}

// A 304 from the server re-reads the cached body: same items, NotModified.
func TestCollectNotModified(t *testing.T) {
	body := testdataFile(t, "korean-heat", "input.xml")
	hits, notModified := 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		if r.Header.Get("If-None-Match") == `"v1"` {
			notModified++
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	c := newCollector(t, srv.URL+"/cap.xml", "", nil)
	first := feedtest.MustCollect(t, c)
	second := feedtest.MustCollect(t, c)
	wantEq(t, "requests, 304s", []int{hits, notModified}, []int{2, 1})
	wantEq(t, "NotModified", []bool{first.NotModified, second.NotModified}, []bool{false, true})
	wantEq(t, "items", mustJSON(t, second.Items), mustJSON(t, first.Items))
}
