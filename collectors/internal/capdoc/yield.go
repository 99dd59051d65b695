package capdoc

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
)

// Yield is what one CAP document gives: its items, and the count of its
// info blocks read and dropped.
type Yield struct {
	Items []collectors.Item
	// Fetched counts the info blocks read (a message without any, or a
	// document that could not be read, counts as one).
	Fetched int
	// Dropped counts the blocks left out, by bounded reason.
	Dropped map[string]int
	// Problems says why each block counted as invalid was dropped (for
	// tests and debugging; the reasons stay bounded in Dropped).
	Problems []error
	// Unreadable are the keys of the invalid blocks of alerts in force
	// whose key could be told (collectors.Result.Unreadable).
	Unreadable []string
	// Message is the MessageID of the message, "" when its header could not
	// be read; Header is that header.
	Message string
	Header  *Header
}

// Drop counts one block dropped for reason; err, if any, says why.
func (y *Yield) Drop(reason string, err error) {
	if y.Dropped == nil {
		y.Dropped = map[string]int{}
	}
	y.Dropped[reason]++
	if err != nil {
		y.Problems = append(y.Problems, err)
	}
}

// Invalid is the yield of a document that could not be read: one block,
// dropped as invalid because of err.
func Invalid(err error) *Yield {
	y := &Yield{Fetched: 1}
	y.Drop(collectors.DropInvalid, err)
	return y
}

// InvalidKeeping is the yield of a message that no longer reads, whose last
// good version gave older (nil if none): invalid, naming as unreadable the
// keys older had in force, which the feed still serves, so that the
// lifecycle holds them rather than ends them.
func InvalidKeeping(err error, older *Yield) *Yield {
	y := Invalid(err)
	if older == nil {
		return y
	}
	y.Unreadable = append(y.Unreadable, older.Unreadable...)
	for _, it := range older.Items {
		if it.Intent == collectors.IntentActive {
			y.Unreadable = append(y.Unreadable, it.Alert.Key)
		}
	}
	return y
}

// Block is an info block that a kind mapped to an item.
type Block struct {
	Index int // of the block in its message
	Item  collectors.Item
}

// Rules are what a kind makes of the info blocks of a message. C is what
// its classification tells its item builder (a hazard, an awareness type).
type Rules[C any] struct {
	// Story names the story of each message.
	Story StoryBy
	// Classify returns what the kind makes of a block, or false when the
	// kind does not map it (not flood or heat, or no warning).
	Classify func(in *Info) (C, bool)
	// Item builds the item of block i, which Classify took as c.
	Item func(h *Header, i int, in *Info, c C) (collectors.Item, error)
	// Source is the collector's name, to name the key of a block Item
	// cannot read (Yield.Unreadable): its alert is still served.
	Source string
}

// Map maps the info blocks of a by r. Ack and Error messages are not
// alerts: they yield nothing and count nowhere. A message without an info
// block counts as one unmapped block: its hazard cannot be told. Each other
// block counts as fetched, and is dropped as unmapped when r does not
// classify it, as invalid when the message's header or the block's item
// cannot be read. Map returns those counts in y, without items, and the
// mapped blocks in message order: the kind makes them items.
func Map[C any](a *Alert, r Rules[C]) (y *Yield, blocks []Block) {
	y = &Yield{}
	msgType := strings.ToLower(strings.TrimSpace(a.MsgType))
	if msgType == "ack" || msgType == "error" {
		return y, nil
	}
	h, herr := ReadHeader(a, r.Story)
	if herr == nil {
		y.Message, y.Header = h.ID(), h
	}
	if len(a.Infos) == 0 {
		y.Fetched = 1
		y.Drop(collectors.DropUnmapped, nil)
		return y, nil
	}
	for i := range a.Infos {
		in := &a.Infos[i]
		y.Fetched++
		c, ok := r.Classify(in)
		if !ok {
			y.Drop(collectors.DropUnmapped, nil)
			continue
		}
		if herr != nil {
			y.Drop(collectors.DropInvalid, herr)
			continue
		}
		it, err := r.Item(h, i, in, c)
		if err != nil {
			y.Drop(collectors.DropInvalid, fmt.Errorf("info %d (%s): %w", i, strings.TrimSpace(in.Event), err))
			if r.Source != "" && h.intent(in) == collectors.IntentActive { // an unread cancel keeps nothing alive
				y.Unreadable = append(y.Unreadable, h.Key(r.Source, in))
			}
			continue
		}
		blocks = append(blocks, Block{Index: i, Item: it})
	}
	return y, blocks
}

// Snapshot gathers the yields of documents into one snapshot Result,
// keeping at most one item per key: the one sent last (on a tie: a cancel,
// then the more severe). Items of one key in force that different messages
// sent at one instant are the segments of one product (NWS sends one message
// per group of zones, each referencing the same earlier ones): they merge
// (mergeSegments), so the alert covers every segment's areas.
type Snapshot struct {
	Result collectors.Result
	byKey  map[string]int
	// segments are the items of a key's merged item, by message.
	segments map[string][]segment
	// clone copies the items added, for yields that a cache keeps: nothing
	// the caller does to a Result then reaches the cache.
	clone bool
}

// NewSnapshot returns an empty Snapshot; clone copies every item added.
func NewSnapshot(clone bool) *Snapshot {
	return &Snapshot{Result: collectors.Result{Snapshot: true}, byKey: map[string]int{}, segments: map[string][]segment{}, clone: clone}
}

// segment is the item one message gave a key.
type segment struct {
	message string
	item    collectors.Item
}

// Add adds the counts and items of y.
func (s *Snapshot) Add(y *Yield) {
	s.Result.Fetched += y.Fetched
	s.Result.Unreadable = append(s.Result.Unreadable, y.Unreadable...)
	for reason, n := range y.Dropped {
		for range n {
			s.Result.Drop(reason)
		}
	}
	for _, it := range y.Items {
		if s.clone {
			it.Alert = it.Alert.Clone()
		}
		key := it.Alert.Key
		i, ok := s.byKey[key]
		switch {
		case !ok:
			s.byKey[key] = len(s.Result.Items)
			s.Result.Items = append(s.Result.Items, it)
			s.segments[key] = []segment{{y.Message, it}}
		case s.segmentOf(key, y.Message, it):
			s.segments[key] = append(s.segments[key], segment{y.Message, it})
			s.Result.Items[i] = mergeSegments(s.segments[key])
		case Supersedes(it, s.Result.Items[i]):
			s.Result.Items[i] = it
			s.segments[key] = []segment{{y.Message, it}}
		}
	}
}

// segmentOf reports whether it, which message gave, is one more segment of
// the item of key: both in force, sent at one instant, by messages that
// differ.
func (s *Snapshot) segmentOf(key, message string, it collectors.Item) bool {
	segs := s.segments[key]
	if message == "" || len(segs) == 0 || it.Intent != collectors.IntentActive ||
		segs[0].item.Intent != collectors.IntentActive || !it.Alert.Sent.Equal(segs[0].item.Alert.Sent) {
		return false
	}
	return !slices.ContainsFunc(segs, func(g segment) bool { return g.message == message })
}

// mergeSegments makes one item of the segments of one product, as the nws
// kind does: the content of the most severe segment (on a tie, the first
// message by id), the areas of every segment in the order of their
// messages' ids, so the order of the index does not matter, and the latest
// expiry and end of any. The items merged are not changed.
func mergeSegments(segs []segment) collectors.Item {
	slices.SortStableFunc(segs, func(a, b segment) int { return strings.Compare(a.message, b.message) })
	top := segs[0]
	for _, g := range segs[1:] {
		if g.item.Alert.Severity.Rank() > top.item.Alert.Severity.Rank() {
			top = g
		}
	}
	it := top.item
	a := &it.Alert
	a.Areas = nil
	for _, g := range segs {
		ga := &g.item.Alert
		a.Areas = append(a.Areas, ga.Areas...)
		a.Expires = alert.Later(a.Expires, ga.Expires)
		a.Ends = alert.Later(a.Ends, ga.Ends)
	}
	a.Geometry = alert.GeometryOf(a.Areas)
	return it
}

// Put adds item it, as Add adds the items of a yield, without counting it:
// it is the newer word on its key only when it supersedes the one there.
func (s *Snapshot) Put(it collectors.Item) {
	s.Add(&Yield{Items: []collectors.Item{it}})
}

// Item returns the item of key, and whether there is one.
func (s *Snapshot) Item(key string) (collectors.Item, bool) {
	i, ok := s.byKey[key]
	if !ok {
		return collectors.Item{}, false
	}
	return s.Result.Items[i], true
}

// Remove takes the item of key out of the snapshot.
func (s *Snapshot) Remove(key string) {
	i, ok := s.byKey[key]
	if !ok {
		return
	}
	s.Result.Items = append(s.Result.Items[:i], s.Result.Items[i+1:]...)
	delete(s.byKey, key)
	delete(s.segments, key)
	for k, j := range s.byKey {
		if j > i {
			s.byKey[k] = j - 1
		}
	}
}

// Supersedes reports whether a is the newer word on its key than b: sent
// later, or at the same instant a cancel, or else more severe.
func Supersedes(a, b collectors.Item) bool {
	if c := a.Alert.Sent.Compare(b.Alert.Sent); c != 0 {
		return c > 0
	}
	if (a.Intent == collectors.IntentCancel) != (b.Intent == collectors.IntentCancel) {
		return a.Intent == collectors.IntentCancel
	}
	return a.Alert.Severity.Rank() > b.Alert.Severity.Rank()
}
