package exporters

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Checkpointer keeps an exporter's position on the stream, the last
// sequence up to which everything is done, for a consumer whose state the
// server keeps in memory (bus.Checkpoints).
type Checkpointer interface {
	Floor(ctx context.Context, exporter string) (seq uint64, ok bool, err error)
	SetFloor(ctx context.Context, exporter string, seq uint64) error
}

// reconcileTicks is how many checkpoint periods pass between two looks for
// deliveries lost on the way (reconcile).
const reconcileTicks = 4

// DefaultCheckpointEvery is how often a runner with a Checkpointer saves
// its position when fewer than CheckpointAfter changes finish meanwhile.
const DefaultCheckpointEvery = 250 * time.Millisecond

// CheckpointAfter is how many finished changes make a runner save its
// position at once, without waiting for its period. A crash repeats what
// finished after the saved position: in a steady flow about this many, plus
// those finished while the save was written; more while a failing change
// holds the position back. With the period alone a crash repeated up to a
// quarter second of deliveries, thousands in a burst, and a crash loop
// whose lives were shorter than the period repeated all of each life's. A
// save is one small write: at the single partner's rate (about 15,000
// deliveries a second) a few hundred a second, and alternating runs of the
// single and burst scenarios found no cost, neither at 64 nor at 32
// (docs/performance.md, "Fewer repeats after a crash").
const CheckpointAfter = 64

// memoryConsumer creates the consumer of cfg with its state in memory,
// taking no acks, and returns it with the position it starts after, the
// floor of the runner's tracker (local.go):
//   - a consumer already on the server is deleted: a memory one was made
//     for a runner of this process that stopped (a reload) and saved where it
//     finished; a file one, made by an earlier version, first gives its ack
//     floor to the checkpoint;
//   - the new consumer starts after the saved position, or, for a new
//     exporter, at the next change, a position it saves at once: a crash
//     before its first checkpoint must not skip what came meanwhile.
func (r *Runner) memoryConsumer(ctx context.Context, cfg jetstream.ConsumerConfig) (jetstream.Consumer, uint64, error) {
	cp, stream := r.cfg.Checkpoints, r.cfg.Stream
	cfg = localConfig(cfg)
	existing, err := r.js.Consumer(ctx, stream, cfg.Durable)
	switch {
	case err == nil:
		info := existing.CachedInfo()
		if !info.Config.MemoryStorage {
			floor := info.AckFloor.Stream
			if err := cp.SetFloor(ctx, r.cfg.Name, floor); err != nil {
				return nil, 0, err
			}
			r.log.Info("consumer moved to memory; its position is kept in the checkpoint bucket", "floor", floor)
		}
		if err := r.js.DeleteConsumer(ctx, stream, cfg.Durable); err != nil {
			return nil, 0, fmt.Errorf("replace consumer: %w", err)
		}
	case !errors.Is(err, jetstream.ErrConsumerNotFound):
		return nil, 0, err
	}
	floor, ok, err := cp.Floor(ctx, r.cfg.Name)
	if err != nil {
		return nil, 0, err
	}
	if ok {
		cons, err := r.js.CreateConsumer(ctx, stream, after(cfg, floor))
		return cons, floor, err
	}
	cons, err := r.js.CreateConsumer(ctx, stream, cfg) // DeliverNew: from the next change
	if err != nil {
		return nil, 0, err
	}
	floor = cons.CachedInfo().AckFloor.Stream
	if err := cp.SetFloor(ctx, r.cfg.Name, floor); err != nil {
		_ = r.js.DeleteConsumer(ctx, stream, cfg.Durable) // the next start makes it again
		return nil, 0, err
	}
	return cons, floor, nil
}

// localConfig is cfg as a checkpointed runner's consumer: its state in
// memory, taking no acks.
func localConfig(cfg jetstream.ConsumerConfig) jetstream.ConsumerConfig {
	cfg.MemoryStorage = true
	cfg.AckPolicy, cfg.AckWait, cfg.MaxAckPending = jetstream.AckNonePolicy, 0, 0
	return cfg
}

// after is cfg starting at the change after seq.
func after(cfg jetstream.ConsumerConfig, seq uint64) jetstream.ConsumerConfig {
	cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, seq+1
	return cfg
}

// checkpointLoop saves the runner's position every CheckpointEvery, and
// when asked after CheckpointAfter changes finished (finishLocked). It
// also looks for deliveries lost on the way (reconcile).
func (r *Runner) checkpointLoop() {
	defer r.wg.Done()
	t := time.NewTicker(r.cfg.CheckpointEvery)
	defer t.Stop()
	var ticks, idle int
	var seen uint64
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-r.saveNow:
			r.checkpoint(r.ctx)
		case <-t.C:
			r.checkpoint(r.ctx)
			// Once a second: an idle exporter asks the server for its
			// consumer's state that often, and a loss with nothing after it
			// is found within two seconds.
			if ticks++; ticks%reconcileTicks == 0 {
				r.reconcile(r.ctx, &idle, &seen)
			}
		}
	}
}

// checkpoint saves the runner's floor when it moved. A failure (the
// store refusing writes, the server restarting) is logged once until a save
// succeeds: the position saved before stays, and a crash meanwhile repeats
// more deliveries, nothing else.
func (r *Runner) checkpoint(ctx context.Context) {
	r.mu.Lock()
	floor := r.local.floor()
	r.mu.Unlock()
	var err error
	if floor > r.saved {
		if err = r.cfg.Checkpoints.SetFloor(ctx, r.cfg.Name, floor); err == nil {
			r.saved = floor
		}
	}
	switch {
	case err != nil && !r.checkpointFailing && ctx.Err() == nil:
		r.checkpointFailing = true
		r.log.Warn("cannot save the exporter's position; after a crash its deliveries since the last save would be repeated", "saved", r.saved, "err", err)
	case err == nil && r.checkpointFailing:
		r.checkpointFailing = false
		r.log.Info("the exporter's position is saved again", "saved", r.saved)
	}
}
