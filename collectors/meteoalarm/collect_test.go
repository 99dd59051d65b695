package meteoalarm

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/feedtest"
)

// The real France feed through a real fetcher built as the brief asks
// (collectors.NewClient(...).NewFetcher(...)), not the test helper's.
func TestCollectRealFeedHTTP(t *testing.T) {
	srv := feedtest.NewServer(t)
	feedURL := serveFeed(t, srv, "feed-france")
	fetcher := collectors.NewClient(collectors.ClientOptions{}).NewFetcher(collectors.FetchOptions{})
	env := collectors.Env{Info: collectors.Info{Name: "meteoalarm-france", Kind: kindName}, URL: feedURL, Fetcher: fetcher}
	c, err := New(env, yamlDecode("", nil))
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	wantEq(t, "keys", feedtest.Keys(res), []string{
		"meteoalarm-france:2.49.0.0.250.0.FR.20221207160058.764028/fr-FR",
		"meteoalarm-france:2.49.0.0.250.0.FR.20221207160058.764028/en-GB",
	})
	wantEq(t, "Fetched, Dropped", []any{res.Fetched, res.Dropped}, []any{4, map[string]int{unmapped: 2}})
	wantEq(t, "hits", []int{srv.Count("/feeds/meteoalarm-legacy-atom-france"),
		srv.Count(docPath("04d497d4-d114-4d6b-93ba-13fa7ed577fe")), srv.Count(docPath("2f32f9f9-06df-48aa-b0a0-10493ea07c51"))}, []int{1, 1, 1})
	// Only the typed CAP links are fetched, never the entries' web pages.
	wantEq(t, "no other request", srv.Total(), 3)
}

func TestCollectErrors(t *testing.T) {
	srv := feedtest.NewServer(t)
	srv.Set("/html", []byte("<!DOCTYPE html><html><body>maintenance</body></html>"))
	srv.Set("/rss", []byte(`<rss version="2.0"><channel></channel></rss>`))
	srv.Set("/bad", []byte("<feed xmlns='http://www.w3.org/2005/Atom'><entry>"))
	srv.Set("/latin1", []byte("<feed xmlns='http://www.w3.org/2005/Atom'><title>Rh\xf4ne</title></feed>"))
	srv.Set("/declared", []byte("<?xml version='1.0' encoding='ISO-8859-1'?><feed xmlns='http://www.w3.org/2005/Atom'></feed>"))
	srv.Fail("/down", http.StatusServiceUnavailable)
	for _, tc := range []struct{ path, want, reason string }{
		{"/html", "parse " + srv.URL + "/html: not a MeteoAlarm Atom feed", "parse"},
		{"/rss", "expected element type <feed> but have <rss>", "parse"},
		{"/bad", "parse " + srv.URL + "/bad: not a MeteoAlarm Atom feed: XML syntax error", "parse"},
		{"/latin1", "not valid UTF-8", "parse"},
		{"/declared", `declared charset "ISO-8859-1" is not supported`, "parse"},
		{"/down", "HTTP 503: upstream trouble", "http_status"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			res, err := feedtest.Collect(t, newCollector(t, srv.URL+tc.path, "", nil))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
			wantEq(t, "reason", collectors.Reason(err), tc.reason)
			wantEq(t, "items", len(res.Items), 0)
		})
	}
	t.Run("canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := newCollector(t, srv.URL+"/html", "", nil).Collect(ctx); err == nil {
			t.Fatal("Collect with a canceled context succeeded")
		}
	})
	t.Run("no fetcher", func(t *testing.T) {
		c, err := New(collectors.Env{Info: collectors.Info{Name: "x"}, URL: srv.URL}, yamlDecode("", nil))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Collect(context.Background()); err == nil {
			t.Fatal("Collect without a fetcher succeeded")
		}
	})
}

// MeteoAlarm needs no key, but an operator may front it with a proxy that
// takes one in the URL, and document links may carry tokens: no error shows
// them, whether the feed fails, does not parse, or a document fails.
func TestErrorsHideSecrets(t *testing.T) {
	const secret = "s3cr3t-T0KEN-value"
	srv := feedtest.NewServer(t)
	srv.Fail("/down?apikey="+secret, http.StatusBadGateway)
	srv.Set("/html?apikey="+secret, []byte("<html></html>"))
	srv.Set("/feed?apikey="+secret, atomFeedOf(srv.URL, feedEntry{doc: "a?token=" + secret, identifier: "ID-A", msgType: "Alert", updated: t0}))
	srv.Fail(docPath("a")+"?token="+secret, http.StatusInternalServerError)
	for _, path := range []string{"/down", "/html", "/feed"} {
		t.Run(path, func(t *testing.T) {
			_, err := feedtest.Collect(t, newCollector(t, srv.URL+path+"?apikey="+secret, "", nil))
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("error shows the secret: %v", err)
			}
			var fe *collectors.FetchError
			if errors.As(err, &fe) && strings.Contains(fe.URL, secret) {
				t.Fatalf("FetchError.URL shows the secret: %q", fe.URL)
			}
			if !strings.Contains(err.Error(), "REDACTED") {
				t.Errorf("error %q does not show where the secret was", err)
			}
		})
	}
}
