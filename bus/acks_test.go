package bus

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// openBus starts an embedded bus on t.TempDir() (internal/testbus imports
// this package, so its tests cannot use it).
func openBus(t *testing.T) *Bus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := Open(ctx, Config{StoreDir: t.TempDir(), MaxMemory: 64 << 20, MaxStore: 1 << 30}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("open bus: %v", err)
	}
	t.Cleanup(b.Close)
	return b
}

// waiting is how many messages a has sent and still waits for.
func waiting(a *acker) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.waiting)
}

// TestAckerMixedBatch: every message of a batch has its own answer, the
// failures among them the errors the jetstream package gives for the same
// messages.
func TestAckerMixedBatch(t *testing.T) {
	b := openBus(t)
	ctx := context.Background()
	const alerts, state = SubjectAlerts + ".heat.moderate.nws", "$KV." + BucketState + "."
	batch := [][]string{ // a subject, then header pairs
		{alerts, jetstream.MsgIDHeader, "a", jetstream.ExpectedStreamHeader, StreamAlerts},
		{alerts, jetstream.MsgIDHeader, "b", jetstream.ExpectedStreamHeader, "ELSEWHERE"},
		{alerts, jetstream.MsgIDHeader, "a", jetstream.ExpectedStreamHeader, StreamAlerts},
		{state + "k1", jetstream.ExpectedLastSubjSeqHeader, "7"},
		{state + "k2", jetstream.ExpectedStreamHeader, "KV_" + BucketState},
		{alerts, jetstream.MsgIDHeader, "c"},
	}
	want := []struct {
		seq    uint64
		dup    bool
		failed bool
	}{{seq: 1}, {failed: true}, {seq: 1, dup: true}, {failed: true}, {seq: 1}, {seq: 2}}

	res := b.acks.publish(ctx, len(batch), func(i int) *nats.Msg { return msg(batch[i][0], batch[i][1:]...) })
	for i, r := range res {
		w := want[i]
		if r.Seq != w.seq || r.Duplicate != w.dup || (r.Err != nil) != w.failed {
			t.Errorf("message %d: %+v, want seq %d, duplicate %v, failed %v", i, r, w.seq, w.dup, w.failed)
			continue
		}
		if !w.failed {
			continue
		}
		var apiErr *jetstream.APIError
		if !errors.As(r.Err, &apiErr) {
			t.Errorf("message %d: error %v (%T), want a *jetstream.APIError", i, r.Err, r.Err)
		}
		// The failed ones stored nothing: the jetstream package, sending the
		// same message now, meets the same refusal.
		f, err := b.js.PublishMsgAsync(msg(batch[i][0], batch[i][1:]...))
		if err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-f.Err():
			if err.Error() != r.Err.Error() {
				t.Errorf("message %d: error %q, the jetstream package's %q", i, r.Err, err)
			}
		case ack := <-f.Ok():
			t.Errorf("message %d: the jetstream package's publish was stored (%+v)", i, ack)
		case <-time.After(5 * time.Second):
			t.Fatalf("message %d: no answer to the jetstream package's publish", i)
		}
	}
	if n := waiting(b.acks); n != 0 {
		t.Errorf("%d messages still waiting after the batch", n)
	}
}

// msg makes a message with header pairs.
func msg(subject string, header ...string) *nats.Msg {
	m := nats.NewMsg(subject)
	m.Data = []byte(`{}`)
	for i := 0; i < len(header); i += 2 {
		m.Header.Set(header[i], header[i+1])
	}
	return m
}

// holder answers nothing by itself: it hands the requests on slow.> to the
// test, to answer late or never.
func holder(t *testing.T, nc *nats.Conn) <-chan *nats.Msg {
	t.Helper()
	held := make(chan *nats.Msg, 64)
	sub, err := nc.Subscribe("slow.>", func(m *nats.Msg) { held <- m })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	return held
}

// TestAckerGivesUp: a batch left unanswered fails every message, with the
// context's error or the timeout; answers that come later go nowhere, and
// nothing stays waiting.
func TestAckerGivesUp(t *testing.T) {
	b := openBus(t)
	a, err := newAcker(b.nc, 300*time.Millisecond) // its own, for a short timeout
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.close)
	held := holder(t, b.nc)
	cases := []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"cancelled", func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) }, context.Canceled},
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 50*time.Millisecond)
		}, context.DeadlineExceeded},
		{"timeout", func() (context.Context, context.CancelFunc) { return context.Background(), func() {} }, jetstream.ErrAsyncPublishTimeout},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			const n = 3
			ctx, cancel := tc.ctx()
			defer cancel()
			done := make(chan []ackResult)
			go func() { done <- a.publish(ctx, n, func(int) *nats.Msg { return msg("slow." + tc.name) }) }()
			var late []*nats.Msg
			for range n {
				late = append(late, <-held)
			}
			if tc.want == context.Canceled {
				cancel()
			}
			res := <-done
			for i, r := range res {
				if !errors.Is(r.Err, tc.want) {
					t.Errorf("message %d: %+v, want error %v", i, r, tc.want)
				}
			}
			if n := waiting(a); n != 0 {
				t.Errorf("%d messages still waiting after the batch gave up", n)
			}
			for _, m := range late {
				if err := m.Respond([]byte(`{"stream":"S","seq":9}`)); err != nil {
					t.Fatal(err)
				}
			}
			// A batch answered after the late answers, on the same
			// connection, is taken after them.
			go func() { done <- a.publish(context.Background(), 1, func(int) *nats.Msg { return msg("slow.next") }) }()
			if err := (<-held).Respond([]byte(`{"stream":"S","seq":10}`)); err != nil {
				t.Fatal(err)
			}
			if next := <-done; next[0] != (ackResult{Seq: 10}) {
				t.Errorf("the batch after: %+v, want seq 10", next[0])
			}
			for i, r := range res {
				if !errors.Is(r.Err, tc.want) {
					t.Errorf("message %d changed to %+v after its batch gave up", i, r)
				}
			}
			if n := waiting(a); n != 0 {
				t.Errorf("%d messages still waiting", n)
			}
		})
	}
}

// TestAckerDisconnect: the batches waiting when the connection drops fail
// at once; the reply subscription is back once the connection is.
func TestAckerDisconnect(t *testing.T) {
	b := openBus(t)
	held := holder(t, b.nc)
	done := make(chan []ackResult)
	start := time.Now()
	go func() { done <- b.acks.publish(context.Background(), 2, func(int) *nats.Msg { return msg("slow.x") }) }()
	<-held
	<-held
	if err := b.restartEmbedded(); err != nil {
		t.Fatal(err)
	}
	for i, r := range <-done {
		if !errors.Is(r.Err, nats.ErrDisconnected) {
			t.Errorf("message %d: %+v, want %v", i, r, nats.ErrDisconnected)
		}
	}
	if took := time.Since(start); took >= publishTimeout {
		t.Errorf("the batch failed after %v, its timeout", took)
	}
	if n := waiting(b.acks); n != 0 {
		t.Errorf("%d messages still waiting", n)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		res := b.acks.publish(context.Background(), 1, func(int) *nats.Msg {
			return msg(SubjectAlerts+".heat.moderate.nws", jetstream.MsgIDHeader, "after")
		})
		if res[0].Err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("publish after the restart: %v", res[0].Err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
