package cap

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/bus"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/feedtest"
	"github.com/hazardwire/hazardwire/internal/lifecycle"
	"github.com/hazardwire/hazardwire/internal/testbus"
)

// lifecycleRun polls c into a lifecycle engine on a real bus and returns
// the changes published by each poll, as "change id".
type lifecycleRun struct {
	t    *testing.T
	b    *bus.Bus
	e    *lifecycle.Engine
	c    *collector
	seen int
}

func newLifecycleRun(t *testing.T, c *collector) *lifecycleRun {
	b := testbus.Open(t)
	now := func() time.Time { return time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC) }
	e := lifecycle.NewEngine(b, b.States(), testbus.Logger(t), lifecycle.NewMetrics(prometheus.NewRegistry()), now)
	if err := e.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return &lifecycleRun{t: t, b: b, e: e, c: c}
}

func (r *lifecycleRun) poll() []string {
	r.t.Helper()
	res, err := feedtest.Collect(r.t, r.c)
	r.e.Handle(context.Background(), collectors.Info{Name: "test", Kind: "cap", Grace: 2}, res, err)
	ctx := context.Background()
	cons, err := r.b.JetStream().OrderedConsumer(ctx, bus.StreamAlerts, jetstream.OrderedConsumerConfig{})
	if err != nil {
		r.t.Fatal(err)
	}
	var out []string
	for i := 0; ; i++ {
		m, err := cons.Next(jetstream.FetchMaxWait(200 * time.Millisecond))
		if err != nil {
			break
		}
		if i < r.seen {
			continue
		}
		var a alert.Alert
		if err := json.Unmarshal(m.Data(), &a); err != nil {
			r.t.Fatal(err)
		}
		out = append(out, string(a.Change)+" "+a.ID)
	}
	r.seen += len(out)
	return out
}

// A Cancel that references the messages of another story in the order
// they were sent (the first message, then its Update) ends that story,
// though its own latest message is still in the index: the cancel is said
// at the Cancel's sent time, after the Update's.
func TestCancelEndsAnotherStoryWithItsUpdateServed(t *testing.T) {
	const keyB1 = "test:hydro@example.org,B1/en-US"
	srv := feedtest.NewServer(t)
	srv.Set("/index", atomIndex([2]string{"a1", t0}, [2]string{"b1", t0}, [2]string{"b2", t0}))
	srv.Set("/d/a1", capDoc("A1", "2024-01-01T00:00:00+00:00", "Alert", ""))
	srv.Set("/d/b1", capDoc("B1", "2024-01-01T01:00:00+00:00", "Alert", ""))
	srv.Set("/d/b2", capDocArea("B2", "2024-01-01T02:00:00+00:00", "Update", "hydro@example.org,B1,2024-01-01T01:00:00+00:00", "Lower river"))
	run := newLifecycleRun(t, newCollector(t, srv.URL+"/index", "", nil))
	wantEq(t, "first poll", run.poll(), []string{"new " + keyA1 + "#1", "new " + keyB1 + "#1"})

	srv.Set("/index", atomIndex([2]string{"a1", t0}, [2]string{"b1", t0}, [2]string{"b2", t0}, [2]string{"c", t0}))
	srv.Set("/d/c", capDoc("C", "2024-01-01T06:00:00+00:00", "Cancel",
		"hydro@example.org,A1,2024-01-01T00:00:00+00:00 hydro@example.org,B1,2024-01-01T01:00:00+00:00 hydro@example.org,B2,2024-01-01T02:00:00+00:00"))
	// The engine decides in order of sent: B's cancel is as of B2.
	wantEq(t, "the Cancel", run.poll(), []string{"cancel " + keyB1 + "#2", "cancel " + keyA1 + "#2"})
	wantEq(t, "re-poll", run.poll(), []string(nil))
}
