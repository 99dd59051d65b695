package daemon_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/internal/config"
	"github.com/hazardwire/hazardwire/internal/daemon"
	"github.com/hazardwire/hazardwire/internal/testbus"
)

// hits counts requests per path.
type hits struct {
	mu sync.Mutex
	n  map[string]int
}

func (h *hits) get(p string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n[p]
}

func reloadConfig(store, feed, hook string, collectors, exporters string) string {
	return fmt.Sprintf("bus: {store_dir: %q}\nhttp: {listen: \"127.0.0.1:0\"}\ncollectors:\n%s\nexporters:\n%s\n", store,
		strings.ReplaceAll(collectors, "FEED", feed), strings.ReplaceAll(exporters, "HOOK", hook))
}

// runFile runs a daemon on the config file (so that it can reload it) until
// the test's end, and returns it with its registry and its run's context.
func runFile(t *testing.T, file string) (*daemon.Daemon, *prometheus.Registry, context.Context) {
	t.Helper()
	cfg, _, err := config.Load(file, collectors.NewClient(collectors.ClientOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	d, err := daemon.New(cfg, daemon.Options{Logger: testbus.Logger(t), Registry: reg, ConfigFile: file})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	<-d.Started()
	return d, reg, ctx
}

func TestReload(t *testing.T) {
	now := time.Now()
	h := &hits{n: map[string]int{}}
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.n[r.URL.Path]++
		h.mu.Unlock()
		fmt.Fprintf(w, capAlert, now.Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))
	}))
	t.Cleanup(feed.Close) // after the daemon stops (runFile)
	var deliveries int64
	var dmu sync.Mutex
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dmu.Lock()
		deliveries++
		dmu.Unlock()
	}))
	t.Cleanup(hook.Close)

	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))
	store := t.TempDir()
	file := filepath.Join(t.TempDir(), "hazardwire.yaml")
	write := func(cols, exps string) {
		body := reloadConfig(store, feed.URL, hook.URL, cols, exps)
		body = strings.ReplaceAll(body, "SECRET", secret)
		if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const (
		keep   = `  - {name: keep, kind: cap, schedule: "@every 1h", url: "FEED/keep"}` + "\n"
		change = `  - {name: change, kind: cap, schedule: "@every 1h", url: "FEED/change-v1"}` + "\n"
		remove = `  - {name: remove, kind: cap, schedule: "@every 1s", url: "FEED/remove"}` + "\n"
		exp    = `  - {name: portal, kind: webhook, url: "HOOK/a", secret: "SECRET"}` + "\n"
	)
	write(keep+change+remove, exp)

	d, reg, ctx := runFile(t, file)
	waitUntil(t, "first polls", func() bool { return h.get("/keep") == 1 && h.get("/change-v1") == 1 && h.get("/remove") >= 1 })
	waitUntil(t, "three deliveries", func() bool { dmu.Lock(); defer dmu.Unlock(); return deliveries == 3 })

	post := func() (int, string) {
		res, err := http.Post("http://"+d.Addr().String()+"/-/reload", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}

	// A bad config is rejected whole; the running one is unchanged.
	write(keep+strings.Replace(change, "change-v1", "change-v2", 1)+`  - {name: broken, kind: cap, shedule: x}`+"\n", exp)
	if code, body := post(); code != http.StatusBadRequest || !strings.Contains(body, `unknown key "shedule"`) {
		t.Fatalf("bad reload: %d %q", code, body)
	}
	if v := testutil.ToFloat64(gauge(t, reg, "hazardwire_config_last_reload_successful")); v != 0 {
		t.Errorf("reload_successful = %v after a rejected reload", v)
	}
	time.Sleep(300 * time.Millisecond)
	if h.get("/change-v2") != 0 {
		t.Fatal("a rejected config was applied")
	}

	// A good one: keep untouched, change restarted, remove stopped, add started;
	// the exporter is unchanged and redelivers nothing.
	add := `  - {name: add, kind: cap, schedule: "@every 1h", url: "FEED/add"}` + "\n"
	write(keep+strings.Replace(change, "change-v1", "change-v2", 1)+add, exp)
	if code, body := post(); code != http.StatusOK {
		t.Fatalf("good reload: %d %q", code, body)
	}
	if v := testutil.ToFloat64(gauge(t, reg, "hazardwire_config_last_reload_successful")); v != 1 {
		t.Errorf("reload_successful = %v after a good reload", v)
	}
	waitUntil(t, "the changed and added collectors to poll", func() bool { return h.get("/change-v2") == 1 && h.get("/add") == 1 })
	removedPolls := h.get("/remove")
	time.Sleep(2500 * time.Millisecond) // the removed collector polled every second
	if got := h.get("/remove"); got != removedPolls {
		t.Errorf("removed collector polled %d more times after the reload", got-removedPolls)
	}
	if got := h.get("/keep"); got != 1 {
		t.Errorf("unchanged collector polled %d times, want 1 (reload must not touch it)", got)
	}
	dmu.Lock()
	n := deliveries
	dmu.Unlock()
	if n != 4 { // 3 before, plus the added collector's alert
		t.Errorf("%d deliveries after the reload, want 4 (no redelivery)", n)
	}

	// The same config again, handed over in-process (an embedder's Reload):
	// nothing changed, so nothing runs.
	same, _, err := config.Load(file, collectors.NewClient(collectors.ClientOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	before := h.get("/change-v2")
	if err := d.Reload(ctx, same); err != nil {
		t.Fatalf("Reload of an unchanged config: %v", err)
	}
	if h.get("/keep") != 1 || h.get("/change-v2") != before {
		t.Error("a reload of an unchanged config polled a collector")
	}
}

func gauge(t *testing.T, reg *prometheus.Registry, name string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: "copy"})
			g.Set(mf.GetMetric()[0].GetGauge().GetValue())
			return g
		}
	}
	t.Fatalf("no metric %s", name)
	return nil
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestReloadRevivesAGoneExporter: an exporter a partner disabled with 410
// Gone delivers again after a reload of the same config (the operator's way
// to say the partner is back), and not before.
func TestReloadRevivesAGoneExporter(t *testing.T) {
	now := time.Now()
	var mu sync.Mutex
	ident, gone, delivered := "KMA-1", true, 0
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		id := ident
		mu.Unlock()
		fmt.Fprint(w, strings.Replace(fmt.Sprintf(capAlert, now.Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339)), "KMA-1", id, 1))
	}))
	t.Cleanup(feed.Close) // after the daemon stops (runFile)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if gone {
			w.WriteHeader(http.StatusGone)
			return
		}
		delivered++
	}))
	t.Cleanup(hook.Close)
	count := func() int { mu.Lock(); defer mu.Unlock(); return delivered }

	file := filepath.Join(t.TempDir(), "hazardwire.yaml")
	body := reloadConfig(t.TempDir(), feed.URL, hook.URL,
		`  - {name: kma, kind: cap, schedule: "@every 1s", url: "FEED"}`,
		`  - {name: portal, kind: webhook, url: "HOOK", secret: "whsec_`+base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))+`"}`)
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	d, reg, _ := runFile(t, file)
	disabled := func() float64 { return testutil.ToFloat64(gauge(t, reg, "hazardwire_exporter_disabled")) }
	waitUntil(t, "the exporter disabled by the 410", func() bool { return disabled() == 1 })

	mu.Lock()
	gone, ident = false, "KMA-2" // the partner is back; a new alert comes
	mu.Unlock()
	waitUntil(t, "the new alert on the bus", func() bool {
		active, err := d.Active(context.Background())
		return err == nil && slices.ContainsFunc(active, func(a alert.Alert) bool { return strings.Contains(a.Key, "KMA-2") })
	})
	time.Sleep(300 * time.Millisecond) // the window a running exporter would deliver it in
	if n := count(); n != 0 {
		t.Fatalf("a disabled exporter delivered %d changes", n)
	}
	res, err := http.Post("http://"+d.Addr().String()+"/-/reload", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("reload: %d", res.StatusCode)
	}
	waitUntil(t, "deliveries after the reload", func() bool { return count() > 0 })
	if v := disabled(); v != 0 {
		t.Errorf("hazardwire_exporter_disabled = %v after the reload, want 0", v)
	}
}
