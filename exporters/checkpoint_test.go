package exporters_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/bus"
	"github.com/hazardwire/hazardwire/exporters"
	"github.com/hazardwire/hazardwire/internal/testbus"
)

// openBusAt opens an embedded bus on dir, as a daemon (re)started on that
// store does.
func openBusAt(t *testing.T, dir string) *bus.Bus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := bus.Open(ctx, bus.Config{StoreDir: dir, MaxMemory: 64 << 20, MaxStore: 1 << 30}, testbus.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// startCheckpointed starts exporter p1 on b with its position kept in b's
// checkpoint bucket (a memory consumer), delivering to p.
func startCheckpointed(t *testing.T, b *bus.Bus, p *partner) *exporters.Runner {
	t.Helper()
	return startCheckpointedEvery(t, b, p, 0)
}

// startCheckpointedEvery is startCheckpointed with the position saved every
// every (0: the default).
func startCheckpointedEvery(t *testing.T, b *bus.Bus, p *partner, every time.Duration) *exporters.Runner {
	t.Helper()
	exp := webhookTo(t, p)
	cp := b.Checkpoints()
	if cp == nil {
		t.Fatal("an embedded bus has no checkpoints")
	}
	r := exporters.NewRunner(exporters.RunnerConfig{
		Name: "p1", Exporter: exp, Stream: bus.StreamAlerts, Subjects: []string{"hazardwire.alerts.>"},
		Policy:      exporters.RetryPolicy{MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, MaxAttempts: 1000},
		Checkpoints: cp, CheckpointEvery: every,
	}, b.ConsumerJetStream("p1"), b, exporters.NewMetrics(prometheus.NewRegistry()), testbus.Logger(t))
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return r
}

func publishN(t *testing.T, b *bus.Bus, from, n int) []string {
	t.Helper()
	var ids []string
	for i := from; i < from+n; i++ {
		a := change(fmt.Sprintf("src:k%d", i), 1, alert.ChangeNew)
		if _, err := b.Publish(context.Background(), a); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	return ids
}

// sorted returns ids in order: keys are delivered concurrently.
func sorted(ids []string) []string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return ids
}

// restartAfterCrash opens the bus on dir again and starts p1 on it, with
// the partner answering 2xx again; both stop at the test's end.
func restartAfterCrash(t *testing.T, dir string, p *partner) (*bus.Bus, *exporters.Runner) {
	t.Helper()
	b := openBusAt(t, dir)
	t.Cleanup(b.Close)
	p.mu.Lock()
	p.fail = nil
	p.mu.Unlock()
	r := startCheckpointed(t, b, p)
	t.Cleanup(func() { stopRunner(r) })
	return b, r
}

// drained waits until p1's consumer on b has nothing left to deliver and r
// holds nothing unfinished: a change delivered again would have reached the
// partner by then (it records a delivery before the runner finishes it).
func drained(t *testing.T, b *bus.Bus, r *exporters.Runner) {
	t.Helper()
	ctx := context.Background()
	waitFor(t, "p1's consumer drained", func() bool {
		c, err := b.JetStream().Consumer(ctx, bus.StreamAlerts, exporters.ConsumerName("p1"))
		if err != nil {
			return false
		}
		info, err := c.Info(ctx)
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0 && r.Unfinished() == 0
	})
}

func stopRunner(r *exporters.Runner) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r.Stop(ctx)
}

// TestCheckpointedRunnerAcrossRestarts: an exporter whose consumer keeps its
// state in memory starts at the next change when new, resumes after its
// saved position on a restarted store (a clean stop repeats nothing), and
// after a crash (the bus gone without a stop) delivers everything it had
// not acknowledged, none of what came before it existed.
func TestCheckpointedRunnerAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	b := openBusAt(t, dir)
	before := publishN(t, b, 0, 3) // before the exporter: never delivered
	p := &partner{tries: map[string]int{}}
	r := startCheckpointed(t, b, p)
	info, err := b.JetStream().Consumer(context.Background(), bus.StreamAlerts, exporters.ConsumerName("p1"))
	if err != nil {
		t.Fatal(err)
	}
	if !info.CachedInfo().Config.MemoryStorage {
		t.Fatal("the consumer keeps its state on disk, want memory")
	}
	first := publishN(t, b, 3, 5)
	waitFor(t, "the first five delivered", func() bool { return len(p.ids()) == 5 })
	stopRunner(r)
	b.Close()

	// A clean restart: the next changes, and nothing again.
	b = openBusAt(t, dir)
	second := publishN(t, b, 8, 2)
	r = startCheckpointed(t, b, p)
	waitFor(t, "the next two delivered", func() bool { return len(p.ids()) == 7 })
	drained(t, b, r)
	if got, want := sorted(p.ids()), sorted(slices.Concat(first, second)); !slices.Equal(got, want) {
		t.Fatalf("after a clean restart the partner has %v, want %v", got, want)
	}

	// A crash: the partner refuses, so nothing is acknowledged, and the bus
	// goes away without the runner stopping.
	p.mu.Lock()
	p.fail = func(string, int) int { return 503 }
	p.mu.Unlock()
	third := publishN(t, b, 10, 4)
	waitFor(t, "attempts at the crash's changes", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.tries[third[3]] > 0
	})
	b.Close()
	stopRunner(r) // only to end its goroutines: its bus is gone

	restartAfterCrash(t, dir, p)
	// Each of the crash's changes, not a count: the crash may come before
	// the runner saved its position past the second two (it saves every
	// CheckpointEvery, or after CheckpointAfter changes), which are then
	// delivered again first, and a count of 11 was reached with two of the
	// crash's changes still to come.
	waitFor(t, "the crash's changes delivered", func() bool {
		got := p.ids()
		for _, id := range third {
			if !slices.Contains(got, id) {
				return false
			}
		}
		return true
	})
	got := p.ids()
	for _, id := range slices.Concat(first, second, third) {
		if !slices.Contains(got, id) {
			t.Errorf("%s never delivered", id)
		}
	}
	for _, id := range before {
		if slices.Contains(got, id) {
			t.Errorf("%s, published before the exporter existed, was delivered", id)
		}
	}
}

// TestCheckpointSavedAfterManyChanges: a runner saves its position after
// every CheckpointAfter changes it finishes, not only on its period, so a
// crash in a burst repeats at most about that many. The period here is an
// hour: only the count can save anything.
func TestCheckpointSavedAfterManyChanges(t *testing.T) {
	dir := t.TempDir()
	b := openBusAt(t, dir)
	p := &partner{tries: map[string]int{}}
	r := startCheckpointedEvery(t, b, p, time.Hour)
	n := 3 * exporters.CheckpointAfter
	ids := publishN(t, b, 0, n)
	waitFor(t, "every change delivered", func() bool { return len(p.ids()) == n })
	// The stream was empty: the changes are sequences 1 to n. The third
	// save was asked for when the last change finished, with at most the
	// runner's concurrency still unfinished.
	want := uint64(n - exporters.CheckpointAfter)
	var floor uint64
	waitFor(t, fmt.Sprintf("the position saved past %d", want), func() bool {
		f, ok, err := b.Checkpoints().Floor(context.Background(), "p1")
		floor = f
		return err == nil && ok && f >= want
	})

	b.Close()
	stopRunner(r) // only to end its goroutines: its bus is gone
	b, r = restartAfterCrash(t, dir, p)
	drained(t, b, r)
	got := p.ids()
	for _, id := range ids {
		if !slices.Contains(got, id) {
			t.Errorf("%s never delivered", id)
		}
	}
	if repeats := len(got) - n; repeats > n-int(floor) {
		t.Errorf("the crash repeated %d deliveries, want at most %d (the saved position was %d of %d)", repeats, n-int(floor), floor, n)
	}
	t.Logf("saved position %d of %d; the crash repeated %d deliveries", floor, n, len(got)-n)
}

// TestCheckpointedRunnerTakesOverAFileConsumer: a file consumer left by an
// earlier version gives its ack floor to the checkpoint and is replaced; the
// exporter goes on after what it had acknowledged.
func TestCheckpointedRunnerTakesOverAFileConsumer(t *testing.T) {
	b := openBusAt(t, t.TempDir())
	t.Cleanup(b.Close)
	ctx := context.Background()
	ids := publishN(t, b, 0, 6)
	cons, err := b.JetStream().CreateConsumer(ctx, bus.StreamAlerts, jetstream.ConsumerConfig{
		Durable: exporters.ConsumerName("p1"), AckPolicy: jetstream.AckExplicitPolicy, MaxDeliver: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.Fetch(4, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for m := range batch.Messages() {
		if err := m.DoubleAck(ctx); err != nil {
			t.Fatal(err)
		}
	}
	p := &partner{tries: map[string]int{}}
	r := startCheckpointed(t, b, p)
	t.Cleanup(func() { stopRunner(r) })
	waitFor(t, "the two not acknowledged delivered", func() bool { return len(p.ids()) == 2 })
	drained(t, b, r)
	if got := sorted(p.ids()); !slices.Equal(got, sorted(ids[4:])) {
		t.Fatalf("partner has %v, want %v", got, ids[4:])
	}
	floor, ok, err := b.Checkpoints().Floor(ctx, "p1")
	if err != nil || !ok || floor < 4 {
		t.Fatalf("checkpoint %d, %v, %v; want at least the file consumer's floor 4", floor, ok, err)
	}
}

// TestCheckpointedRunnerNewThenCrash: a new exporter saves its starting
// position at once, so a crash before anything is acknowledged still
// delivers what came after it started, and nothing from before.
func TestCheckpointedRunnerNewThenCrash(t *testing.T) {
	dir := t.TempDir()
	b := openBusAt(t, dir)
	before := publishN(t, b, 0, 3)
	p := &partner{tries: map[string]int{}, fail: func(string, int) int { return 503 }}
	r := startCheckpointed(t, b, p)
	after := publishN(t, b, 3, 2)
	waitFor(t, "attempts at both changes", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.tries[after[0]] > 0 && p.tries[after[1]] > 0
	})
	b.Close() // the crash
	stopRunner(r)

	b, r = restartAfterCrash(t, dir, p)
	waitFor(t, "both changes delivered", func() bool { return len(p.ids()) == 2 })
	drained(t, b, r)
	if got := sorted(p.ids()); !slices.Equal(got, sorted(after)) {
		t.Fatalf("partner has %v, want %v (and none of %v)", got, after, before)
	}
}

// TestCheckpointedRunnerReplaced: a runner replaced in the same process (a
// reload) leaves the change it had not delivered to its successor, which
// starts after the stopped runner's position: what was finished before that
// change is not sent again.
func TestCheckpointedRunnerReplaced(t *testing.T) {
	b := openBusAt(t, t.TempDir())
	t.Cleanup(b.Close)
	p := &partner{tries: map[string]int{}, fail: func(id string, _ int) int {
		if id == "src:k1#1" {
			return 503
		}
		return 0
	}}
	r := startCheckpointed(t, b, p)
	ids := publishN(t, b, 0, 3)
	waitFor(t, "k0 and k2 delivered, k1 attempted", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return len(p.got) == 2 && p.tries[ids[1]] > 0
	})
	stopRunner(r)

	p.mu.Lock()
	p.fail = nil
	p.mu.Unlock()
	r = startCheckpointed(t, b, p)
	t.Cleanup(func() { stopRunner(r) })
	waitFor(t, "k1 delivered", func() bool { return slices.Contains(p.ids(), ids[1]) })
	drained(t, b, r)
	got := p.ids()
	if n := len(slices.DeleteFunc(slices.Clone(got), func(id string) bool { return id != ids[0] })); n != 1 {
		t.Errorf("k0, finished before the replacement, delivered %d times: %v", n, got)
	}
	if !slices.Contains(got, ids[2]) {
		t.Errorf("k2 lost: %v", got)
	}
}
