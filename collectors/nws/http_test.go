package nws

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/hazardwire/hazardwire/collectors"
)

// feed serves api.weather.gov answers and records what it was asked.
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
	w.Header().Set("Content-Type", f.contentType)
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

// serve starts a feed server and a collector that reads it through a real
// fetcher, configured as the daemon does (check.go).
func serve(t *testing.T, f *feed) *collector {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	client := collectors.NewClient(collectors.ClientOptions{})
	fetcher := client.NewFetcher(collectors.FetchOptions{UserAgent: testUserAgent})
	return newTestCollector(t, srv.URL+"/alerts/active?status=actual", "", fetcher)
}

func TestCollectHTTP(t *testing.T) {
	f := &feed{status: http.StatusOK, contentType: "application/geo+json", etag: `"v1"`,
		body: caseInput(t, "alerts-active-zone-flood-watch")}
	c := serve(t, f)

	res, err := c.Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	r := f.last(t)
	eq(t, "path", r.URL.RequestURI(), "/alerts/active?status=actual")
	eq(t, "User-Agent", r.Header.Get("User-Agent"), testUserAgent)
	eq(t, "Snapshot", res.Snapshot, true)
	eq(t, "Fetched", res.Fetched, 1)
	eq(t, "NotModified", res.NotModified, false)
	if len(res.Items) != 1 || res.Items[0].Alert.Key != "nws:KPQR.FA.A.0004" {
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

func TestCollectHTTPErrors(t *testing.T) {
	problem := caseInput(t, "problem-json")
	t.Run("problem document with 200", func(t *testing.T) {
		c := serve(t, &feed{status: http.StatusOK, contentType: "application/problem+json", body: problem})
		_, err := c.Collect(context.Background())
		var pe *ProblemError
		if !errors.As(err, &pe) || pe.Title != "Bad Request" {
			t.Fatalf("error = %v, want the problem document", err)
		}
		if !strings.HasPrefix(err.Error(), "parse http://127.0.0.1:") {
			t.Errorf("error %q does not name the URL", err)
		}
		eq(t, "reason", collectors.Reason(err), "parse")
	})
	t.Run("HTTP 503", func(t *testing.T) {
		c := serve(t, &feed{status: http.StatusServiceUnavailable, contentType: "application/problem+json", body: problem})
		_, err := c.Collect(context.Background())
		var fe *collectors.FetchError
		if !errors.As(err, &fe) || fe.Status != http.StatusServiceUnavailable {
			t.Fatalf("error = %v, want a FetchError with status 503", err)
		}
	})
	t.Run("JSON-LD", func(t *testing.T) {
		c := serve(t, &feed{status: http.StatusOK, contentType: "application/ld+json", body: caseInput(t, "json-ld")})
		if _, err := c.Collect(context.Background()); err == nil || !strings.Contains(err.Error(), "Accept: application/geo+json") {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("canceled", func(t *testing.T) {
		c := serve(t, &feed{status: http.StatusOK, body: caseInput(t, "alerts-active-zone-flood-watch")})
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
