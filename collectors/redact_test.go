package collectors_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/collectors"
)

func TestFetchErrorNeverShowsSecrets(t *testing.T) {
	const (
		pathSecret  = "p4th+s3cr3t/v=="    // configured; appears escaped in the URL path
		querySecret = "Q9uery%2Bk3y%3D%3D" // not configured; carried by serviceKey
		authSecret  = "authSECRETvalue"    // not configured; carried by authKey
	)
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/status/", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusForbidden) })
	mux.HandleFunc("/slow/", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	mux.HandleFunc("/loop/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.RequestURI(), http.StatusFound)
	})
	mux.HandleFunc("/big/", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(make([]byte, 2048)) })
	srv := newServer(t, mux.ServeHTTP)
	t.Cleanup(func() { close(release) })
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close() // connection refused from now on

	feedURL := func(base, kind string) string {
		return base + "/" + kind + "/" + url.PathEscape(pathSecret) + "/feed?serviceKey=" + querySecret +
			"&pageNo=1&AUTHKEY=" + authSecret
	}
	cases := []struct{ name, url string }{
		{"http status", feedURL(srv.URL, "status")},
		{"timeout", feedURL(srv.URL, "slow")},
		{"redirect loop", feedURL(srv.URL, "loop")},
		{"too large", feedURL(srv.URL, "big")},
		{"connection refused", feedURL(closed.URL, "status")},
		{"bad URL", "http://example.test/%zz/" + pathSecret + "?serviceKey=" + querySecret + "&authKey=" + authSecret},
	}
	forbidden := []string{pathSecret, url.PathEscape(pathSecret), url.QueryEscape(pathSecret), querySecret, authSecret}
	for _, tc := range cases {
		// A fresh fetcher per case, so no case is cut short by backoff.
		f := collectors.NewClient(collectors.ClientOptions{}).NewFetcher(collectors.FetchOptions{
			MaxBody: 1024, Secrets: []string{pathSecret},
		})
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		_, err := f.Get(ctx, tc.url)
		cancel()
		if err == nil {
			t.Fatalf("%s: no error", tc.name)
		}
		fe := fetchErr(t, err)
		texts := []string{err.Error(), fmt.Sprintf("%+v", err), fe.URL}
		if fe.Err != nil {
			texts = append(texts, fe.Err.Error())
		}
		// And the backoff error that follows a failure.
		if _, err := f.Get(t.Context(), tc.url); err != nil {
			texts = append(texts, err.Error())
		}
		for _, text := range texts {
			for _, s := range forbidden {
				if strings.Contains(text, s) {
					t.Errorf("%s (%s): %q shows a secret %q", tc.name, fe.Reason, text, s)
				}
			}
		}
		if !strings.Contains(err.Error(), "REDACTED") {
			t.Errorf("%s: %q: want the secrets marked REDACTED", tc.name, err)
		}
	}
}

func TestRedactString(t *testing.T) {
	secrets := []string{"abc+/def==", "tok3n", "xyz"} // "xyz" is too short to redact safely
	for _, tc := range []struct{ in, want string }{
		{"https://apis.data.go.kr/x?serviceKey=abc123&pageNo=1", "https://apis.data.go.kr/x?serviceKey=REDACTED&pageNo=1"},
		{"https://h/x?pageNo=1&servicekey=abc123", "https://h/x?pageNo=1&servicekey=REDACTED"},
		{"https://h/x?SERVICEKEY=abc", "https://h/x?SERVICEKEY=REDACTED"},
		{"https://apihub.kma.go.kr/api?tm=1&authKey=K-123_x", "https://apihub.kma.go.kr/api?tm=1&authKey=REDACTED"},
		{"https://h/x?api_key=1&apikey=2&apiKey=3&token=4&access_token=5&key=6", "https://h/x?api_key=REDACTED&apikey=REDACTED&apiKey=REDACTED&token=REDACTED&access_token=REDACTED&key=REDACTED"},
		{"https://h/x?monkey=banana&keyword=flood", "https://h/x?monkey=banana&keyword=flood"},
		{"https://h/x?serviceKey=", "https://h/x?serviceKey=REDACTED"},
		{"https://h/x?serviceKey=abc#frag", "https://h/x?serviceKey=REDACTED#frag"},
		// Inside an error message, where the URL does not parse on its own.
		{`Get "https://h/x?serviceKey=abc%2B1": dial tcp 1.2.3.4:443: connect: connection refused`,
			`Get "https://h/x?serviceKey=REDACTED": dial tcp 1.2.3.4:443: connect: connection refused`},
		{"https://h/%zz?serviceKey=abc", "https://h/%zz?serviceKey=REDACTED"},
		// Configured secrets, as given, query-escaped, path-escaped.
		{"https://h/keys/abc+/def==/feed", "https://h/keys/REDACTED/feed"},
		{"https://h/keys/abc%2B%2Fdef%3D%3D/feed", "https://h/keys/REDACTED/feed"},
		{"https://h/keys/abc+%2Fdef==/feed", "https://h/keys/REDACTED/feed"},
		{"the key tok3n leaked", "the key REDACTED leaked"},
		{"xyz stays", "xyz stays"},
		// URL passwords.
		{"https://user:hunter2@h/x", "https://user:xxxxx@h/x"},
		{"no secrets here", "no secrets here"},
		{"", ""},
	} {
		if got := collectors.RedactString(tc.in, secrets); got != tc.want {
			t.Errorf("RedactString(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
	// A configured secret given in its escaped form is found unescaped too.
	if got := collectors.RedactString("key abc+/def== here", []string{"abc%2B%2Fdef%3D%3D"}); got != "key REDACTED here" {
		t.Errorf("escaped secret: %q", got)
	}
}

func TestAddSecretRedactsEchoedKeys(t *testing.T) {
	const key = "Zm9vYmFyLWtleS0xMjM0NQ=="
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, "<error>SERVICE KEY IS NOT REGISTERED: %s</error>", key)
	}))
	defer srv.Close()
	f := collectors.NewClient(collectors.ClientOptions{}).NewFetcher(collectors.FetchOptions{})
	f.AddSecret(key)
	_, err := f.Get(t.Context(), srv.URL+"/api/"+key+"/list.json")
	if err == nil || strings.Contains(err.Error(), key) || strings.Contains(err.Error(), url.PathEscape(key)) {
		t.Fatalf("error %v shows the key", err)
	}
}
