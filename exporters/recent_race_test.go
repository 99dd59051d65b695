package exporters

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/bus"
	"github.com/hazardwire/hazardwire/internal/testbus"
)

// realMsgs publishes the changes as and returns each one's delivery from a
// consumer of its own (the runner under test has none): real messages,
// whose acks go to that consumer.
func realMsgs(t *testing.T, b *bus.Bus, as ...*alert.Alert) []jetstream.Msg {
	t.Helper()
	ctx := context.Background()
	for _, a := range as {
		if _, err := b.Publish(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	c, err := b.JetStream().CreateConsumer(ctx, bus.StreamAlerts, jetstream.ConsumerConfig{AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := c.Fetch(len(as), jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var out []jetstream.Msg
	for m := range batch.Messages() {
		out = append(out, m)
	}
	if len(out) != len(as) {
		t.Fatalf("fetched %d of %d changes", len(out), len(as))
	}
	return out
}

// TestRepeatRacingItsFinish: receive asks recent before it files a
// change, without r.mu; a worker may finish that very change (recent.add,
// then next) in between. Filed as new, the repeat would go behind the
// key's newer version, so the partner would get k#2, k#3, then k#2 again;
// file asks recent again under r.mu. A server that lost its acks in a
// crash redelivers the changes in flight too, so the window is met.
// (Found in review.)
// The interleaving is played step by step: the reading's check, the
// worker's settle, then the rest of receive (file).
func TestRepeatRacingItsFinish(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	r := NewRunner(RunnerConfig{Name: "p1"}, nil, nil, m, slog.New(slog.DiscardHandler))
	m.Init("p1")
	r.series = m.series("p1")
	r.ctx = context.Background()

	b := testbus.Open(t)
	v2, v3 := windowChange("k"), windowChange("k")
	v2.Version, v2.ID, v3.Version, v3.ID = 2, alert.MakeID("k", 2), 3, alert.MakeID("k", 3)
	msgs := realMsgs(t, b, v2, v3)
	pend := func(m jetstream.Msg, a *alert.Alert) *pending {
		meta, err := m.Metadata()
		if err != nil {
			t.Fatal(err)
		}
		return &pending{seq: meta.Sequence.Stream, msg: m, alert: a, attempt: 1}
	}
	p2, p3 := pend(msgs[0], v2), pend(msgs[1], v3)
	r.file(p2)
	r.file(p3)
	q := r.queues["k"]
	r.ready = nil // a worker took k#2

	again := pend(msgs[0], v2) // the server, restarted, delivers k#2 again
	if r.recent.has(again.seq, v2.ID) {
		t.Fatal("k#2 is not finished yet")
	}
	r.settle(q, p2, Outcome{Reason: "ok"}) // the worker finishes k#2; k#3 goes in line
	r.file(again)                          // the reading goes on with what it checked

	r.ready = nil // a worker took k#3
	r.settle(q, p3, Outcome{Reason: "ok"})
	for _, x := range r.ready {
		if x.p.seq == p2.seq {
			t.Fatal("k#2, delivered, put in line again after k#3: the partner gets it twice, the older version last")
		}
	}
	if r.queues["k"] != nil {
		t.Errorf("key k still holds %d changes", len(r.queues["k"].items))
	}
}

// lostAcksExporter holds k0#1 (keeping the consumer's ack floor below the
// rest), fails a#1 until healed, and records what it delivered, in order.
type lostAcksExporter struct {
	mu      sync.Mutex
	got     []string
	healed  bool
	release chan struct{}
}

func (e *lostAcksExporter) Deliver(ctx context.Context, d Delivery) Outcome {
	if d.Alert.ID == "k0#1" {
		select {
		case <-e.release:
		case <-ctx.Done():
			return Outcome{Err: ctx.Err(), Retry: true, Reason: "timeout"}
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if d.Alert.ID == "a#1" && !e.healed {
		return Outcome{Err: errors.New("503"), Retry: true, Status: 503, Reason: "http_5xx"}
	}
	e.got = append(e.got, d.Alert.ID)
	return Outcome{Status: 200, Reason: "ok"}
}

func (e *lostAcksExporter) delivered() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.got)
}

// TestDeadLetterThenLostAcks: a#1 fails its attempts and is
// dead-lettered (Term, not remembered); a#2 is delivered (remembered).
// The server loses both acks: a#1 comes back and is delivered, a#2 is
// skipped, so the partner's last word on a is the older version. Before
// this commit a#2 came back after it and the partner ended on a#2.
func TestDeadLetterThenLostAcks(t *testing.T) {
	b := testbus.Open(t)
	exp := &lostAcksExporter{release: make(chan struct{})}
	release := sync.OnceFunc(func() { close(exp.release) })
	r := startHeld(t, b, RunnerConfig{
		Exporter:         exp,
		Policy:           RetryPolicy{MinBackoff: 20 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, MaxAttempts: 2},
		BreakerThreshold: 1000,
	}, release)
	publish := func(a *alert.Alert) {
		t.Helper()
		if _, err := b.Publish(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}
	wait := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(15 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	mk := func(key string, v int) *alert.Alert {
		a := windowChange(key)
		a.Version, a.ID = v, alert.MakeID(key, v)
		if v > 1 {
			a.Change, a.State = alert.ChangeUpdate, alert.StateAfter(alert.ChangeUpdate)
		}
		return a
	}
	publish(mk("k0", 1))
	publish(mk("a", 1))
	wait("a#1 dead-lettered", func() bool { return r.Stats().DeadLetters == 1 })
	exp.mu.Lock()
	exp.healed = true // the partner is back
	exp.mu.Unlock()
	publish(mk("a", 2))
	wait("a#2 delivered", func() bool { return slices.Contains(exp.delivered(), "a#2") })

	// The server forgets the acks above its floor (k0#1, still in flight).
	if _, err := b.JetStream().ResetConsumer(context.Background(), bus.StreamAlerts, ConsumerName("p1")); err != nil {
		t.Fatal(err)
	}
	release()
	cons, err := b.JetStream().Consumer(context.Background(), bus.StreamAlerts, ConsumerName("p1"))
	if err != nil {
		t.Fatal(err)
	}
	wait("every change acked", func() bool {
		info, err := cons.Info(context.Background())
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0
	})
	time.Sleep(200 * time.Millisecond)
	got := exp.delivered()
	last := ""
	for _, id := range got {
		if id == "a#1" || id == "a#2" {
			last = id
		}
	}
	if last != "a#2" {
		t.Errorf("partner got %v: its last version of a is %s, not a#2", got, last)
	}
}
