package lifecycle_test

import (
	"context"
	"encoding/json"
	"errors"
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

// bigPoll is a snapshot of n heat alerts, k0 … k<n-1>, sent in key order,
// with a second, later item of k<again> (another severity) sent just after
// k<after>.
func bigPoll(n, again, after int) collectors.Result {
	res := collectors.Result{Snapshot: true}
	for i := range n {
		it := heat(fmt.Sprintf("k%d", i), alert.SeverityModerate)
		it.Alert.Sent = t0.Add(time.Duration(i) * time.Millisecond)
		res.Items = append(res.Items, it)
	}
	it := heat(fmt.Sprintf("k%d", again), alert.SeverityExtreme)
	it.Alert.Sent = t0.Add(time.Duration(after)*time.Millisecond + time.Microsecond)
	res.Items = append(res.Items, it)
	return res
}

// wantBigPoll is what bigPoll publishes on an empty store.
func wantBigPoll(n, again, after int) []string {
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("new kma:k%d#1", i))
		if i == after {
			want = append(want, fmt.Sprintf("update kma:k%d#2", again))
		}
	}
	return want
}

// TestEngineBatchesInFlight: a poll larger than several batches, whose
// records are written while the next batch is published, publishes each
// change once, decides a key's second item on its first one's record, and
// leaves a store that a restarted engine agrees with.
func TestEngineBatchesInFlight(t *testing.T) {
	b := testbus.Open(t)
	ctx := context.Background()
	c := &clock{t0}
	e, m := newEngine(t, b, c)
	// Three batches, the last one part full. k300's second item comes
	// while the batch holding its first is being recorded.
	const n, again, after = 700, 300, 520
	res := bigPoll(n, again, after)
	e.Handle(ctx, info, res, nil)

	if got, want := changes(published(t, b)), wantBigPoll(n, again, after); !slices.Equal(got, want) {
		t.Fatalf("published %d changes, want %d; first differences: %v", len(got), len(want), firstDiff(got, want))
	}
	if got := testutil.ToFloat64(m.Changes.WithLabelValues("kma", "heat", "new")); got != n {
		t.Errorf("new changes counted = %v, want %d", got, n)
	}
	if seqs := e.Seqs("kma:k300"); len(seqs) != 2 {
		t.Errorf("kma:k300 has versions at %v, want 2", seqs)
	}

	// The same poll again changes nothing; nor does it to an engine that
	// starts from the store.
	e.Handle(ctx, info, res, nil)
	restarted, _ := newEngine(t, b, c)
	restarted.Handle(ctx, info, res, nil)
	if got := len(published(t, b)); got != n+1 {
		t.Errorf("%d changes on the stream after the same poll twice more, want %d", got, n+1)
	}
	// Each stored record is its own key's, whole: the buffers records are
	// encoded into are reused once stored, never before.
	vals, err := b.States().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(vals) != n {
		t.Errorf("%d records stored, want %d", len(vals), n)
	}
	for _, v := range vals {
		var r lifecycle.Record
		if err := json.Unmarshal(v, &r); err != nil {
			t.Fatalf("a stored record does not decode: %v: %.80s", err, v)
		}
		if r.Alert.Key != r.Key || r.Alert.ID != alert.MakeID(r.Key, r.Version) || r.Alert.ContentHash() != r.Hash {
			t.Errorf("record of %s holds alert %s (hash %s, record says %s)", r.Key, r.Alert.ID, r.Alert.ContentHash(), r.Hash)
		}
	}
	if a := activeOf(t, restarted); len(a) != n {
		t.Errorf("restarted engine has %d alerts in force, want %d", len(a), n)
	}
}

// failingStore fails the PutAll calls whose number (from 1) is in fail.
type failingStore struct {
	lifecycle.Store
	calls int
	fail  map[int]bool
}

func (s *failingStore) PutAll(ctx context.Context, entries []bus.StateEntry) []error {
	s.calls++
	if s.fail[s.calls] {
		errs := make([]error, len(entries))
		for i := range errs {
			errs[i] = errors.New("store refuses writes")
		}
		return errs
	}
	return s.Store.PutAll(ctx, entries)
}

// TestEngineRecordFailsInFlight: when a batch's records fail while the next
// batch is already published, no change is recorded that was not, the pass
// stops, and the next poll records every change under the ids partners
// already have, publishing nothing twice.
func TestEngineRecordFailsInFlight(t *testing.T) {
	b := testbus.Open(t)
	ctx := context.Background()
	store := &failingStore{Store: b.States(), fail: map[int]bool{2: true}}
	e, m := newEngineOn(t, b, store, &clock{t0})
	const n, again, after = 1000, 0, 999 // four batches
	res := bigPoll(n, again, after)
	e.Handle(ctx, info, res, nil)

	first := changes(published(t, b))
	if len(first) != 768 {
		// Batch 1 recorded; batch 2 published, its records refused; batch 3
		// published before that was known; batch 4 not tried.
		t.Errorf("%d changes published in the failed pass, want 768 (three batches)", len(first))
	}
	if got := testutil.ToFloat64(m.PublishErrors.WithLabelValues("kma", "store")); got != 256 {
		t.Errorf("store errors = %v, want 256 (batch 2)", got)
	}
	if got := len(activeOf(t, e)); got != 256 {
		t.Errorf("%d alerts in force after the failed pass, want 256 (batch 1's)", got)
	}

	e.Handle(ctx, info, res, nil)
	if got, want := changes(published(t, b)), wantBigPoll(n, again, after); !slices.Equal(got, want) {
		t.Fatalf("after the store recovered: %d changes, want %d; first differences: %v", len(got), len(want), firstDiff(got, want))
	}
	if got := len(activeOf(t, e)); got != n {
		t.Errorf("%d alerts in force after the store recovered, want %d", got, n)
	}
}

// firstDiff lists the first few positions where got and want differ.
func firstDiff(got, want []string) []string {
	var out []string
	for i := 0; i < max(len(got), len(want)) && len(out) < 5; i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			out = append(out, fmt.Sprintf("%d: %q want %q", i, g, w))
		}
	}
	return out
}

// TestVersionIsTheStreams: Version is the last version on the stream, even
// while the store refuses its record (a replay of an older dead letter must
// see the newer version partners have); once recorded, the same.
func TestVersionIsTheStreams(t *testing.T) {
	b := testbus.Open(t)
	ctx := context.Background()
	store := &failingStore{Store: b.States(), fail: map[int]bool{2: true}}
	e, _ := newEngineOn(t, b, store, &clock{t0})
	poll := func(it collectors.Item) {
		e.Handle(ctx, info, collectors.Result{Snapshot: true, Items: []collectors.Item{it}}, nil)
	}
	poll(heat("a", alert.SeverityModerate))
	upd := heat("a", alert.SeveritySevere)
	upd.Alert.Sent = t0.Add(time.Minute)
	poll(upd) // published, its record refused
	if got := changes(published(t, b)); len(got) != 2 || got[1] != "update kma:a#2" {
		t.Fatalf("published %v, want a#1 then its update", got)
	}
	if v := e.Version("kma:a"); v != 2 {
		t.Errorf("Version = %d while the stream holds a#2 unrecorded, want 2", v)
	}
	poll(upd) // recorded now, nothing published again
	if v, n := e.Version("kma:a"), len(published(t, b)); v != 2 || n != 2 {
		t.Errorf("after the record: Version %d, %d changes on the stream; want 2 and 2", v, n)
	}
	if v := e.Version("kma:never"); v != 0 {
		t.Errorf("Version of a key never seen = %d", v)
	}
}
