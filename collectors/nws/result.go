package nws

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
)

// builder gathers the items of one collection into a Result with at most one
// item per key. The latest sent wins. Features sent at the same instant are
// segments of one product (one per group of zones): their parts of one event
// are merged, as the event is in force wherever any of them says so.
type builder struct {
	res   collectors.Result
	byKey map[string]int
	// parts holds, per item, the items of the same key and sent that make it.
	parts [][]part
}

// part is one feature's item of an event.
type part struct {
	item  collectors.Item
	index int    // position of the feature in the collection
	id    string // its properties.id
}

// newBuilder returns a builder for a collection of features features, sized
// for one item each, the common case.
func newBuilder(features int) *builder {
	return &builder{res: collectors.Result{Snapshot: true, Fetched: features},
		byKey: make(map[string]int, features), parts: make([][]part, 0, features)}
}

// add takes the item of the feature at index with properties.id id.
func (b *builder) add(it collectors.Item, index int, id string) {
	p := part{item: it, index: index, id: id}
	i, ok := b.byKey[it.Alert.Key]
	if !ok {
		b.byKey[it.Alert.Key] = len(b.parts)
		b.parts = append(b.parts, []part{p})
		return
	}
	cur := b.parts[i][0].item
	if c := it.Alert.Sent.Compare(cur.Alert.Sent); c != 0 {
		if c > 0 {
			b.parts[i] = []part{p}
		}
		return
	}
	// One instant, several segments: a segment that keeps the event in force
	// outranks one that ends it elsewhere (a cancel for some zones only).
	switch r, rc := intentRank(it.Intent), intentRank(cur.Intent); {
	case r > rc:
		b.parts[i] = []part{p}
	case r == rc && !slices.ContainsFunc(b.parts[i], func(q part) bool { return q.index == index }):
		b.parts[i] = append(b.parts[i], p)
	}
}

func intentRank(i collectors.Intent) int {
	switch i {
	case collectors.IntentActive:
		return 2
	case collectors.IntentCancel:
		return 1
	}
	return 0
}

// result returns the Result with one item per key, in the order keys were
// first seen.
func (b *builder) result() collectors.Result {
	if len(b.parts) > 0 {
		b.res.Items = make([]collectors.Item, 0, len(b.parts))
	}
	for _, ps := range b.parts {
		b.res.Items = append(b.res.Items, merge(ps))
	}
	return b.res
}

// merge makes one item of the segments of one event. The content is that of
// the most severe segment (on a tie, the lowest id); the areas are every
// segment's, ordered by id so that the order of the feed does not matter; the
// alert lasts until the latest expiry and end of any segment.
func merge(ps []part) collectors.Item {
	if len(ps) == 1 {
		return ps[0].item
	}
	slices.SortFunc(ps, func(a, b part) int {
		return cmp.Or(strings.Compare(a.id, b.id), cmp.Compare(a.index, b.index))
	})
	top := slices.MaxFunc(ps, func(a, b part) int {
		return cmp.Compare(a.item.Alert.Severity.Rank(), b.item.Alert.Severity.Rank())
	})
	it := top.item
	a := &it.Alert
	a.Areas = nil
	for _, p := range ps {
		a.Areas = append(a.Areas, p.item.Alert.Areas...)
		a.Expires = later(a.Expires, p.item.Alert.Expires)
		a.Ends = later(a.Ends, p.item.Alert.Ends)
	}
	a.Geometry = alert.GeometryOf(a.Areas)
	return it
}

// later returns the later of two optional times (nil when both are).
func later(a, b *time.Time) *time.Time {
	if a == nil || (b != nil && b.After(*a)) {
		return b
	}
	return a
}
