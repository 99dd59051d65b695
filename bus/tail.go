package bus

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// Writes lost with the machine. JetStream acknowledges a message once it is
// written to its store file, not once the file is on the disk: nats-server
// syncs its files every two minutes (sync_interval). A power loss, or a
// crash of the machine (not of the process), can lose the last moments'
// writes, and not the same moments in every file. The state bucket can keep
// the record of a change the alert stream lost: the lifecycle would take it
// as published, and partners would never get it (lifecycle.Engine.Restore
// publishes it again). The exporters' bucket can keep a position past the
// stream's new end: the exporter would skip the next changes, which take the
// lost ones' sequences again (Checkpoints.Clamp).

// Tail is the alert stream's end as the daemon found it when it started,
// before anything published: what a record or a saved position may point at.
type Tail struct {
	// First and Last are the stream's first and last sequences.
	First, Last uint64
	// gaps are the sequences missing inside the stream.
	gaps map[uint64]struct{}
}

// maxGaps bounds the missing sequences ReadTail asks the server to list.
// The alert stream deletes nothing inside it (its limits remove from its
// head), so a gap is a lost write or an operator's `nats stream rmm`; past
// this many only the end is checked.
const maxGaps = 1 << 20

// Lost reports whether the change at seq should be on the stream and is not:
// past its end, or missing inside it. A change aged out of its head is not
// lost.
func (t Tail) Lost(seq uint64) bool {
	if seq > t.Last {
		return true
	}
	_, gap := t.gaps[seq]
	return gap
}

// ReadTail reads the alert stream's end and the sequences missing inside it.
func (b *Bus) ReadTail(ctx context.Context) (Tail, error) {
	s, err := b.js.Stream(ctx, StreamAlerts)
	if err != nil {
		return Tail{}, fmt.Errorf("read the alert stream's end: %w", err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return Tail{}, fmt.Errorf("read the alert stream's end: %w", err)
	}
	t := Tail{First: info.State.FirstSeq, Last: info.State.LastSeq}
	if n := info.State.NumDeleted; n > 0 && n <= maxGaps {
		if info, err = s.Info(ctx, jetstream.WithDeletedDetails(true)); err != nil {
			return Tail{}, fmt.Errorf("read the alert stream's gaps: %w", err)
		}
		t.gaps = make(map[uint64]struct{}, len(info.State.Deleted))
		for _, seq := range info.State.Deleted {
			t.gaps[seq] = struct{}{}
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
