package exporters

import "testing"

func TestRecent(t *testing.T) {
	r := newRecent()
	r.add(7, "a#1")
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
		r.add(seq, "x")
	}
	if r.has(7, "a#1") {
		t.Errorf("the oldest of %d+1 changes still remembered", recentSize)
	}
	if !r.has(100, "x") || !r.has(100+recentSize-1, "x") || len(r.ids) != recentSize {
		t.Errorf("the last %d changes not all remembered (%d held)", recentSize, len(r.ids))
	}
}
