package bus

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"
)

// Checkpoints keeps each exporter's position on the alert stream: the
// sequence up to which it has acknowledged every change (its ack floor).
//
// With the embedded server, exporters read through consumers whose state the
// server keeps in memory: a file consumer rewrites its state file up to ten
// times a second while it has work, which with many exporters was the
// largest cost the bus added to each delivery. A memory consumer forgets
// its position when the server stops, so the exporter saves it here, a small
// message a few times a second, and a new consumer starts after it. After a
// crash, what was acknowledged since the last save is delivered again,
// under the same ids.
type Checkpoints struct{ kv jetstream.KeyValue }

// Checkpoints returns the exporters' positions, or nil with an external
// server (its consumers outlive the daemon, and keep their state on disk).
func (b *Bus) Checkpoints() *Checkpoints {
	if b.ckv == nil {
		return nil
	}
	return &Checkpoints{kv: b.ckv}
}

// Floor returns exporter's saved position; ok is false when none is saved.
func (c *Checkpoints) Floor(ctx context.Context, exporter string) (seq uint64, ok bool, err error) {
	e, err := c.kv.Get(ctx, exporter)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("read position of exporter %q: %w", exporter, err)
	}
	seq, err = strconv.ParseUint(string(e.Value()), 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("position of exporter %q: %w", exporter, err)
	}
	return seq, true, nil
}

// SetFloor saves exporter's position.
func (c *Checkpoints) SetFloor(ctx context.Context, exporter string, seq uint64) error {
	if _, err := c.kv.Put(ctx, exporter, strconv.AppendUint(nil, seq, 10)); err != nil {
		return fmt.Errorf("save position of exporter %q: %w", exporter, err)
	}
	return nil
}

// OnServerRestart registers f to be called after the embedded server was
// restarted on a repaired store (consumers kept in memory are gone then).
func (b *Bus) OnServerRestart(f func()) {
	b.store.mu.Lock()
	defer b.store.mu.Unlock()
	b.restarted = append(b.restarted, f)
}
