package gdacs

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// serve starts a feed server and a collector that reads path on it through
// a real fetcher, configured as the daemon does for this kind (its Accept).
func serve(t *testing.T, f *golden.Feed, path, options string) *collector {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	k, _ := collectors.Lookup(kindName)
	fetcher := golden.Fetcher(collectors.FetchOptions{Accept: k.Accept, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond})
	return newTestCollector(t, srv.URL+path, options, fetcher)
}

func TestCollectHTTP(t *testing.T) {
	f := &golden.Feed{Status: http.StatusOK, ContentType: "application/rss+xml; charset=utf-8", ETag: `"v1"`,
		Body: caseInput(t, "rss-flood-current")}
	c := serve(t, f, "/xml/rss.xml", "")

	res, err := c.Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	r := f.Last(t)
	golden.Eq(t, "path", r.URL.RequestURI(), "/xml/rss.xml")
	golden.Eq(t, "Accept", r.Header.Get("Accept"), accept)
	golden.Eq(t, "Snapshot", res.Snapshot, true)
	golden.Eq(t, "Fetched", res.Fetched, 6)
	golden.Eq(t, "NotModified", res.NotModified, false)
	if len(res.Items) != 4 || res.Items[0].Alert.Key != "gdacs:FL1102983" {
		t.Fatalf("items = %s", golden.JSON(t, res.Items))
	}
	want := golden.JSON(t, res.Items)

	// The next poll is conditional; a 304 gives the same items from the cache.
	res, err = c.Collect(context.Background())
	if err != nil {
		t.Fatalf("second Collect: %v", err)
	}
	golden.Eq(t, "If-None-Match", f.Last(t).Header.Get("If-None-Match"), `"v1"`)
	golden.Eq(t, "NotModified", res.NotModified, true)
	golden.Eq(t, "items after 304", golden.JSON(t, res.Items), want)
}

func TestCollectHTTPGeoJSON(t *testing.T) {
	f := &golden.Feed{Status: http.StatusOK, ContentType: "application/json; charset=utf-8", Body: caseInput(t, "geojson-events4app")}
	c := serve(t, f, "/gdacsapi/api/events/geteventlist/EVENTS4APP", "")
	res, err := c.Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	golden.Eq(t, "Fetched", res.Fetched, 6)
	golden.Eq(t, "items", len(res.Items), 3)
	golden.Eq(t, "unmapped", res.Dropped[collectors.DropUnmapped], 3)

	// The event API answers a search without results with 204 No Content.
	empty := &golden.Feed{Status: http.StatusNoContent}
	c = serve(t, empty, "/gdacsapi/api/events/geteventlist/SEARCH?eventlist=FL", "format: geojson\nsnapshot: false\n")
	res, err = c.Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect of a 204: %v", err)
	}
	golden.Eq(t, "items of a 204", len(res.Items), 0)
	golden.Eq(t, "Snapshot", res.Snapshot, false)
	c = serve(t, empty, "/search", "")
	if _, err := c.Collect(context.Background()); err == nil || !strings.Contains(err.Error(), "empty body") {
		t.Fatalf("204 with format auto: error = %v, want empty body", err)
	}
}

// Only a 204 is an answer without events: the event-list snapshot
// (EVENTS4APP) answered 200 with an empty body is broken, and must fail
// the run rather than end every event in force.
func TestCollectHTTPEmpty200IsAnError(t *testing.T) {
	empty := &golden.Feed{Status: http.StatusOK, ContentType: "application/json"}
	c := serve(t, empty, "/gdacsapi/api/events/geteventlist/EVENTS4APP", "format: geojson\n")
	res, err := c.Collect(context.Background())
	if err == nil || !strings.Contains(err.Error(), "empty body") {
		t.Fatalf("Collect of an empty 200: items %d, snapshot %v, error %v; want an empty-body error", len(res.Items), res.Snapshot, err)
	}
}

func TestCollectHTTPErrors(t *testing.T) {
	t.Run("HTTP 503", func(t *testing.T) {
		c := serve(t, &golden.Feed{Status: http.StatusServiceUnavailable, ContentType: "text/html", Body: caseInput(t, "html-error-page")}, "/xml/rss.xml", "")
		_, err := c.Collect(context.Background())
		var fe *collectors.FetchError
		if !errors.As(err, &fe) || fe.Status != http.StatusServiceUnavailable {
			t.Fatalf("error = %v, want a FetchError with status 503", err)
		}
	})
	t.Run("HTML with 200", func(t *testing.T) {
		c := serve(t, &golden.Feed{Status: http.StatusOK, ContentType: "text/html", Body: caseInput(t, "html-error-page")}, "/xml/rss.xml", "")
		_, err := c.Collect(context.Background())
		if err == nil || !strings.HasPrefix(err.Error(), "parse http://127.0.0.1:") || !strings.Contains(err.Error(), "not an RSS document") {
			t.Fatalf("error = %v", err)
		}
		golden.Eq(t, "reason", collectors.Reason(err), "parse")
	})
	t.Run("API error document", func(t *testing.T) {
		c := serve(t, &golden.Feed{Status: http.StatusOK, ContentType: "application/problem+json", Body: caseInput(t, "geojson-problem")}, "/api", "")
		if _, err := c.Collect(context.Background()); err == nil || !strings.Contains(err.Error(), `status "400"`) {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("charset not UTF-8", func(t *testing.T) {
		c := serve(t, &golden.Feed{Status: http.StatusOK, ContentType: "application/rss+xml; charset=iso-8859-1", Body: caseInput(t, "rss-empty-channel")}, "/xml/rss.xml", "")
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
			c := serve(t, &golden.Feed{Status: status, ContentType: "text/plain", Body: []byte(body)}, "/xml/rss.xml?token="+secret, "")
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
		c := serve(t, &golden.Feed{Status: http.StatusOK, Body: caseInput(t, "rss-flood-current")}, "/xml/rss.xml", "")
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
