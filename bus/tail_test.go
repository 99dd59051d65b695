package bus_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/hazardwire/hazardwire/bus"
	"github.com/hazardwire/hazardwire/internal/testbus"
)

// TestReadTailFindsLostWrites: after the alert stream's store lost its last
// writes, ReadTail reports the lost sequences (past the new end, or gaps
// when the saved state survived) and not those still there.
func TestReadTailFindsLostWrites(t *testing.T) {
	for _, keepIndex := range []bool{false, true} {
		t.Run(fmt.Sprintf("keepIndex=%v", keepIndex), func(t *testing.T) {
			dir := t.TempDir()
			ctx := context.Background()
			b, err := bus.Open(ctx, bus.Config{StoreDir: dir}, testbus.Logger(t))
			if err != nil {
				t.Fatal(err)
			}
			const n = 40
			for i := 1; i <= n; i++ {
				if _, err := b.Publish(ctx, sample(i)); err != nil {
					t.Fatal(err)
				}
			}
			whole, err := b.ReadTail(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for seq := uint64(1); seq <= n; seq++ {
				if whole.Lost(seq) {
					t.Fatalf("before the loss, %d is reported lost", seq)
				}
			}
			b.Close()

			testbus.LoseWrites(t, dir, bus.StreamAlerts, keepIndex)
			b, err = bus.Open(ctx, bus.Config{StoreDir: dir}, testbus.Logger(t))
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			tail, err := b.ReadTail(ctx)
			if err != nil {
				t.Fatal(err)
			}
			s, err := b.JetStream().Stream(ctx, bus.StreamAlerts)
			if err != nil {
				t.Fatal(err)
			}
			var kept, lost int
			for seq := uint64(1); seq <= n; seq++ {
				_, err := s.GetMsg(ctx, seq)
				there := err == nil
				if tail.Lost(seq) == there {
					t.Errorf("sequence %d: on the stream %v, reported lost %v", seq, there, tail.Lost(seq))
				}
				if there {
					kept++
				} else {
					lost++
				}
			}
			if lost == 0 || kept == 0 {
				t.Fatalf("the simulated loss kept %d of %d messages: want some kept and some lost", kept, n)
			}
			if keepIndex != (tail.Last == n) {
				t.Errorf("the stream ends at %d after the loss (saved state kept: %v)", tail.Last, keepIndex)
			}
			t.Logf("kept %d, lost %d; the stream ends at %d", kept, lost, tail.Last)
		})
	}
}

// TestClampMovesPositionsPastTheEnd: a saved position past the stream's end
// goes back to it; others stay.
func TestClampMovesPositionsPastTheEnd(t *testing.T) {
	b := testbus.Open(t)
	ctx := context.Background()
	cp := b.Checkpoints()
	for name, seq := range map[string]uint64{"ahead": 20, "behind": 3, "at": 13} {
		if err := cp.SetFloor(ctx, name, seq); err != nil {
			t.Fatal(err)
		}
	}
	moved, err := cp.Clamp(ctx, 13)
	if err != nil {
		t.Fatal(err)
	}
	if len(moved) != 1 || moved["ahead"] != 20 {
		t.Errorf("moved %v, want only ahead (from 20)", moved)
	}
	for name, want := range map[string]uint64{"ahead": 13, "behind": 3, "at": 13} {
		if got, ok, err := cp.Floor(ctx, name); err != nil || !ok || got != want {
			t.Errorf("%s's position %d (saved %v, %v), want %d", name, got, ok, err, want)
		}
	}
	if moved, err := cp.Clamp(ctx, 13); err != nil || len(moved) != 0 {
		t.Errorf("a second clamp moved %v (%v), want nothing", moved, err)
	}
}
