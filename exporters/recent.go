package exporters

import (
	"hash/maphash"
	"slices"
	"sync"
)

// recentSize bounds what a runner with acks remembers of the changes it
// finished: a few seconds of deliveries at a thousand a second, the acks a
// nats-server killed at once may not have saved.
const recentSize = 4096

// recentAcks bounds the acks remembered to be sent again after a reconnect
// (Runner.reack): more than the 94 to 199 a killed nats-server lost in
// TestFaultExternalNATS, at about a hundred bytes each.
const recentAcks = 1024

// recent remembers the last changes a runner with acks finished, by stream
// sequence and id. An external nats-server killed before it saved its
// consumer's state delivers the changes acknowledged since as new ones
// (TestFaultExternalNATS saw 94 to 199 of 316 sent twice); a change this
// runner finished comes back under the same sequence and id, and is acked
// again without a second delivery. A sequence alone would not do: a stream
// made again numbers its changes from 1.
type recent struct {
	mu   sync.Mutex
	ids  map[uint64]uint64 // stream sequence → hash of the change's id
	ring []uint64          // the sequences, in the order finished
	next int
	// acks are the ack subjects of the last recentAcks changes finished.
	acks     []string
	nextAcks int
}

var recentSeed = maphash.MakeSeed()

func newRecent() *recent { return &recent{ids: map[uint64]uint64{}} }

// add records that the change seq, id was finished, acknowledged on the
// subject ack.
func (r *recent) add(seq uint64, id, ack string) {
	h := maphash.String(recentSeed, id)
	r.mu.Lock()
	defer r.mu.Unlock()
	if ack != "" {
		if len(r.acks) < recentAcks {
			r.acks = append(r.acks, ack)
		} else {
			r.acks[r.nextAcks] = ack
			r.nextAcks = (r.nextAcks + 1) % recentAcks
		}
	}
	if _, ok := r.ids[seq]; ok {
		r.ids[seq] = h
		return
	}
	if len(r.ring) < recentSize {
		r.ring = append(r.ring, seq)
	} else {
		delete(r.ids, r.ring[r.next])
		r.ring[r.next] = seq
		r.next = (r.next + 1) % recentSize
	}
	r.ids[seq] = h
}

// has reports whether the change seq, id was finished lately.
func (r *recent) has(seq uint64, id string) bool {
	r.mu.Lock()
	h, ok := r.ids[seq]
	r.mu.Unlock()
	return ok && h == maphash.String(recentSeed, id)
}

// ackSubjects returns the ack subjects remembered, oldest first.
func (r *recent) ackSubjects() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append(slices.Clone(r.acks[r.nextAcks:]), r.acks[:r.nextAcks]...)
}
