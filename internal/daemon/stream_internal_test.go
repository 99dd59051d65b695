package daemon

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/bus"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/internal/config"
	"github.com/hazardwire/hazardwire/internal/lifecycle"
	"github.com/hazardwire/hazardwire/internal/testbus"
)

// TestStreamEndsForAClientThatStopsReading: an event stream whose client
// stops reading ends once a write has waited streamWriteTimeout, instead of
// holding its goroutine and its consumer until the daemon stops: the client,
// reading again, finds the stream closed.
func TestStreamEndsForAClientThatStopsReading(t *testing.T) {
	defer func(old time.Duration) { streamWriteTimeout = old }(streamWriteTimeout)
	streamWriteTimeout = 300 * time.Millisecond
	d := startBare(t)
	ctx := t.Context()
	conn, r := openStream(t, d, "/api/v1/stream", "")

	// More than the sockets hold (20 MB of events), while the client reads
	// nothing.
	b, _ := d.Publisher()
	for i := 0; i < 40; i++ {
		cs := make([]bus.Encoded, 1000)
		for j := range cs {
			cs[j] = testChange(t, fmt.Sprintf("nws:KCHS.HT.Y.%05d", i*1000+j), 1)
		}
		if _, errs := b.PublishAll(ctx, cs); errors.Join(errs...) != nil {
			t.Fatal(errors.Join(errs...))
		}
	}
	time.Sleep(2 * time.Second) // the server's write has waited past its timeout

	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	n, err := io.Copy(io.Discard, r)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the stream was still open 30s after the client read again (%d bytes read): its stalled write never ended it", n)
	}
	t.Logf("the stream ended after %d bytes: %v", n, err)
}

// startBare runs a daemon with no collector and no exporter.
func startBare(t *testing.T) *Daemon { return startWith(t, "") }

// startWith runs a daemon on the config's bus and http sections followed by
// more.
func startWith(t *testing.T, more string) *Daemon { return startOn(t, t.TempDir(), more) }

// startOn is startWith on the store in dir.
func startOn(t *testing.T, dir, more string) *Daemon {
	t.Helper()
	cfg, err := config.Parse("t.yaml", fmt.Appendf(nil, "bus: {store_dir: %q}\nhttp: {listen: \"127.0.0.1:0\"}\n%s", dir, more), os.LookupEnv)
	if err != nil {
		t.Fatal(err)
	}
	d, err := New(cfg, Options{Logger: testbus.Logger(t), Registry: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-d.Started():
	case err := <-done:
		done <- err
		t.Fatalf("daemon stopped at start: %v", err)
	}
	return d
}

// openStream opens the event stream at path (with its query) on a raw
// connection, sending Last-Event-ID when lastID is set, and reads up to the
// stream's first line.
func openStream(t *testing.T, d *Daemon, path, lastID string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", d.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	head := ""
	if lastID != "" {
		head = "Last-Event-ID: " + lastID + "\r\n"
	}
	if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n", path, head); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the stream's head: %v", err)
		}
		if strings.HasPrefix(line, "retry:") {
			return conn, r
		}
	}
}

// TestStreamSendsAnUpdateLeavingItsFilter: an event stream filtered to
// severe alerts sends the update that downgrades one it sent, and not the
// next update, then the end (exporters.Filter.Leaving, as for partners).
func TestStreamSendsAnUpdateLeavingItsFilter(t *testing.T) {
	d := startBare(t)
	key := publishLeaving(t, d)
	got := readEvents(t, d, "/api/v1/stream?min_severity=severe", "0", 3)
	if want := []string{key + "#1", key + "#2", key + "#4"}; !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
}

// TestReplaySendsAnUpdateLeavingTheFilter: a replay to an exporter that
// takes severe alerts sends the update that downgrades one, and not the
// next update, then the end, as the exporter itself does.
func TestReplaySendsAnUpdateLeavingTheFilter(t *testing.T) {
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer hook.Close()
	d := startWith(t, fmt.Sprintf("exporters:\n  - {name: portal, kind: webhook, url: %q, secret: \"whsec_%s\", filter: {min_severity: severe}}\n",
		hook.URL, base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))))
	key := publishLeaving(t, d)
	res, err := http.Post("http://"+d.Addr().String()+"/api/v1/exporters/portal/replay?since=1h", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	for _, want := range []string{"sent " + key + "#1\n", "sent " + key + "#2\n", "sent " + key + "#4\n", "replayed: 3 sent, 0 failed, 1 filtered"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("replay said %q; want it to contain %q", out, want)
		}
	}
}

// publishLeaving publishes an alert in four versions: severe, then
// downgraded (leaving a severe-only filter), updated again, and cancelled.
// It returns the alert's key.
func publishLeaving(t *testing.T, d *Daemon) string {
	t.Helper()
	b, _ := d.Publisher()
	const key = "nws:KCHS.EH.W.0001"
	severe := func(a *alert.Alert) { a.Severity = alert.SeveritySevere }
	as := func(c alert.Change) func(*alert.Alert) { return func(a *alert.Alert) { a.Change = c } }
	var prev uint64
	for _, c := range []bus.Encoded{
		testChange(t, key, 1, severe),
		testChange(t, key, 2, as(alert.ChangeUpdate)), // downgraded: leaves the filter
		testChange(t, key, 3, as(alert.ChangeUpdate)), // still outside
		testChange(t, key, 4, as(alert.ChangeCancel)),
	} {
		if c.Alert.Change == alert.ChangeUpdate {
			c.Previous = prev
		}
		stored, errs := b.PublishAll(t.Context(), []bus.Encoded{c})
		if errs[0] != nil {
			t.Fatal(errs[0])
		}
		prev = stored[0].Seq
	}
	return key
}

// TestStreamResumesPastTheEnd: a client resuming with an id past the
// stream's end had it before the store lost its last writes (bus.Tail): it
// gets every change after the end the daemon found when it started (here an
// empty store: all of them), not only those numbered past its id.
func TestStreamResumesPastTheEnd(t *testing.T) {
	d := startBare(t)
	b, _ := d.Publisher()
	var want []string
	for i := range 3 {
		c := testChange(t, fmt.Sprintf("nws:KCHS.HT.Y.%04d", i), 1)
		if _, errs := b.PublishAll(t.Context(), []bus.Encoded{c}); errors.Join(errs...) != nil {
			t.Fatal(errors.Join(errs...))
		}
		want = append(want, c.Alert.ID)
	}
	if got := readEvents(t, d, "/api/v1/stream", "40", len(want)); !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
}

// readEvents opens the event stream at path with Last-Event-ID lastID and
// returns the alert ids of its first n events, failing after 10 s.
func readEvents(t *testing.T, d *Daemon, path, lastID string, n int) []string {
	t.Helper()
	conn, r := openStream(t, d, path, lastID)
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var got []string
	for len(got) < n {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("after events %v: %v", got, err)
		}
		if rest, ok := strings.CutPrefix(line, "data: "); ok {
			var a alert.Alert
			if err := json.Unmarshal([]byte(rest), &a); err != nil {
				t.Fatal(err)
			}
			got = append(got, a.ID)
		}
	}
	return got
}

// TestStreamResumesAfterTheStoreLostWrites: the store lost the stream's last
// writes (testbus.LoseWrites), and the daemon published those changes again
// at start, under the lost numbers. A client resuming with the last id it
// had before gets them, not only what comes after that number.
func TestStreamResumesAfterTheStoreLostWrites(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	b, err := bus.Open(ctx, bus.Config{StoreDir: dir}, testbus.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	e := lifecycle.NewEngine(b, b.States(), testbus.Logger(t), lifecycle.NewMetrics(prometheus.NewRegistry()), time.Now)
	if err := e.Load(ctx); err != nil {
		t.Fatal(err)
	}
	var items []collectors.Item
	for i := range 30 {
		items = append(items, collectors.Item{Intent: collectors.IntentActive, Alert: *testChange(t, fmt.Sprintf("nws:KCHS.HT.Y.%04d", i), 1).Alert})
	}
	e.Handle(ctx, collectors.Info{Name: "nws", Kind: "nws", Grace: 2}, collectors.Result{Snapshot: true, Items: items}, nil)
	last, err := b.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	testbus.LoseWrites(t, dir, bus.StreamAlerts, false)

	d := startOn(t, dir, "")
	pub, _ := d.Publisher()
	s, err := pub.JetStream().Stream(ctx, bus.StreamAlerts)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for seq := d.started.end + 1; ; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			break
		}
		want = append(want, m.Header.Get("Nats-Msg-Id"))
	}
	if len(want) == 0 {
		t.Fatalf("nothing published again after the loss (the stream ended at %d of %d)", d.started.end, last)
	}
	if got := readEvents(t, d, "/api/v1/stream", strconv.FormatUint(last, 10), len(want)); !slices.Equal(got, want) {
		t.Errorf("events %v, want the changes published again %v", got, want)
	}
}
