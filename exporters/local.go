package exporters

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// A checkpointed runner (RunnerConfig.Checkpoints) reads a consumer that
// takes no acknowledgements: the runner itself tracks which changes are done,
// retries on its own timers, and saves its position from that. The server's
// side of an explicit ack (tracking each delivery as pending, taking the ack,
// moving its floor) and the client's were 9% of the CPU of delivering to one
// partner, for a position the runner's checkpoint already keeps
// (docs/performance.md, fix 25). A consumer whose server keeps its acks
// (external NATS, file consumers) works as before: acks, naks, and the
// server's redeliveries.

// tracker is what a checkpointed runner has received and not finished.
// Under Runner.mu.
type tracker struct {
	// held are the sequences received and not finished: at most
	// MaxAckPending (awaitRoom), so finding the oldest for a checkpoint
	// is cheap, and a head failing for hours keeps only itself here while
	// other keys go on.
	held map[uint64]struct{}
	last uint64 // the last sequence received, or the start's floor
}

func newTracker(floor uint64) *tracker {
	return &tracker{held: map[uint64]struct{}{}, last: floor}
}

// received records seq, which comes after every sequence received before:
// the consumer delivers in stream order and never again.
func (t *tracker) received(seq uint64) bool {
	if seq <= t.last {
		return false
	}
	t.held[seq] = struct{}{}
	t.last = seq
	return true
}

// finish records seq as done: delivered, dead-lettered, superseded or
// filtered out.
func (t *tracker) finish(seq uint64) { delete(t.held, seq) }

// unfinished is how many changes the runner holds.
func (t *tracker) unfinished() int { return len(t.held) }

// floor is the last sequence up to which everything received is done: the
// position a restart goes on after. Sequences the consumer's filter skipped
// are below the next one received, and so are counted as done.
func (t *tracker) floor() uint64 {
	if len(t.held) == 0 {
		return t.last
	}
	oldest := t.last
	for seq := range t.held {
		oldest = min(oldest, seq)
	}
	return oldest - 1
}

// retry is a failed head due for another attempt.
type retry struct {
	at time.Time
	q  *keyQueue
	p  *pending
}

// retryLater puts p, the failed head of q, in line again after wait, as
// its next attempt (a redelivery's count, with acks). r.mu is held.
func (r *Runner) retryLater(q *keyQueue, p *pending, wait time.Duration) {
	p.attempt++
	r.retries = append(r.retries, retry{at: time.Now().Add(wait), q: q, p: p})
	select {
	case r.retryWake <- struct{}{}:
	default:
	}
}

// retryLoop dispatches each failed head when its wait is over, unless it is
// no longer its queue's waiting head (a newer version superseded it).
func (r *Runner) retryLoop() {
	defer r.wg.Done()
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		r.mu.Lock()
		now := time.Now()
		var next time.Time
		keep := r.retries[:0]
		for _, e := range r.retries {
			switch {
			case e.at.After(now):
				keep = append(keep, e)
				if next.IsZero() || e.at.Before(next) {
					next = e.at
				}
			case r.disabled.Load():
				// A 410: left unfinished, for the next start.
			case e.q.state == headWaiting && len(e.q.items) > 0 && e.q.items[0] == e.p:
				r.dispatch(e.q)
			}
		}
		clear(r.retries[len(keep):])
		r.retries = keep
		r.mu.Unlock()
		wait := time.Hour
		if !next.IsZero() {
			wait = next.Sub(now)
		}
		t.Reset(wait)
		select {
		case <-r.ctx.Done():
			return
		case <-t.C:
		case <-r.retryWake:
		}
	}
}

// finish records p as done (delivered, dead-lettered, superseded or
// filtered out): acked, or counted into a checkpointed runner's floor.
func (r *Runner) finish(p *pending) error {
	if r.local == nil {
		return r.ack(p)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.finishLocked(p)
}

// ack acknowledges p to the bus (a runner with acks), remembering it as
// finished (recent), with its ack subject for reack.
func (r *Runner) ack(p *pending) error {
	r.recent.add(p.seq, p.msg.Headers().Get(jetstream.MsgIDHeader), p.msg.Reply())
	if r.dropAcks.Load() > 0 {
		r.dropAcks.Add(-1)
		return nil // lost on the way (tests)
	}
	return p.msg.Ack()
}

// reack sends again the acks of the changes finished lately (a runner with
// acks), after its connection to NATS broke. Acks sent just before the
// break, or taken by a nats-server killed before it saved its consumer's
// state, are lost; the server holds those changes as unacknowledged until
// their ack wait, and with MaxAckPending of them held it delivers nothing
// else meanwhile: with the ack wait at a minute, TestFaultNATSKillAnywhere
// saw a partner get nothing for more than 30 s. An ack the server had taken
// is ignored.
func (r *Runner) reack() {
	nc := r.js.Conn()
	subjects := r.recent.ackSubjects()
	for _, s := range subjects {
		if err := nc.Publish(s, ackBody); err != nil {
			r.log.Warn("sending acks again after a reconnect failed", "err", err)
			return
		}
	}
	r.log.Info("acks of the changes finished lately sent again after a reconnect", "acks", len(subjects))
}

// ackBody is the JetStream ack, as jetstream.Msg.Ack sends it.
var ackBody = []byte("+ACK")

// finishLocked is finish with r.mu held.
func (r *Runner) finishLocked(p *pending) error {
	if r.local == nil {
		return r.ack(p)
	}
	r.local.finish(p.seq)
	r.room.Signal()
	if r.sinceSave++; r.sinceSave >= CheckpointAfter {
		r.sinceSave = 0
		select {
		case r.saveNow <- struct{}{}:
		default: // a save is already asked for
		}
	}
	return nil
}

// Deliveries lost on the way. Without acks the server never sends a change
// again, and the client drops deliveries: those in transit when its
// connection breaks, and those beyond the iterator's buffer when, after a
// reconnect or a missed heartbeat, a new pull request runs beside the old
// one. Each delivery of such a consumer takes the next consumer sequence,
// so the runner sees a loss in two ways: a delivery whose consumer sequence
// skips (receive), or, when nothing follows the lost ones, the server having
// delivered more than the runner received while its reading has waited a
// whole second with nothing to read (reconcile). Either way the
// reading starts again after the last change received, on a new consumer
// (resync). TestLostDeliveries and TestReconnectsLoseNothing check both.

// nextDelivery waits for the next delivery, marked as waiting meanwhile.
func (r *Runner) nextDelivery() (jetstream.Msg, error) {
	r.mu.Lock()
	it := r.iter
	r.inNext = true
	r.mu.Unlock()
	m, err := it.Next()
	r.mu.Lock()
	r.inNext = false
	r.mu.Unlock()
	return m, err
}

// takeResync reports whether the iterator was stopped to read again
// (requestResync), not to stop.
func (r *Runner) takeResync() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	want := r.resyncWanted && !r.readStopped
	r.resyncWanted = false
	return want
}

// requestResync makes the reading start again after the last change
// received: it stops the iterator the reading waits on.
func (r *Runner) requestResync() {
	r.mu.Lock()
	if r.readStopped {
		r.mu.Unlock()
		return
	}
	r.resyncWanted = true
	it := r.iter
	r.mu.Unlock()
	it.Stop()
}

// resync replaces the consumer by one that starts after the last change
// received, and the iterator with it, trying until it succeeds or the
// runner stops. What the runner holds is kept: all of it was received.
func (r *Runner) resync() bool {
	r.mu.Lock()
	last, old, stopped := r.local.last, r.iter, r.readStopped
	r.mu.Unlock()
	if stopped {
		return false
	}
	old.Stop()
	r.metrics.Resyncs.WithLabelValues(r.cfg.Name).Inc()
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		cons, it, err := r.reopen(last)
		if err == nil {
			r.mu.Lock()
			if r.readStopped {
				r.mu.Unlock()
				it.Stop()
				return false
			}
			r.cons, r.iter, r.delivered = cons, it, 0
			r.mu.Unlock()
			r.log.Warn("reading again after the last change received", "after", last)
			return true
		}
		r.log.Warn("cannot read again after the last change received; trying again", "after", last, "err", err, "in", wait)
		select {
		case <-r.reading.Done():
			return false
		case <-time.After(wait):
		}
	}
}

// reopen makes the consumer again, starting after seq, and reads it.
func (r *Runner) reopen(seq uint64) (jetstream.Consumer, jetstream.MessagesContext, error) {
	ctx, cancel := context.WithTimeout(r.ctx, 10*time.Second)
	defer cancel()
	cfg := after(localConfig(r.ccfg), seq)
	if err := r.js.DeleteConsumer(ctx, r.cfg.Stream, cfg.Durable); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return nil, nil, err
	}
	cons, err := r.js.CreateConsumer(ctx, r.cfg.Stream, cfg)
	if err != nil {
		return nil, nil, err
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(min(r.cfg.MaxAckPending, 500)))
	if err != nil {
		return nil, nil, err
	}
	return cons, it, nil
}

// reconcile, every second, compares what the server delivered with what
// the runner received: more delivered while the reading has waited twice in
// a row, receiving nothing, means the last deliveries were lost. *idle
// counts those times, *seen is what was received at the last (both
// checkpointLoop's).
func (r *Runner) reconcile(ctx context.Context, idle *int, seen *uint64) {
	r.mu.Lock()
	waiting, got, cons := r.inNext, r.delivered, r.cons
	r.mu.Unlock()
	if !waiting || got != *seen {
		*idle, *seen = 0, got
		return
	}
	info, err := cons.Info(ctx)
	if err != nil || info.Delivered.Consumer <= got {
		*idle = 0
		return
	}
	if *idle++; *idle >= 2 {
		*idle = 0
		r.log.Warn("the bus delivered changes the exporter never received", "delivered", info.Delivered.Consumer, "received", got)
		r.requestResync()
	}
}
