package lifecycle_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/bus"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/internal/lifecycle"
	"github.com/hazardwire/hazardwire/internal/testbus"
)

// TestEngineRestoresWhatTheStreamLost: the alert stream loses its last
// writes while the state bucket keeps the records of those changes (a power
// loss). Restore publishes each key's lost last change again, under its id,
// and points its record at it; nothing else is published, then or at the
// next poll.
func TestEngineRestoresWhatTheStreamLost(t *testing.T) {
	for _, tc := range []struct{ keepIndex, updates bool }{{false, true}, {true, true}, {false, false}} {
		keepIndex := tc.keepIndex
		t.Run(fmt.Sprintf("keepIndex=%v,updates=%v", tc.keepIndex, tc.updates), func(t *testing.T) {
			dir := t.TempDir()
			ctx := context.Background()
			c := &clock{t0}
			b := openBus(t, bus.Config{StoreDir: dir})
			e, _ := newEngine(t, b, c)
			// Without updates, the changes published again land on their own
			// sequences.
			items := pollTwice(ctx, e, tc.updates)
			b.Close()

			testbus.LoseWrites(t, dir, bus.StreamAlerts, keepIndex)
			b = openBus(t, bus.Config{StoreDir: dir})
			e, m := newEngine(t, b, c)
			tail, err := b.ReadTail(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := 0
			for _, it := range items {
				if seqs := e.Seqs(it.Alert.Key); tail.Lost(seqs[len(seqs)-1]) {
					want++
				}
			}
			if want == 0 {
				t.Fatalf("the simulated loss took no key's last change (the stream ends at %d)", tail.Last)
			}

			n, err := e.Restore(ctx, tail)
			if err != nil || n != want {
				t.Fatalf("Restore = %d, %v; want %d, nil", n, err, want)
			}
			if got := testutil.ToFloat64(m.Restored.WithLabelValues("kma", "change")); got != float64(want) {
				t.Errorf("hazardwire_lifecycle_restored_total = %v, want %d", got, want)
			}
			after, err := b.ReadTail(ctx)
			if err != nil {
				t.Fatal(err)
			}
			s, err := b.JetStream().Stream(ctx, bus.StreamAlerts)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range items {
				key := it.Alert.Key
				seqs := e.Seqs(key)
				for _, seq := range seqs {
					if after.Lost(seq) {
						t.Errorf("%s's record still names the lost sequence %d (%v)", key, seq, seqs)
					}
				}
				m, err := s.GetMsg(ctx, seqs[len(seqs)-1])
				if err != nil {
					t.Fatalf("%s's last change: %v", key, err)
				}
				var a alert.Alert
				if err := json.Unmarshal(m.Data, &a); err != nil {
					t.Fatal(err)
				}
				if id := alert.MakeID(key, e.Version(key)); a.ID != id {
					t.Errorf("%s's last sequence holds %s, want %s", key, a.ID, id)
				}
			}
			if n, err := e.Restore(ctx, after); n != 0 || err != nil {
				t.Errorf("a second Restore = %d, %v; want 0, nil", n, err)
			}
			before := len(published(t, b))
			e.Handle(ctx, info, snapshot(items...), nil)
			if got := len(published(t, b)); got != before {
				t.Errorf("the next poll of the same feed published %d changes, want none", got-before)
			}
			t.Logf("the stream ends at %d; %d changes published again", tail.Last, n)
		})
	}
}

// TestEngineAdoptsWhatTheRecordsLost: the state bucket loses its last
// writes while the alert stream keeps their changes (a power loss), and the
// restart comes after the stream's duplicate window (here a second), when the
// bus no longer drops a repeated id. Adopt writes those records again from
// the stream, so the next poll of the same feed publishes nothing, and a
// change of content takes the next version, never an id partners hold.
func TestEngineAdoptsWhatTheRecordsLost(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	c := &clock{t0}
	cfg := bus.Config{StoreDir: dir, Duplicates: time.Second}
	b := openBus(t, cfg)
	e, _ := newEngine(t, b, c)
	items := pollTwice(ctx, e, true)
	onStream := map[string]int{}
	for _, a := range published(t, b) {
		onStream[a.Key] = max(onStream[a.Key], a.Version)
	}
	b.Close()

	testbus.LoseWrites(t, dir, "KV_"+bus.BucketState, false)
	b = openBus(t, cfg)
	e, m := newEngine(t, b, c)
	behind := 0
	for key, v := range onStream {
		if e.Version(key) < v {
			behind++
		}
	}
	if behind == 0 {
		t.Fatal("the simulated loss took no record the test needs")
	}
	time.Sleep(1200 * time.Millisecond) // past the duplicate window

	tail, err := b.ReadTail(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n, err := e.Adopt(ctx, tail.End, b.EachFrom)
	if err != nil || n != behind {
		t.Fatalf("Adopt = %d, %v; want %d, nil", n, err, behind)
	}
	if got := testutil.ToFloat64(m.Restored.WithLabelValues("kma", "record")); got != float64(behind) {
		t.Errorf("hazardwire_lifecycle_restored_total{what=record} = %v, want %d", got, behind)
	}
	s, err := b.JetStream().Stream(ctx, bus.StreamAlerts)
	if err != nil {
		t.Fatal(err)
	}
	for key, v := range onStream {
		if got := e.Version(key); got != v {
			t.Errorf("%s: record at v%d, the stream at v%d", key, got, v)
		}
		seqs := e.Seqs(key)
		msg, err := s.GetMsg(ctx, seqs[len(seqs)-1])
		if err != nil {
			t.Fatal(err)
		}
		if id := msg.Header.Get("Nats-Msg-Id"); id != alert.MakeID(key, v) {
			t.Errorf("%s's record names sequence %d, which holds %s", key, seqs[len(seqs)-1], id)
		}
	}
	if n, err := e.Adopt(ctx, tail.End, b.EachFrom); n != 0 || err != nil {
		t.Errorf("a second Adopt = %d, %v; want 0, nil", n, err)
	}
	if n, err := e.Restore(ctx, tail); n != 0 || err != nil {
		t.Errorf("Restore after Adopt = %d, %v; want 0, nil", n, err)
	}

	before := len(published(t, b))
	e.Handle(ctx, info, snapshot(items...), nil)
	items[25] = heat("k25", alert.SeverityExtreme)
	e.Handle(ctx, info, snapshot(items...), nil)
	all := published(t, b)
	if got := changes(all[before:]); !slices.Equal(got, []string{"update kma:k25#3"}) {
		t.Errorf("after the restart the polls published %v, want only update kma:k25#3", got)
	}
	seen := map[string]bool{}
	for _, a := range all {
		if seen[a.ID] {
			t.Errorf("%s is on the stream twice", a.ID)
		}
		seen[a.ID] = true
	}
	t.Logf("%d of %d records written again from the stream", behind, len(onStream))
}

// TestEngineRestoreLeavesWhatWasDeletedByHand: messages an operator deleted
// from the stream (`nats stream rmm`) are not lost writes. One inside the
// stream is left alone; the last one looks like a lost end, but the bus
// still holds its id, so nothing can be published under it: Restore says
// so in a warning and does not fail (the daemon's start would).
func TestEngineRestoreLeavesWhatWasDeletedByHand(t *testing.T) {
	b := testbus.Open(t)
	ctx := context.Background()
	c := &clock{t0}
	e, _ := newEngine(t, b, c)
	e.Handle(ctx, info, snapshot(heats(5, alert.SeverityModerate)...), nil)
	s, err := b.JetStream().Stream(ctx, bus.StreamAlerts)
	if err != nil {
		t.Fatal(err)
	}
	for _, seq := range []uint64{2, 5} {
		if err := s.DeleteMsg(ctx, seq); err != nil {
			t.Fatal(err)
		}
	}
	tail, err := b.ReadTail(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tail.Lost(2) || !tail.Lost(5) {
		t.Fatalf("tail %+v: want 2 not lost (inside the stream), 5 lost (its end)", tail)
	}
	e, m := newEngine(t, b, c)
	if n, err := e.Restore(ctx, tail); n != 0 || err != nil {
		t.Errorf("Restore = %d, %v; want 0, nil", n, err)
	}
	if got := testutil.ToFloat64(m.Restored.WithLabelValues("kma", "change")); got != 0 {
		t.Errorf("hazardwire_lifecycle_restored_total{what=change} = %v, want 0", got)
	}
	if got := len(published(t, b)); got != 3 {
		t.Errorf("%d changes on the stream, want the 3 left", got)
	}
}

// TestEngineRestoreAfterTheStreamWasMadeAgain: the alert stream deleted and
// made again (empty, its sequences from 1) leaves every record naming a
// lost change. Those the stream's age limit would have removed by now are
// not sent again; the others are.
func TestEngineRestoreAfterTheStreamWasMadeAgain(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	cfg := bus.Config{StoreDir: dir, MaxAge: 30 * 24 * time.Hour}
	b := openBus(t, cfg)
	e, _ := newEngine(t, b, &clock{t0})
	items := heats(10, alert.SeverityModerate)
	e.Handle(ctx, info, snapshot(items...), nil)
	if err := b.JetStream().DeleteStream(ctx, bus.StreamAlerts); err != nil {
		t.Fatal(err)
	}
	b.Close()
	b = openBus(t, cfg) // makes the stream again
	tail, err := b.ReadTail(ctx)
	if err != nil {
		t.Fatal(err)
	}
	late, _ := newEngine(t, b, &clock{t0.Add(40 * 24 * time.Hour)})
	if n, err := late.Restore(ctx, tail); n != 0 || err != nil {
		t.Errorf("40 days on: Restore = %d, %v; want 0, nil (older than the stream's age limit)", n, err)
	}
	soon, _ := newEngine(t, b, &clock{t0.Add(time.Hour)})
	if n, err := soon.Restore(ctx, tail); n != len(items) || err != nil {
		t.Errorf("an hour on: Restore = %d, %v; want %d, nil", n, err, len(items))
	}
}

// heats returns n heat advisories of keys k00, k01, … at severity sev.
func heats(n int, sev alert.Severity) []collectors.Item {
	var items []collectors.Item
	for i := range n {
		items = append(items, heat(fmt.Sprintf("k%02d", i), sev))
	}
	return items
}

// pollTwice hands e two polls of thirty keys: all new, then (with updates)
// the last ten at a higher severity. It returns the second poll's items.
func pollTwice(ctx context.Context, e *lifecycle.Engine, updates bool) []collectors.Item {
	items := heats(30, alert.SeverityModerate)
	e.Handle(ctx, info, snapshot(items...), nil)
	for i := 20; i < 30 && updates; i++ {
		items[i] = heat(fmt.Sprintf("k%02d", i), alert.SeveritySevere)
	}
	e.Handle(ctx, info, snapshot(items...), nil)
	return items
}

// openBus opens a bus on cfg's store, closed at the test's end unless the
// test closes it first.
func openBus(t *testing.T, cfg bus.Config) *bus.Bus {
	t.Helper()
	b, err := bus.Open(context.Background(), cfg, testbus.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// TestEngineRestoresARecentEndOfAnOldAlert: an alert in force for longer
// than the stream's age limit ends (the sweeper's expire, which keeps the
// alert's old sent time), and the stream loses that expire a moment later.
// Its age is its publication's, not the alert's: it goes out again.
func TestEngineRestoresARecentEndOfAnOldAlert(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	cfg := bus.Config{StoreDir: dir, MaxAge: 24 * time.Hour}
	b := openBus(t, cfg)
	c := &clock{t0}
	e, _ := newEngine(t, b, c)
	items := heats(10, alert.SeverityModerate)
	for i := range items {
		end := t0.Add(36 * time.Hour)
		items[i].Alert.Expires = &end
	}
	e.Handle(ctx, info, snapshot(items...), nil)
	c.t = t0.Add(36*time.Hour + time.Minute)
	e.Sweep(ctx)
	b.Close()

	testbus.LoseWrites(t, dir, bus.StreamAlerts, false)
	b = openBus(t, cfg)
	c.t = c.t.Add(time.Minute)
	e, _ = newEngine(t, b, c)
	tail, err := b.ReadTail(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lost := 0
	for _, it := range items {
		if seqs := e.Seqs(it.Alert.Key); tail.Lost(seqs[len(seqs)-1]) {
			lost++
		}
	}
	if lost == 0 {
		t.Fatal("the simulated loss took no expire")
	}
	if n, err := e.Restore(ctx, tail); n != lost || err != nil {
		t.Errorf("Restore = %d, %v; want the %d expires lost, nil", n, err, lost)
	}
}

// TestEngineRestoresAStreamThatLostEverything: every message of the stream
// came after its last sync, and its saved state survived: the stream says
// it holds nothing past its last sequence, as one whose messages aged out
// would. The records say when their changes were published, so those
// inside the age limit go out again.
func TestEngineRestoresAStreamThatLostEverything(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	b := openBus(t, bus.Config{StoreDir: dir})
	c := &clock{t0}
	e, _ := newEngine(t, b, c)
	items := heats(5, alert.SeverityModerate)
	e.Handle(ctx, info, snapshot(items...), nil)
	b.Close()

	testbus.LoseEveryWrite(t, dir, bus.StreamAlerts)
	b = openBus(t, bus.Config{StoreDir: dir})
	tail, err := b.ReadTail(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tail.Msgs != 0 || tail.Lost(tail.Last) {
		t.Fatalf("tail %+v: want an empty stream whose end is not taken for lost", tail)
	}
	e, _ = newEngine(t, b, c)
	if n, err := e.Restore(ctx, tail); n != len(items) || err != nil {
		t.Errorf("Restore = %d, %v; want %d, nil", n, err, len(items))
	}
	if got := len(published(t, b)); got != len(items) {
		t.Errorf("%d changes on the stream after Restore, want %d", got, len(items))
	}
}
