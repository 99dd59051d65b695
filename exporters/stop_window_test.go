package exporters

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/bus"
	"github.com/hazardwire/hazardwire/internal/testbus"
)

// heldExporter holds every delivery until release is closed or its context
// ends, telling of each on arrived and of a cancelled one on cancelled.
type heldExporter struct {
	arrived, cancelled chan string
	release            chan struct{}
}

func (e *heldExporter) Deliver(ctx context.Context, d Delivery) Outcome {
	e.arrived <- d.Alert.ID
	select {
	case <-e.release:
		return Outcome{Reason: "ok"}
	case <-ctx.Done():
		e.cancelled <- d.Alert.ID
		return Outcome{Err: ctx.Err(), Retry: true, Reason: "timeout"}
	}
}

// startHeld starts runner p1 on b's alert stream with cfg's exporter and
// policy; at the test's end, release runs (letting held deliveries end)
// before the runner stops.
func startHeld(t *testing.T, b *bus.Bus, cfg RunnerConfig, release func()) *Runner {
	t.Helper()
	cfg.Name, cfg.Stream, cfg.Subjects = "p1", bus.StreamAlerts, []string{"hazardwire.alerts.>"}
	r := NewRunner(cfg, b.JetStream(), b, NewMetrics(prometheus.NewRegistry()), testbus.Logger(t))
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		release()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		r.Stop(ctx)
	})
	return r
}

func windowChange(key string) *alert.Alert {
	exp := time.Now().Add(time.Hour)
	return &alert.Alert{Key: key, Version: 1, ID: alert.MakeID(key, 1), Change: alert.ChangeNew, State: alert.StateAfter(alert.ChangeNew),
		Source: "src", SourceKind: "cap", Hazard: alert.HazardFlood, Event: "Flood Warning", Status: alert.StatusActual,
		Severity: alert.SeveritySevere, Urgency: alert.UrgencyImmediate, Certainty: alert.CertaintyLikely,
		Sent: time.Now(), Expires: &exp}
}

// TestStopReadingWindowKeepsDeliveries: a checkpointed runner's reading
// that sees readStopped (awaitRoom, takeResync, resync) returns, and
// readingFailed must not take that for a reading that failed on its own:
// cancelling r.ctx there would cancel the deliveries in flight at once, as
// before Stop let them finish. Stop now ends r.reading before it sets
// readStopped, and readingFailed checks both; the test holds the runner in
// the state a reading saw in the window before (readStopped set, r.reading
// not ended) and lets one change through the reading. (Found in review.)
func TestStopReadingWindowKeepsDeliveries(t *testing.T) {
	b := testbus.Open(t)
	exp := &heldExporter{arrived: make(chan string, 10), cancelled: make(chan string, 10), release: make(chan struct{})}
	release := sync.OnceFunc(func() { close(exp.release) })
	r := startHeld(t, b, RunnerConfig{
		Exporter:    exp,
		Policy:      RetryPolicy{MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, MaxAttempts: 1000},
		Checkpoints: b.Checkpoints(), BreakerThreshold: 1000,
	}, release)
	a, c := windowChange("a"), windowChange("c")
	if _, err := b.Publish(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exp.arrived:
	case <-time.After(15 * time.Second):
		t.Fatal("no delivery started")
	}

	// stopReading's first half: readStopped set, r.reading not yet ended.
	r.mu.Lock()
	r.readStopped = true
	r.mu.Unlock()
	// The reading, busy, reads one more change and goes round its loop.
	if _, err := b.Publish(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-exp.cancelled:
		t.Fatalf("delivery of %s in flight cancelled (r.ctx: %v) by a reading that saw Stop begin", id, r.ctx.Err())
	case <-time.After(2 * time.Second):
	}
	if err := r.ctx.Err(); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	} else if err != nil {
		t.Fatalf("r.ctx cancelled while Stop was letting deliveries finish")
	}
	release()
}
