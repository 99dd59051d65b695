package nws

import (
	"cmp"
	"slices"
	"strings"

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
	// items holds every item added, in order; parts refer to them.
	items []collectors.Item
	// parts holds, per key in the order first seen, the items of that key
	// and sent that make it.
	parts [][]part
	// one backs the parts lists of a single item, the common case, so that
	// they cost one allocation in all (single).
	one []part
}

// part is one feature's item of an event.
type part struct {
	item  int    // its index in items
	index int    // position of the feature in the collection
	id    string // its properties.id
}

// newBuilder returns a builder for a collection of features features, sized
// for one item each, the common case.
func newBuilder(features int) *builder {
	return &builder{res: collectors.Result{Snapshot: true, Fetched: features},
		byKey: make(map[string]int, features), items: make([]collectors.Item, 0, features),
		parts: make([][]part, 0, features), one: make([]part, 0, features)}
}

// add takes the item of the feature at index with properties.id id.
func (b *builder) add(it collectors.Item, index int, id string) {
	b.items = append(b.items, it)
	p := part{item: len(b.items) - 1, index: index, id: id}
	i, ok := b.byKey[it.Alert.Key]
	if !ok {
		b.byKey[it.Alert.Key] = len(b.parts)
		b.parts = append(b.parts, b.single(p))
		return
	}
	cur := &b.items[b.parts[i][0].item]
	if c := it.Alert.Sent.Compare(cur.Alert.Sent); c != 0 {
		if c > 0 {
			b.parts[i] = b.single(p)
		}
		return
	}
	// One instant, several segments: a segment that keeps the event in force
	// outranks one that ends it elsewhere (a cancel for some zones only).
	switch r, rc := intentRank(it.Intent), intentRank(cur.Intent); {
	case r > rc:
		b.parts[i] = b.single(p)
	case r == rc && !slices.ContainsFunc(b.parts[i], func(q part) bool { return q.index == index }):
		b.parts[i] = append(b.parts[i], p)
	}
}

// single returns the parts list of p alone, from b.one while it lasts. Its
// capacity is its length, so that an append to it does not write into the
// next.
func (b *builder) single(p part) []part {
	if len(b.one) == cap(b.one) {
		return []part{p}
	}
	b.one = append(b.one, p)
	n := len(b.one)
	return b.one[n-1 : n : n]
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
	if len(b.items) == len(b.parts) {
		// Every item made a key of its own, in order: items is the
		// result as it is.
		if len(b.items) > 0 {
			b.res.Items = slices.Clip(b.items)
		}
		return b.res
	}
	b.res.Items = make([]collectors.Item, 0, len(b.parts))
	for _, ps := range b.parts {
		b.res.Items = append(b.res.Items, b.merge(ps))
	}
	return b.res
}

// merge makes one item of the segments of one event. The content is that of
// the most severe segment (on a tie, the lowest id); the areas are every
// segment's, ordered by id so that the order of the feed does not matter; the
// alert lasts until the latest expiry and end of any segment.
func (b *builder) merge(ps []part) collectors.Item {
	if len(ps) == 1 {
		return b.items[ps[0].item]
	}
	slices.SortFunc(ps, func(x, y part) int {
		return cmp.Or(strings.Compare(x.id, y.id), cmp.Compare(x.index, y.index))
	})
	top := slices.MaxFunc(ps, func(x, y part) int {
		return cmp.Compare(b.items[x.item].Alert.Severity.Rank(), b.items[y.item].Alert.Severity.Rank())
	})
	it := b.items[top.item]
	a := &it.Alert
	a.Areas = nil
	for _, p := range ps {
		pa := &b.items[p.item].Alert
		a.Areas = append(a.Areas, pa.Areas...)
		a.Expires = alert.Later(a.Expires, pa.Expires)
		a.Ends = alert.Later(a.Ends, pa.Ends)
	}
	a.Geometry = alert.GeometryOf(a.Areas)
	return it
}
