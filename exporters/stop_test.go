package exporters_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/exporters"
	"github.com/hazardwire/hazardwire/exporters/webhook"
	"github.com/hazardwire/hazardwire/internal/testbus"
)

// gate holds every request to a partner until it is opened, telling of
// each one as it arrives.
type gate struct {
	arrived, abandoned chan string
	open               chan struct{}
}

func newGate() *gate {
	return &gate{arrived: make(chan string, 100), abandoned: make(chan string, 100), open: make(chan struct{})}
}

// to returns the exporter p1's webhook to p behind g.
func (g *gate) to(t *testing.T, p *partner) exporters.Exporter {
	t.Helper()
	return webhookToHandler(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The body is read first: only then does the server notice a client
		// that gives up (and end the request's context).
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		g.arrived <- r.Header.Get(webhook.HeaderID)
		select {
		case <-g.open:
		case <-r.Context().Done():
			g.abandoned <- r.Header.Get(webhook.HeaderID) // the runner gave up on it
			return
		}
		p.ServeHTTP(w, r)
	}))
}

func (g *gate) awaitArrival(t *testing.T) string {
	t.Helper()
	return await(t, g.arrived, "a request reaching the partner")
}

func await(t *testing.T, c <-chan string, what string) string {
	t.Helper()
	select {
	case id := <-c:
		return id
	case <-time.After(15 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		return ""
	}
}

// stopAsync runs Stop with a deadline d in the background; the channel is
// closed when it returns.
func stopAsync(r *exporters.Runner, d time.Duration) <-chan struct{} {
	stopped := make(chan struct{})
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		r.Stop(ctx)
		close(stopped)
	}()
	return stopped
}

// TestStopLetsDeliveriesInFlightFinish: Stop waits for a delivery in
// flight, which the partner then acknowledges; the runner counts it and the
// next run does not send it again. A change waiting behind it on its key is
// not started, and the next run sends it.
func TestStopLetsDeliveriesInFlightFinish(t *testing.T) {
	forModes(t, func(t *testing.T, md mode) {
		b := testbus.Open(t)
		p := &partner{tries: map[string]int{}}
		g := newGate()
		off := false
		r, m := startOn(t, md, b, p, nil, func(c *exporters.RunnerConfig) {
			c.Exporter = g.to(t, p)
			c.Supersede = &off
		})
		first, second := change("a", 1, alert.ChangeNew), change("a", 2, alert.ChangeUpdate)
		if _, err := b.Publish(context.Background(), first); err != nil {
			t.Fatal(err)
		}
		if id := g.awaitArrival(t); id != first.ID {
			t.Fatalf("first request for %s, want %s", id, first.ID)
		}
		if _, err := b.Publish(context.Background(), second); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the second change held behind the first", func() bool { return r.Held(first.Key) == 2 })
		stopped := stopAsync(r, time.Minute)
		// The gate opens only once Stop has begun: opened before (Stop's
		// goroutine not yet run, on a loaded machine), the second change
		// would rightly start and be delivered.
		waitFor(t, "Stop to begin", r.ReadingStopped)
		select {
		case <-stopped:
			t.Fatal("Stop returned while a delivery was in flight")
		case <-time.After(300 * time.Millisecond): // Stop had that long to return too early
		}
		close(g.open)
		select {
		case <-stopped:
		case <-time.After(15 * time.Second):
			t.Fatal("Stop did not return after the delivery in flight ended")
		}
		if got := p.ids(); !slices.Equal(got, []string{first.ID}) {
			t.Fatalf("partner acknowledged %v, want only %s", got, first.ID)
		}
		if v := testutil.ToFloat64(m.Deliveries.WithLabelValues("p1", exporters.ResultSuccess)); v != 1 {
			t.Errorf("successes counted = %v, want 1", v)
		}

		// The next run sends the second change, and not the first again.
		r2, _ := startOn(t, md, b, p, nil)
		waitFor(t, "the second change delivered by the next run", func() bool { return len(p.ids()) == 2 })
		drained(t, b, r2)
		if got := p.ids(); !slices.Equal(got, []string{first.ID, second.ID}) {
			t.Errorf("partner acknowledged %v, want %s then %s once each", got, first.ID, second.ID)
		}
	})
}

// TestStopDeadlineCancelsDeliveries: a delivery still in flight when Stop's
// deadline passes is cancelled, and the next run sends it again.
func TestStopDeadlineCancelsDeliveries(t *testing.T) {
	forModes(t, func(t *testing.T, md mode) {
		b := testbus.Open(t)
		p := &partner{tries: map[string]int{}}
		g := newGate()
		r, _ := startOn(t, md, b, p, nil, func(c *exporters.RunnerConfig) { c.Exporter = g.to(t, p) })
		a := change("a", 1, alert.ChangeNew)
		if _, err := b.Publish(context.Background(), a); err != nil {
			t.Fatal(err)
		}
		g.awaitArrival(t)
		// Well inside the webhook's own 10 s timeout, which would also end it.
		began := time.Now()
		select {
		case <-stopAsync(r, 200*time.Millisecond):
		case <-time.After(5 * time.Second):
			t.Fatal("Stop did not return soon after its deadline with a delivery in flight")
		}
		if d := time.Since(began); d < 200*time.Millisecond {
			t.Fatalf("Stop returned after %v, before its deadline", d)
		}
		if id := await(t, g.abandoned, "the partner to see the request abandoned"); id != a.ID {
			t.Fatalf("request for %s abandoned, want %s", id, a.ID)
		}
		if got := p.ids(); len(got) != 0 {
			t.Fatalf("partner acknowledged %v through a closed gate", got)
		}
		close(g.open)
		r2, _ := startOn(t, md, b, p, nil)
		waitFor(t, "the change delivered by the next run", func() bool { return len(p.ids()) == 1 })
		drained(t, b, r2)
		if got := p.ids(); !slices.Equal(got, []string{a.ID}) {
			t.Errorf("partner acknowledged %v, want %s once", got, a.ID)
		}
	})
}
