package bus

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Stored is where the bus stored a published change.
type Stored struct {
	Seq uint64
	// Duplicate: the id was already on the stream (published before a
	// crash), and Seq is where. The message there may hold other content
	// than the one just published: see the lifecycle's flush.
	Duplicate bool
}

// PublishAll publishes changes of different keys at once and waits for
// every acknowledgement: one round trip for a poll's changes rather than one
// per change. It returns where each change was stored, or its error. A
// change published again keeps its first sequence: the bus drops the repeat
// by its id.
func (b *Bus) PublishAll(ctx context.Context, cs []Encoded) ([]Stored, []error) {
	stored, errs := make([]Stored, len(cs)), make([]error, len(cs))
	if !b.nc.IsConnected() {
		for i, c := range cs {
			errs[i] = fmt.Errorf("publish %s: %w", c.Alert.ID, ErrNotConnected)
		}
		return stored, errs
	}
	res := b.acks.publish(ctx, len(cs), func(i int) *nats.Msg { return cs[i].message() })
	for i, r := range res {
		if r.Err != nil {
			errs[i] = fmt.Errorf("publish %s: %w", cs[i].Alert.ID, r.Err)
			continue
		}
		stored[i] = Stored{Seq: r.Seq, Duplicate: r.Duplicate}
	}
	return stored, errs
}

// StateEntry is one key's record for PutAll.
type StateEntry struct {
	Source, Key string
	Value       []byte
}

// PutAll stores the records of different keys at once and waits for every
// acknowledgement; it returns each one's error.
func (s *StateStore) PutAll(ctx context.Context, entries []StateEntry) []error {
	errs := make([]error, len(entries))
	if !s.nc.IsConnected() {
		for i, e := range entries {
			errs[i] = fmt.Errorf("store state %q: %w", e.Key, ErrNotConnected)
		}
		return errs
	}
	// A KV put is a publish on the bucket's subject for the key. One
	// message serves them all: each is sent before the next is set.
	m := nats.Msg{Header: nats.Header{jetstream.ExpectedStreamHeader: stateStream}}
	res := s.acks.publish(ctx, len(entries), func(i int) *nats.Msg {
		m.Subject = "$KV." + BucketState + "." + stateKey(entries[i].Source, entries[i].Key)
		m.Data = entries[i].Value
		return &m
	})
	for i, r := range res {
		if r.Err != nil {
			errs[i] = fmt.Errorf("store state %q: %w", entries[i].Key, r.Err)
		}
	}
	return errs
}

// stateStream is the expected-stream header of every state write. It is
// shared: nats.go only reads a message's header when it sends it.
var stateStream = []string{"KV_" + BucketState}

// Get reads the record of one alert key.
func (s *StateStore) Get(ctx context.Context, source, key string) ([]byte, error) {
	e, err := s.kv.Get(ctx, stateKey(source, key))
	if err != nil {
		return nil, fmt.Errorf("read state %q: %w", key, err)
	}
	return e.Value(), nil
}
