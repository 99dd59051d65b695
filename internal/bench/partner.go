package bench

import (
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Partner is one synthetic partner endpoint. It reads each request whole,
// notes when it first answered 2xx for each webhook-id, and answers 204.
// It does the same work whoever sends, the daemon or the ceiling's plain
// client, so the two are measured against the same server.
type Partner struct {
	srv *http.Server
	url string

	requests atomic.Int64
	distinct atomic.Int64

	mu      sync.Mutex
	first   map[string]time.Time
	capture bool
	bodies  map[string][]byte
	signal  chan struct{} // closed and replaced on every new id
}

// NewPartner starts a partner on a loopback port.
func NewPartner() (*Partner, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Partner{url: "http://" + ln.Addr().String() + "/hooks", first: map[string]time.Time{}, bodies: map[string][]byte{}, signal: make(chan struct{})}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

// URL is the endpoint's address.
func (p *Partner) URL() string { return p.url }

// Close stops the server.
func (p *Partner) Close() { _ = p.srv.Close() }

// Reset forgets every id seen; capture keeps the body of each new id.
func (p *Partner) Reset(capture bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.first = map[string]time.Time{}
	p.bodies = map[string][]byte{}
	p.capture = capture
	p.requests.Store(0)
	p.distinct.Store(0)
}

// Distinct is how many different ids have been acknowledged.
func (p *Partner) Distinct() int64 { return p.distinct.Load() }

// Requests is how many requests arrived, repeats included.
func (p *Partner) Requests() int64 { return p.requests.Load() }

// First returns when id was first acknowledged.
func (p *Partner) First(id string) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.first[id]
	return t, ok
}

// Arrivals returns the first-acknowledgement time of every id.
func (p *Partner) Arrivals() map[string]time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]time.Time, len(p.first))
	for k, v := range p.first {
		out[k] = v
	}
	return out
}

// Bodies returns the captured bodies by id.
func (p *Partner) Bodies() map[string][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.bodies
}

// Await waits until id has been acknowledged, or timeout passes.
func (p *Partner) Await(id string, timeout time.Duration) (time.Time, bool) {
	return awaitTime(timeout, func() (time.Time, bool, <-chan struct{}) {
		p.mu.Lock()
		defer p.mu.Unlock()
		at, ok := p.first[id]
		return at, ok, p.signal
	})
}

func (p *Partner) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	p.requests.Add(1)
	id := r.Header.Get("webhook-id")
	now := time.Now()
	p.mu.Lock()
	if _, seen := p.first[id]; !seen {
		p.first[id] = now
		if p.capture {
			p.bodies[id] = body
		}
		p.distinct.Add(1)
		close(p.signal)
		p.signal = make(chan struct{})
	}
	p.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}
