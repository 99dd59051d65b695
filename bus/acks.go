package bus

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// acker publishes batches of messages on one connection and waits for the
// stream's acknowledgement of each, through one reply subscription of its
// own. The jetstream package's asynchronous publish does the same job, but it
// decodes every acknowledgement with encoding/json and keeps two channels
// and a map entry per message: with a change and its state record per alert,
// that was 6 µs of an alert's publishing, 5 of them in json.Unmarshal.
type acker struct {
	nc      *nats.Conn
	timeout time.Duration // the longest wait for a batch's acknowledgements
	prefix  string        // of every reply subject: an inbox of its own, then "."
	sub     *nats.Subscription
	status  chan nats.Status // the connection dropping or closing
	stopped chan struct{}    // closed when watch has returned
	next    atomic.Uint64    // the next reply id

	mu      sync.Mutex
	waiting map[uint64]slot // by reply id
	// gone is closed when the connection drops: the server that had the
	// messages sent before is no longer there to answer them.
	gone   chan struct{}
	closed bool
}

// slot is where the acknowledgement of one message goes.
type slot struct {
	b *ackBatch
	i int
}

// ackBatch is one publish call's messages.
type ackBatch struct {
	res  []ackResult
	left int           // messages not answered yet; guarded by acker.mu
	done chan struct{} // closed when left reaches 0
}

// ackResult is the stream's answer to one message: where it stored it, or
// why not.
type ackResult struct {
	Seq       uint64
	Duplicate bool
	Err       error
}

// newAcker subscribes to the acknowledgements of nc's batches. The
// connection keeps the subscription across reconnects by itself.
func newAcker(nc *nats.Conn, timeout time.Duration) (*acker, error) {
	a := &acker{
		nc: nc, timeout: timeout, prefix: nc.NewInbox() + ".",
		stopped: make(chan struct{}), waiting: make(map[uint64]slot), gone: make(chan struct{}),
	}
	sub, err := nc.Subscribe(a.prefix+"*", a.receive)
	if err != nil {
		return nil, fmt.Errorf("subscribe to acknowledgements: %w", err)
	}
	a.sub = sub
	a.status = nc.StatusChanged(nats.RECONNECTING, nats.CLOSED)
	go a.watch()
	return a, nil
}

// watch fails the batches waiting when the connection drops, rather than
// letting them wait out the timeout for answers that cannot come.
func (a *acker) watch() {
	defer close(a.stopped)
	for range a.status {
		a.mu.Lock()
		if !a.closed {
			close(a.gone)
			a.gone = make(chan struct{})
		}
		a.mu.Unlock()
	}
}

// close unsubscribes and fails any batch still waiting.
func (a *acker) close() {
	a.nc.RemoveStatusListener(a.status) // ends watch
	<-a.stopped
	a.mu.Lock()
	if !a.closed {
		a.closed = true
		close(a.gone)
	}
	a.mu.Unlock()
	_ = a.sub.Unsubscribe() // fails only on a connection already closed, which dropped it
}

// publish sends msg(i) for every i below n and waits for the stream's answer
// to each, no longer than the acker's timeout and while ctx lasts. msg may
// return the same message each time: it is sent before the next call.
func (a *acker) publish(ctx context.Context, n int, msg func(i int) *nats.Msg) []ackResult {
	res := make([]ackResult, n)
	if n == 0 {
		return res
	}
	if err := ctx.Err(); err != nil {
		return failAll(res, err)
	}
	b := &ackBatch{res: res, left: n, done: make(chan struct{})}
	base := a.next.Add(uint64(n)) - uint64(n)
	// Registered before the first publish, as an answer may come before
	// the last one is sent; gone is taken now, so that a drop after this
	// point is seen.
	gone, err := a.register(b, base)
	if err != nil {
		return failAll(res, err)
	}
	var buf [64]byte
	for i := range n {
		m := msg(i)
		m.Reply = string(strconv.AppendUint(append(buf[:0], a.prefix...), base+uint64(i), 10))
		if err := a.nc.PublishMsg(m); err != nil {
			a.settle(base+uint64(i), ackResult{Err: err})
		}
	}
	t := time.NewTimer(a.timeout)
	defer t.Stop()
	select {
	case <-b.done:
	case <-ctx.Done():
		a.giveUp(b, base, ctx.Err())
	case <-t.C:
		a.giveUp(b, base, jetstream.ErrAsyncPublishTimeout)
	case <-gone:
		a.giveUp(b, base, nats.ErrDisconnected)
	}
	return res
}

func failAll(res []ackResult, err error) []ackResult {
	for i := range res {
		res[i].Err = err
	}
	return res
}

// register makes b's messages wait for their answers, and returns what is
// closed if the connection drops.
func (a *acker) register(b *ackBatch, base uint64) (<-chan struct{}, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil, nats.ErrConnectionClosed
	}
	for i := range b.res {
		a.waiting[base+uint64(i)] = slot{b, i}
	}
	return a.gone, nil
}

// settle gives message id its answer, unless its batch stopped waiting.
func (a *acker) settle(id uint64, r ackResult) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s, ok := a.waiting[id]
	if !ok {
		return
	}
	delete(a.waiting, id)
	s.b.res[s.i] = r
	if s.b.left--; s.b.left == 0 {
		close(s.b.done)
	}
}

// giveUp stops b waiting: the messages not answered yet fail with err, and
// their answers, should they come, find nothing to go to.
func (a *acker) giveUp(b *ackBatch, base uint64, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range b.res {
		if _, ok := a.waiting[base+uint64(i)]; ok {
			delete(a.waiting, base+uint64(i))
			b.res[i].Err = err
		}
	}
}

// receive takes one acknowledgement. It decodes before locking, so that
// the publishing goroutine is not kept waiting by the decoding.
func (a *acker) receive(m *nats.Msg) {
	if len(m.Subject) <= len(a.prefix) {
		return
	}
	id, err := strconv.ParseUint(m.Subject[len(a.prefix):], 10, 64)
	if err != nil {
		return
	}
	a.settle(id, decodeAck(m))
}

// decodeAck reads the stream's answer to one publish: the answers the
// server writes on success by the fast path, anything else as the jetstream
// package reads it, to the same errors.
func decodeAck(m *nats.Msg) ackResult {
	if a, ok := parsePubAck(m.Data); ok {
		return ackResult{Seq: a.seq, Duplicate: a.dup}
	}
	return decodeAckJSON(m)
}

// decodeAckJSON reads an answer with encoding/json.
func decodeAckJSON(m *nats.Msg) ackResult {
	if len(m.Data) == 0 && m.Header.Get("Status") == "503" {
		return ackResult{Err: jetstream.ErrNoStreamResponse} // no stream listens on the subject
	}
	var r struct {
		Error *jetstream.APIError `json:"error"`
		jetstream.PubAck
	}
	if err := json.Unmarshal(m.Data, &r); err != nil {
		return ackResult{Err: jetstream.ErrInvalidJSAck}
	}
	if r.Error != nil {
		return ackResult{Err: r.Error}
	}
	if r.Stream == "" {
		return ackResult{Err: jetstream.ErrInvalidJSAck}
	}
	return ackResult{Seq: r.Sequence, Duplicate: r.Duplicate}
}
