package exporters

import (
	"context"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hazardwire/hazardwire/alert"
)

type headState int

const (
	headIdle       headState = iota // not yet dispatched
	headDelivering                  // an attempt is in flight
	headWaiting                     // failed and nak'd with a delay; the bus will redeliver it
)

// keyQueue holds the unacknowledged changes of one key, oldest first. Only the
// head is ever delivered, so a key's changes never overtake each other.
type keyQueue struct {
	key   string
	items []*pending
	state headState
}

type pending struct {
	seq       uint64
	msg       jetstream.Msg
	alert     *alert.Alert
	published time.Time
	attempt   int
	// told is when the bus last heard of it: received, or told it is in
	// progress (keepAlive). Under r.mu.
	told time.Time
}

// file puts p in its key's queue and dispatches what can go.
func (r *Runner) file(p *pending) {
	r.mu.Lock()
	defer r.mu.Unlock()
	// receive asked recent without r.mu: a worker may have finished this
	// change since (finish records it before next drops it, under r.mu).
	if r.local == nil && r.recent.has(p.seq, p.msg.Headers().Get(jetstream.MsgIDHeader)) {
		r.metrics.Repeats.WithLabelValues(r.cfg.Name).Inc()
		_ = p.msg.Ack()
		return
	}
	if r.disabled.Load() {
		// A 410 came since receive looked: it is left for the next start
		// (unacknowledged, or held below a checkpointed runner's floor).
		return
	}
	q := r.queues[p.alert.Key]
	if q == nil {
		q = &keyQueue{key: p.alert.Key}
		r.queues[p.alert.Key] = q
	}
	if i := slices.IndexFunc(q.items, func(x *pending) bool { return x.seq == p.seq }); i >= 0 {
		q.items[i] = p // a redelivery of a change already held
		if i == 0 && q.state == headWaiting {
			r.dispatch(q)
		}
		return
	}
	// Insert in stream order behind the head, so a late redelivery of an
	// older change still goes before newer ones not yet sent.
	i, _ := slices.BinarySearchFunc(q.items, p.seq, func(x *pending, s uint64) int { return compareSeq(x.seq, s) })
	if i == 0 && len(q.items) > 0 && q.state != headIdle {
		i = 1
	}
	q.items = slices.Insert(q.items, i, p)
	switch {
	case q.state == headIdle:
		r.dispatch(q)
	case q.state == headWaiting && r.supersede && i == len(q.items)-1:
		// The head keeps failing and a newer version is here: the partner
		// gets the newer one, and the older ones are never sent after it.
		r.supersedeOlder(q)
		r.dispatch(q)
	}
}

func compareSeq(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// supersedeOlder acks every change of q but the newest. r.mu is held.
func (r *Runner) supersedeOlder(q *keyQueue) {
	last := q.items[len(q.items)-1]
	for i, p := range q.items[:len(q.items)-1] {
		if i == 0 && q.state == headWaiting && r.local == nil {
			// Its redelivery may already be on the way: ack that too.
			r.superseded[p.seq] = r.now()
		}
		_ = r.finishLocked(p)
		r.metrics.Superseded.WithLabelValues(r.cfg.Name).Inc()
		r.log.Info("change superseded by a newer version before it could be delivered", "id", p.alert.ID, "by", last.alert.ID)
	}
	q.items = []*pending{last}
	q.state = headIdle
}

// dispatch puts the head of q in line for the next free worker. r.mu is
// held.
func (r *Runner) dispatch(q *keyQueue) {
	q.state = headDelivering
	r.ready = append(r.ready, ready{q, q.items[0]})
	r.cond.Signal()
}

// ready is a key's head in line for delivery.
type ready struct {
	q *keyQueue
	p *pending
}

// worker delivers heads in the order they were put in line, one at a time:
// Concurrency workers make the deliveries in flight, however many keys wait.
func (r *Runner) worker() {
	defer r.flight.Done()
	for {
		r.mu.Lock()
		for len(r.ready) == 0 && r.reading.Err() == nil {
			r.cond.Wait()
		}
		if r.reading.Err() != nil {
			r.mu.Unlock()
			return // stopping: what is in line stays unacknowledged, redelivered on the next run
		}
		next := r.ready[0]
		r.ready[0] = ready{}
		r.ready = r.ready[1:]
		r.mu.Unlock()
		if r.disabled.Load() {
			continue // a 410: left for the next start
		}
		if !r.admit() {
			return
		}
		if r.disabled.Load() {
			continue // a 410 while admit waited
		}
		r.settle(next.q, next.p, r.attempt(next.p))
	}
}

// admit waits for the circuit breaker and the rate limit; it reports false
// when the runner stops first (the change was not sent: it stays for the
// next run).
func (r *Runner) admit() bool {
	for {
		wait := r.breaker.Wait(r.now())
		r.series.circuit.Set(float64(r.breaker.State()))
		if wait == 0 {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-r.reading.Done():
			t.Stop()
			return false
		}
	}
	if r.limiter != nil && r.limiter.Wait(r.reading) != nil || r.reading.Err() != nil {
		r.breaker.Record(false, false, r.now()) // release a probe slot
		return false
	}
	return true
}

func (r *Runner) attempt(p *pending) Outcome {
	start := time.Now()
	o := r.cfg.Exporter.Deliver(r.ctx, Delivery{Alert: p.alert, Body: p.msg.Data(), Attempt: p.attempt})
	r.series.duration.Observe(time.Since(start).Seconds())
	r.breaker.Record(o.Err == nil, o.Retry, r.now())
	r.series.circuit.Set(float64(r.breaker.State()))
	return o
}

// settle acks, naks or dead-letters the head after an attempt, then moves on.
func (r *Runner) settle(q *keyQueue, p *pending, o Outcome) {
	if r.ctx.Err() != nil && o.Err != nil {
		return // shutting down: leave it for the next run
	}
	if o.Err == nil {
		if err := r.finish(p); err != nil {
			r.log.Warn("ack failed; the change may be delivered again with the same id", "id", p.alert.ID, "err", err)
		}
		r.series.success.Inc()
		r.series.latency.Observe(r.now().Sub(p.published).Seconds())
		r.mu.Lock()
		r.stats.Delivered++
		r.stats.LastDelivery = r.now()
		r.mu.Unlock()
		r.next(q)
		return
	}
	r.metrics.Failures.WithLabelValues(r.cfg.Name, o.Reason).Inc()
	r.mu.Lock()
	r.stats.Failures++
	r.stats.LastError = o.Err.Error()
	r.mu.Unlock()
	if o.Reason == "gone" {
		r.disable(p, o)
		return
	}
	wait, giveUp := r.cfg.Policy.Next(o, p.alert, p.attempt, p.published, r.now())
	if giveUp != "" {
		if giveUp != o.Reason {
			r.metrics.Failures.WithLabelValues(r.cfg.Name, giveUp).Inc()
		}
		r.log.Warn("delivery failed for good", "id", p.alert.ID, "attempt", p.attempt, "reason", giveUp, "err", o.Err)
		if r.deadLetter(p, giveUp, o.Err.Error()) {
			r.next(q)
			return
		}
		wait = r.cfg.Policy.MinBackoff
	} else {
		r.metrics.Deliveries.WithLabelValues(r.cfg.Name, ResultRetry).Inc()
		r.log.Warn("delivery failed, will retry", "id", p.alert.ID, "attempt", p.attempt, "in", wait.Round(time.Millisecond), "reason", o.Reason, "err", o.Err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.supersede && len(q.items) > 1 && giveUp == "" && !r.disabled.Load() {
		// Newer versions arrived while this one was in flight: send the newest.
		q.state = headWaiting
		r.supersedeOlder(q)
		r.dispatch(q)
		return
	}
	q.state = headWaiting
	if r.local != nil {
		r.retryLater(q, p, wait)
		return
	}
	if err := p.msg.NakWithDelay(wait); err != nil {
		r.log.Warn("nak failed; the bus redelivers after the ack wait", "id", p.alert.ID, "err", err)
	}
}

// disable stops the exporter after a 410 Gone: the partner said the endpoint
// is gone for good. The change that got the 410 is a 4xx like any other: it is
// dead-lettered at once (reason gone) and finished, so the position passes
// it; if the dead letter cannot be stored it is kept, as every change after
// it is: those stay on the bus, unacknowledged (unfinished, checkpointed),
// after the exporter's position, until a reload or restart brings the
// exporter back.
func (r *Runner) disable(p *pending, o Outcome) {
	// First stop every other attempt (workers, retryLoop, the reading), so
	// that nothing after p is sent or finished while p is dead-lettered.
	// Under r.mu: file and settle, which supersede under it, see either
	// the runner before the 410 or disabled.
	r.mu.Lock()
	first := !r.disabled.Swap(true)
	r.mu.Unlock()
	if first {
		r.metrics.Disabled.WithLabelValues(r.cfg.Name).Set(1)
		r.stopReading()
	}
	lettered := r.deadLetter(p, "gone", o.Err.Error())
	if !lettered && r.local == nil { // a checkpointed runner keeps it unfinished, below its floor
		_ = p.msg.NakWithDelay(time.Minute)
	}
	if first {
		r.log.Error("partner answered 410 Gone: exporter disabled until the config is reloaded or the daemon restarted",
			"id", p.alert.ID, "deadLettered", lettered, "err", o.Err)
	} else {
		r.log.Warn("partner answered 410 Gone to a disabled exporter", "id", p.alert.ID, "deadLettered", lettered, "err", o.Err)
	}
}

// deadLetter stores p on the dead-letter stream and terminates it; it
// reports false when the dead letter could not be stored (the change is then
// kept and retried, never lost).
func (r *Runner) deadLetter(p *pending, reason, lastErr string) bool {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), 10*time.Second)
	defer cancel()
	if err := r.dl.DeadLetter(ctx, r.cfg.Name, p.msg, reason, p.attempt, lastErr); err != nil {
		r.log.Error("dead letter failed; keeping the change", "seq", p.seq, "err", err)
		return false
	}
	r.metrics.Deliveries.WithLabelValues(r.cfg.Name, ResultDeadLetter).Inc()
	r.mu.Lock()
	r.stats.DeadLetters++
	r.mu.Unlock()
	if r.local != nil {
		_ = r.finish(p)
		return true
	}
	// Remembered like a delivery: if the server loses the term, a newer
	// version delivered since must not be skipped while this one is sent.
	r.recent.add(p.seq, p.msg.Headers().Get(jetstream.MsgIDHeader), p.msg.Reply())
	if err := p.msg.TermWithReason(reason); err != nil {
		r.log.Warn("term failed", "seq", p.seq, "err", err)
	}
	return true
}

// next drops the head of q and dispatches the following change, if any.
func (r *Runner) next(q *keyQueue) {
	r.mu.Lock()
	defer r.mu.Unlock()
	q.items = q.items[1:]
	q.state = headIdle
	if len(q.items) == 0 {
		delete(r.queues, q.key)
		return
	}
	r.dispatch(q)
}

// keepAlive tells the bus that held changes are still being worked on, so it
// does not redeliver them while they wait behind their key's head, and keeps
// the pending gauge fresh.
func (r *Runner) keepAlive() {
	defer r.wg.Done()
	t := time.NewTicker(min(r.cfg.AckWait/3, 5*time.Second))
	defer t.Stop()
	// With acks, the acks of the changes finished lately are sent again on
	// the tick after the connection came back, and on the next one, in case
	// the server had not restored the consumer yet (reack).
	reconnects, reacks := r.js.Conn().Stats().Reconnects, 0
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-t.C:
		}
		if r.local == nil {
			if n := r.js.Conn().Stats().Reconnects; n != reconnects {
				reconnects, reacks = n, 2
			}
			if reacks > 0 && r.js.Conn().IsConnected() {
				reacks--
				r.reack()
			}
		}
		// Only changes held for a third of the ack wait are renewed: in a
		// burst, renewing every held change at every tick was a flood of
		// protocol messages for nothing.
		now := r.now()
		r.mu.Lock()
		for _, q := range r.queues {
			if r.local != nil {
				break // its consumer takes no acks, and redelivers nothing
			}
			for i, p := range q.items {
				if i == 0 && q.state == headWaiting {
					continue // the bus owns its redelivery timer
				}
				if now.Sub(p.told) >= r.cfg.AckWait/3 {
					_ = p.msg.InProgress()
					p.told = now
				}
			}
		}
		for seq, at := range r.superseded {
			if r.now().Sub(at) > 2*r.cfg.AckWait+r.cfg.Policy.MaxBackoff {
				delete(r.superseded, seq) // its redelivery would have come by now
			}
		}
		r.mu.Unlock()
		r.updatePending()
	}
}

// updatePending reads the consumer's backlog into the pending gauge.
func (r *Runner) updatePending() {
	ctx, cancel := context.WithTimeout(r.ctx, 5*time.Second)
	defer cancel()
	r.mu.Lock()
	cons := r.cons // resync replaces it
	r.mu.Unlock()
	if info, err := cons.Info(ctx); err == nil {
		n := info.NumPending + uint64(info.NumAckPending)
		r.mu.Lock()
		if r.local != nil { // delivered to the runner, not yet finished
			n = info.NumPending + uint64(r.local.unfinished())
		}
		r.stats.Pending = n
		r.mu.Unlock()
		r.metrics.Pending.WithLabelValues(r.cfg.Name).Set(float64(n))
	}
}

// heartbeat sends the partner a heartbeat every cfg.Heartbeat.
func (r *Runner) heartbeat(hb Heartbeater) {
	defer r.wg.Done()
	t := time.NewTicker(r.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-t.C:
		}
		if r.disabled.Load() {
			continue
		}
		ctx, cancel := context.WithTimeout(r.ctx, 30*time.Second)
		err := hb.Heartbeat(ctx)
		cancel()
		if err != nil {
			r.metrics.Heartbeats.WithLabelValues(r.cfg.Name, "error").Inc()
			r.log.Warn("heartbeat failed", "err", err)
			continue
		}
		r.metrics.Heartbeats.WithLabelValues(r.cfg.Name, "success").Inc()
	}
}
