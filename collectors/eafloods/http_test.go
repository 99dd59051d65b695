package eafloods

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

// serve starts a feed server and a collector that reads path there through a
// real fetcher, built as the daemon builds it (the kind's Accept header).
func serve(t *testing.T, f *golden.Feed, path, options string) (*collector, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	k, ok := collectors.Lookup(kindName)
	if !ok {
		t.Fatal("kind not registered")
	}
	fetcher := golden.Fetcher(collectors.FetchOptions{Accept: k.Accept})
	return newTestCollector(t, srv.URL+path, options, fetcher), srv
}

func TestCollectHTTP(t *testing.T) {
	f := &golden.Feed{Status: http.StatusOK, ContentType: "application/json", ETag: `"v1"`, Body: caseInput(t, "id-floods")}
	c, _ := serve(t, f, "/flood-monitoring/id/floods", "min_severity: 3\n")

	res, err := c.Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	r := f.Last(t)
	golden.Eq(t, "path", r.URL.RequestURI(), "/flood-monitoring/id/floods?min-severity=3")
	golden.Eq(t, "Accept", r.Header.Get("Accept"), "application/json")
	golden.Eq(t, "Snapshot", res.Snapshot, true)
	golden.Eq(t, "Fetched", res.Fetched, 3)
	golden.Eq(t, "NotModified", res.NotModified, false)
	if len(res.Items) != 3 || res.Items[0].Alert.Key != "ea:122WAF946" {
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
	t.Run("HTTP 500 keeps a key in the url out of the error", func(t *testing.T) {
		// The API has no key; an operator might still poll it through a keyed
		// gateway. Neither the status error nor a body quoting the URL shows it.
		const secret = "s3cr3t-gateway-key"
		f := &golden.Feed{Status: http.StatusInternalServerError, ContentType: "text/plain"}
		c, srv := serve(t, f, "/id/floods?key="+secret, "")
		f.Body = []byte("upstream failed for " + srv.URL + "/id/floods?key=" + secret)
		_, err := c.Collect(context.Background())
		var fe *collectors.FetchError
		if !errors.As(err, &fe) || fe.Status != http.StatusInternalServerError {
			t.Fatalf("error = %v, want a FetchError with status 500", err)
		}
		if strings.Contains(err.Error(), secret) {
			t.Fatalf("error %q shows the key", err)
		}
	})
	t.Run("malformed body names the url without its key", func(t *testing.T) {
		const secret = "s3cr3t-gateway-key"
		c, _ := serve(t, &golden.Feed{Status: http.StatusOK, ContentType: "application/json", Body: caseInput(t, "malformed-json")}, "/id/floods?key="+secret, "")
		_, err := c.Collect(context.Background())
		if err == nil || !strings.Contains(err.Error(), "malformed JSON") || !strings.HasPrefix(err.Error(), "parse http://127.0.0.1:") {
			t.Fatalf("error = %v", err)
		}
		if strings.Contains(err.Error(), secret) {
			t.Fatalf("error %q shows the key", err)
		}
		golden.Eq(t, "reason", collectors.Reason(err), "parse")
	})
	t.Run("no items", func(t *testing.T) {
		c, _ := serve(t, &golden.Feed{Status: http.StatusOK, ContentType: "application/json", Body: caseInput(t, "no-items")}, "/id/floods", "")
		res, err := c.Collect(context.Background())
		if err == nil || !strings.Contains(err.Error(), `no "items"`) {
			t.Fatalf("error = %v", err)
		}
		golden.Eq(t, "items beside the error", len(res.Items), 0)
	})
	t.Run("unsupported charset", func(t *testing.T) {
		c, _ := serve(t, &golden.Feed{Status: http.StatusOK, ContentType: "application/json; charset=iso-8859-1", Body: caseInput(t, "id-floods")}, "/id/floods", "")
		if _, err := c.Collect(context.Background()); err == nil || !strings.Contains(err.Error(), `charset "iso-8859-1"`) {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("canceled", func(t *testing.T) {
		c, _ := serve(t, &golden.Feed{Status: http.StatusOK, Body: caseInput(t, "id-floods")}, "/id/floods", "")
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
