package exporters_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/bus"
	"github.com/hazardwire/hazardwire/exporters"
	"github.com/hazardwire/hazardwire/exporters/webhook"
	"github.com/hazardwire/hazardwire/internal/testbus"
)

var secretKey = []byte("0123456789abcdef0123456789abcdef")

// partner records verified deliveries; fail decides the status of each request.
type partner struct {
	mu    sync.Mutex
	got   []string // ids acknowledged, in order
	tries map[string]int
	fail  func(id string, try int) int
}

func (p *partner) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if err := webhook.Verify(secretKey, r.Header, body, time.Now(), time.Minute); err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	id := r.Header.Get(webhook.HeaderID)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tries[id]++
	if p.fail != nil {
		if code := p.fail(id, p.tries[id]); code != 0 {
			w.WriteHeader(code)
			return
		}
	}
	p.got = append(p.got, id)
	w.WriteHeader(http.StatusOK)
}

// failingPartner returns a partner that answers code to id (every id when
// id is empty) until heal is called.
func failingPartner(code int, id string) (p *partner, heal func()) {
	down := true
	p = &partner{tries: map[string]int{}}
	p.fail = func(got string, _ int) int { // called under p.mu
		if down && (id == "" || got == id) {
			return code
		}
		return 0
	}
	return p, func() {
		p.mu.Lock()
		down = false
		p.mu.Unlock()
	}
}

func (p *partner) ids() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.got)
}

type rig struct {
	b       *bus.Bus
	p       *partner
	reg     *prometheus.Registry
	metrics *exporters.Metrics
	runner  *exporters.Runner
}

// mode is how a runner's consumer keeps its position: the server taking
// each ack (a file consumer, as with external NATS), or the runner tracking
// what it finished and checkpointing it (a memory consumer without acks, as
// with the embedded server; see local.go).
type mode struct {
	name         string
	checkpointed bool
}

// forModes runs test in both modes.
func forModes(t *testing.T, test func(t *testing.T, m mode)) {
	for _, m := range []mode{{"acks", false}, {"checkpointed", true}} {
		t.Run(m.name, func(t *testing.T) { test(t, m) })
	}
}

func start(t *testing.T, md mode, p *partner, f exporters.Filter, opts ...func(*exporters.RunnerConfig)) *rig {
	t.Helper()
	b := testbus.Open(t)
	exp := webhookTo(t, p)
	reg := prometheus.NewRegistry()
	m := exporters.NewMetrics(reg)
	cfg := exporters.RunnerConfig{
		Name: "p1", Exporter: exp, Filter: f, Stream: bus.StreamAlerts, Subjects: []string{"hazardwire.alerts.>"},
		Policy: exporters.RetryPolicy{MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, MaxAttempts: 5},
	}
	if md.checkpointed {
		if cfg.Checkpoints = b.Checkpoints(); cfg.Checkpoints == nil {
			t.Fatal("an embedded bus has no checkpoints")
		}
	}
	for _, o := range opts {
		o(&cfg)
	}
	r := exporters.NewRunner(cfg, b.JetStream(), b, m, testbus.Logger(t))
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		r.Stop(ctx)
	})
	return &rig{b: b, p: p, reg: reg, metrics: m, runner: r}
}

// webhookTo serves p and returns exporter p1's webhook to it.
func webhookTo(t *testing.T, p *partner) exporters.Exporter {
	t.Helper()
	return webhookToHandler(t, p)
}

// webhookToHandler serves h and returns exporter p1's webhook to it.
func webhookToHandler(t *testing.T, h http.Handler) exporters.Exporter {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	exp, err := webhook.New(exporters.Env{Name: "p1"}, func(v any) error {
		*v.(*webhook.Options) = webhook.Options{URL: srv.URL, Secret: "whsec_" + base64.StdEncoding.EncodeToString(secretKey)}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return exp
}

func change(key string, v int, c alert.Change, mod ...func(*alert.Alert)) *alert.Alert {
	exp := time.Now().Add(time.Hour)
	a := &alert.Alert{Key: key, Version: v, ID: alert.MakeID(key, v), Change: c, State: alert.StateAfter(c),
		Source: "src", SourceKind: "cap", Hazard: alert.HazardFlood, Event: "Flood Warning", Status: alert.StatusActual,
		Severity: alert.SeveritySevere, Urgency: alert.UrgencyImmediate, Certainty: alert.CertaintyLikely,
		Sent: time.Now(), Expires: &exp}
	for _, m := range mod {
		m(a)
	}
	return a
}

func (r *rig) publish(t *testing.T, as ...*alert.Alert) {
	t.Helper()
	for _, a := range as {
		if _, err := r.b.Publish(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}
}

// waitFor polls cond until it holds or 15 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRetriesKeepOrderPerKey(t *testing.T) {
	forModes(t, func(t *testing.T, md mode) {
		// The partner fails the first two attempts of every first version; with
		// supersession off, every change is delivered, in order per key.
		p := &partner{tries: map[string]int{}, fail: func(id string, try int) int {
			if _, v, _ := alert.SplitID(id); v == 1 && try <= 2 {
				return http.StatusServiceUnavailable
			}
			return 0
		}}
		off := false
		r := start(t, md, p, exporters.Filter{}, func(c *exporters.RunnerConfig) { c.Supersede = &off })
		r.publish(t, change("a", 1, alert.ChangeNew), change("a", 2, alert.ChangeUpdate), change("b", 1, alert.ChangeNew),
			change("a", 3, alert.ChangeCancel), change("b", 2, alert.ChangeUpdate))
		waitFor(t, "5 deliveries", func() bool { return len(p.ids()) == 5 })
		// The partner has the fifth before the runner has its answer and counts it.
		waitFor(t, "5 successes counted", func() bool {
			return testutil.ToFloat64(r.metrics.Deliveries.WithLabelValues("p1", exporters.ResultSuccess)) == 5
		})
		got := p.ids()
		for _, key := range []string{"a", "b"} {
			var versions []int
			for _, id := range got {
				if k, v, _ := alert.SplitID(id); k == key {
					versions = append(versions, v)
				}
			}
			if !slices.IsSorted(versions) {
				t.Errorf("key %s delivered out of order: %v (all: %v)", key, versions, got)
			}
		}
		if n := testutil.ToFloat64(r.metrics.Deliveries.WithLabelValues("p1", exporters.ResultRetry)); n != 4 {
			t.Errorf("retries counted %v, want 4", n)
		}
		if n := testutil.ToFloat64(r.metrics.Deliveries.WithLabelValues("p1", exporters.ResultSuccess)); n != 5 {
			t.Errorf("successes counted %v, want 5", n)
		}
	})
}

func TestPermanentFailureIsDeadLettered(t *testing.T) {
	forModes(t, func(t *testing.T, md mode) {
		p := &partner{tries: map[string]int{}, fail: func(id string, _ int) int {
			if id == "bad#1" {
				return http.StatusBadRequest
			}
			return 0
		}}
		r := start(t, md, p, exporters.Filter{})
		r.publish(t, change("bad", 1, alert.ChangeNew), change("good", 1, alert.ChangeNew))
		waitFor(t, "the good delivery", func() bool { return len(p.ids()) == 1 })
		waitFor(t, "the dead letter", func() bool {
			return testutil.ToFloat64(r.metrics.Deliveries.WithLabelValues("p1", exporters.ResultDeadLetter)) == 1
		})
		m, err := r.b.JetStream().Stream(context.Background(), bus.StreamDeadLetter)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := m.GetLastMsgForSubject(context.Background(), bus.DeadLetterSubject("p1"))
		if err != nil {
			t.Fatal(err)
		}
		if got := msg.Header.Get(bus.HeaderDLReason); got != "http_4xx" {
			t.Errorf("dead letter reason %q, want http_4xx", got)
		}
		if got := msg.Header.Get(bus.HeaderDLMsgID); got != "bad#1" {
			t.Errorf("dead letter keeps the original Nats-Msg-Id as %q, want bad#1", got)
		}
		var a alert.Alert
		if err := json.Unmarshal(msg.Data, &a); err != nil || a.ID != "bad#1" {
			t.Errorf("dead letter body: id %q, err %v", a.ID, err)
		}
		if p.tries["bad#1"] != 1 {
			t.Errorf("a 400 was retried: %d attempts", p.tries["bad#1"])
		}
	})
}

func TestExpiredNewIsNotRetriedButCancelIs(t *testing.T) {
	forModes(t, func(t *testing.T, md mode) {
		p, heal := failingPartner(http.StatusBadGateway, "")
		r := start(t, md, p, exporters.Filter{})
		past := time.Now().Add(-time.Minute)
		ended := func(a *alert.Alert) { a.Expires = &past }
		r.publish(t, change("x", 1, alert.ChangeNew, ended), change("x", 2, alert.ChangeCancel, ended))
		waitFor(t, "the expired new to be dead-lettered", func() bool {
			return testutil.ToFloat64(r.metrics.Failures.WithLabelValues("p1", "expired")) == 1
		})
		waitFor(t, "a retry of the cancel", func() bool {
			p.mu.Lock()
			defer p.mu.Unlock()
			return p.tries["x#2"] >= 2
		})
		heal()
		waitFor(t, "the cancel", func() bool { return slices.Equal(p.ids(), []string{"x#2"}) })
	})
}

func TestFilterSkipsAndCounts(t *testing.T) {
	forModes(t, func(t *testing.T, md mode) {
		p := &partner{tries: map[string]int{}}
		r := start(t, md, p, exporters.Filter{Hazards: []alert.Hazard{alert.HazardHeat}})
		r.publish(t, change("flood", 1, alert.ChangeNew),
			change("heat", 1, alert.ChangeNew, func(a *alert.Alert) { a.Hazard = alert.HazardHeat }),
			change("drill", 1, alert.ChangeNew, func(a *alert.Alert) { a.Hazard = alert.HazardHeat; a.Status = alert.StatusExercise }))
		waitFor(t, "the heat delivery", func() bool { return len(p.ids()) == 1 })
		waitFor(t, "two filtered", func() bool {
			return testutil.ToFloat64(r.metrics.Deliveries.WithLabelValues("p1", exporters.ResultFiltered)) == 2
		})
		if got := p.ids(); got[0] != "heat#1" {
			t.Errorf("delivered %v", got)
		}
	})
}

// TestSupersession: while v1 keeps failing, v2 and v3 arrive; the partner
// gets v3, and v1 and v2 are never delivered after it.
func TestSupersession(t *testing.T) {
	forModes(t, func(t *testing.T, md mode) {
		p, heal := failingPartner(http.StatusServiceUnavailable, "k#1")
		r := start(t, md, p, exporters.Filter{})
		r.publish(t, change("k", 1, alert.ChangeNew))
		waitFor(t, "a failed attempt of v1", func() bool {
			return testutil.ToFloat64(r.metrics.Deliveries.WithLabelValues("p1", exporters.ResultRetry)) >= 1
		})
		r.publish(t, change("k", 2, alert.ChangeUpdate), change("k", 3, alert.ChangeUpdate))
		waitFor(t, "v3", func() bool { return slices.Contains(p.ids(), "k#3") })
		heal()
		time.Sleep(300 * time.Millisecond) // v1's redelivery would have come by now
		got := p.ids()
		if i := slices.Index(got, "k#3"); i < 0 || slices.ContainsFunc(got[i+1:], func(id string) bool { return id != "k#3" }) {
			t.Fatalf("delivered %v: an older version came after v3", got)
		}
		if n := testutil.ToFloat64(r.metrics.Superseded.WithLabelValues("p1")); n < 1 {
			t.Errorf("superseded counted %v", n)
		}
		// Counted apart: deliveries_total keeps the contract's four results.
		if got, _ := deliveryResults(t, r.reg, "p1"); !slices.Equal(got, slices.Sorted(slices.Values(contractResults))) {
			t.Errorf("deliveries_total results %v after supersession, want exactly %v", got, contractResults)
		}
	})
}

// TestGoneDisablesTheExporter: a 410 Gone is a 4xx like the others for the
// change that got it: dead-lettered at once (reason gone) and finished, so
// the exporter's position passes it. Then the exporter disables itself: the
// changes after it, of its key and of others, held or still on the bus, are
// neither sent nor finished, and a restart (a reload) delivers them, not the
// dead-lettered one. When the dead letter cannot be stored, the change stays
// like the others and is delivered after the restart: nothing is lost.
func TestGoneDisablesTheExporter(t *testing.T) {
	for _, refused := range []bool{false, true} {
		name := "dead-lettered"
		if refused {
			name = "dead letter refused"
		}
		t.Run(name, func(t *testing.T) {
			forModes(t, func(t *testing.T, md mode) { testGone(t, md, refused) })
		})
	}
}

func testGone(t *testing.T, md mode, refused bool) {
	ctx := context.Background()
	b := testbus.Open(t)
	var gone atomic.Bool
	gone.Store(true)
	p := &partner{tries: map[string]int{}, fail: func(id string, _ int) int {
		if id == "g#1" && gone.Load() {
			return http.StatusGone
		}
		return 0
	}}
	// g#1's answer waits until the changes after it are held: h#1 and k#1
	// then wait in line for the one worker, g#2 behind its key's head.
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	gated := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Header.Get(webhook.HeaderID) == "g#1" && gone.Load() {
			select {
			case arrived <- struct{}{}:
			default:
			}
			<-release
		}
		p.ServeHTTP(w, req)
	})
	dl := &flakyDL{b: b}
	if refused {
		dl.n.Store(1 << 30)
	}
	r1, m := startOn(t, md, b, p, dl, func(c *exporters.RunnerConfig) {
		c.Exporter = webhookToHandler(t, gated)
		c.Concurrency = 1
	})
	tries := func(id string) int {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.tries[id]
	}
	seqG, err := b.Publish(ctx, change("g", 1, alert.ChangeNew))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-arrived:
	case <-time.After(15 * time.Second):
		t.Fatal("g#1 never sent")
	}
	after := []*alert.Alert{change("g", 2, alert.ChangeUpdate), change("h", 1, alert.ChangeNew), change("k", 1, alert.ChangeNew)}
	for _, a := range after {
		if _, err := b.Publish(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(300 * time.Millisecond) // received and held
	close(release)
	waitFor(t, "the exporter to disable itself", func() bool {
		return testutil.ToFloat64(m.Disabled.WithLabelValues("p1")) == 1
	})
	waitFor(t, "the dead letter tried", func() bool { return dl.tried.Load() >= 1 })
	time.Sleep(300 * time.Millisecond) // anything after g#1 would be attempted by now
	if !r1.Disabled() {
		t.Error("Disabled() is false after a 410")
	}
	if got := p.ids(); len(got) != 0 {
		t.Errorf("delivered %v after the 410, want nothing", got)
	}
	for _, a := range after {
		if n := tries(a.ID); n != 0 {
			t.Errorf("%s attempted %d times by a disabled exporter", a.ID, n)
		}
	}

	// The dead letter, and the position: past g#1 when it was stored, below
	// it when not; below everything after it either way.
	lettered := testutil.ToFloat64(m.Deliveries.WithLabelValues("p1", exporters.ResultDeadLetter))
	dls, err := b.JetStream().Stream(ctx, bus.StreamDeadLetter)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := dls.GetLastMsgForSubject(ctx, bus.DeadLetterSubject("p1"))
	if refused {
		if lettered != 0 || err == nil {
			t.Errorf("dead letters counted %v, stored message %v (err %v): the store refused them", lettered, msg, err)
		}
	} else {
		if lettered != 1 || err != nil {
			t.Fatalf("dead letters counted %v, want 1; stored: err %v", lettered, err)
		}
		var a alert.Alert
		if err := json.Unmarshal(msg.Data, &a); err != nil || a.ID != "g#1" {
			t.Errorf("dead letter body: id %q, err %v", a.ID, err)
		}
		if got := msg.Header.Get(bus.HeaderDLReason); got != "gone" {
			t.Errorf("dead letter reason %q, want gone", got)
		}
		if got := msg.Header.Get(bus.HeaderDLLastError); !strings.Contains(got, "410") {
			t.Errorf("dead letter last error %q, want the 410", got)
		}
	}
	wantFloor := seqG // g#1 finished, nothing after it
	if refused {
		wantFloor = seqG - 1
	}
	if !md.checkpointed {
		waitFor(t, "the ack floor", func() bool {
			c, err := b.JetStream().Consumer(ctx, bus.StreamAlerts, exporters.ConsumerName("p1"))
			if err != nil {
				return false
			}
			info, err := c.Info(ctx)
			return err == nil && info.AckFloor.Stream == wantFloor
		})
		c, _ := b.JetStream().Consumer(ctx, bus.StreamAlerts, exporters.ConsumerName("p1"))
		info, err := c.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := len(after) + btoi(refused); info.NumAckPending != want {
			t.Errorf("%d changes unacknowledged after the 410, want %d", info.NumAckPending, want)
		}
	} else if want := len(after) + btoi(refused); r1.Unfinished() != want {
		t.Errorf("%d changes held after the 410, want %d", r1.Unfinished(), want)
	}
	stopRunner(r1)
	if md.checkpointed {
		if floor, _, err := b.Checkpoints().Floor(ctx, "p1"); err != nil || floor != wantFloor {
			t.Errorf("checkpoint %d (err %v) after the stop, want %d", floor, err, wantFloor)
		}
	}

	// A restart (a reload) delivers what followed, in order per key, and
	// g#1 only if it was not dead-lettered.
	gone.Store(false)
	r2, m2 := startOn(t, md, b, p, nil)
	want := []string{"g#2", "h#1", "k#1"}
	if refused {
		want = append(want, "g#1")
	}
	waitFor(t, "the changes after the 410 delivered", func() bool { return len(missing(p, want)) == 0 })
	time.Sleep(300 * time.Millisecond) // a change delivered again would be by now
	got := p.ids()
	if !slices.Equal(sorted(got), sorted(want)) {
		t.Errorf("delivered %v after the restart, want each of %v once", got, want)
	}
	if refused && slices.Index(got, "g#1") > slices.Index(got, "g#2") {
		t.Errorf("delivered %v: g#2 before g#1", got)
	}
	if v := testutil.ToFloat64(m2.Disabled.WithLabelValues("p1")); v != 0 || r2.Disabled() {
		t.Errorf("disabled = %v after the restart", v)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestCircuitOpensOnAFailingPartner: after the threshold of partner failures
// the runner stops attempting until the cool-down ends.
func TestCircuitOpensOnAFailingPartner(t *testing.T) {
	forModes(t, func(t *testing.T, md mode) {
		p := &partner{tries: map[string]int{}, fail: func(string, int) int { return http.StatusBadGateway }}
		r := start(t, md, p, exporters.Filter{}, func(c *exporters.RunnerConfig) {
			c.BreakerThreshold = 3
			c.Policy.MaxAttempts = 100
			c.Policy.MinBackoff = 10 * time.Millisecond
			c.Policy.MaxBackoff = 10 * time.Millisecond
		})
		r.publish(t, change("c", 1, alert.ChangeNew))
		waitFor(t, "the circuit to open", func() bool { return r.runner.CircuitState() == exporters.CircuitOpen })
		p.mu.Lock()
		before := p.tries["c#1"]
		p.mu.Unlock()
		time.Sleep(300 * time.Millisecond) // well inside the 5 s minimum cool-down
		p.mu.Lock()
		after := p.tries["c#1"]
		p.mu.Unlock()
		if before != 3 || after != before {
			t.Errorf("attempts: %d when the circuit opened, %d after; want 3 and no more", before, after)
		}
		if v := testutil.ToFloat64(r.metrics.Circuit.WithLabelValues("p1")); v != exporters.CircuitOpen {
			t.Errorf("circuit gauge %v", v)
		}
	})
}

// TestRestartedRunnerClearsDisabled: a runner started after a 410 (a
// reload) sets the disabled gauge back to 0.
func TestRestartedRunnerClearsDisabled(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := exporters.NewMetrics(reg)
	m.Disabled.WithLabelValues("p1").Set(1)
	m.Circuit.WithLabelValues("p1").Set(exporters.CircuitOpen)
	b := testbus.Open(t)
	r := exporters.NewRunner(exporters.RunnerConfig{Name: "p1", Exporter: nil, Stream: bus.StreamAlerts, Subjects: []string{"hazardwire.alerts.>"}},
		b.JetStream(), b, m, testbus.Logger(t))
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer r.Stop(context.Background())
	if v := testutil.ToFloat64(m.Disabled.WithLabelValues("p1")); v != 0 {
		t.Errorf("disabled = %v after a new start", v)
	}
	if v := testutil.ToFloat64(m.Circuit.WithLabelValues("p1")); v != exporters.CircuitClosed {
		t.Errorf("circuit = %v after a new start", v)
	}
}

// TestHeldChangesAreBounded: while the partner fails, a runner holds at most
// MaxAckPending changes and attempts no other; a stop then does not wait for
// room; once the partner answers, every change arrives.
func TestHeldChangesAreBounded(t *testing.T) {
	forModes(t, func(t *testing.T, md mode) {
		p, heal := failingPartner(http.StatusServiceUnavailable, "")
		r := start(t, md, p, exporters.Filter{}, func(c *exporters.RunnerConfig) {
			c.MaxAckPending = 4
			c.Policy.MaxAttempts = 1000
			c.BreakerThreshold = 1000
		})
		var ids []string
		for i := range 20 {
			a := change(fmt.Sprintf("k%d", i), 1, alert.ChangeNew)
			r.publish(t, a)
			ids = append(ids, a.ID)
		}
		attempted := func() int {
			p.mu.Lock()
			defer p.mu.Unlock()
			return len(p.tries)
		}
		waitFor(t, "four changes attempted", func() bool { return attempted() >= 4 })
		time.Sleep(300 * time.Millisecond) // retries come every 20 to 100 ms
		if n := attempted(); n != 4 {
			t.Fatalf("%d changes attempted while 4 were held failing, want 4", n)
		}
		heal()
		waitFor(t, "all 20 delivered", func() bool { return len(p.ids()) == 20 })
		if got := sorted(p.ids()); !slices.Equal(got, sorted(ids)) {
			t.Errorf("delivered %v, want %v", got, ids)
		}
	})
}

// TestStopWhileHoldingAll: a runner holding all it may, every change
// failing, stops without waiting out its deadline.
func TestStopWhileHoldingAll(t *testing.T) {
	forModes(t, func(t *testing.T, md mode) {
		p := &partner{tries: map[string]int{}, fail: func(string, int) int { return http.StatusServiceUnavailable }}
		r := start(t, md, p, exporters.Filter{}, func(c *exporters.RunnerConfig) {
			c.MaxAckPending = 2
			c.Policy.MaxAttempts = 1000
			c.BreakerThreshold = 1000
		})
		for i := range 5 {
			r.publish(t, change(fmt.Sprintf("k%d", i), 1, alert.ChangeNew))
		}
		waitFor(t, "two changes attempted", func() bool {
			p.mu.Lock()
			defer p.mu.Unlock()
			return len(p.tries) == 2
		})
		stopped := make(chan struct{})
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
			defer cancel()
			r.runner.Stop(ctx)
			close(stopped)
		}()
		waitFor(t, "the stop", func() bool {
			select {
			case <-stopped:
				return true
			default:
				return false
			}
		})
	})
}

// TestMaxAttempts: a change that keeps failing is attempted MaxAttempts
// times, then dead-lettered as such.
func TestMaxAttempts(t *testing.T) {
	forModes(t, func(t *testing.T, md mode) {
		p := &partner{tries: map[string]int{}, fail: func(string, int) int { return http.StatusServiceUnavailable }}
		r := start(t, md, p, exporters.Filter{}, func(c *exporters.RunnerConfig) { c.BreakerThreshold = 1000 })
		r.publish(t, change("m", 1, alert.ChangeNew))
		waitFor(t, "the dead letter", func() bool {
			return testutil.ToFloat64(r.metrics.Failures.WithLabelValues("p1", "max_attempts")) == 1
		})
		p.mu.Lock()
		defer p.mu.Unlock()
		if n := p.tries["m#1"]; n != 5 { // the rig's MaxAttempts
			t.Errorf("%d attempts, want 5", n)
		}
	})
}

// TestUpdateLeavingTheFilterIsSent: an update that fails the filter is sent
// when the version before it passed (the partner holds that one: the alert
// fell below its severity, or left its place), and not otherwise; an update
// whose previous version is no longer on the stream is sent, one published
// without the header (before updates carried it) is not.
func TestUpdateLeavingTheFilterIsSent(t *testing.T) {
	forModes(t, func(t *testing.T, md mode) {
		p := &partner{tries: map[string]int{}}
		r := start(t, md, p, exporters.Filter{MinSeverity: alert.SeveritySevere, Geocodes: map[string][]string{"UGC": {"TXZ"}}})
		in := func(zone string) func(*alert.Alert) {
			return func(a *alert.Alert) {
				a.Areas = []alert.Area{{Description: zone, Geocodes: map[string][]string{"UGC": {zone}}}}
			}
		}
		moderate := func(a *alert.Alert) { a.Severity = alert.SeverityModerate }
		seq := map[string]uint64{}
		publish := func(a *alert.Alert, previous string) {
			t.Helper()
			c, err := bus.Encode(a)
			if err != nil {
				t.Fatal(err)
			}
			c.Previous = seq[previous]
			if previous == "gone" {
				c.Previous = 1 << 40
			}
			stored, errs := r.b.PublishAll(context.Background(), []bus.Encoded{c})
			if errs[0] != nil {
				t.Fatal(errs[0])
			}
			seq[a.ID] = stored[0].Seq
		}
		publish(change("a", 1, alert.ChangeNew, in("TXZ001")), "")
		publish(change("a", 2, alert.ChangeUpdate, in("TXZ001"), moderate), "a#1") // falls below: sent
		publish(change("a", 3, alert.ChangeUpdate, in("TXZ001"), moderate), "a#2") // still below: not
		publish(change("a", 4, alert.ChangeCancel, in("TXZ001"), moderate), "")    // the end: sent
		publish(change("b", 1, alert.ChangeNew, in("OKZ001")), "")
		publish(change("b", 2, alert.ChangeUpdate, in("OKZ001")), "b#1") // never in: not
		publish(change("b", 3, alert.ChangeUpdate, in("TXZ002")), "b#2") // comes in: sent
		publish(change("c", 2, alert.ChangeUpdate, in("TXZ001"), moderate), "")
		publish(change("d", 2, alert.ChangeUpdate, in("TXZ001"), moderate), "gone")
		publish(change("e", 1, alert.ChangeNew, in("TXZ003")), "")
		publish(change("e", 2, alert.ChangeUpdate, in("OKZ003")), "e#1") // leaves the place: sent

		want := []string{"a#1", "a#2", "a#4", "b#3", "d#2", "e#1", "e#2"}
		waitFor(t, "the deliveries", func() bool { return len(p.ids()) >= len(want) })
		waitFor(t, "four filtered", func() bool {
			return testutil.ToFloat64(r.metrics.Deliveries.WithLabelValues("p1", exporters.ResultFiltered)) == 4
		})
		got := p.ids()
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("delivered %v, want %v", got, want)
		}
	})
}
