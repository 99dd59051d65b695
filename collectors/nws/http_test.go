package nws

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// serve starts a feed server and a collector that reads it through a real
// fetcher, configured as the daemon does (check.go).
func serve(t *testing.T, f *golden.Feed) *collector {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	fetcher := golden.Fetcher(collectors.FetchOptions{UserAgent: testUserAgent})
	return newTestCollector(t, srv.URL+"/alerts/active?status=actual", "", fetcher)
}

func TestCollectHTTP(t *testing.T) {
	f := &golden.Feed{Status: http.StatusOK, ContentType: "application/geo+json", ETag: `"v1"`,
		Body: caseInput(t, "alerts-active-zone-flood-watch")}
	c := serve(t, f)

	res, err := c.Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	r := f.Last(t)
	golden.Eq(t, "path", r.URL.RequestURI(), "/alerts/active?status=actual")
	golden.Eq(t, "User-Agent", r.Header.Get("User-Agent"), testUserAgent)
	golden.Eq(t, "Snapshot", res.Snapshot, true)
	golden.Eq(t, "Fetched", res.Fetched, 1)
	golden.Eq(t, "NotModified", res.NotModified, false)
	if len(res.Items) != 1 || res.Items[0].Alert.Key != "nws:KPQR.FA.A.0004" {
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

func TestCollectHTTPErrors(t *testing.T) {
	problem := caseInput(t, "problem-json")
	t.Run("problem document with 200", func(t *testing.T) {
		c := serve(t, &golden.Feed{Status: http.StatusOK, ContentType: "application/problem+json", Body: problem})
		_, err := c.Collect(context.Background())
		var pe *ProblemError
		if !errors.As(err, &pe) || pe.Title != "Bad Request" {
			t.Fatalf("error = %v, want the problem document", err)
		}
		if !strings.HasPrefix(err.Error(), "parse http://127.0.0.1:") {
			t.Errorf("error %q does not name the URL", err)
		}
		golden.Eq(t, "reason", collectors.Reason(err), "parse")
	})
	t.Run("HTTP 503", func(t *testing.T) {
		c := serve(t, &golden.Feed{Status: http.StatusServiceUnavailable, ContentType: "application/problem+json", Body: problem})
		_, err := c.Collect(context.Background())
		var fe *collectors.FetchError
		if !errors.As(err, &fe) || fe.Status != http.StatusServiceUnavailable {
			t.Fatalf("error = %v, want a FetchError with status 503", err)
		}
	})
	t.Run("JSON-LD", func(t *testing.T) {
		c := serve(t, &golden.Feed{Status: http.StatusOK, ContentType: "application/ld+json", Body: caseInput(t, "json-ld")})
		if _, err := c.Collect(context.Background()); err == nil || !strings.Contains(err.Error(), "Accept: application/geo+json") {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("canceled", func(t *testing.T) {
		c := serve(t, &golden.Feed{Status: http.StatusOK, Body: caseInput(t, "alerts-active-zone-flood-watch")})
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
