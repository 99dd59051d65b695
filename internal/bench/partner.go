package bench

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Partner is one synthetic partner endpoint. It reads each request whole,
// notes when it first answered 2xx for each webhook-id, and answers 204.
// It does the same work whoever sends, the daemon or the ceiling's plain
// client, so the two are measured against the same server.
//
// A partner made by NewEventPartner counts alerts by their VTEC event
// (nwsfeed.FeatureEvent) found in the body instead, however many a body
// holds: a relay other than hazardwire sends no webhook-id.
type Partner struct {
	srv    *http.Server
	url    string
	events bool

	requests  atomic.Int64
	distinct  atomic.Int64
	sightings atomic.Int64 // ids (or events) answered, repeats included

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

// NewEventPartner starts a partner that counts VTEC events, not webhook-ids.
func NewEventPartner() (*Partner, error) {
	p, err := NewPartner()
	if err != nil {
		return nil, err
	}
	p.events = true
	return p, nil
}

// events returns the VTEC events of nwsfeed's features in body, each once:
// "O.NEW.", four capitals, ".FL.W.", four digits (a regular expression
// cost the partner as much as the rest of its work).
func events(body []byte) []string {
	const lead, mid = "O.NEW.", ".FL.W."
	const size = len(lead) + 4 + len(mid) + 4
	var evs []string
	for i := 0; ; {
		j := bytes.Index(body[i:], []byte(lead))
		if j < 0 {
			return evs
		}
		i += j
		if m := body[i:]; len(m) >= size && isEvent(m[:size]) {
			if ev := string(m[:size]); !slices.Contains(evs, ev) {
				evs = append(evs, ev)
			}
		}
		i += len(lead)
	}
}

// isEvent reports whether m is "O.NEW." ABCD ".FL.W." 1234.
func isEvent(m []byte) bool {
	within := func(b []byte, lo, hi byte) bool {
		for _, c := range b {
			if c < lo || c > hi {
				return false
			}
		}
		return true
	}
	return string(m[:6]) == "O.NEW." && within(m[6:10], 'A', 'Z') && string(m[10:16]) == ".FL.W." && within(m[16:20], '0', '9')
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
	p.sightings.Store(0)
}

// Distinct is how many different ids have been acknowledged.
func (p *Partner) Distinct() int64 { return p.distinct.Load() }

// Repeats is how many ids (or events) were answered again after the first time.
func (p *Partner) Repeats() int64 { return p.sightings.Load() - p.distinct.Load() }

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
	return awaitTime(timeout, nil, func() (time.Time, bool, <-chan struct{}) {
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
	now := time.Now()
	if !p.events {
		p.see(r.Header.Get("webhook-id"), body, now)
	} else {
		for _, ev := range events(body) {
			p.see(ev, body, now)
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// see notes id answered at now.
func (p *Partner) see(id string, body []byte, now time.Time) {
	p.sightings.Add(1)
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, seen := p.first[id]; seen {
		return
	}
	p.first[id] = now
	if p.capture {
		p.bodies[id] = body
	}
	p.distinct.Add(1)
	close(p.signal)
	p.signal = make(chan struct{})
}
