package kmahub

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// feed serves one answer and records what it was asked.
type feed struct {
	mu          sync.Mutex
	status      int
	contentType string
	body        []byte
	echoKey     bool // append the request's authKey to the body
	requests    []*http.Request
}

func (f *feed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.Clone(context.Background()))
	w.Header().Set("Content-Type", f.contentType)
	w.WriteHeader(f.status)
	_, _ = w.Write(f.body)
	if f.echoKey {
		_, _ = w.Write([]byte(" key=" + r.URL.Query().Get("authKey") + " url=" + r.URL.String()))
	}
}

// serve starts f and a collector that reads it through a real fetcher,
// built as the daemon builds it (Accept from the registered kind).
func serve(t *testing.T, f *feed, optionsYAML string) *collector {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	k, _ := collectors.Lookup(kindName)
	fetcher := golden.Fetcher(collectors.FetchOptions{Accept: k.Accept})
	return newTestCollector(t, srv.URL+"/api/typ01/url/wrn_now_data.php", optionsYAML, fetcher)
}

func TestCollectHTTP(t *testing.T) {
	for _, name := range []string{"euc-kr-declared", "euc-kr-undeclared", "korean-words"} {
		t.Run(name, func(t *testing.T) {
			body, ct := caseInput(t, name)
			f := &feed{status: http.StatusOK, contentType: ct, body: body}
			c := serve(t, f, "")
			res, err := c.Collect(context.Background())
			if err != nil {
				t.Fatalf("Collect: %v", err)
			}
			r := f.requests[0]
			golden.Eq(t, "path", r.URL.Path, "/api/typ01/url/wrn_now_data.php")
			q := r.URL.Query()
			golden.Eq(t, "authKey", q.Get("authKey"), testKey)
			golden.Eq(t, "fe", q.Get("fe"), "f")
			golden.Eq(t, "disp", q.Get("disp"), "1")
			golden.Eq(t, "tm (none: now)", q.Has("tm"), false)
			golden.Eq(t, "Accept", r.Header.Get("Accept"), "text/plain")
			golden.Eq(t, "Snapshot", res.Snapshot, true)
			golden.Eq(t, "Fetched", res.Fetched, 5)
			if len(res.Items) != 4 || res.Items[2].Alert.Event != "폭염중대경보" || res.Items[2].Alert.Areas[0].Description != "대구" {
				t.Fatalf("items = %s", golden.JSON(t, res.Items))
			}
			golden.Eq(t, "sent in KST", golden.RFC3339(&res.Items[2].Alert.Sent), "2026-08-05T11:00:00+09:00")
		})
	}
}

func TestCollectHTTPErrors(t *testing.T) {
	authJSON, _ := caseInput(t, "auth-error-json")
	table, _ := caseInput(t, "letter-codes")
	tests := []struct {
		name   string
		feed   *feed
		want   string
		status int
		api    bool
	}{
		{name: "auth error as 200 JSON", feed: &feed{status: http.StatusOK, contentType: "application/json", body: authJSON},
			want: `API Hub error answer (status "403")`, api: true},
		{name: "auth error as 200 text, key echoed", feed: &feed{status: http.StatusOK, contentType: "text/plain", body: []byte("invalid authKey"), echoKey: true},
			want: "not a warning table (no # lines)"},
		{name: "403, key echoed", feed: &feed{status: http.StatusForbidden, contentType: "text/plain", body: []byte("forbidden"), echoKey: true},
			want: "HTTP 403", status: http.StatusForbidden},
		{name: "table truncated", feed: &feed{status: http.StatusOK, contentType: "text/plain", body: table[:len(table)/2]},
			want: "truncated answer"},
		{name: "latin-1 declared", feed: &feed{status: http.StatusOK, contentType: "text/plain; charset=iso-8859-1", body: table},
			want: `charset "iso-8859-1" is not supported`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := serve(t, tt.feed, "").Collect(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
			golden.Eq(t, "items beside the error", len(res.Items), 0)
			noKey(t, "error", err.Error())
			if tt.status != 0 {
				var fe *collectors.FetchError
				if !errors.As(err, &fe) || fe.Status != tt.status {
					t.Fatalf("error %v is not a FetchError %d", err, tt.status)
				}
				noKey(t, "the fetcher's own error", fe.Error()) // the key is registered with the fetcher
				golden.Eq(t, "metrics reason", collectors.Reason(err), "http_status")
			} else {
				golden.Eq(t, "metrics reason", collectors.Reason(err), "parse")
			}
			var api *APIError
			golden.Eq(t, "APIError", errors.As(err, &api), tt.api)
			if !strings.HasPrefix(err.Error(), "parse http://127.0.0.1:") && tt.status == 0 {
				t.Errorf("error %q does not name the URL", err)
			}
		})
	}
	t.Run("no fetcher", func(t *testing.T) {
		if _, err := newTestCollector(t, "", "", nil).Collect(context.Background()); err == nil {
			t.Fatal("Collect without a fetcher succeeded")
		}
	})
}
