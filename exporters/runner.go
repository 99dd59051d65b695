package exporters

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/time/rate"

	"github.com/hazardwire/hazardwire/alert"
)

// DeadLetterer stores a change that will not be delivered, with why.
type DeadLetterer interface {
	DeadLetter(ctx context.Context, exporter string, m jetstream.Msg, reason string, attempts int, lastErr string) error
}

// Heartbeater is implemented by exporters that can tell a partner the
// pipeline is alive on a quiet day.
type Heartbeater interface {
	Heartbeat(ctx context.Context) error
}

// RunnerConfig configures the delivery engine of one exporter.
type RunnerConfig struct {
	Name     string
	Exporter Exporter
	Filter   Filter
	Policy   RetryPolicy
	// Concurrency is the most deliveries in flight at once (default 8).
	Concurrency int
	// MaxRPS caps attempts per second (0: no cap).
	MaxRPS float64
	// Supersede delivers the newest version of an alert instead of older ones
	// still waiting to be retried (default on; see NewRunner).
	Supersede *bool
	// BreakerThreshold is how many partner failures in a row open the
	// circuit (default 5).
	BreakerThreshold int
	// Heartbeat is how often a heartbeat is sent (0: never).
	Heartbeat time.Duration
	// Stream and Subjects select what the durable consumer reads.
	Stream   string
	Subjects []string
	// AckWait is how long the bus waits for an ack before redelivering
	// (default DefaultAckWait); queued changes are kept alive meanwhile.
	AckWait time.Duration
	// MaxAckPending bounds the changes held unacknowledged (default 256).
	MaxAckPending int
	// Decoded, when set, shares decoded changes with the other runners
	// reading the same stream (nil: each change is decoded here).
	Decoded *Decoded
	// Checkpoints, when set, keeps the consumer's position, and the server
	// keeps its state in memory (see bus.Checkpoints); nil: a file consumer.
	Checkpoints Checkpointer
	// CheckpointEvery is how often the position is saved (default
	// DefaultCheckpointEvery); it is also saved after every
	// CheckpointAfter changes finished.
	CheckpointEvery time.Duration
}

// DefaultAckWait is how long the bus waits for an exporter's ack before it
// sends the change again. It bounds how long a change stays stuck when a
// nats-server dies with it on the way to the exporter: the restarted server
// holds it as delivered, and sends it again only after its ack wait. It was
// a minute, and TestFaultNATSKillAnywhere saw the last 129 changes of a
// stage stuck for more than 30 s after a kill. A change held is kept alive
// once it has waited a third of it, on keepAlive's 5 s tick: at 20 s that is
// at most 12 s after it was received, 8 s to spare.
const DefaultAckWait = 20 * time.Second

// ConsumerName returns the durable consumer name of an exporter.
func ConsumerName(exporter string) string { return "hazardwire-exp-" + exporter }

// Runner consumes one exporter's durable consumer and delivers each change:
// changes of one key one after another, different keys concurrently, all
// under the exporter's rate limit and circuit breaker.
type Runner struct {
	cfg       RunnerConfig
	supersede bool
	js        jetstream.JetStream
	dl        DeadLetterer
	metrics   *Metrics
	log       *slog.Logger
	now       func() time.Time
	breaker   *Breaker
	limiter   *rate.Limiter // nil: no cap
	// series are the exporter's metrics that every delivery updates, looked
	// up once: a lookup hashes the labels and takes the vector's lock, five
	// times a delivery.
	series series

	cons jetstream.Consumer
	iter jetstream.MessagesContext
	ctx  context.Context // deliveries; cancelled when Stop's deadline passes
	stop context.CancelFunc
	// reading ends when Stop begins (or ctx ends): no change is read and no
	// delivery starts after it, while those in flight go on.
	reading  context.Context
	endRead  context.CancelFunc
	cond     *sync.Cond     // on mu: a head was put in line, or reading ended
	ready    []ready        // heads in line for a worker, under mu
	flight   sync.WaitGroup // the reading and the workers: what Stop lets finish
	wg       sync.WaitGroup // the other loops, which end with ctx
	disabled atomic.Bool
	stopOnce sync.Once

	// saved is the position last checkpointed; checkpointFailing is set
	// while saving fails. Both belong to checkpointLoop, then to Stop.
	// sinceSave counts the changes finished since checkpointLoop was last
	// asked to save (under mu); saveNow asks it.
	saved             uint64
	checkpointFailing bool
	sinceSave         int
	saveNow           chan struct{}

	stats      Stats // under mu
	mu         sync.Mutex
	queues     map[string]*keyQueue
	superseded map[uint64]time.Time // stream sequences acked as superseded, if their redelivery still comes
	recent     *recent              // with acks: the changes finished lately (recent.go)

	// local tracks what a checkpointed runner has finished, its consumer
	// taking no acks (local.go); nil when the server keeps the acks. room
	// (on mu) is signalled when a held change is finished; retries are its
	// failed heads waiting for their next attempt, retryWake tells
	// retryLoop of a new one. All under mu.
	local       *tracker
	room        *sync.Cond
	readStopped bool
	retries     []retry
	retryWake   chan struct{}
	// Without acks, a delivery lost between the server and the runner is
	// never sent again (local.go, resync): delivered is the consumer
	// sequence of the last one received, inNext is set while the reading
	// waits for the next one, resyncWanted when the reading must start again
	// after the last received. ccfg is the consumer's config. Under mu.
	delivered    uint64
	inNext       bool
	resyncWanted bool
	ccfg         jetstream.ConsumerConfig
	// dropNext makes the reading drop that many deliveries as if lost on
	// the way, dropAcks the runner that many acks (tests only).
	dropNext atomic.Int32
	dropAcks atomic.Int32

	// stream reads an update's previous version (leaving); the reading's,
	// opened on first use.
	stream jetstream.Stream
}

// NewRunner returns a runner; Start creates its consumer and starts it.
func NewRunner(cfg RunnerConfig, js jetstream.JetStream, dl DeadLetterer, m *Metrics, log *slog.Logger) *Runner {
	cfg.Policy.Defaults()
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 8
	}
	if cfg.AckWait <= 0 {
		cfg.AckWait = DefaultAckWait
	}
	if cfg.MaxAckPending <= 0 {
		cfg.MaxAckPending = 256
	}
	if cfg.BreakerThreshold <= 0 {
		cfg.BreakerThreshold = 5
	}
	if cfg.CheckpointEvery <= 0 {
		cfg.CheckpointEvery = DefaultCheckpointEvery
	}
	r := &Runner{cfg: cfg, supersede: cfg.Supersede == nil || *cfg.Supersede, js: js, dl: dl, metrics: m,
		log: log.With("exporter", cfg.Name), now: time.Now,
		breaker: &Breaker{Threshold: cfg.BreakerThreshold, MinCooldown: max(cfg.Policy.MinBackoff, 5*time.Second), MaxCooldown: max(cfg.Policy.MaxBackoff, 5*time.Second)},
		queues:  map[string]*keyQueue{}, superseded: map[uint64]time.Time{}, recent: newRecent()}
	r.cond = sync.NewCond(&r.mu)
	r.room = sync.NewCond(&r.mu)
	r.retryWake = make(chan struct{}, 1)
	r.saveNow = make(chan struct{}, 1)
	if cfg.MaxRPS > 0 {
		r.limiter = rate.NewLimiter(rate.Limit(cfg.MaxRPS), max(1, int(cfg.MaxRPS)))
	}
	return r
}

// Start creates (or finds) the durable consumer and starts delivering.
func (r *Runner) Start(ctx context.Context) error {
	r.metrics.Init(r.cfg.Name)
	r.series = r.metrics.series(r.cfg.Name)
	if err := r.cfg.Filter.Validate(); err != nil {
		return fmt.Errorf("exporter %q: %w", r.cfg.Name, err)
	}
	ccfg := jetstream.ConsumerConfig{
		Durable:        ConsumerName(r.cfg.Name),
		Description:    "hazardwire exporter " + r.cfg.Name,
		FilterSubjects: r.cfg.Subjects,
		DeliverPolicy:  jetstream.DeliverNewPolicy,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        r.cfg.AckWait,
		MaxDeliver:     -1, // retries are bounded here, so nothing is dropped silently
		MaxAckPending:  r.cfg.MaxAckPending,
	}
	var cons jetstream.Consumer
	var err error
	if r.cfg.Checkpoints != nil {
		var floor uint64
		if cons, floor, err = r.memoryConsumer(ctx, ccfg); err == nil {
			r.local, r.saved, r.ccfg = newTracker(floor), floor, ccfg
		}
	} else {
		cons, err = r.js.CreateOrUpdateConsumer(ctx, r.cfg.Stream, ccfg)
	}
	if err != nil {
		return fmt.Errorf("exporter %q: consumer: %w", r.cfg.Name, err)
	}
	r.cons = cons
	// Changes left unacknowledged by a previous run would come back only after
	// their ack wait, behind newer changes of the same key: start again from
	// the ack floor so every key is delivered in order (repeats keep their id).
	if r.local != nil {
		// A consumer without acks: nothing is left unacknowledged.
	} else if info, err := cons.Info(ctx); err == nil && info.NumAckPending > 0 {
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
	// A runner replacing a disabled or tripped one (a reload) starts clean,
	// once nothing can fail: a failed start leaves the old state showing.
	r.metrics.Disabled.WithLabelValues(r.cfg.Name).Set(0)
	r.metrics.Circuit.WithLabelValues(r.cfg.Name).Set(CircuitClosed)
	r.ctx, r.stop = context.WithCancel(context.WithoutCancel(ctx))
	r.reading, r.endRead = context.WithCancel(r.ctx)
	context.AfterFunc(r.reading, func() {
		r.mu.Lock()
		r.cond.Broadcast() // workers waiting for work end
		r.room.Broadcast() // and the reading waiting for room
		r.mu.Unlock()
	})
	r.flight.Add(1 + r.cfg.Concurrency)
	go r.readLoop()
	r.wg.Add(1)
	go r.keepAlive()
	if r.local != nil {
		r.wg.Add(2)
		go r.checkpointLoop()
		go r.retryLoop()
	}
	for range r.cfg.Concurrency {
		go r.worker()
	}
	if hb, ok := r.cfg.Exporter.(Heartbeater); ok && r.cfg.Heartbeat > 0 {
		r.wg.Add(1)
		go r.heartbeat(hb)
	}
	return nil
}

// Stop stops reading and starting deliveries, waits for the deliveries in
// flight to end until ctx is done, then cancels those left. Changes not
// acknowledged (those in line, those cancelled, those failed) stay on the
// bus for the next run.
func (r *Runner) Stop(ctx context.Context) {
	if r.iter == nil {
		return
	}
	r.stopReading()
	if r.disabled.Load() {
		r.stop() // its reading ended without stopping the rest: nothing is waited for
	}
	landed := make(chan struct{})
	go func() { r.flight.Wait(); close(landed) }()
	select {
	case <-landed:
	case <-ctx.Done():
		r.log.Warn("stop deadline passed with deliveries in flight: cancelled, the next run sends them again")
		r.stop()
		<-landed
	}
	r.stop() // the loops end
	r.wg.Wait()
	if r.cfg.Checkpoints != nil { // what was delivered up to now is not repeated on the next start
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = r.js.Conn().FlushWithContext(cctx) // the last acks reach the server first
		r.checkpoint(cctx)
		cancel()
	}
}

func (r *Runner) stopReading() {
	r.stopOnce.Do(func() {
		r.endRead() // first: whoever sees readStopped sees the reading ended (readingFailed)
		r.mu.Lock()
		r.readStopped = true
		it := r.iter // resync may replace it; it sees readStopped
		r.mu.Unlock()
		it.Stop()
	})
}

// Stats is what the status page shows of an exporter.
type Stats struct {
	Pending      uint64    `json:"pending"`
	LastDelivery time.Time `json:"lastDelivery,omitzero"`
	Delivered    uint64    `json:"delivered"`
	Failures     uint64    `json:"failures"`
	DeadLetters  uint64    `json:"deadLetters"`
	LastError    string    `json:"lastError,omitempty"`
}

// Stats returns the runner's counters since it started.
func (r *Runner) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

// Disabled reports whether the partner answered 410 Gone.
func (r *Runner) Disabled() bool { return r.disabled.Load() }

// CircuitState returns the breaker's state (CircuitClosed, ...).
func (r *Runner) CircuitState() int { return r.breaker.State() }

func (r *Runner) readLoop() {
	defer r.flight.Done()
	for {
		var m jetstream.Msg
		var err error = jetstream.ErrMsgIteratorClosed
		if r.local == nil || r.awaitRoom() {
			m, err = r.nextDelivery()
		}
		if err != nil && r.local != nil && errors.Is(err, jetstream.ErrMsgIteratorClosed) && r.takeResync() {
			if r.resync() {
				continue
			}
		}
		if err != nil {
			if !errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				r.log.Error("consumer stopped", "err", err)
			}
			r.readingFailed()
			return
		}
		if r.local != nil && r.dropNext.Load() > 0 {
			r.dropNext.Add(-1)
			continue
		}
		if !r.receive(m) && !r.resync() {
			r.readingFailed()
			return
		}
	}
}

// readingFailed ends the runner when its reading ended on its own: not
// stopped by Stop (which lets the deliveries in flight finish first), nor
// after a 410 (whose runner waits for Stop).
func (r *Runner) readingFailed() {
	// stopReading sets readStopped before it ends r.reading: a reading that
	// saw readStopped (awaitRoom, takeResync, resync) was stopped, even if
	// r.reading has not ended yet.
	r.mu.Lock()
	stopped := r.readStopped
	r.mu.Unlock()
	if !stopped && r.reading.Err() == nil && !r.disabled.Load() {
		r.stop() // ends the deliveries, keepAlive and heartbeats
	}
}

// awaitRoom waits until a checkpointed runner holds fewer than
// MaxAckPending changes, the bound the server keeps for a consumer with
// acks; it reports false when the runner is stopping.
func (r *Runner) awaitRoom() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for r.local.unfinished() >= r.cfg.MaxAckPending && r.reading.Err() == nil && !r.readStopped {
		r.room.Wait()
	}
	return r.reading.Err() == nil && !r.readStopped
}

// receive files one message under its key, or settles it at once. It
// reports false, taking nothing, when deliveries were lost before it: the
// reading must then start again after the last one received (resync).
func (r *Runner) receive(m jetstream.Msg) bool {
	meta, err := m.Metadata()
	if err != nil {
		r.log.Error("message without metadata", "err", err)
		_ = m.Term()
		return true
	}
	seq := meta.Sequence.Stream
	r.mu.Lock()
	if r.local != nil {
		if meta.Sequence.Consumer != r.delivered+1 {
			r.mu.Unlock()
			r.log.Warn("deliveries lost between the bus and the exporter; reading again after the last received",
				"expected", r.delivered+1, "got", meta.Sequence.Consumer)
			return false
		}
		r.delivered = meta.Sequence.Consumer
		if !r.local.received(seq) {
			r.mu.Unlock()
			r.log.Error("change received out of stream order; dropped, as delivered before", "seq", seq)
			return true
		}
	}
	if _, ok := r.superseded[seq]; ok {
		delete(r.superseded, seq)
		r.mu.Unlock()
		_ = m.Ack() // a redelivery of a change a newer version replaced
		return true
	}
	r.mu.Unlock()
	if r.local == nil && r.recent.has(seq, m.Headers().Get(jetstream.MsgIDHeader)) {
		r.metrics.Repeats.WithLabelValues(r.cfg.Name).Inc()
		_ = m.Ack() // finished here already: the server lost its ack (recent)
		return true
	}
	if r.disabled.Load() {
		// A 410 stopped the reading while this change was on its way: it
		// is left, not filtered, dead-lettered or sent, for the next start
		// (unacknowledged, or held below a checkpointed runner's floor).
		return true
	}
	a, err := r.cfg.Decoded.Get(m.Headers().Get(jetstream.MsgIDHeader), m.Data())
	if err == nil && a.Key == "" {
		err = errors.New("no key")
	}
	if err != nil {
		r.metrics.Failures.WithLabelValues(r.cfg.Name, "invalid").Inc()
		p := &pending{seq: seq, msg: m, attempt: int(meta.NumDelivered)}
		for !r.deadLetter(p, "invalid", fmt.Sprintf("not an alert: %v", err)) {
			if r.local == nil {
				return true // the server delivers it again after the ack wait
			}
			// Nothing delivers it again: try until the store takes it (or
			// the runner stops: it is held, so the next run reads it again).
			select {
			case <-r.reading.Done():
				return true
			case <-time.After(r.cfg.Policy.MinBackoff):
			}
		}
		return true
	}
	if !r.cfg.Filter.Match(a) {
		leaving, err := r.leaving(m, a)
		if err != nil {
			return true // stopping: left for the next start, as above
		}
		if !leaving {
			r.series.filtered.Inc()
			_ = r.finish(&pending{seq: seq, msg: m})
			return true
		}
	}
	r.file(&pending{seq: seq, msg: m, alert: a, published: meta.Timestamp, attempt: int(meta.NumDelivered), told: r.now()})
	return true
}

// leaving reports whether an update that fails the filter is sent anyway
// (Filter.Leaving), reading its previous version from the stream. An error
// means the runner is stopping and the change is left for the next start.
func (r *Runner) leaving(m jetstream.Msg, a *alert.Alert) (bool, error) {
	previous, _ := strconv.ParseUint(m.Headers().Get(alert.PreviousSeqHeader), 10, 64)
	leaving, err := r.cfg.Filter.Leaving(a, previous, func(seq uint64) (*alert.Alert, error) {
		ctx, cancel := context.WithTimeout(r.reading, 10*time.Second)
		defer cancel()
		if r.stream == nil {
			s, err := r.js.Stream(ctx, r.cfg.Stream)
			if err != nil {
				return nil, err
			}
			r.stream = s
		}
		msg, err := r.stream.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return r.cfg.Decoded.Get(msg.Header.Get(jetstream.MsgIDHeader), msg.Data)
	})
	if err != nil {
		if r.reading.Err() != nil {
			return false, r.reading.Err()
		}
		r.log.Warn("reading an update's previous version failed; the update is sent", "id", a.ID, "previous_seq", previous, "err", err)
	}
	return leaving, nil
}
