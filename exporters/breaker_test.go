package exporters

import (
	"testing"
	"time"
)

func TestBreaker(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	b := &Breaker{Threshold: 3, MinCooldown: 10 * time.Second, MaxCooldown: 40 * time.Second}
	for i := range 2 {
		if w := b.Wait(t0); w != 0 {
			t.Fatalf("attempt %d waits %s while closed", i, w)
		}
		b.Record(false, true, t0)
	}
	b.Record(false, false, t0) // a 4xx for one change: not the partner's health
	if b.State() != CircuitClosed {
		t.Fatal("opened on a non-partner failure")
	}
	b.Record(false, true, t0)
	if b.State() != CircuitOpen || b.Wait(t0) != 10*time.Second {
		t.Fatalf("after 3 failures: state %d, wait %s", b.State(), b.Wait(t0))
	}
	// After the cool-down one probe goes; others wait.
	t1 := t0.Add(10 * time.Second)
	if w := b.Wait(t1); w != 0 || b.State() != CircuitHalfOpen {
		t.Fatalf("probe waits %s, state %d", w, b.State())
	}
	if w := b.Wait(t1); w == 0 {
		t.Fatal("a second caller went through beside the probe")
	}
	b.Record(false, true, t1) // the probe fails: open again, twice as long
	if w := b.Wait(t1); w != 20*time.Second {
		t.Fatalf("after a failed probe: wait %s, want 20s", w)
	}
	t2 := t1.Add(20 * time.Second)
	if b.Wait(t2) != 0 {
		t.Fatal("no probe after the second cool-down")
	}
	b.Record(true, false, t2)
	if b.State() != CircuitClosed || b.Wait(t2) != 0 {
		t.Fatal("a good probe did not close the circuit")
	}
}
