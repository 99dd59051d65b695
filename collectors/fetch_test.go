package collectors_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hazardwire/hazardwire/collectors"
)

// clock is a settable clock for ClientOptions.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2024, 8, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// server is an httptest server that counts the requests reaching it.
type server struct {
	*httptest.Server
	hits atomic.Int64
}

func newServer(t *testing.T, h http.HandlerFunc) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func fetchErr(t *testing.T, err error) *collectors.FetchError {
	t.Helper()
	var fe *collectors.FetchError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not a *FetchError", err, err)
	}
	return fe
}

func TestFetcherSendsHeaders(t *testing.T) {
	got := make(chan http.Header, 3)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Clone()
		_, _ = w.Write([]byte("ok"))
	})
	ctx := t.Context()

	// The client's User-Agent, when the collector sets none.
	f := collectors.NewClient(collectors.ClientOptions{UserAgent: "hazardwire/1.0 (ops@example.test)"}).
		NewFetcher(collectors.FetchOptions{Accept: "application/geo+json", Headers: map[string]string{"X-Extra": "1"}})
	if _, err := f.Get(ctx, srv.URL); err != nil {
		t.Fatal(err)
	}
	h := <-got
	if ua := h.Get("User-Agent"); ua != "hazardwire/1.0 (ops@example.test)" {
		t.Errorf("User-Agent %q", ua)
	}
	if a := h.Get("Accept"); a != "application/geo+json" {
		t.Errorf("Accept %q", a)
	}
	if x := h.Get("X-Extra"); x != "1" {
		t.Errorf("X-Extra %q", x)
	}

	// The collector's own User-Agent wins.
	f = collectors.NewClient(collectors.ClientOptions{UserAgent: "daemon"}).
		NewFetcher(collectors.FetchOptions{UserAgent: "(hazardwire, nws@example.test)"})
	if _, err := f.Get(ctx, srv.URL); err != nil {
		t.Fatal(err)
	}
	if ua := (<-got).Get("User-Agent"); ua != "(hazardwire, nws@example.test)" {
		t.Errorf("collector User-Agent %q", ua)
	}

	// Neither: a default, never Go's.
	f = collectors.NewClient(collectors.ClientOptions{}).NewFetcher(collectors.FetchOptions{})
	if _, err := f.Get(ctx, srv.URL); err != nil {
		t.Fatal(err)
	}
	h = <-got
	if ua := h.Get("User-Agent"); ua != "hazardwire" {
		t.Errorf("default User-Agent %q", ua)
	}
	if a := h.Get("Accept"); a != "" {
		t.Errorf("Accept %q sent without being set", a)
	}
}

func TestFetcherConditionalGet(t *testing.T) {
	const lastMod = "Wed, 31 Jul 2024 23:00:00 GMT"
	var step atomic.Int64
	reqs := make(chan http.Header, 4)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		reqs <- r.Header.Clone()
		switch step.Add(1) {
		case 1:
			w.Header().Set("ETag", `"v1"`)
			w.Header().Set("Last-Modified", lastMod)
			w.Header().Set("X-Body", "first")
			_, _ = w.Write([]byte("body v1"))
		case 2:
			w.WriteHeader(http.StatusNotModified)
		case 3:
			// A 200 without validators: nothing to revalidate next time.
			_, _ = w.Write([]byte("body v2"))
		default:
			_, _ = w.Write([]byte("body v3"))
		}
	})
	f := collectors.NewClient(collectors.ClientOptions{}).NewFetcher(collectors.FetchOptions{})
	ctx := t.Context()

	res, err := f.Get(ctx, srv.URL)
	if err != nil || string(res.Body) != "body v1" || res.NotModified {
		t.Fatalf("first: %+v, %v", res, err)
	}
	if h := <-reqs; h.Get("If-None-Match") != "" || h.Get("If-Modified-Since") != "" {
		t.Fatalf("first request was conditional: %v", h)
	}

	res, err = f.Get(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	h := <-reqs
	if v := h.Get("If-None-Match"); v != `"v1"` {
		t.Errorf("If-None-Match %q, want the ETag", v)
	}
	if v := h.Get("If-Modified-Since"); v != lastMod {
		t.Errorf("If-Modified-Since %q, want the Last-Modified", v)
	}
	if !res.NotModified || string(res.Body) != "body v1" || res.Header.Get("X-Body") != "first" {
		t.Fatalf("304: got %+v (body %q), want the cached body and header with NotModified", res, res.Body)
	}

	res, err = f.Get(ctx, srv.URL)
	if err != nil || string(res.Body) != "body v2" || res.NotModified {
		t.Fatalf("third: %+v, %v", res, err)
	}
	if h := <-reqs; h.Get("If-None-Match") != `"v1"` {
		t.Errorf("third request: If-None-Match %q", h.Get("If-None-Match"))
	}

	if _, err := f.Get(ctx, srv.URL); err != nil {
		t.Fatal(err)
	}
	if h := <-reqs; h.Get("If-None-Match") != "" || h.Get("If-Modified-Since") != "" {
		t.Errorf("validators sent after a 200 without any: %v", h)
	}
}

func TestFetcherNotModifiedWithoutCache(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotModified) })
	f := collectors.NewClient(collectors.ClientOptions{}).NewFetcher(collectors.FetchOptions{})
	_, err := f.Get(t.Context(), srv.URL)
	fe := fetchErr(t, err)
	if fe.Reason != "http_status" || fe.Status != 304 || !errors.Is(err, collectors.ErrNotModified) {
		t.Fatalf("got %+v, want http_status 304 wrapping ErrNotModified", fe)
	}
}

func TestFetcherMaxBody(t *testing.T) {
	const limit = 1000
	size := atomic.Int64{}
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(bytes.Repeat([]byte("x"), int(size.Load())))
	})
	f := collectors.NewClient(collectors.ClientOptions{}).NewFetcher(collectors.FetchOptions{MaxBody: limit})

	size.Store(limit)
	res, err := f.Get(t.Context(), srv.URL)
	if err != nil || len(res.Body) != limit {
		t.Fatalf("body of exactly MaxBody: %d bytes, %v", len(res.Body), err)
	}
	size.Store(limit + 1)
	_, err = f.Get(t.Context(), srv.URL)
	if fe := fetchErr(t, err); fe.Reason != "too_large" {
		t.Fatalf("body over MaxBody: reason %q, want too_large", fe.Reason)
	}
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestFetcherGzip(t *testing.T) {
	const limit = 64 << 10
	small := []byte(strings.Repeat(`{"features":[]}`, 100))
	bomb := bytes.Repeat([]byte{0}, 4<<20) // 4 MiB of zeros: about 4 KiB gzipped
	smallGz, bombGz := gzipped(t, small), gzipped(t, bomb)
	if len(bombGz) > limit {
		t.Fatalf("test bomb is %d bytes gzipped, not under the limit", len(bombGz))
	}
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			t.Errorf("Accept-Encoding %q does not offer gzip", r.Header.Get("Accept-Encoding"))
		}
		body := smallGz
		if r.URL.Path == "/bomb" {
			body = bombGz
		}
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	for _, tc := range []struct {
		name string
		opts collectors.FetchOptions
	}{
		{"transport asks for gzip", collectors.FetchOptions{MaxBody: limit}},
		// Asking for gzip ourselves turns off the transport's decoding.
		{"collector asks for gzip", collectors.FetchOptions{MaxBody: limit, Headers: map[string]string{"Accept-Encoding": "gzip"}}},
	} {
		f := collectors.NewClient(collectors.ClientOptions{}).NewFetcher(tc.opts)
		res, err := f.Get(t.Context(), srv.URL+"/feed")
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !bytes.Equal(res.Body, small) {
			t.Errorf("%s: body %.40q…, want the decoded JSON", tc.name, res.Body)
		}
		_, err = f.Get(t.Context(), srv.URL+"/bomb")
		if fe := fetchErr(t, err); fe.Reason != "too_large" {
			t.Errorf("%s: gzip bomb: reason %q, want too_large", tc.name, fe.Reason)
		}
	}
}

func TestFetcherHTTPStatus(t *testing.T) {
	for _, code := range []int{http.StatusNotFound, http.StatusForbidden, http.StatusInternalServerError, http.StatusBadGateway} {
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "nope", code)
		})
		f := collectors.NewClient(collectors.ClientOptions{}).NewFetcher(collectors.FetchOptions{})
		_, err := f.Get(t.Context(), srv.URL+"/feed")
		fe := fetchErr(t, err)
		if fe.Reason != "http_status" || fe.Status != code || fe.RetryAfter != 0 {
			t.Errorf("%d: got %+v", code, fe)
		}
		if want := fmt.Sprintf("HTTP %d", code); !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), srv.URL+"/feed") {
			t.Errorf("%d: error %q does not give the URL and %q", code, err, want)
		}
		if r := collectors.Reason(err); r != "http_status" {
			t.Errorf("Reason = %q", r)
		}
	}
}

func TestFetcherRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		name, retryAfter string
		code             int
		maxBackoff       time.Duration
		want             time.Duration // the wait before the host is tried again
	}{
		{"429 seconds", "120", http.StatusTooManyRequests, 0, 120 * time.Second},
		{"503 HTTP date", "Thu, 01 Aug 2024 00:05:00 GMT", http.StatusServiceUnavailable, 0, 5 * time.Minute},
		{"capped by MaxBackoff", "3600", http.StatusServiceUnavailable, time.Minute, time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			var fail atomic.Bool
			fail.Store(true)
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				if fail.Load() {
					w.Header().Set("Retry-After", tc.retryAfter)
					w.WriteHeader(tc.code)
					return
				}
				_, _ = w.Write([]byte("ok"))
			})
			// MinBackoff far below the Retry-After, so the header decides.
			f := collectors.NewClient(collectors.ClientOptions{Now: clk.Now}).
				NewFetcher(collectors.FetchOptions{MinBackoff: time.Second, MaxBackoff: tc.maxBackoff})
			_, err := f.Get(t.Context(), srv.URL)
			fe := fetchErr(t, err)
			if fe.Reason != "http_status" || fe.Status != tc.code {
				t.Fatalf("first: %+v", fe)
			}
			fail.Store(false)

			clk.Add(tc.want - time.Second)
			_, err = f.Get(t.Context(), srv.URL)
			if err == nil {
				t.Fatalf("a request went out %s after a Retry-After of %s", tc.want-time.Second, tc.want)
			}
			fe = fetchErr(t, err)
			if fe.Reason != "backoff" || fe.RetryAfter != time.Second {
				t.Fatalf("before Retry-After: got %+v, want backoff with 1s left", fe)
			}
			if n := srv.hits.Load(); n != 1 {
				t.Fatalf("%d requests reached the server during the backoff", n)
			}
			if !strings.Contains(err.Error(), "backing off") {
				t.Errorf("backoff error %q", err)
			}

			clk.Add(time.Second)
			if _, err := f.Get(t.Context(), srv.URL); err != nil {
				t.Fatalf("after Retry-After: %v", err)
			}
			if n := srv.hits.Load(); n != 2 {
				t.Fatalf("%d requests, want 2", n)
			}
		})
	}
}

func TestFetcherBackoffGrowsAndResets(t *testing.T) {
	clk := newClock()
	var fail atomic.Bool
	fail.Store(true)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte("ok"))
	})
	f := collectors.NewClient(collectors.ClientOptions{Now: clk.Now}).
		NewFetcher(collectors.FetchOptions{MinBackoff: 10 * time.Second, MaxBackoff: 80 * time.Second})
	ctx := t.Context()

	// wait fails once more and returns the backoff the fetcher then imposes.
	wait := func() time.Duration {
		t.Helper()
		before := srv.hits.Load()
		_, err := f.Get(ctx, srv.URL)
		if fe := fetchErr(t, err); fe.Reason != "http_status" {
			t.Fatalf("want a failed request, got %+v", fe)
		}
		if srv.hits.Load() != before+1 {
			t.Fatal("the request did not reach the server")
		}
		_, err = f.Get(ctx, srv.URL)
		fe := fetchErr(t, err)
		if fe.Reason != "backoff" {
			t.Fatalf("right after a failure: %+v, want backoff", fe)
		}
		if srv.hits.Load() != before+1 {
			t.Fatal("a request reached the server while backing off")
		}
		return fe.RetryAfter
	}
	for i, base := range []time.Duration{10, 20, 40, 80, 80, 80} {
		base *= time.Second
		w := wait()
		if w > base || w < base*8/10 {
			t.Fatalf("failure %d: backoff %s, want in [%s, %s]", i+1, w, base*8/10, base)
		}
		clk.Add(w)
	}
	// A success resets the count: the next failure waits the minimum again.
	fail.Store(false)
	if _, err := f.Get(ctx, srv.URL); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Get(ctx, srv.URL); err != nil {
		t.Fatalf("a second request right after a success: %v", err)
	}
	fail.Store(true)
	if w := wait(); w > 10*time.Second || w < 8*time.Second {
		t.Fatalf("first failure after a success: backoff %s, want about 10s", w)
	}
}

func TestFetcherBackoffIsPerHost(t *testing.T) {
	clk := newClock()
	bad := newServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) })
	good := newServer(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })
	f := collectors.NewClient(collectors.ClientOptions{Now: clk.Now}).NewFetcher(collectors.FetchOptions{})
	if _, err := f.Get(t.Context(), bad.URL); err == nil {
		t.Fatal("no error from the bad host")
	}
	if _, err := f.Get(t.Context(), good.URL); err != nil {
		t.Fatalf("another host is backed off too: %v", err)
	}
	_, err := f.Get(t.Context(), bad.URL+"/other/path")
	if fe := fetchErr(t, err); fe.Reason != "backoff" {
		t.Fatalf("another URL of the failing host: %+v, want backoff", fe)
	}
}

func TestFetcherCanceledDoesNotBackOff(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })
	f := collectors.NewClient(collectors.ClientOptions{}).NewFetcher(collectors.FetchOptions{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := f.Get(ctx, srv.URL)
	if fe := fetchErr(t, err); fe.Reason != "canceled" {
		t.Fatalf("canceled context: reason %q", fe.Reason)
	}
	if _, err := f.Get(t.Context(), srv.URL); err != nil {
		t.Fatalf("after a cancel (our doing, not the host's): %v", err)
	}
}

func TestFetcherTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) }) // before srv.Close, which waits for handlers
	f := collectors.NewClient(collectors.ClientOptions{}).NewFetcher(collectors.FetchOptions{})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := f.Get(ctx, srv.URL)
	fe := fetchErr(t, err)
	if fe.Reason != "timeout" {
		t.Fatalf("reason %q, want timeout (%v)", fe.Reason, err)
	}
	if collectors.Reason(err) != "timeout" {
		t.Fatalf("Reason = %q", collectors.Reason(err))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Get returned after %s", d)
	}
}

func TestFetcherTimeoutReadingBody(t *testing.T) {
	release := make(chan struct{})
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		_, _ = w.Write([]byte(`{"features":[`))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) })
	f := collectors.NewClient(collectors.ClientOptions{}).NewFetcher(collectors.FetchOptions{})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := f.Get(ctx, srv.URL)
	if fe := fetchErr(t, err); fe.Reason != "timeout" {
		t.Fatalf("reason %q, want timeout (%v)", fe.Reason, err)
	}
}

func TestFetcherTimeoutWaitingForHost(t *testing.T) {
	// A run whose deadline passes while it waits for a turn at a busy host
	// timed out; it was not canceled.
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
	})
	t.Cleanup(func() { close(release) })
	c := collectors.NewClient(collectors.ClientOptions{PerHost: 1})
	busy := c.NewFetcher(collectors.FetchOptions{})
	done := make(chan error, 1)
	go func() { _, err := busy.Get(context.Background(), srv.URL); done <- err }()
	<-arrived

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := c.NewFetcher(collectors.FetchOptions{}).Get(ctx, srv.URL)
	if fe := fetchErr(t, err); fe.Reason != "timeout" {
		t.Fatalf("reason %q, want timeout", fe.Reason)
	}
	release <- struct{}{}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestFetcherPerHostLimit(t *testing.T) {
	const perHost, n = 2, 6
	var cur, peak atomic.Int64
	arrived := make(chan struct{}, n)
	release := make(chan struct{})
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		c := cur.Add(1)
		for {
			p := peak.Load()
			if c <= p || peak.CompareAndSwap(p, c) {
				break
			}
		}
		arrived <- struct{}{}
		<-release
		cur.Add(-1)
		_, _ = w.Write([]byte("ok"))
	})
	// Two fetchers of one client share the limit, as collectors of one daemon do.
	c := collectors.NewClient(collectors.ClientOptions{PerHost: perHost})
	fs := []*collectors.Fetcher{c.NewFetcher(collectors.FetchOptions{}), c.NewFetcher(collectors.FetchOptions{})}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			_, err := fs[i%2].Get(t.Context(), fmt.Sprintf("%s/feed/%d", srv.URL, i))
			errs <- err
		})
	}
	for range perHost {
		<-arrived
	}
	// The limit is reached: no third request may arrive while these two hold.
	select {
	case <-arrived:
		t.Errorf("a third request arrived with %d in flight", cur.Load())
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if p := peak.Load(); p != perHost {
		t.Errorf("peak concurrency at the server %d, want %d", p, perHost)
	}
	if h := srv.hits.Load(); h != n {
		t.Errorf("%d requests, want %d", h, n)
	}
}

func TestFetcherRedirectLoop(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	f := collectors.NewClient(collectors.ClientOptions{}).NewFetcher(collectors.FetchOptions{})
	_, err := f.Get(t.Context(), srv.URL+"/loop")
	fe := fetchErr(t, err)
	if fe.Reason != "network" || !strings.Contains(err.Error(), "redirects") {
		t.Fatalf("redirect loop: %+v (%v)", fe, err)
	}
	if h := srv.hits.Load(); h > 10 {
		t.Fatalf("%d requests before giving up", h)
	}
}

func TestFetchErrorError(t *testing.T) {
	for _, tc := range []struct {
		err  collectors.FetchError
		want string
	}{
		{collectors.FetchError{Reason: "http_status", URL: "https://h/x", Status: 503}, "fetch https://h/x: HTTP 503"},
		{collectors.FetchError{Reason: "backoff", URL: "https://h/x", RetryAfter: 1500 * time.Millisecond}, "fetch https://h/x: backing off after errors for 2s"},
		{collectors.FetchError{Reason: "backoff", URL: "https://h/x", RetryAfter: 420 * time.Microsecond}, "fetch https://h/x: backing off after errors for 1ms"},
		{collectors.FetchError{Reason: "backoff", URL: "https://h/x", RetryAfter: 480 * time.Millisecond}, "fetch https://h/x: backing off after errors for 480ms"},
		{collectors.FetchError{Reason: "network", URL: "https://h/x", Err: errors.New("connection refused")}, "fetch https://h/x: connection refused"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
	inner := errors.New("inner")
	if err := error(&collectors.FetchError{Reason: "network", Err: inner}); !errors.Is(err, inner) {
		t.Error("FetchError does not unwrap to its Err")
	}
}

func TestReason(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&collectors.FetchError{Reason: "too_large"}, "too_large"},
		{fmt.Errorf("index: %w", &collectors.FetchError{Reason: "http_status", Status: 500}), "http_status"},
		{context.DeadlineExceeded, "timeout"},
		{fmt.Errorf("read: %w", context.DeadlineExceeded), "timeout"},
		{context.Canceled, "canceled"},
		{fmt.Errorf("document 3: %w", context.Canceled), "canceled"},
		{errors.New("xml: unexpected EOF"), "parse"},
	} {
		if got := collectors.Reason(tc.err); got != tc.want {
			t.Errorf("Reason(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	const minW, maxW = 5 * time.Second, 10 * time.Minute
	for _, tc := range []struct {
		n    int
		want time.Duration // before jitter
	}{
		{-1, 0}, {0, 0},
		{1, 5 * time.Second}, {2, 10 * time.Second}, {3, 20 * time.Second}, {4, 40 * time.Second},
		{7, 320 * time.Second}, {8, maxW}, {9, maxW}, {1000, maxW},
	} {
		for range 50 { // jitter is random: sample it
			got := collectors.Backoff(tc.n, minW, maxW)
			if got > tc.want || got < tc.want*8/10 {
				t.Fatalf("Backoff(%d) = %s, want in [%s, %s]", tc.n, got, tc.want*8/10, tc.want)
			}
		}
	}
	// Degenerate bounds do not panic.
	for _, b := range [][2]time.Duration{{0, 0}, {time.Second, 0}, {time.Second, -time.Second}, {-time.Second, time.Second}} {
		if got := collectors.Backoff(3, b[0], b[1]); got < 0 {
			t.Errorf("Backoff(3, %s, %s) = %s", b[0], b[1], got)
		}
	}
	if got := collectors.Backoff(2, time.Minute, time.Second); got > time.Second {
		t.Errorf("min over max: %s, want at most max", got)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2024, 8, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"120", 2 * time.Minute},
		{" 30 ", 30 * time.Second},
		{"-5", 0},
		{"+5", 0},
		{"1.5", 0},
		{"soon", 0},
		{"Thu, 01 Aug 2024 00:01:30 GMT", 90 * time.Second},
		{"Thursday, 01-Aug-24 00:01:30 GMT", 90 * time.Second}, // RFC 850
		{"Thu Aug  1 00:01:30 2024", 90 * time.Second},         // asctime
		{"Wed, 31 Jul 2024 23:00:00 GMT", 0},                   // past
		{"Thu, 01 Aug 2024 00:00:00 GMT", 0},                   // now
		// Absurd values are capped rather than overflowing.
		{"9999999999", 7 * 24 * time.Hour},
		{"99999999999999999999999", 7 * 24 * time.Hour},
		{"Fri, 01 Aug 2098 00:00:00 GMT", 7 * 24 * time.Hour},
	} {
		if got := collectors.ParseRetryAfter(tc.in, now); got != tc.want {
			t.Errorf("ParseRetryAfter(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// An error answer's body is shown, on one line and without secrets, so an
// agency's problem document reaches the log.
func TestFetcherErrorDetail(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, "{\n  \"title\": \"Forbidden\",\n  \"detail\": \"A User Agent is required; key SECRET-KEY-1 rejected\"\n}")
	})
	f := collectors.NewClient(collectors.ClientOptions{}).NewFetcher(collectors.FetchOptions{Secrets: []string{"SECRET-KEY-1"}})
	_, err := f.Get(t.Context(), srv.URL+"/feed")
	msg := err.Error()
	if !strings.Contains(msg, `"detail": "A User Agent is required`) || strings.Contains(msg, "\n") || strings.Contains(msg, "SECRET-KEY-1") {
		t.Errorf("error %q: want the problem detail on one line, without the secret", msg)
	}
}

// Only trouble with the host (5xx, 429, 408, network) backs the host off; a
// 404 is an answer about one URL and the next URL is fetched at once.
func TestFetcherClientErrorsDoNotBackOffTheHost(t *testing.T) {
	for code, backsOff := range map[int]bool{404: false, 410: false, 403: false, 429: true, 503: true, 408: true} {
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/bad" {
				w.WriteHeader(code)
				return
			}
			fmt.Fprint(w, "ok")
		})
		f := collectors.NewClient(collectors.ClientOptions{}).NewFetcher(collectors.FetchOptions{})
		if _, err := f.Get(t.Context(), srv.URL+"/bad"); err == nil {
			t.Fatalf("%d: no error", code)
		}
		_, err := f.Get(t.Context(), srv.URL+"/good")
		if got := err != nil && collectors.Reason(err) == "backoff"; got != backsOff {
			t.Errorf("HTTP %d: next URL backed off = %v, want %v (err %v)", code, got, backsOff, err)
		}
	}
}

// Forget drops a URL's cached body: the next request is unconditional.
func TestFetcherForget(t *testing.T) {
	var conditional atomic.Int64
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") != "" {
			conditional.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		fmt.Fprint(w, "body")
	})
	f := collectors.NewClient(collectors.ClientOptions{}).NewFetcher(collectors.FetchOptions{})
	for range 2 {
		if _, err := f.Get(t.Context(), srv.URL); err != nil {
			t.Fatal(err)
		}
	}
	f.Forget(srv.URL)
	if _, err := f.Get(t.Context(), srv.URL); err != nil {
		t.Fatal(err)
	}
	if n := conditional.Load(); n != 1 {
		t.Errorf("%d conditional requests, want 1 (none after Forget)", n)
	}
}

// Answers are counted per collector and class, 304s on their own.
func TestFetcherCountsResponses(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		fmt.Fprint(w, "body")
	})
	m := collectors.NewMetrics(prometheus.NewRegistry())
	m.Init("feed")
	f := collectors.NewClient(collectors.ClientOptions{Metrics: m}).NewFetcher(collectors.FetchOptions{Name: "feed"})
	for range 3 {
		if _, err := f.Get(t.Context(), srv.URL); err != nil {
			t.Fatal(err)
		}
	}
	if got := testutil.ToFloat64(m.Responses.WithLabelValues("feed", "2xx")); got != 1 {
		t.Errorf("2xx counted %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.Responses.WithLabelValues("feed", "304")); got != 2 {
		t.Errorf("304 counted %v, want 2", got)
	}
}
