// Package feedtest holds the test helpers of the collector kinds that read
// an index of documents over HTTP (cap, meteoalarm): a server of feeds and
// documents that counts its requests, clocks for the fetcher's backoff, and
// the checks every run's result must pass. It is imported only by tests.
package feedtest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/collectors"
)

// Server serves bodies by request URI with an ETag of their content,
// answers a matching If-None-Match with 304, and records what it was asked.
type Server struct {
	*httptest.Server
	mu      sync.Mutex
	bodies  map[string][]byte
	status  map[string]int
	hits    map[string]int
	headers map[string][]http.Header // request headers, per URI
}

// NewServer starts a Server, closed when the test ends. A URI it was given
// no body for answers 404.
func NewServer(t testing.TB) *Server {
	s := &Server{bodies: map[string][]byte{}, status: map[string]int{}, hits: map[string]int{}, headers: map[string][]http.Header{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	uri := r.URL.RequestURI()
	s.hits[uri]++
	s.headers[uri] = append(s.headers[uri], r.Header.Clone())
	if code := s.status[uri]; code != 0 {
		w.WriteHeader(code)
		_, _ = w.Write([]byte("upstream trouble"))
		return
	}
	body, ok := s.bodies[uri]
	if !ok {
		http.NotFound(w, r)
		return
	}
	etag := fmt.Sprintf(`"%x"`, sha256.Sum256(body))
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	_, _ = w.Write(body)
}

// Set serves body at uri from now on.
func (s *Server) Set(uri string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bodies[uri] = body
	delete(s.status, uri)
}

// Fail answers uri with status code from now on, until Set.
func (s *Server) Fail(uri string, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status[uri] = code
}

// Count returns how many requests the server got for uri.
func (s *Server) Count(uri string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[uri]
}

// Total returns how many requests the server got.
func (s *Server) Total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, h := range s.hits {
		n += h
	}
	return n
}

// LastHeader returns the headers of the last request for uri.
func (s *Server) LastHeader(t testing.TB, uri string) http.Header {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	hs := s.headers[uri]
	if len(hs) == 0 {
		t.Fatalf("no request for %s", uri)
	}
	return hs[len(hs)-1]
}

// TickingClock returns a clock that moves an hour per reading, so that a
// fetcher's backoff after a failure never holds back the next request.
func TickingClock() func() time.Time {
	var mu sync.Mutex
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Hour)
		return now
	}
}

// ManualClock is a clock that moves only when told to.
type ManualClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewManualClock returns a clock stopped at now.
func NewManualClock(now time.Time) *ManualClock { return &ManualClock{now: now} }

// Now reads the clock.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock on by d.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Fetcher returns a fetcher of its own client whose clock is clock
// (TickingClock when nil), with a minute's backoff after a failure, sending
// accept (when not empty) as the Accept header.
func Fetcher(clock func() time.Time, accept string) *collectors.Fetcher {
	if clock == nil {
		clock = TickingClock()
	}
	client := collectors.NewClient(collectors.ClientOptions{Now: clock})
	return client.NewFetcher(collectors.FetchOptions{Accept: accept, MinBackoff: time.Minute, MaxBackoff: time.Minute})
}

// Collect runs c once.
func Collect(t testing.TB, c collectors.Collector) (collectors.Result, error) {
	t.Helper()
	return c.Collect(context.Background())
}

// MustCollect runs c once, failing the test on an error.
func MustCollect(t testing.TB, c collectors.Collector) collectors.Result {
	t.Helper()
	res, err := Collect(t, c)
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	return res
}

// Keys returns the keys of the items of res, in order.
func Keys(res collectors.Result) []string {
	var ks []string
	for _, it := range res.Items {
		ks = append(ks, it.Alert.Key)
	}
	return ks
}
