// Package lifecycle turns what collectors see into lifecycle changes: new,
// update, cancel and expire. The decisions are pure functions over a key's
// stored record; the Engine around them loads and stores records and
// publishes changes.
package lifecycle

import (
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
)

// Record is what the lifecycle remembers of one key between polls and
// restarts (stored in the KV bucket hazardwire_state).
type Record struct {
	Key    string `json:"key"`
	Source string `json:"source"`
	// Version is the version of the last published change.
	Version int `json:"version"`
	// Episode is the version that opened the current story of the key (the
	// last `new`, or a cancel of a never-seen key): later changes reference
	// the versions from Episode on.
	Episode int  `json:"episode"`
	Active  bool `json:"active"`
	// Hash is the content hash of the last published content.
	Hash string `json:"hash"`
	// Sent is the source's sent time of the last published content: an item
	// sent earlier is an older message still served, never a change.
	Sent time.Time `json:"sent"`
	// End is when the alert stops being in force (zero: unknown).
	End time.Time `json:"end,omitzero"`
	// Missing counts successful snapshot polls in a row that lacked the key.
	Missing int `json:"missing,omitempty"`
	// Alert is the last published alert, used to announce an expiry.
	Alert alert.Alert `json:"alert,omitzero"`
	// Seqs are the stream sequences of the published versions, oldest first
	// (the API's history of the key); the last few hundred are kept.
	Seqs []uint64 `json:"seqs,omitempty"`
	// Published is when the last change was published (Unix seconds; 0 in
	// records older than the field): whether the stream should still hold
	// it, by its age limit (Engine.Restore).
	Published int64 `json:"published,omitempty"`
}

// maxSeqs bounds the history kept per key.
const maxSeqs = 256

// Decision is what to do for one key.
type Decision struct {
	// Publish is the change to publish, or nil.
	Publish *alert.Alert
	// Record is the key's record after the decision, or nil when it is unchanged.
	Record *Record
	// Why names the rule that decided, for logs and tests.
	Why string
}

// Decide compares one item with the key's record (nil when never seen).
func Decide(prev *Record, it collectors.Item, now time.Time) Decision {
	a := it.Alert
	switch it.Intent {
	case collectors.IntentCancel, collectors.IntentExpire:
		change := alert.ChangeCancel
		if it.Intent == collectors.IntentExpire {
			change = alert.ChangeExpire
		}
		switch {
		case prev == nil && change == alert.ChangeExpire:
			return Decision{Why: "expire of a key never seen"}
		case prev == nil:
			// Partners may hold the original from before a restart on an empty store.
			return publish(nil, change, a, "", "cancel of a key never seen")
		case !prev.Active:
			return Decision{Why: "already ended"}
		}
		return publish(prev, change, a, "", "agency ended it")
	}

	end := a.End()
	over := !end.IsZero() && !end.After(now)
	if prev == nil {
		if over {
			return Decision{Why: "first seen after its end"}
		}
		return publish(nil, alert.ChangeNew, a, "", "first sight")
	}
	if a.Sent.Before(prev.Sent) {
		if prev.Active && prev.Missing > 0 { // served all the same: a row of misses is broken
			r := *prev
			r.Missing = 0
			return Decision{Record: &r, Why: "back in the feed, an older message"}
		}
		return Decision{Why: "older message than the one published"}
	}
	hash := contentHash(&a, prev)
	if !prev.Active {
		if hash == prev.Hash || over {
			return Decision{Why: "ended, still served"}
		}
		return publish(prev, alert.ChangeNew, a, hash, "re-issued after it ended")
	}
	switch {
	case over:
		return publish(prev, alert.ChangeExpire, a, hash, "end passed")
	case hash != prev.Hash:
		return publish(prev, alert.ChangeUpdate, a, hash, "material change")
	case prev.Missing > 0:
		r := *prev
		r.Missing = 0
		return Decision{Record: &r, Why: "back in the feed"}
	}
	return Decision{Why: "unchanged"}
}

// contentHash is the content hash of a, compared with prev's: an effective
// time equal to the sent time of prev's content is the effective time prev
// said too (effective defaults to sent, and one equal to sent is not hashed),
// so content restated at a later sent with that effective time (a KMA issue
// restated as of a withdrawn change) hashes as prev's did: sent alone is not
// a change.
func contentHash(a *alert.Alert, prev *Record) string {
	hash := a.ContentHash()
	if hash == prev.Hash || a.Effective == nil || !a.Effective.Equal(prev.Sent) || a.Sent.Equal(prev.Sent) {
		return hash
	}
	b := *a
	b.Sent = prev.Sent
	if h := b.ContentHash(); h == prev.Hash {
		return h
	}
	return hash
}

// Vanished decides for an active key that a successful snapshot poll of its
// source lacked: it expires once it has been missing for grace polls.
func Vanished(prev Record, grace int, now time.Time) Decision {
	if !prev.Active {
		return Decision{Why: "already ended"}
	}
	if grace < 1 {
		grace = 1
	}
	prev.Missing++
	if prev.Missing >= grace {
		d := publish(&prev, alert.ChangeExpire, prev.Alert, "", "left the feed")
		d.Record.Missing = 0
		return d
	}
	return Decision{Record: &prev, Why: "missing from the feed"}
}

// Unreadable decides for an active key that a successful snapshot poll of
// its source still served, but that could not be read: its last good state
// stands, and a count of misses starts again, as when it is back in the feed.
func Unreadable(prev Record) Decision {
	if !prev.Active || prev.Missing == 0 {
		return Decision{Why: "served, unreadable"}
	}
	prev.Missing = 0
	return Decision{Record: &prev, Why: "back in the feed, unreadable"}
}

// Sweep expires an active key whose end has passed, whether or not its feed
// was polled.
func Sweep(prev Record, now time.Time) Decision {
	if !prev.Active || prev.End.IsZero() || prev.End.After(now) {
		return Decision{Why: "in force"}
	}
	return publish(&prev, alert.ChangeExpire, prev.Alert, "", "end passed")
}

// publish builds the change to publish after prev (nil: never seen) and the
// record that follows it. hash is content's hash when the caller has it
// already (empty: computed here): it is the lifecycle's second largest cost
// after encoding, and an update had it computed twice.
func publish(prev *Record, change alert.Change, content alert.Alert, hash, why string) Decision {
	if hash == "" {
		hash = content.ContentHash()
	}
	version, episode := 1, 1
	var refs []string
	if prev != nil {
		version = prev.Version + 1
		episode = prev.Episode
		if episode < 1 {
			episode = 1
		}
		if change == alert.ChangeNew {
			episode = version
		} else {
			for v := episode; v < version; v++ {
				refs = append(refs, alert.MakeID(prev.Key, v))
			}
		}
	}
	// A copy of the fields set below; maps and slices are shared with the
	// collected item, which nothing changes in place (alert.Alert). A deep
	// copy here was 7 µs an alert, the lifecycle's largest cost after encoding.
	out := content
	if prev != nil {
		out.Key = prev.Key
	}
	out.Version = version
	out.ID = alert.MakeID(out.Key, version)
	out.Change = change
	out.State = alert.StateAfter(change)
	out.References = refs
	if out.Geometry == nil {
		out.Geometry = alert.GeometryOf(out.Areas)
	}
	var seqs []uint64
	if prev != nil {
		seqs = prev.Seqs[max(0, len(prev.Seqs)-maxSeqs+1):]
		seqs = append([]uint64(nil), seqs...)
	}
	rec := &Record{
		Seqs:    seqs,
		Key:     out.Key,
		Source:  out.Source,
		Version: version,
		Episode: episode,
		Active:  out.State == alert.StateActive,
		Hash:    hash,
		Sent:    out.Sent,
		End:     out.End(),
		Alert:   out,
	}
	if prev != nil && change == alert.ChangeExpire && hash == prev.Hash {
		rec.Sent = prev.Sent
	}
	return Decision{Publish: &out, Record: rec, Why: why}
}
