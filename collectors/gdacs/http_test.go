package gdacs

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/collectors"
)

// feed serves GDACS answers and records what it was asked.
type feed struct {
	mu          sync.Mutex
	status      int
	contentType string
	body        []byte
	etag        string
	requests    []*http.Request
}

func (f *feed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.Clone(context.Background()))
	if f.etag != "" {
		if r.Header.Get("If-None-Match") == f.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", f.etag)
	}
	if f.contentType != "" {
		w.Header().Set("Content-Type", f.contentType)
	}
	w.WriteHeader(f.status)
	_, _ = w.Write(f.body)
}

func (f *feed) last(t *testing.T) *http.Request {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) == 0 {
		t.Fatal("the feed got no request")
	}
	return f.requests[len(f.requests)-1]
}

// serve starts a feed server and a collector that reads path on it through
// a real fetcher, configured as the daemon does for this kind (its Accept).
func serve(t *testing.T, f *feed, path, options string) *collector {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	k, _ := collectors.Lookup(kindName)
	client := collectors.NewClient(collectors.ClientOptions{})
	fetcher := client.NewFetcher(collectors.FetchOptions{Accept: k.Accept, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond})
	return newTestCollector(t, srv.URL+path, options, fetcher)
}

func TestCollectHTTP(t *testing.T) {
	f := &feed{status: http.StatusOK, contentType: "application/rss+xml; charset=utf-8", etag: `"v1"`,
		body: caseInput(t, "rss-flood-current")}
	c := serve(t, f, "/xml/rss.xml", "")

	res, err := c.Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	r := f.last(t)
	eq(t, "path", r.URL.RequestURI(), "/xml/rss.xml")
	eq(t, "Accept", r.Header.Get("Accept"), accept)
	eq(t, "Snapshot", res.Snapshot, true)
	eq(t, "Fetched", res.Fetched, 6)
	eq(t, "NotModified", res.NotModified, false)
	if len(res.Items) != 4 || res.Items[0].Alert.Key != "gdacs:FL1102983" {
		t.Fatalf("items = %s", mustJSON(t, res.Items))
	}
	want := mustJSON(t, res.Items)

	// The next poll is conditional; a 304 gives the same items from the cache.
	res, err = c.Collect(context.Background())
	if err != nil {
		t.Fatalf("second Collect: %v", err)
	}
	eq(t, "If-None-Match", f.last(t).Header.Get("If-None-Match"), `"v1"`)
	eq(t, "NotModified", res.NotModified, true)
	eq(t, "items after 304", mustJSON(t, res.Items), want)
}

func TestCollectHTTPGeoJSON(t *testing.T) {
	f := &feed{status: http.StatusOK, contentType: "application/json; charset=utf-8", body: caseInput(t, "geojson-events4app")}
	c := serve(t, f, "/gdacsapi/api/events/geteventlist/EVENTS4APP", "")
	res, err := c.Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	eq(t, "Fetched", res.Fetched, 6)
	eq(t, "items", len(res.Items), 3)
	eq(t, "unmapped", res.Dropped[collectors.DropUnmapped], 3)

	// The event API answers a search without results with 204 No Content.
	empty := &feed{status: http.StatusNoContent}
	c = serve(t, empty, "/gdacsapi/api/events/geteventlist/SEARCH?eventlist=FL", "format: geojson\nsnapshot: false\n")
	res, err = c.Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect of a 204: %v", err)
	}
	eq(t, "items of a 204", len(res.Items), 0)
	eq(t, "Snapshot", res.Snapshot, false)
	c = serve(t, empty, "/search", "")
	if _, err := c.Collect(context.Background()); err == nil || !strings.Contains(err.Error(), "empty body") {
		t.Fatalf("204 with format auto: error = %v, want empty body", err)
	}
}

func TestCollectHTTPErrors(t *testing.T) {
	t.Run("HTTP 503", func(t *testing.T) {
		c := serve(t, &feed{status: http.StatusServiceUnavailable, contentType: "text/html", body: caseInput(t, "html-error-page")}, "/xml/rss.xml", "")
		_, err := c.Collect(context.Background())
		var fe *collectors.FetchError
		if !errors.As(err, &fe) || fe.Status != http.StatusServiceUnavailable {
			t.Fatalf("error = %v, want a FetchError with status 503", err)
		}
	})
	t.Run("HTML with 200", func(t *testing.T) {
		c := serve(t, &feed{status: http.StatusOK, contentType: "text/html", body: caseInput(t, "html-error-page")}, "/xml/rss.xml", "")
		_, err := c.Collect(context.Background())
		if err == nil || !strings.HasPrefix(err.Error(), "parse http://127.0.0.1:") || !strings.Contains(err.Error(), "not an RSS document") {
			t.Fatalf("error = %v", err)
		}
		eq(t, "reason", collectors.Reason(err), "parse")
	})
	t.Run("API error document", func(t *testing.T) {
		c := serve(t, &feed{status: http.StatusOK, contentType: "application/problem+json", body: caseInput(t, "geojson-problem")}, "/api", "")
		if _, err := c.Collect(context.Background()); err == nil || !strings.Contains(err.Error(), `status "400"`) {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("charset not UTF-8", func(t *testing.T) {
		c := serve(t, &feed{status: http.StatusOK, contentType: "application/rss+xml; charset=iso-8859-1", body: caseInput(t, "rss-empty-channel")}, "/xml/rss.xml", "")
		if _, err := c.Collect(context.Background()); err == nil || !strings.Contains(err.Error(), `charset "iso-8859-1"`) {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("no key in errors", func(t *testing.T) {
		// GDACS needs no key, but an operator may put one in the URL (a
		// proxy's token): no error may carry it.
		const secret = "s3cr3t-t0ken-value"
		for status, body := range map[int]string{
			http.StatusInternalServerError: "<html>" + secret + "</html>",
			http.StatusOK:                  secret + " is not a registered token", // quoted by the parse error
		} {
			c := serve(t, &feed{status: status, contentType: "text/plain", body: []byte(body)}, "/xml/rss.xml?token="+secret, "")
			_, err := c.Collect(context.Background())
			if err == nil || strings.Contains(err.Error(), secret) {
				t.Fatalf("HTTP %d: error = %v, want one without the key", status, err)
			}
			var fe *collectors.FetchError
			if status != http.StatusOK && (!errors.As(err, &fe) || fe.Status != status || strings.Contains(fe.Detail+fe.URL, secret)) {
				t.Fatalf("HTTP %d: error = %#v, want a FetchError without the key", status, err)
			}
		}
	})
	t.Run("canceled", func(t *testing.T) {
		c := serve(t, &feed{status: http.StatusOK, body: caseInput(t, "rss-flood-current")}, "/xml/rss.xml", "")
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := c.Collect(ctx); err == nil {
			t.Fatal("Collect with a canceled context succeeded")
		}
	})
	t.Run("no fetcher", func(t *testing.T) {
		if _, err := newTestCollector(t, "", "", nil).Collect(context.Background()); err == nil {
			t.Fatal("Collect without a fetcher succeeded")
		}
	})
}
