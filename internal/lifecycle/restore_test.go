package lifecycle_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/bus"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/internal/testbus"
)

// TestEngineRestoresWhatTheStreamLost: the alert stream loses its last
// writes while the state bucket keeps the records of those changes (a power
// loss). Restore publishes each key's lost last change again, under its id,
// and points its record at it; nothing else is published, then or at the
// next poll.
func TestEngineRestoresWhatTheStreamLost(t *testing.T) {
	for _, keepIndex := range []bool{false, true} {
		t.Run(fmt.Sprintf("keepIndex=%v", keepIndex), func(t *testing.T) {
			dir := t.TempDir()
			ctx := context.Background()
			c := &clock{t0}
			b, err := bus.Open(ctx, bus.Config{StoreDir: dir}, testbus.Logger(t))
			if err != nil {
				t.Fatal(err)
			}
			e, _ := newEngine(t, b, c)
			var items []collectors.Item
			for i := range 30 {
				items = append(items, heat(fmt.Sprintf("k%02d", i), alert.SeverityModerate))
			}
			e.Handle(ctx, info, snapshot(items...), nil)
			for i := 20; i < 30; i++ { // the last ten keys get a second version
				items[i] = heat(fmt.Sprintf("k%02d", i), alert.SeveritySevere)
			}
			e.Handle(ctx, info, snapshot(items...), nil)
			b.Close()

			testbus.LoseWrites(t, dir, keepIndex)
			b, err = bus.Open(ctx, bus.Config{StoreDir: dir}, testbus.Logger(t))
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
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

			n, err := e.Restore(ctx, tail.Lost)
			if err != nil || n != want {
				t.Fatalf("Restore = %d, %v; want %d, nil", n, err, want)
			}
			if got := testutil.ToFloat64(m.Restored.WithLabelValues("kma")); got != float64(want) {
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
			if n, err := e.Restore(ctx, after.Lost); n != 0 || err != nil {
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
