package exporters_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/bus"
	"github.com/hazardwire/hazardwire/exporters"
	"github.com/hazardwire/hazardwire/internal/testbus"
)

// The tests in this file came from a review of the runner without acks
// (exporters/local.go); each failed on the version it reviewed.

// flakyDL refuses the first n dead letters, then stores them on the bus.
type flakyDL struct {
	b     *bus.Bus
	n     atomic.Int32
	tried atomic.Int32
}

func (d *flakyDL) DeadLetter(ctx context.Context, exporter string, m jetstream.Msg, reason string, attempts int, lastErr string) error {
	d.tried.Add(1)
	if d.n.Add(-1) >= 0 {
		return errors.New("dead-letter store refuses writes")
	}
	return d.b.DeadLetter(ctx, exporter, m, reason, attempts, lastErr)
}

// startOn starts p1 reading through b's consumer connection (not the
// publishing one), so that a test can disturb that connection alone.
func startOn(t *testing.T, md mode, b *bus.Bus, p *partner, dl exporters.DeadLetterer, opts ...func(*exporters.RunnerConfig)) (*exporters.Runner, *exporters.Metrics) {
	t.Helper()
	m := exporters.NewMetrics(prometheus.NewRegistry())
	cfg := exporters.RunnerConfig{
		Name: "p1", Exporter: webhookTo(t, p), Stream: bus.StreamAlerts, Subjects: []string{"hazardwire.alerts.>"},
		Policy:  exporters.RetryPolicy{MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, MaxAttempts: 1000},
		AckWait: time.Second, BreakerThreshold: 1000,
	}
	if md.checkpointed {
		cfg.Checkpoints = b.Checkpoints()
	}
	for _, o := range opts {
		o(&cfg)
	}
	if dl == nil {
		dl = b
	}
	r := exporters.NewRunner(cfg, b.ConsumerJetStream("p1"), dl, m, testbus.Logger(t))
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopRunner(r) })
	return r, m
}

// missing returns the ids of want p never acknowledged.
func missing(p *partner, want []string) []string {
	got := p.ids()
	var out []string
	for _, id := range want {
		if !slices.Contains(got, id) {
			out = append(out, id)
		}
	}
	return out
}

// TestLostDeliveries: without acks, deliveries lost between the server and
// the runner are read again: those followed by another (its consumer
// sequence skips), and the last ones, followed by nothing (the server
// delivered more than the runner received).
func TestLostDeliveries(t *testing.T) {
	b := testbus.Open(t)
	p := &partner{tries: map[string]int{}}
	r, m := startOn(t, mode{"checkpointed", true}, b, p, nil)

	r.DropDeliveries(1)
	ids := publishN(t, b, 0, 3)
	waitFor(t, "all three, the first lost on the way", func() bool { return len(missing(p, ids)) == 0 })

	r.DropDeliveries(1)
	last := publishN(t, b, 3, 1)
	waitFor(t, "the last, lost with nothing after it", func() bool { return len(missing(p, last)) == 0 })
	if n := testutil.ToFloat64(m.Resyncs.WithLabelValues("p1")); n != 2 {
		t.Errorf("resyncs counted %v, want 2", n)
	}
	if got := p.ids(); len(got) != 4 {
		t.Errorf("delivered %v, want each of the four once", got)
	}
}

// TestReconnectsLoseNothing: the consumers' connection drops and comes back
// again and again (the same server, the consumer still there) while changes
// are published; every change still reaches the partner.
func TestReconnectsLoseNothing(t *testing.T) {
	forModes(t, func(t *testing.T, md mode) {
		b := testbus.Open(t)
		p := &partner{tries: map[string]int{}}
		startOn(t, md, b, p, nil, func(c *exporters.RunnerConfig) { c.MaxAckPending = 64 })
		done := make(chan struct{})
		go func() {
			defer close(done)
			nc := b.ConsumerJetStream("p1").Conn()
			for range 15 {
				time.Sleep(40 * time.Millisecond)
				_ = nc.ForceReconnect()
			}
		}()
		want := publishN(t, b, 0, 2000)
		<-done
		// Bounded by progress, not by a total: a slow machine takes longer,
		// and 30 s with nothing more delivered (30 ack waits) is a loss.
		left, deadline := len(want), time.Now().Add(30*time.Second)
		for n := len(missing(p, want)); n > 0 && time.Now().Before(deadline); n = len(missing(p, want)) {
			if n < left {
				left, deadline = n, time.Now().Add(30*time.Second)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if lost := missing(p, want); len(lost) > 0 {
			t.Errorf("%d of %d changes never delivered (first %v)", len(lost), len(want), lost[:min(5, len(lost))])
		}
	})
}

// TestInvalidMessageDeadLetteredLater: a message that is not an alert, whose
// dead letter the store refuses once, is dead-lettered later, and nothing
// stays held.
func TestInvalidMessageDeadLetteredLater(t *testing.T) {
	forModes(t, func(t *testing.T, md mode) {
		b := testbus.Open(t)
		p := &partner{tries: map[string]int{}}
		dl := &flakyDL{b: b}
		dl.n.Store(1)
		r, m := startOn(t, md, b, p, dl)
		if _, err := b.JetStream().Publish(context.Background(), bus.SubjectAlerts+".x.y.z", []byte("not json")); err != nil {
			t.Fatal(err)
		}
		publishN(t, b, 0, 1)
		waitFor(t, "the change after it delivered", func() bool { return len(p.ids()) == 1 })
		waitFor(t, "the dead letter", func() bool {
			return testutil.ToFloat64(m.Deliveries.WithLabelValues("p1", exporters.ResultDeadLetter)) == 1
		})
		waitFor(t, "nothing held", func() bool { return r.Unfinished() == 0 })
	})
}

// TestCheckpointNeverPassesAFailingChange: the saved position stays below a
// change still failing, however many later changes finish; once it is
// delivered, the position reaches the last change.
func TestCheckpointNeverPassesAFailingChange(t *testing.T) {
	b := testbus.Open(t)
	p, heal := failingPartner(http.StatusServiceUnavailable, "a#1")
	r, _ := startOn(t, mode{"checkpointed", true}, b, p, nil)
	seqA, err := b.Publish(context.Background(), change("a", 1, alert.ChangeNew))
	if err != nil {
		t.Fatal(err)
	}
	var last uint64
	for i := range 20 {
		if last, err = b.Publish(context.Background(), change(fmt.Sprintf("o%d", i), 1, alert.ChangeNew)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the others delivered", func() bool { return len(p.ids()) == 20 })
	time.Sleep(600 * time.Millisecond) // two checkpoints
	if floor, _, _ := b.Checkpoints().Floor(context.Background(), "p1"); floor >= seqA {
		t.Fatalf("checkpoint %d passed the failing change at %d", floor, seqA)
	}
	heal()
	waitFor(t, "a delivered", func() bool { return slices.Contains(p.ids(), "a#1") })
	waitFor(t, "nothing held", func() bool { return r.Unfinished() == 0 })
	waitFor(t, "the checkpoint at the last change", func() bool {
		floor, _, _ := b.Checkpoints().Floor(context.Background(), "p1")
		return floor == last
	})
}

// TestDisabledRetriesNoMore: after a 410, a change of another key that was
// failing is not attempted again: it stays for the next start.
func TestDisabledRetriesNoMore(t *testing.T) {
	forModes(t, func(t *testing.T, md mode) {
		b := testbus.Open(t)
		p := &partner{tries: map[string]int{}, fail: func(id string, _ int) int {
			if id == "g#1" {
				return http.StatusGone
			}
			return http.StatusServiceUnavailable
		}}
		_, m := startOn(t, md, b, p, nil)
		b.Publish(context.Background(), change("x", 1, alert.ChangeNew))
		tries := func() int {
			p.mu.Lock()
			defer p.mu.Unlock()
			return p.tries["x#1"]
		}
		waitFor(t, "x failing", func() bool { return tries() >= 2 })
		b.Publish(context.Background(), change("g", 1, alert.ChangeNew))
		waitFor(t, "disabled", func() bool { return testutil.ToFloat64(m.Disabled.WithLabelValues("p1")) == 1 })
		before := tries()
		time.Sleep(500 * time.Millisecond) // retries come every 20 to 100 ms
		if after := tries(); after > before+1 {
			t.Errorf("a disabled exporter kept retrying x#1: %d attempts after the 410", after-before)
		}
	})
}

// TestStartOnABacklog: runners started and stopped at once on a backlog,
// again and again (the race detector watches Start against the reading).
func TestStartOnABacklog(t *testing.T) {
	b := testbus.Open(t)
	p := &partner{tries: map[string]int{}}
	publishN(t, b, 0, 200)
	for i := range 10 {
		r, _ := startOn(t, mode{"checkpointed", true}, b, p, nil)
		time.Sleep(time.Duration(i) * time.Millisecond)
		stopRunner(r)
	}
}

// TestLostAcksSentAgainAfterAReconnect: a runner with acks whose last acks
// were lost (a nats-server killed before it saved them) holds the server at
// MaxAckPending, so nothing else is delivered until their ack wait; after
// its connection comes back it sends those acks again, and the next changes
// flow long before the ack wait (30 s here).
func TestLostAcksSentAgainAfterAReconnect(t *testing.T) {
	b := testbus.Open(t)
	p := &partner{tries: map[string]int{}}
	r, _ := startOn(t, mode{"acks", false}, b, p, nil, func(c *exporters.RunnerConfig) {
		c.MaxAckPending, c.AckWait = 4, 30*time.Second
	})
	r.DropAcks(4)
	first := publishN(t, b, 0, 4)
	waitFor(t, "the first four delivered", func() bool { return len(missing(p, first)) == 0 })
	next := publishN(t, b, 4, 4)
	time.Sleep(300 * time.Millisecond)
	if n := len(p.ids()); n != 4 {
		t.Fatalf("%d delivered with four acks lost and MaxAckPending 4, want 4: the test does not hold the server", n)
	}
	if err := b.ConsumerJetStream("p1").Conn().ForceReconnect(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the next four delivered well within the ack wait", func() bool { return len(missing(p, next)) == 0 })
}

// TestFileConsumerAfterTheStreamLostItsTail: on an external server, whose
// consumers keep their state on disk, the alert stream loses its last
// writes (a power loss) after the exporter acknowledged them. The exporter
// must not skip the next changes, which take the lost ones' sequences
// again: nats-server moves the consumer back to the stream's end itself
// (the embedded bus's exporters need bus.Checkpoints.Clamp for that). This
// guards that behaviour of the server across upgrades.
func TestFileConsumerAfterTheStreamLostItsTail(t *testing.T) {
	dir := t.TempDir()
	ns := testbus.ExternalOn(t, dir, server.RANDOM_PORT)
	url, port := ns.ClientURL(), ns.Addr().(*net.TCPAddr).Port
	ctx := context.Background()
	b, err := bus.Open(ctx, bus.Config{URL: url, MaxBytes: 64 << 20}, testbus.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	p := &partner{tries: map[string]int{}}
	r, _ := startOn(t, mode{"acks", false}, b, p, nil)
	first := publishN(t, b, 0, 40)
	waitFor(t, "the first forty delivered", func() bool { return len(missing(p, first)) == 0 })
	waitFor(t, "their acks taken", func() bool {
		c, err := b.JetStream().Consumer(ctx, bus.StreamAlerts, exporters.ConsumerName("p1"))
		if err != nil {
			return false
		}
		info, err := c.Info(ctx)
		return err == nil && info.AckFloor.Stream == 40
	})
	stopRunner(r)
	b.Close()
	ns.Shutdown()
	ns.WaitForShutdown()

	testbus.LoseWrites(t, dir, bus.StreamAlerts, false)
	testbus.ExternalOn(t, dir, port)
	b, err = bus.Open(ctx, bus.Config{URL: url, MaxBytes: 64 << 20}, testbus.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	tail, err := b.ReadTail(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tail.Last >= 40 {
		t.Fatalf("the stream ends at %d after the loss: the test lost nothing", tail.Last)
	}
	startOn(t, mode{"acks", false}, b, p, nil)
	next := publishN(t, b, 100, 10)
	waitFor(t, "the next ten delivered", func() bool { return len(missing(p, next)) == 0 })
}
