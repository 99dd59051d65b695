package daemon_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hazardwire/hazardwire/bus"
	"github.com/hazardwire/hazardwire/internal/config"
	"github.com/hazardwire/hazardwire/internal/daemon"
	"github.com/hazardwire/hazardwire/internal/testbus"
)

// awaitBody polls url until its body contains want.
func awaitBody(t *testing.T, url, want string, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		_, body := get(t, url)
		if strings.Contains(body, want) {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never had %q; last: %s", url, want, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestStandbyTakesOverOnAnExternalCluster: two daemons on one external
// cluster. The second waits as a standby, not ready and polling nothing,
// while the first holds the lease; when the first stops, the second takes
// over and carries on from the first's state: no change is made twice.
func TestStandbyTakesOverOnAnExternalCluster(t *testing.T) {
	url := testbus.External(t)
	now := time.Now()
	var hits [2]atomic.Int64
	feed := func(i int) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			hits[i].Add(1)
			fmt.Fprintf(w, capAlert, now.Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	var mu sync.Mutex
	var got []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Get("webhook-id"))
		mu.Unlock()
	}))
	t.Cleanup(hook.Close)
	delivered := func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), got...) }
	config := func(feedURL string) string {
		return fmt.Sprintf(`bus: {url: %q, lease_ttl: 3s, max_bytes: 64MiB}
http: {listen: "127.0.0.1:0"}
collectors:
  - {name: kma, kind: cap, schedule: "@every 1s", url: %q}
exporters:
  - {name: portal, kind: webhook, url: %q, secret: "whsec_%s"}
`, url, feedURL, hook.URL, base64.StdEncoding.EncodeToString([]byte("0123456789abcdef")))
	}
	const id = "kma:kma@example,KMA-1/ko-KR#1"

	first, stopFirst, firstDone := runCancel(t, config(feed(0).URL))
	awaitStart(t, first, firstDone)
	awaitDeliveries(t, delivered, 1)
	firstBase := "http://" + first.Addr().String()
	awaitBody(t, firstBase+"/metrics", "hazardwire_bus_lease_held 1", 10*time.Second)

	second, secondDone := runAsync(t, config(feed(1).URL))
	secondBase := "http://" + second.Addr().String()
	awaitBody(t, secondBase+"/readyz", "standby: the streams are held by", 30*time.Second)
	if code, _ := get(t, secondBase+"/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("a standby's /readyz answers %d", code)
	}
	_, metrics := get(t, secondBase+"/metrics")
	if !strings.Contains(metrics, "hazardwire_bus_lease_held 0") {
		t.Error("a standby's hazardwire_bus_lease_held is not 0")
	}
	if err := second.Reload(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "standby") {
		t.Errorf("a reload of a standby: %v, want it refused as a standby's", err)
	}
	time.Sleep(2 * time.Second) // two of the collector's schedules
	if n := hits[1].Load(); n != 0 {
		t.Fatalf("the standby polled its feed %d times", n)
	}

	stop(t, stopFirst, firstDone)
	select {
	case <-second.Started():
	case err := <-secondDone:
		t.Fatalf("the standby stopped: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the standby did not take over within 30s of the first's stop")
	}
	awaitBody(t, secondBase+"/metrics", "hazardwire_bus_lease_held 1", 10*time.Second)
	for hits[1].Load() < 3 {
		time.Sleep(50 * time.Millisecond)
	}
	for _, d := range delivered() {
		if d != id {
			t.Errorf("delivered %q after the hand-over: the new holder made a change the first had made", d)
		}
	}
}

// awaitDeliveries waits until delivered has at least n ids.
func awaitDeliveries(t *testing.T, delivered func() []string, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for len(delivered()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries after 30s, want %d", len(delivered()), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// takeLease writes another daemon ("elsewhere") over the lease on the
// streams at url, as if it had taken it, through a bus it returns (open
// until the test ends).
func takeLease(t *testing.T, url string) *bus.Bus {
	t.Helper()
	ctx := context.Background()
	b, err := bus.Open(ctx, bus.Config{URL: url, MaxBytes: 64 << 20}, testbus.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	kv, err := b.JetStream().KeyValue(ctx, bus.BucketLeases)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "daemon", []byte(`{"host":"elsewhere","pid":1,"instance":"other"}`)); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestLostLeaseStops: a daemon that finds another holding its lease (here
// written over it) stops at once, and says why.
func TestLostLeaseStops(t *testing.T) {
	url := testbus.External(t)
	d, done := runAsync(t, fmt.Sprintf(`bus: {url: %q, lease_ttl: 3s, max_bytes: 64MiB}
http: {listen: "127.0.0.1:0"}
`, url))
	awaitStart(t, d, done)
	takeLease(t, url)
	if err := awaitExit(t, done, "a daemon whose lease another holds"); err == nil || !strings.Contains(err.Error(), "lease lost") || !strings.Contains(err.Error(), "elsewhere") {
		t.Errorf("Run returned %v, want the lease lost to elsewhere", err)
	}
}

// TestLostLeaseStopsActingAtOnce: a daemon that lost its lease has a third
// of the TTL, at most, before another takes it; it must not finish a poll
// in flight (publishing what it decided from its own state beside the new
// holder) nor a delivery in flight, however long its stop could otherwise
// wait for them (ShutdownTimeout, the collector's timeout).
func TestLostLeaseStopsActingAtOnce(t *testing.T) {
	url := testbus.External(t)
	now := time.Now()
	release := make(chan struct{})
	var polls, posts atomic.Int64
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := fmt.Sprintf(capAlert, now.Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))
		if polls.Add(1) > 1 { // every later poll waits, then brings a new alert
			select {
			case <-r.Context().Done():
				return
			case <-release:
			}
			body = strings.Replace(body, "KMA-1", "KMA-2", 1)
		}
		fmt.Fprint(w, body)
	}))
	t.Cleanup(feed.Close)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		select { // the partner answers once released
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(hook.Close)
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	t.Cleanup(free)
	cfg, err := config.Parse("test.yaml", []byte(fmt.Sprintf(`bus: {url: %q, lease_ttl: 3s, max_bytes: 64MiB}
http: {listen: "127.0.0.1:0"}
collectors:
  - {name: kma, kind: cap, schedule: "@every 1s", url: %q}
exporters:
  - {name: portal, kind: webhook, url: %q, secret: "whsec_%s"}
`, url, feed.URL, hook.URL, base64.StdEncoding.EncodeToString([]byte("0123456789abcdef")))), os.LookupEnv)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	d, err := daemon.New(cfg, daemon.Options{Logger: testbus.Logger(t), Registry: reg, ShutdownTimeout: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	awaitStart(t, d, done)
	deadline := time.Now().Add(30 * time.Second)
	for polls.Load() < 2 || posts.Load() < 1 { // a poll and a delivery in flight
		if time.Now().After(deadline) {
			t.Fatalf("after 30s: %d polls, %d deliveries", polls.Load(), posts.Load())
		}
		time.Sleep(20 * time.Millisecond)
	}

	b := takeLease(t, url)
	// Once the daemon knows it lost the lease (or has stopped), another may
	// act: the feed and the partner answer what was in flight.
	var stopped error
	for deadline := time.Now().Add(30 * time.Second); stopped == nil; {
		select {
		case err := <-done:
			stopped = fmt.Errorf("stopped: %w", err)
			done <- err
			continue
		default:
		}
		if resp, err := http.Get("http://" + d.Addr().String() + "/metrics"); err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(body), "hazardwire_bus_lease_held 0") {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the daemon did not see its lease lost within 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	free()
	select {
	case err := <-done:
		done <- err // for the cleanup
		if err == nil || !strings.Contains(err.Error(), "lease lost") {
			t.Errorf("Run returned %v, want the lease lost", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("a daemon that lost its lease had not stopped 60s later")
	}
	info, err := b.JetStream().Stream(context.Background(), bus.StreamAlerts)
	if err != nil {
		t.Fatal(err)
	}
	if n := info.CachedInfo().State.Msgs; n != 1 {
		t.Errorf("%d changes on the stream, want 1: the poll in flight was published after the lease was lost", n)
	}
	if n := counted(t, reg, "hazardwire_exporter_deliveries_total", "success"); n != 0 {
		t.Errorf("%v deliveries succeeded after the lease was lost: the delivery in flight went on", n)
	}
}

// counted is the value of the counter name whose result label is result.
func counted(t *testing.T, reg *prometheus.Registry, name, result string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" && l.GetValue() == result {
					n += m.GetCounter().GetValue()
				}
			}
		}
	}
	return n
}

// TestLeaseLostWhileDrainingStopsDeliveries: a clean stop lets deliveries in
// flight end, up to ShutdownTimeout, while the renewer keeps the lease. If
// the lease is lost meanwhile (renewals failing, another daemon holding it),
// another daemon may deliver the same changes: the drain ends at once.
func TestLeaseLostWhileDrainingStopsDeliveries(t *testing.T) {
	url := testbus.External(t)
	now := time.Now()
	release := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	var posts atomic.Int64
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, capAlert, now.Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))
	}))
	t.Cleanup(feed.Close)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		select { // a partner that answers only once released
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(hook.Close)
	t.Cleanup(free) // before the partner closes
	cfg, err := config.Parse("test.yaml", []byte(fmt.Sprintf(`bus: {url: %q, lease_ttl: 3s, max_bytes: 64MiB}
http: {listen: "127.0.0.1:0"}
collectors:
  - {name: kma, kind: cap, schedule: "@every 1h", url: %q}
exporters:
  - {name: portal, kind: webhook, url: %q, timeout: 10m, secret: "whsec_%s"}
`, url, feed.URL, hook.URL, base64.StdEncoding.EncodeToString([]byte("0123456789abcdef")))), os.LookupEnv)
	if err != nil {
		t.Fatal(err)
	}
	d, err := daemon.New(cfg, daemon.Options{Logger: testbus.Logger(t), Registry: prometheus.NewRegistry(), ShutdownTimeout: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	awaitStart(t, d, done)
	for deadline := time.Now().Add(30 * time.Second); posts.Load() < 1; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no delivery after 30s")
		}
	}
	cancel() // a clean stop: the delivery in flight may end
	takeLease(t, url)
	select {
	case err := <-done:
		done <- err // for the cleanup
	case <-time.After(60 * time.Second):
		t.Error("a daemon stopping cleanly kept delivering 60s after its lease was lost")
	}
}

// stallOn is a log handler that holds the goroutine logging msg, the first
// time, until release is closed: a start that takes that long there.
type stallOn struct {
	slog.Handler
	msg     string
	reached chan struct{}
	release chan struct{}
	once    *sync.Once
}

func (s stallOn) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == s.msg {
		s.once.Do(func() { close(s.reached); <-s.release })
	}
	return s.Handler.Handle(ctx, r)
}

func (s stallOn) WithAttrs(as []slog.Attr) slog.Handler {
	s.Handler = s.Handler.WithAttrs(as)
	return s
}

func (s stallOn) WithGroup(name string) slog.Handler {
	s.Handler = s.Handler.WithGroup(name)
	return s
}

// TestLeaseLostDuringStart: a daemon that loses its lease while it starts
// (loading the state, starting the exporters) stops with the lease lost,
// like one that loses it running: not with the context its start was
// cancelled by, which `hazardwire run` takes for a clean stop (exit 0, and
// a service manager does not start it again as a standby).
func TestLeaseLostDuringStart(t *testing.T) {
	url := testbus.External(t)
	hook := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(hook.Close)
	// The state loaded, the exporters not started yet: the start stalls.
	stall := stallOn{Handler: testbus.Logger(t).Handler(), msg: "lifecycle state loaded",
		reached: make(chan struct{}), release: make(chan struct{}), once: new(sync.Once)}
	var freed sync.Once
	free := func() { freed.Do(func() { close(stall.release) }) }
	d, _, done := runLogged(t, fmt.Sprintf(`bus: {url: %q, lease_ttl: 3s, max_bytes: 64MiB}
http: {listen: "127.0.0.1:0"}
exporters:
  - {name: portal, kind: webhook, url: %q, secret: "whsec_%s"}
`, url, hook.URL, base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))), slog.New(stall))
	t.Cleanup(free) // before the daemon's cleanup, which waits for its stop
	select {
	case <-stall.reached:
	case err := <-done:
		done <- err
		t.Fatalf("stopped before loading the state: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the state not loaded after 30s")
	}

	takeLease(t, url)
	awaitBody(t, "http://"+d.Addr().String()+"/metrics", "hazardwire_bus_lease_held 0", 30*time.Second)
	free()
	select {
	case err := <-done:
		done <- err // for the cleanup
		if err == nil || errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "lease lost") {
			t.Errorf("Run returned %v, want the lease lost (and not context.Canceled, a clean stop to the CLI)", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("a daemon that lost its lease while starting had not stopped 60s later")
	}
}

// TestStandbyActsOnNothingThroughItsAPI: a standby's operator endpoints
// (hazardwire dlq replay and replay ask whichever daemon --config names)
// must not deliver to partners nor poll beside the daemon holding the
// lease, and its pull API must not answer "no alerts in force" from the
// state it has not loaded; its status page and status API still answer.
func TestStandbyActsOnNothingThroughItsAPI(t *testing.T) {
	url := testbus.External(t)
	now := time.Now()
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, capAlert, now.Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))
	}))
	t.Cleanup(feed.Close)
	var posts atomic.Int64
	hook := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { posts.Add(1) }))
	t.Cleanup(hook.Close)
	yaml := fmt.Sprintf(`bus: {url: %q, lease_ttl: 3s, max_bytes: 64MiB}
http: {listen: "127.0.0.1:0"}
collectors:
  - {name: kma, kind: cap, schedule: "@every 1h", url: %q}
exporters:
  - {name: portal, kind: webhook, url: %q, secret: "whsec_%s"}
`, url, feed.URL, hook.URL, base64.StdEncoding.EncodeToString([]byte("0123456789abcdef")))
	first, firstDone := runAsync(t, yaml)
	awaitStart(t, first, firstDone)
	for deadline := time.Now().Add(30 * time.Second); posts.Load() < 1; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no delivery after 30s")
		}
	}
	second, _ := runAsync(t, yaml)
	base := "http://" + second.Addr().String()
	awaitBody(t, base+"/readyz", "standby: the streams are held by", 30*time.Second)

	for _, path := range []string{"/api/v1/exporters/portal/replay?since=1h", "/api/v1/dlq/portal/replay?all=true", "/api/v1/collectors/kma/poll"} {
		res, err := http.Post(base+path, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "standby") {
			t.Errorf("POST %s on a standby: %d %s, want 503 naming it a standby", path, res.StatusCode, body)
		}
	}
	if code, body := get(t, base+"/api/v1/alerts"); code != http.StatusServiceUnavailable {
		t.Errorf("GET /api/v1/alerts on a standby: %d %s, want 503 (the holder has an alert in force)", code, body)
	}
	if code, _ := get(t, base+"/api/v1/dlq/portal"); code != http.StatusOK {
		t.Errorf("GET /api/v1/dlq/portal on a standby (it only reads): %d", code)
	}
	for _, path := range []string{"/", "/api/v1/status"} {
		if code, body := get(t, base+path); code != http.StatusOK {
			t.Errorf("GET %s on a standby: %d %s", path, code, body)
		}
	}
	time.Sleep(time.Second) // a replay's deliveries are made as it answers; give any late one time
	if n := posts.Load(); n != 1 {
		t.Errorf("%d deliveries, want the holder's 1: the standby delivered", n)
	}
}

// TestStandbyLeavesTheStreamsAlone: a standby started with other stream
// settings (max_bytes here, as an operator editing one machine's config
// would) must not apply them under the daemon holding the lease: a smaller
// max_bytes drops, at once, changes the holder has not delivered yet. The
// daemon applies its settings once it holds the lease.
func TestStandbyLeavesTheStreamsAlone(t *testing.T) {
	url := testbus.External(t)
	yaml := func(maxBytes string) string {
		return fmt.Sprintf("bus: {url: %q, lease_ttl: 3s, max_bytes: %s}\nhttp: {listen: \"127.0.0.1:0\"}\n", url, maxBytes)
	}
	first, stopFirst, firstDone := runCancel(t, yaml("64MiB"))
	awaitStart(t, first, firstDone)
	second, secondDone := runAsync(t, yaml("32MiB"))
	awaitBody(t, "http://"+second.Addr().String()+"/readyz", "standby: the streams are held by", 30*time.Second)

	nc, err := nats.Connect(url) // not bus.Open: it would apply its own settings
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	maxBytes := func() int64 {
		s, err := js.Stream(context.Background(), bus.StreamAlerts)
		if err != nil {
			t.Fatal(err)
		}
		return s.CachedInfo().Config.MaxBytes
	}
	if n := maxBytes(); n != 64<<20 {
		t.Errorf("the stream's max_bytes is %d while the first daemon holds the lease, want its 64MiB", n)
	}
	stop(t, stopFirst, firstDone)
	awaitStart(t, second, secondDone)
	if n := maxBytes(); n != 32<<20 {
		t.Errorf("the stream's max_bytes is %d once the second daemon holds the lease, want its 32MiB", n)
	}
}
