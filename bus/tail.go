package bus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Writes lost with the machine. JetStream acknowledges a message once it is
// written to its store file, not once the file is on the disk: the embedded
// server syncs its files every DefaultSyncInterval (nats-server's own
// default is two minutes; an external server syncs as its config says). A
// power loss, or a crash of the machine (not of the process), can lose the
// last moments' writes, and not the same moments in every file. The state
// bucket can keep the record of a change the alert stream lost: the
// lifecycle would take it as published, and partners would never get it
// (lifecycle.Engine.Restore publishes it again), or lose the record of a
// change the stream kept (lifecycle.Engine.Adopt). The exporters' bucket
// can keep a position past the stream's new end: the exporter would skip the
// next changes, which take the lost ones' sequences again
// (Checkpoints.Clamp).

// Tail is the alert stream's end as the daemon found it when it started,
// before anything published: what a record or a saved position may point at.
type Tail struct {
	// First and Last are the stream's first and last sequences: the next
	// message takes Last+1.
	First, Last uint64
	// End is the last sequence whose message is still there: Last, unless
	// the messages at the end are gone (lost while the stream's saved state
	// survived, which then counts them as deleted).
	End uint64
	// Msgs is how many messages the stream holds.
	Msgs uint64
	// MaxAge is the stream's age limit (0: none).
	MaxAge time.Duration
}

// maxGaps bounds the deleted sequences ReadTail asks the server to list;
// past this many the end is taken as the stream's last sequence.
const maxGaps = 1 << 20

// Lost reports whether the change at seq should be on the stream and is
// not: past the messages still there. A change aged out of the stream's
// head is not lost, nor one deleted inside it (by an operator's `nats
// stream rmm`: the stream deletes nothing inside itself).
func (t Tail) Lost(seq uint64) bool { return seq > t.End }

// ReadTail reads the alert stream's end.
func (b *Bus) ReadTail(ctx context.Context) (Tail, error) {
	s, err := b.js.Stream(ctx, StreamAlerts)
	if err != nil {
		return Tail{}, fmt.Errorf("read the alert stream's end: %w", err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return Tail{}, fmt.Errorf("read the alert stream's end: %w", err)
	}
	t := Tail{First: info.State.FirstSeq, Last: info.State.LastSeq, End: info.State.LastSeq, Msgs: info.State.Msgs, MaxAge: info.Config.MaxAge}
	if n := info.State.NumDeleted; n > 0 && n <= maxGaps {
		if info, err = s.Info(ctx, jetstream.WithDeletedDetails(true)); err != nil {
			return Tail{}, fmt.Errorf("read the alert stream's deleted messages: %w", err)
		}
		deleted := make(map[uint64]bool, len(info.State.Deleted))
		for _, seq := range info.State.Deleted {
			deleted[seq] = true
		}
		for t.End >= t.First && t.End > 0 && deleted[t.End] {
			t.End--
		}
	}
	return t, nil
}

// Clamp moves every saved position past last back to last, and returns
// the exporters whose position moved, with the position each had. Call it
// before any exporter starts, with the stream's end read before anything
// published (ReadTail).
func (c *Checkpoints) Clamp(ctx context.Context, last uint64) (map[string]uint64, error) {
	keys, err := c.kv.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("list the exporters' positions: %w", err)
	}
	defer func() { _ = keys.Stop() }()
	var names []string
	for name := range keys.Keys() {
		names = append(names, name)
	}
	moved := map[string]uint64{}
	for _, name := range names {
		floor, ok, err := c.Floor(ctx, name)
		if err != nil {
			return nil, err
		}
		if !ok || floor <= last {
			continue
		}
		if err := c.SetFloor(ctx, name, last); err != nil {
			return nil, err
		}
		moved[name] = floor
	}
	return moved, nil
}

// EachFrom calls fn with every message on the alert stream from sequence
// from to its end, in order: its sequence, its id (the Nats-Msg-Id header:
// the alert's id), when it was stored, and its body, which fn must copy to
// keep. The bodies are
// not decoded: reading a stream's last tens of thousands of messages at
// start costs their transfer only. Call it while nothing publishes.
func (b *Bus) EachFrom(ctx context.Context, from uint64, fn func(seq uint64, id string, at time.Time, body []byte) error) error {
	s, err := b.js.Stream(ctx, StreamAlerts)
	if err != nil {
		return fmt.Errorf("read the alert stream: %w", err)
	}
	// A consumer of its own, not an ordered one: its pending count says
	// where the stream ends, which its last sequence does not when the
	// messages before it are gone (Tail).
	cons, err := s.CreateConsumer(ctx, jetstream.ConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: max(from, 1),
		AckPolicy: jetstream.AckNonePolicy, MemoryStorage: true, InactiveThreshold: time.Minute,
	})
	if err != nil {
		return fmt.Errorf("read the alert stream from %d: %w", from, err)
	}
	defer func() { _ = s.DeleteConsumer(context.WithoutCancel(ctx), cons.CachedInfo().Name) }()
	if cons.CachedInfo().NumPending == 0 {
		return nil
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(1024))
	if err != nil {
		return fmt.Errorf("read the alert stream from %d: %w", from, err)
	}
	defer it.Stop()
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	for {
		m, err := it.Next()
		if err != nil {
			return fmt.Errorf("read the alert stream from %d: %w", from, errors.Join(ctx.Err(), err))
		}
		meta, err := m.Metadata()
		if err != nil {
			return fmt.Errorf("read the alert stream: %w", err)
		}
		if err := fn(meta.Sequence.Stream, m.Headers().Get(jetstream.MsgIDHeader), meta.Timestamp, m.Data()); err != nil {
			return err
		}
		if meta.NumPending == 0 {
			return nil
		}
	}
}

// LastSeq returns the alert stream's last sequence.
func (b *Bus) LastSeq(ctx context.Context) (uint64, error) {
	s, err := b.js.Stream(ctx, StreamAlerts)
	if err != nil {
		return 0, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 0, err
	}
	return info.State.LastSeq, nil
}
