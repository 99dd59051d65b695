package exporters

import "time"

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
		return p.msg.Ack()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.finishLocked(p)
}

// finishLocked is finish with r.mu held.
func (r *Runner) finishLocked(p *pending) error {
	if r.local == nil {
		return p.msg.Ack()
	}
	r.local.finish(p.seq)
	r.room.Signal()
	return nil
}
