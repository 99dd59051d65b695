package bench

import (
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/hazardwire/hazardwire/internal/nwsfeed"
)

// Feed is a synthetic US NWS /alerts/active endpoint: it serves whatever
// snapshot was last set, and notes when each snapshot was first served
// whole, which is where the latency of every alert it brought is measured
// from.
type Feed struct {
	srv *http.Server
	url string

	mu     sync.Mutex
	body   []byte
	gen    int
	served map[int]time.Time
	polls  map[int]int   // answers served whole, per generation
	signal chan struct{} // closed and replaced whenever an answer has been served
}

// NewFeed starts a feed on a loopback port, serving an empty collection.
func NewFeed() (*Feed, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &Feed{url: "http://" + ln.Addr().String() + "/alerts/active", body: nwsfeed.Collection(nil), served: map[int]time.Time{}, polls: map[int]int{}, signal: make(chan struct{})}
	f.srv = &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = f.srv.Serve(ln) }()
	return f, nil
}

// URL is the feed's address.
func (f *Feed) URL() string { return f.url }

// Close stops the server.
func (f *Feed) Close() { _ = f.srv.Close() }

// Set replaces the snapshot and returns its generation.
func (f *Feed) Set(body []byte) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.body = body
	f.gen++
	return f.gen
}

// ServedAt waits until generation gen has been served whole and returns
// when that first happened.
func (f *Feed) ServedAt(gen int, timeout time.Duration) (time.Time, error) {
	return f.servedAt(gen, timeout, nil)
}

// servedAt is ServedAt that also gives up when quit is closed.
func (f *Feed) servedAt(gen int, timeout time.Duration, quit <-chan struct{}) (time.Time, error) {
	at, ok := awaitTime(timeout, quit, func() (time.Time, bool, <-chan struct{}) {
		f.mu.Lock()
		defer f.mu.Unlock()
		at, ok := f.served[gen]
		return at, ok, f.signal
	})
	if !ok {
		return time.Time{}, fmt.Errorf("feed generation %d not polled (waiting at most %s)", gen, timeout)
	}
	return at, nil
}

// awaitPolls waits until generation gen has been served whole n times, or
// timeout passes, or quit is closed.
func (f *Feed) awaitPolls(gen, n int, timeout time.Duration, quit <-chan struct{}) error {
	_, ok := awaitTime(timeout, quit, func() (time.Time, bool, <-chan struct{}) {
		f.mu.Lock()
		defer f.mu.Unlock()
		return time.Time{}, f.polls[gen] >= n, f.signal
	})
	if !ok {
		f.mu.Lock()
		polled := f.polls[gen]
		f.mu.Unlock()
		return fmt.Errorf("feed generation %d polled %d of %d times (waiting at most %s)", gen, polled, n, timeout)
	}
	return nil
}

// awaitTime calls look until it reports a time, waiting between calls on
// the channel it returns (closed when something changed); it gives up when
// timeout passes or quit (nil: never) is closed.
func awaitTime(timeout time.Duration, quit <-chan struct{}, look func() (time.Time, bool, <-chan struct{})) (time.Time, bool) {
	deadline := time.After(timeout)
	for {
		at, ok, changed := look()
		if ok {
			return at, true
		}
		select {
		case <-changed:
		case <-deadline:
			return time.Time{}, false
		case <-quit: // one more look: it may have come since
			at, ok, _ := look()
			return at, ok
		}
	}
}

func (f *Feed) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	f.mu.Lock()
	body, gen := f.body, f.gen
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/geo+json")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	_, _ = w.Write(body)
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
	now := time.Now()
	f.mu.Lock()
	f.polls[gen]++
	if _, ok := f.served[gen]; !ok {
		f.served[gen] = now
	}
	close(f.signal)
	f.signal = make(chan struct{})
	f.mu.Unlock()
}
