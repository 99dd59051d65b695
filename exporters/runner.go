package exporters

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hazardwire/hazardwire/alert"
)

// DeadLetterer stores a change that will not be delivered, with why.
type DeadLetterer interface {
	DeadLetter(ctx context.Context, exporter string, m jetstream.Msg, reason string, attempts int, lastErr string) error
}

// RunnerConfig configures the delivery engine of one exporter.
type RunnerConfig struct {
	Name     string
	Exporter Exporter
	Filter   Filter
	Policy   RetryPolicy
	// Concurrency is the most deliveries in flight at once (default 8).
	Concurrency int
	// Stream and Subjects select what the durable consumer reads.
	Stream   string
	Subjects []string
	// AckWait is how long the bus waits for an ack before redelivering
	// (default 60s); queued changes are kept alive meanwhile.
	AckWait time.Duration
	// MaxAckPending bounds the changes held unacknowledged (default 1000).
	MaxAckPending int
}

// ConsumerName returns the durable consumer name of an exporter.
func ConsumerName(exporter string) string { return "hazardwire-exp-" + exporter }

// Runner consumes one exporter's durable consumer and delivers each change:
// changes of one key one after another, different keys concurrently.
type Runner struct {
	cfg     RunnerConfig
	js      jetstream.JetStream
	dl      DeadLetterer
	metrics *Metrics
	log     *slog.Logger
	now     func() time.Time

	cons jetstream.Consumer
	iter jetstream.MessagesContext
	ctx  context.Context // deliveries; cancelled when Stop's deadline passes
	stop context.CancelFunc
	sem  chan struct{}
	wg   sync.WaitGroup // the read loop, the keep-alive loop and every delivery

	mu     sync.Mutex
	queues map[string]*keyQueue
}

type headState int

const (
	headIdle       headState = iota // not yet dispatched
	headDelivering                  // an attempt is in flight
	headWaiting                     // nak'd with a delay; the bus will redeliver it
)

// keyQueue holds the unacknowledged changes of one key, oldest first. Only the
// head is ever delivered.
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
}

// NewRunner returns a runner; Start creates its consumer and starts it.
func NewRunner(cfg RunnerConfig, js jetstream.JetStream, dl DeadLetterer, m *Metrics, log *slog.Logger) *Runner {
	cfg.Policy.Defaults()
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 8
	}
	if cfg.AckWait <= 0 {
		cfg.AckWait = time.Minute
	}
	if cfg.MaxAckPending <= 0 {
		cfg.MaxAckPending = 1000
	}
	return &Runner{cfg: cfg, js: js, dl: dl, metrics: m, log: log.With("exporter", cfg.Name), now: time.Now,
		sem: make(chan struct{}, cfg.Concurrency), queues: map[string]*keyQueue{}}
}

// Start creates (or finds) the durable consumer and starts delivering.
func (r *Runner) Start(ctx context.Context) error {
	r.metrics.Init(r.cfg.Name)
	cons, err := r.js.CreateOrUpdateConsumer(ctx, r.cfg.Stream, jetstream.ConsumerConfig{
		Durable:        ConsumerName(r.cfg.Name),
		Description:    "hazardwire exporter " + r.cfg.Name,
		FilterSubjects: r.cfg.Subjects,
		DeliverPolicy:  jetstream.DeliverNewPolicy,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        r.cfg.AckWait,
		MaxDeliver:     -1, // retries are bounded here, so nothing is dropped silently
		MaxAckPending:  r.cfg.MaxAckPending,
	})
	if err != nil {
		return fmt.Errorf("exporter %q: consumer: %w", r.cfg.Name, err)
	}
	r.cons = cons
	// Changes left unacknowledged by a previous run would come back only after
	// their ack wait, behind newer changes of the same key: start again from
	// the ack floor so every key is delivered in order (repeats keep their id).
	if info, err := cons.Info(ctx); err == nil && info.NumAckPending > 0 {
		if _, err := r.js.ResetConsumer(ctx, r.cfg.Stream, ConsumerName(r.cfg.Name)); err != nil {
			r.log.Warn("could not rewind consumer to its ack floor; unacknowledged changes come back after the ack wait", "err", err)
		} else {
			r.log.Info("rewound consumer to its ack floor", "unacknowledged", info.NumAckPending)
		}
	}
	iter, err := cons.Messages(jetstream.PullMaxMessages(min(r.cfg.MaxAckPending, 500)))
	if err != nil {
		return fmt.Errorf("exporter %q: consume: %w", r.cfg.Name, err)
	}
	r.iter = iter
	r.ctx, r.stop = context.WithCancel(context.WithoutCancel(ctx))
	r.wg.Add(2)
	go r.readLoop()
	go r.keepAlive()
	return nil
}

// Stop stops reading, waits for deliveries in flight until ctx is done, then
// cancels them. Changes not acknowledged stay on the bus for the next run.
func (r *Runner) Stop(ctx context.Context) {
	if r.iter == nil {
		return
	}
	r.iter.Stop()
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		r.stop()
		<-done
	}
	r.stop()
}

func (r *Runner) readLoop() {
	defer r.wg.Done()
	defer r.stop() // ends keepAlive
	for {
		m, err := r.iter.Next()
		if err != nil {
			if !errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				r.log.Error("consumer stopped", "err", err)
			}
			return
		}
		r.receive(m)
	}
}

// receive files one message under its key, or settles it at once.
func (r *Runner) receive(m jetstream.Msg) {
	meta, err := m.Metadata()
	if err != nil {
		r.log.Error("message without metadata", "err", err)
		_ = m.Term()
		return
	}
	var a alert.Alert
	if err := json.Unmarshal(m.Data(), &a); err != nil || a.Key == "" {
		r.metrics.Failures.WithLabelValues(r.cfg.Name, "invalid").Inc()
		r.deadLetter(&pending{seq: meta.Sequence.Stream, msg: m, attempt: int(meta.NumDelivered)}, "invalid", fmt.Sprintf("not an alert: %v", err))
		return
	}
	if !r.cfg.Filter.Match(&a) {
		r.metrics.Deliveries.WithLabelValues(r.cfg.Name, ResultFiltered).Inc()
		_ = m.Ack()
		return
	}
	p := &pending{seq: meta.Sequence.Stream, msg: m, alert: &a, published: meta.Timestamp, attempt: int(meta.NumDelivered)}
	r.mu.Lock()
	defer r.mu.Unlock()
	q := r.queues[a.Key]
	if q == nil {
		q = &keyQueue{key: a.Key}
		r.queues[a.Key] = q
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
	if q.state == headIdle {
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

// dispatch starts delivering the head of q. r.mu is held.
func (r *Runner) dispatch(q *keyQueue) {
	q.state = headDelivering
	p := q.items[0]
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		select {
		case r.sem <- struct{}{}:
		case <-r.ctx.Done():
			return // left unacknowledged: redelivered on the next run
		}
		o := r.attempt(p)
		<-r.sem
		r.settle(q, p, o)
	}()
}

func (r *Runner) attempt(p *pending) Outcome {
	start := time.Now()
	o := r.cfg.Exporter.Deliver(r.ctx, Delivery{Alert: p.alert, Body: p.msg.Data(), Attempt: p.attempt})
	r.metrics.Duration.WithLabelValues(r.cfg.Name).Observe(time.Since(start).Seconds())
	return o
}

// settle acks, naks or dead-letters the head after an attempt, then moves on.
func (r *Runner) settle(q *keyQueue, p *pending, o Outcome) {
	if r.ctx.Err() != nil && o.Err != nil {
		return // shutting down: leave it for the next run
	}
	if o.Err == nil {
		if err := p.msg.Ack(); err != nil {
			r.log.Warn("ack failed; the change may be delivered again with the same id", "id", p.alert.ID, "err", err)
		}
		r.metrics.Deliveries.WithLabelValues(r.cfg.Name, ResultSuccess).Inc()
		r.metrics.Latency.WithLabelValues(r.cfg.Name).Observe(r.now().Sub(p.published).Seconds())
		r.next(q)
		return
	}
	r.metrics.Failures.WithLabelValues(r.cfg.Name, o.Reason).Inc()
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
	q.state = headWaiting
	r.mu.Unlock()
	if err := p.msg.NakWithDelay(wait); err != nil {
		r.log.Warn("nak failed; the bus redelivers after the ack wait", "id", p.alert.ID, "err", err)
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
// does not redeliver them while they wait behind their key's head.
func (r *Runner) keepAlive() {
	defer r.wg.Done()
	t := time.NewTicker(min(r.cfg.AckWait/3, 5*time.Second))
	defer t.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-t.C:
		}
		r.mu.Lock()
		for _, q := range r.queues {
			for i, p := range q.items {
				if i == 0 && q.state == headWaiting {
					continue // the bus owns its redelivery timer
				}
				_ = p.msg.InProgress()
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
	if info, err := r.cons.Info(ctx); err == nil {
		r.metrics.Pending.WithLabelValues(r.cfg.Name).Set(float64(info.NumPending + uint64(info.NumAckPending)))
	}
}
