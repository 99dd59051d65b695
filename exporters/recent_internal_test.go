package exporters

import (
	"fmt"
	"testing"
)

func TestRecent(t *testing.T) {
	r := newRecent()
	r.add(7, "a#1", "")
	if !r.has(7, "a#1") {
		t.Error("a finished change not remembered")
	}
	if r.has(7, "b#1") {
		t.Error("another change under the same sequence (a stream made again) taken for a repeat")
	}
	if r.has(8, "a#1") {
		t.Error("a sequence never finished taken for a repeat")
	}
	for seq := uint64(100); seq < 100+recentSize; seq++ {
		r.add(seq, "x", "")
	}
	if r.has(7, "a#1") {
		t.Errorf("the oldest of %d+1 changes still remembered", recentSize)
	}
	if !r.has(100, "x") || !r.has(100+recentSize-1, "x") || len(r.ids) != recentSize {
		t.Errorf("the last %d changes not all remembered (%d held)", recentSize, len(r.ids))
	}
}

// TestRecentAcks: the ack subjects of the last recentAcks changes finished
// are kept, oldest first, for Runner.reack.
func TestRecentAcks(t *testing.T) {
	r := newRecent()
	for i := range recentAcks + 2 {
		r.add(uint64(i), "x", fmt.Sprintf("ack.%d", i))
	}
	r.add(9999, "y", "") // nothing to ack (a test message)
	got := r.ackSubjects()
	if len(got) != recentAcks || got[0] != "ack.2" || got[len(got)-1] != fmt.Sprintf("ack.%d", recentAcks+1) {
		t.Errorf("%d subjects, from %s to %s; want %d, from ack.2 to ack.%d", len(got), got[0], got[len(got)-1], recentAcks, recentAcks+1)
	}
}
