package daemon_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	_ "github.com/hazardwire/hazardwire/collectors/all"
	_ "github.com/hazardwire/hazardwire/exporters/all"
	"github.com/hazardwire/hazardwire/internal/config"
	"github.com/hazardwire/hazardwire/internal/daemon"
	"github.com/hazardwire/hazardwire/internal/testbus"
)

const capAlert = `<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>KMA-1</identifier><sender>kma@example</sender><sent>%s</sent>
  <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
  <info><language>ko-KR</language><category>Met</category><event>폭염주의보</event>
    <urgency>Expected</urgency><severity>Moderate</severity><certainty>Likely</certainty>
    <expires>%s</expires><headline>폭염주의보 발표</headline>
    <area><areaDesc>서울</areaDesc><geocode><valueName>KMA_REG</valueName><value>L1100000</value></geocode></area>
  </info>
</alert>`

// capFeed serves capAlert, one heat advisory in force sent now, until the
// test ends.
func capFeed(t *testing.T) *httptest.Server {
	t.Helper()
	now := time.Now()
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, capAlert, now.Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))
	}))
	t.Cleanup(feed.Close)
	return feed
}

// start runs a daemon on a feed served by srv and returns it with its address.
func start(t *testing.T, feedURL, hookURL string) (*daemon.Daemon, context.CancelFunc, chan error) {
	t.Helper()
	yaml := fmt.Sprintf(`bus: {store_dir: %q}
http: {listen: "127.0.0.1:0"}
collectors:
  - {name: kma, kind: cap, schedule: "@every 1s", url: %q}
exporters:
  - {name: portal, kind: webhook, url: %q, secret: "whsec_%s"}
`, t.TempDir(), feedURL, hookURL, base64.StdEncoding.EncodeToString([]byte("0123456789abcdef")))
	cfg, err := config.Parse("test.yaml", []byte(yaml), os.LookupEnv)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	d, err := daemon.New(cfg, daemon.Options{Logger: testbus.Logger(t), Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	select {
	case <-d.Started():
	case err := <-done:
		t.Fatalf("daemon stopped at start: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("daemon not started after 30s")
	}
	t.Cleanup(func() { cancel(); <-done })
	return d, cancel, done
}

// run builds a daemon from yaml and runs it until the test ends.
func run(t *testing.T, yaml string) *daemon.Daemon {
	t.Helper()
	d, done := runAsync(t, yaml)
	awaitStart(t, d, done)
	return d
}

// awaitStart waits until d has started.
func awaitStart(t *testing.T, d *daemon.Daemon, done chan error) {
	t.Helper()
	select {
	case <-d.Started():
	case err := <-done:
		done <- err // for the cleanup
		t.Fatalf("daemon stopped at start: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("daemon not started after 30s")
	}
}

// awaitExit waits for Run's result on done (what names the daemon in the
// failure), and puts nil back for the cleanup.
func awaitExit(t *testing.T, done chan error, what string) error {
	t.Helper()
	select {
	case err := <-done:
		done <- nil
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not stop within 30s", what)
		return nil
	}
}

// stop ends a daemon that runCancel runs, and checks it stopped cleanly.
func stop(t *testing.T, cancel context.CancelFunc, done chan error) {
	t.Helper()
	cancel()
	if err := awaitExit(t, done, "the daemon"); err != nil {
		t.Errorf("stop: %v", err)
	}
}

// runAsync builds a daemon from yaml and starts running it until the test
// ends, without waiting for it to start; done has Run's result.
func runAsync(t *testing.T, yaml string) (*daemon.Daemon, chan error) {
	t.Helper()
	d, _, done := runCancel(t, yaml)
	return d, done
}

// runCancel is runAsync that also returns the cancel that stops the daemon.
func runCancel(t *testing.T, yaml string) (*daemon.Daemon, context.CancelFunc, chan error) {
	t.Helper()
	return runLogged(t, yaml, testbus.Logger(t))
}

// runLogged is runCancel with the daemon's logger.
func runLogged(t *testing.T, yaml string, log *slog.Logger) (*daemon.Daemon, context.CancelFunc, chan error) {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(yaml), os.LookupEnv)
	if err != nil {
		t.Fatal(err)
	}
	d, err := daemon.New(cfg, daemon.Options{Logger: log, Registry: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return d, cancel, done
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestDaemonServesMetricsAndHealth(t *testing.T) {
	feed := capFeed(t)
	delivered := make(chan string, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		delivered <- r.Header.Get("webhook-id")
	}))
	defer hook.Close()
	d, cancel, done := start(t, feed.URL, hook.URL)
	base := "http://" + d.Addr().String()

	select {
	case id := <-delivered:
		if id != "kma:kma@example,KMA-1/ko-KR#1" {
			t.Errorf("delivered %q", id)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no delivery")
	}
	if code, body := get(t, base+"/healthz"); code != 200 {
		t.Errorf("/healthz %d %s", code, body)
	}
	if code, body := get(t, base+"/readyz"); code != 200 {
		t.Errorf("/readyz %d %s", code, body)
	}
	// The active gauge is set once the whole poll is handled, which may be
	// just after the partner got the change.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(func() string { _, m := get(t, base+"/metrics"); return m }(), `hazardwire_alerts_active{hazard="heat",severity="moderate"} 1`) {
		if time.Now().After(deadline) {
			t.Fatal("hazardwire_alerts_active never showed the alert")
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, metrics := get(t, base+"/metrics")
	for _, name := range []string{
		`hazardwire_collector_runs_total{collector="kma",result="skipped"} 0`,
		`hazardwire_collector_fetch_duration_seconds_bucket{collector="kma"`,
		`hazardwire_collector_last_success_timestamp_seconds{collector="kma"}`,
		`hazardwire_collector_items{collector="kma"}`,
		`hazardwire_alerts_changes_total{change="cancel",hazard="flood",source="kma"} 0`,
		`hazardwire_alerts_active{hazard="heat",severity="moderate"} 1`,
		`hazardwire_alerts_dropped_total{reason="unmapped",source="kma"} 0`,
		`hazardwire_exporter_deliveries_total{exporter="portal",result="dead_letter"} 0`,
		`hazardwire_exporter_delivery_duration_seconds_bucket{exporter="portal"`,
		`hazardwire_exporter_pending{exporter="portal"}`,
		`hazardwire_exporter_alert_latency_seconds_bucket{exporter="portal"`,
		`hazardwire_config_last_reload_successful 1`,
		`hazardwire_config_last_reload_success_timestamp_seconds`,
		`hazardwire_build_info{goversion="go`,
	} {
		if !strings.Contains(metrics, name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	problems, err := testutil.GatherAndLint(d.Registry())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("metric lint: %s: %s", p.Metric, p.Text)
	}

	stop(t, cancel, done)
}

// TestStatusDuringStart: the status page is served before the exporters
// start, and reads them as they do (a data race under -race before).
func TestStatusDuringStart(t *testing.T) {
	d, _ := runAsync(t, fmt.Sprintf(`bus: {store_dir: %q}
http: {listen: "127.0.0.1:0"}
exporters:
  - {name: portal, kind: webhook, url: "http://127.0.0.1:1/", secret: "whsec_%s"}
`, t.TempDir(), base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))))
	for {
		_ = d.Status()
		select {
		case <-d.Started():
			if st := d.Status(); len(st.Exporters) != 1 || st.Exporters[0].Name != "portal" {
				t.Errorf("status after start: %+v", st.Exporters)
			}
			return
		default:
		}
	}
}
