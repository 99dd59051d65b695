package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/bus"
	"github.com/hazardwire/hazardwire/exporters"
)

// serveVersions is GET /api/v1/alerts/{key}: every version of one alert
// still on the stream, oldest first.
func (d *Daemon) serveVersions(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	d.mu.Lock()
	e, b := d.engine, d.bus
	d.mu.Unlock()
	if e == nil || b == nil {
		http.Error(w, "starting", http.StatusServiceUnavailable)
		return
	}
	seqs := e.Seqs(key)
	if seqs == nil {
		http.Error(w, fmt.Sprintf("no alert with key %q", key), http.StatusNotFound)
		return
	}
	versions := []alert.Alert{}
	for _, seq := range seqs {
		a, err := b.AlertAt(r.Context(), seq)
		if errors.Is(err, bus.ErrGone) {
			continue // aged out of the stream
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		versions = append(versions, *a)
	}
	writeJSON(w, map[string]any{"key": key, "versions": versions})
}

// streamWriteTimeout bounds each write of an event stream.
var streamWriteTimeout = 30 * time.Second

// serveStream is GET /api/v1/stream: server-sent events of every change that
// passes the query's filter, each with its stream sequence as id, so that a
// client reconnecting with Last-Event-ID misses nothing still on the stream;
// an id past the stream's end (the store lost its last writes since the
// client had it) resumes after the end the daemon found when it started.
func (d *Daemon) serveStream(w http.ResponseWriter, r *http.Request) {
	f, err := filterFromRequest(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var from uint64 // 0: from now on
	if id := r.Header.Get("Last-Event-ID"); id != "" {
		last, err := strconv.ParseUint(id, 10, 64)
		if err != nil {
			http.Error(w, "Last-Event-ID: want the id of the last event received", http.StatusBadRequest)
			return
		}
		from = last + 1
	}
	d.mu.Lock()
	b, started := d.bus, d.started
	d.mu.Unlock()
	if b == nil {
		http.Error(w, "streaming unavailable", http.StatusServiceUnavailable)
		return
	}
	if id := from - 1; from > 0 && started.known && id > started.end {
		// An id the store lost at the last start (bus.Tail: the changes
		// since took those numbers again), or past the stream's end: given
		// before the loss. The changes since, published again or new, come
		// after the end the daemon found when it started. An id of those
		// numbers given since gets some changes again.
		if id <= started.seen {
			from = started.end + 1
		} else if last, err := b.LastSeq(r.Context()); err == nil && id > last {
			from = started.end + 1
		}
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	// send writes and flushes one event or comment within
	// streamWriteTimeout: a client that stops reading ends its stream then,
	// instead of holding this goroutine and its consumer until shutdown.
	rc := http.NewResponseController(w)
	send := func(format string, args ...any) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
		if _, err := fmt.Fprintf(w, format, args...); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send("retry: 2000\n\n") {
		return
	}

	// The stream ends when the client goes, stops reading, or the daemon
	// stops (a write in progress then ends at once).
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	stop := context.AfterFunc(d.stopping, func() { cancel(); _ = rc.SetWriteDeadline(time.Now()) })
	defer stop()
	ping := time.NewTicker(15 * time.Second)
	defer ping.Stop()
	events := make(chan bus.Change)
	go func() {
		defer close(events)
		_ = b.Follow(ctx, from, func(c bus.Change) error {
			select {
			case events <- c:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	for {
		select {
		case <-ctx.Done():
			for range events { // let the follower end
			}
			return
		case <-ping.C:
			if !send(": ping\n\n") {
				cancel()
			}
		case c, ok := <-events:
			if !ok {
				return
			}
			if !f.Match(&c.Alert) && !leaving(ctx, b, &f, c) {
				continue
			}
			data, err := json.Marshal(c.Alert)
			if err != nil {
				continue
			}
			if !send("id: %d\nevent: %s\ndata: %s\n\n", c.Seq, c.Alert.Change, data) {
				cancel()
			}
		}
	}
}

// leaving reports whether change c, which fails the stream's filter, is an
// update leaving it (exporters.Filter.Leaving): sent, as to a partner.
func leaving(ctx context.Context, b *bus.Bus, f *exporters.Filter, c bus.Change) bool {
	ok, _ := f.Leaving(&c.Alert, c.Previous, func(seq uint64) (*alert.Alert, error) {
		a, err := b.AlertAt(ctx, seq)
		if errors.Is(err, bus.ErrGone) {
			return nil, nil
		}
		return a, err
	})
	return ok
}
