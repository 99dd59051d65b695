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
	futures := make([]jetstream.PubAckFuture, len(cs))
	for i, c := range cs {
		f, err := b.js.PublishMsgAsync(c.message()) // the message names its stream
		if err != nil {
			errs[i] = fmt.Errorf("publish %s: %w", c.Alert.ID, err)
			continue
		}
		futures[i] = f
	}
	for i, f := range futures {
		if f == nil {
			continue
		}
		ack, err := await(ctx, f)
		if err != nil {
			errs[i] = fmt.Errorf("publish %s: %w", cs[i].Alert.ID, err)
			continue
		}
		stored[i] = Stored{Seq: ack.Sequence, Duplicate: ack.Duplicate}
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
	futures := make([]jetstream.PubAckFuture, len(entries))
	for i, e := range entries {
		// A KV put is a publish on the bucket's subject for the key.
		f, err := s.js.PublishMsgAsync(&nats.Msg{
			Subject: "$KV." + BucketState + "." + stateKey(e.Source, e.Key),
			Header:  nats.Header{jetstream.ExpectedStreamHeader: stateStream},
			Data:    e.Value,
		})
		if err != nil {
			errs[i] = fmt.Errorf("store state %q: %w", e.Key, err)
			continue
		}
		futures[i] = f
	}
	for i, f := range futures {
		if f == nil {
			continue
		}
		if _, err := await(ctx, f); err != nil {
			errs[i] = fmt.Errorf("store state %q: %w", entries[i].Key, err)
		}
	}
	return errs
}

// stateStream is the expected-stream header of every state write. It is
// shared: nats.go only reads a message's header when it sends it.
var stateStream = []string{"KV_" + BucketState}

// await waits for one asynchronous publish's acknowledgement. The JetStream
// context's async timeout bounds the wait when ctx has no deadline.
func await(ctx context.Context, f jetstream.PubAckFuture) (*jetstream.PubAck, error) {
	select {
	case ack := <-f.Ok():
		return ack, nil
	case err := <-f.Err():
		return nil, err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Get reads the record of one alert key.
func (s *StateStore) Get(ctx context.Context, source, key string) ([]byte, error) {
	e, err := s.kv.Get(ctx, stateKey(source, key))
	if err != nil {
		return nil, fmt.Errorf("read state %q: %w", key, err)
	}
	return e.Value(), nil
}
