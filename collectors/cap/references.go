package cap

import (
	"slices"
	"time"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/capdoc"
)

// maxRemembered bounds the messages remembered once their document has left
// the index (or the URL): the ones sent last are kept.
const maxRemembered = 1000

// memory remembers the messages read, by capdoc.MessageID, so that an Update
// or Cancel can end every message it references, also one read under an
// index entry that has since gone. Runs are serialized by the collector.
type memory struct {
	byID map[string]*capdoc.Yield
}

// remember adds the messages of current, then forgets the oldest of the
// others beyond maxRemembered.
func (m *memory) remember(current []*capdoc.Yield) {
	if m.byID == nil {
		m.byID = map[string]*capdoc.Yield{}
	}
	now := map[string]bool{}
	for _, y := range current {
		if y.Message != "" {
			m.byID[y.Message] = y
			now[y.Message] = true
		}
	}
	var old []*capdoc.Yield
	for id, y := range m.byID {
		if !now[id] {
			old = append(old, y)
		}
	}
	if len(old) <= maxRemembered {
		return
	}
	slices.SortFunc(old, func(a, b *capdoc.Yield) int { return a.Header.Sent.Compare(b.Header.Sent) })
	for _, y := range old[:len(old)-maxRemembered] {
		delete(m.byID, y.Message)
	}
}

// endReferenced applies to s what each message of current says of the
// messages it references (FORMATS.md §1.3) whose alerts are under other keys
// than its own (another story, or a language it no longer carries). A key
// is ended only when every latest message remembered on it, up to the
// referencing message's sent, is one it references. A Cancel, or an Update
// whose every item is an AllClear, makes that key a cancel (the alert as
// last read); another Update replaces it, so its alert is taken out of s and
// ends as any alert that leaves the feed.
func (m *memory) endReferenced(current []*capdoc.Yield, s *capdoc.Snapshot) {
	for _, y := range current {
		h := y.Header
		if h == nil || len(h.References) == 0 {
			continue
		}
		own := map[string]bool{}
		allClear := len(y.Items) > 0
		for _, it := range y.Items {
			own[it.Alert.Key] = true
			allClear = allClear && it.Intent == collectors.IntentCancel
		}
		refs := map[string]bool{}
		for _, r := range h.References {
			refs[r] = true
		}
		for _, id := range h.References {
			r := m.byID[id]
			if r == nil || r == y {
				continue
			}
			for _, it := range r.Items {
				key := it.Alert.Key
				if own[key] {
					continue
				}
				own[key] = true // once per key
				if last := m.referencedLast(key, h.Sent, refs); last != nil {
					m.end(s, last, key, h.Sent, h.Cancel || allClear)
				}
			}
		}
	}
}

// referencedLast returns the messages remembered last on key, sent at or
// before until, when every one of them is in refs, else nil.
func (m *memory) referencedLast(key string, until time.Time, refs map[string]bool) []*capdoc.Yield {
	var last time.Time
	var ids []string
	for id, y := range m.byID {
		sent := y.Header.Sent
		if sent.After(until) || sent.Before(last) || !slices.ContainsFunc(y.Items, func(it collectors.Item) bool { return it.Alert.Key == key }) {
			continue
		}
		if sent.After(last) {
			last, ids = sent, ids[:0]
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var latest []*capdoc.Yield
	for _, id := range ids {
		if !refs[id] {
			return nil
		}
		latest = append(latest, m.byID[id])
	}
	return latest
}

// end ends key, whose latest messages are last, for a message sent at sent
// that references them: with a cancel when cancel is set, else by taking its
// alert out of s. A message on key sent after sent decides instead. The
// cancel is the alert as the latest message gave it, at that message's sent
// time, so that it supersedes the key's item in s (that message's, or an
// earlier one's) rather than lose to it as an older word: a Cancel that
// references a story's first message before its Update ended nothing while
// the Update was served.
func (m *memory) end(s *capdoc.Snapshot, last []*capdoc.Yield, key string, sent time.Time, cancel bool) {
	if cur, ok := s.Item(key); ok && cur.Alert.Sent.After(sent) {
		return
	}
	if !cancel {
		s.Remove(key)
		return
	}
	for _, y := range last {
		for _, it := range y.Items {
			if it.Alert.Key == key {
				it.Alert = it.Alert.Clone()
				it.Intent = collectors.IntentCancel
				s.Put(it)
				return
			}
		}
	}
}
