package exporters

import "testing"

// TestTracker: the floor stops below the oldest change not finished, moves
// over every finished one behind it, and counts sequences the consumer's
// filter skipped as done.
func TestTracker(t *testing.T) {
	tr := newTracker(10)
	check := func(step string, floor uint64, unfinished int) {
		t.Helper()
		if got := tr.floor(); got != floor {
			t.Errorf("%s: floor %d, want %d", step, got, floor)
		}
		if tr.unfinished() != unfinished {
			t.Errorf("%s: %d unfinished, want %d", step, tr.unfinished(), unfinished)
		}
	}
	check("start", 10, 0)
	for _, seq := range []uint64{12, 13, 17, 20} { // 11, 14-16, 18-19 filtered out
		if !tr.received(seq) {
			t.Fatalf("%d refused", seq)
		}
	}
	check("received", 11, 4)
	if tr.received(17) || tr.received(9) {
		t.Error("a sequence at or below the last one received was taken again")
	}
	tr.finish(17)
	check("finished out of order", 11, 3)
	tr.finish(17)
	tr.finish(5)
	tr.finish(99)
	check("finished twice, or never received", 11, 3)
	tr.finish(12)
	check("the oldest finished", 12, 2)
	tr.finish(13)
	check("the next", 19, 1) // over 17, done before
	tr.finish(20)
	check("all", 20, 0)
	tr.received(25)
	check("after all", 24, 1)
}
