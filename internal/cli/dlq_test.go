package cli

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hazardwire/hazardwire/internal/config"
	"github.com/hazardwire/hazardwire/internal/daemon"
	"github.com/hazardwire/hazardwire/internal/testbus"
)

// startPortal runs a daemon with collector a polling feedURL every hour and
// exporter portal posting to hookURL; it returns the daemon's address and
// stops it at the test's end.
func startPortal(t *testing.T, feedURL, hookURL string) string {
	t.Helper()
	yaml := fmt.Sprintf(`bus: {store_dir: %q}
http: {listen: "127.0.0.1:0"}
collectors:
  - {name: a, kind: cap, schedule: "@every 1h", url: %q}
exporters:
  - {name: portal, kind: webhook, url: %q, secret: "whsec_%s"}
`, t.TempDir(), feedURL, hookURL, base64.StdEncoding.EncodeToString([]byte("0123456789abcdef")))
	cfg, err := config.Parse("c.yaml", []byte(yaml), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	d, err := daemon.New(cfg, daemon.Options{Logger: testbus.Logger(t), Registry: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	<-d.Started()
	return d.Addr().String()
}

// fixablePartner answers 400 to every delivery until fixed, then takes each,
// noting its webhook-id.
type fixablePartner struct {
	*httptest.Server
	mu    sync.Mutex
	fixed bool
	got   []string
}

func newFixablePartner(t *testing.T) *fixablePartner {
	p := &fixablePartner{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if !p.fixed {
			http.Error(w, "schema mismatch", http.StatusBadRequest)
			return
		}
		p.got = append(p.got, r.Header.Get("webhook-id"))
	}))
	t.Cleanup(p.Close) // registered before startPortal: after the daemon stops
	return p
}

func (p *fixablePartner) fix() { p.mu.Lock(); p.fixed = true; p.mu.Unlock() }

// ids returns the webhook-ids taken so far.
func (p *fixablePartner) ids() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.got)
}

// TestDeadLettersAndReplay: a partner rejects a change (400), the operator
// lists it, fixes the partner, replays it; then replays the last hour.
func TestDeadLettersAndReplay(t *testing.T) {
	now := time.Now()
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, doc, now.Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))
	}))
	t.Cleanup(feed.Close) // after the daemon stops (startPortal)
	hook := newFixablePartner(t)
	addr := startPortal(t, feed.URL, hook.URL)
	const id = "a:s@example,X-1/en-US#1"

	var out string
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out, id) {
		if time.Now().After(deadline) {
			t.Fatalf("the dead letter never showed:\n%s", out)
		}
		time.Sleep(50 * time.Millisecond)
		_, out, _ = run(t, "dlq", "list", "--exporter", "portal", "--addr", addr)
	}
	if !strings.Contains(out, "http_4xx") || !strings.Contains(out, "HTTP 400") {
		t.Errorf("dlq list:\n%s", out)
	}
	hook.fix()
	if code, out, errs := run(t, "dlq", "replay", "--exporter", "portal", "--addr", addr, "--id", id); code != 0 || !strings.Contains(out, "1 delivered, 0 failed") {
		t.Fatalf("dlq replay: %d %q %q", code, out, errs)
	}
	if _, out, _ := run(t, "dlq", "list", "--exporter", "portal", "--addr", addr); strings.Contains(out, id) {
		t.Errorf("a replayed dead letter is still listed:\n%s", out)
	}
	if code, _, errs := run(t, "dlq", "replay", "--exporter", "portal", "--addr", addr, "--id", "nope#1"); code != 1 || !strings.Contains(errs, "no dead letter") {
		t.Errorf("replay of an unknown id: %d %q", code, errs)
	}
	code, out, errs := run(t, "replay", "--exporter", "portal", "--addr", addr, "--since", "1h")
	if code != 0 || !strings.Contains(out, "sent "+id) || !strings.Contains(out, "replayed: 1 sent, 0 failed") {
		t.Fatalf("replay --since: %d %q %q", code, out, errs)
	}
	if got := hook.ids(); len(got) != 2 || got[0] != id || got[1] != id {
		t.Errorf("partner got %v, want the change twice with its original id", got)
	}
	if code, _, errs := run(t, "dlq", "list", "--exporter", "nope", "--addr", addr); code != 1 || !strings.Contains(errs, "no exporter") {
		t.Errorf("unknown exporter: %d %q", code, errs)
	}
}

// TestReplayKeepsSupersededDeadLetters: a dead letter whose key has had a
// newer version published since is not sent by a replay (the partner would
// get an older version after a newer one) unless --force.
func TestReplayKeepsSupersededDeadLetters(t *testing.T) {
	now := time.Now()
	var mu sync.Mutex
	headline := "Flood warning"
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		h := headline
		mu.Unlock()
		fmt.Fprint(w, strings.Replace(fmt.Sprintf(doc, now.Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339)), "Flood warning", h, 1))
	}))
	t.Cleanup(feed.Close) // after the daemon stops (startPortal)
	hook := newFixablePartner(t)
	addr := startPortal(t, feed.URL, hook.URL)
	const v1, v2 = "a:s@example,X-1/en-US#1", "a:s@example,X-1/en-US#2"

	var out string
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(out, v1); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the dead letter never showed:\n%s", out)
		}
		_, out, _ = run(t, "dlq", "list", "--exporter", "portal", "--addr", addr)
	}
	// The partner is fixed, and the alert updated: version 2 is delivered.
	hook.fix()
	mu.Lock()
	headline = "Flood warning extended"
	mu.Unlock()
	res, err := http.Post("http://"+addr+"/api/v1/collectors/a/poll", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	for deadline := time.Now().Add(20 * time.Second); len(hook.ids()) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("version 2 never delivered")
		}
	}
	if got := hook.ids(); len(got) != 1 || got[0] != v2 {
		t.Fatalf("delivered %v, want only %s", got, v2)
	}

	code, out, errs := run(t, "dlq", "replay", "--exporter", "portal", "--addr", addr, "--id", v1)
	if code != 0 || !strings.Contains(out, "0 delivered, 0 failed, 1 kept as superseded") || !strings.Contains(out, "version 2 of its key") {
		t.Errorf("replay of a superseded dead letter: %d %q %q", code, out, errs)
	}
	if got := hook.ids(); len(got) != 1 {
		t.Errorf("the partner got %v after the replay: version 1 sent after version 2", got)
	}
	if code, out, errs := run(t, "dlq", "replay", "--exporter", "portal", "--addr", addr, "--id", v1, "--force"); code != 0 || !strings.Contains(out, "1 delivered, 0 failed") {
		t.Errorf("forced replay: %d %q %q", code, out, errs)
	}
	if got := hook.ids(); len(got) != 2 || got[1] != v1 {
		t.Errorf("delivered %v after the forced replay, want %s last", got, v1)
	}
}

// TestReplayExitCode: replay exits 1 when a change failed, when the daemon
// stopped the replay midway (its lease lost), or when the answer has no
// summary; 0 only for a replay that ran to its end.
func TestReplayExitCode(t *testing.T) {
	for _, tt := range []struct {
		name, answer string
		want         int
	}{
		{"all sent", "sent a#1\nreplayed: 1 sent, 0 failed, 0 filtered\n", 0},
		{"nothing to send", "replayed: 0 sent, 0 failed, 0 filtered\n", 0},
		{"one failed", "sent a#1\nfailed b#1: HTTP 500\nreplayed: 1 sent, 1 failed, 0 filtered\n", 1},
		{"stopped by a lost lease", "sent a#1\nstopped before b#1: lease lost\nreplayed: 1 sent, 0 failed, 0 filtered\n", 1},
		{"no summary", "sent a#1\n", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			daemon := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, tt.answer) }))
			defer daemon.Close()
			addr := strings.TrimPrefix(daemon.URL, "http://")
			if code, out, errs := run(t, "replay", "--exporter", "portal", "--addr", addr, "--since", "1h"); code != tt.want || out != tt.answer {
				t.Errorf("exit %d, printed %q (stderr %q); want exit %d", code, out, errs, tt.want)
			}
		})
	}
}

// TestReplayWaitsAsLongAsTheDaemonWrites: a replay that runs longer than
// replay's idle limit, a line at a time, is printed to its end; a daemon
// that goes quiet for the limit is given up on (exit 1, saying so).
func TestReplayWaitsAsLongAsTheDaemonWrites(t *testing.T) {
	defer func(old time.Duration) { replayIdle = old }(replayIdle)
	replayIdle = time.Second
	var quiet atomic.Bool
	daemon := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := range 15 { // 1.5 s in all: longer than the limit
			fmt.Fprintf(w, "sent a#%d\n", i+1)
			w.(http.Flusher).Flush()
			time.Sleep(100 * time.Millisecond)
		}
		if quiet.Load() {
			<-r.Context().Done() // says no more, and does not end
			return
		}
		fmt.Fprint(w, "replayed: 15 sent, 0 failed, 0 filtered\n")
	}))
	defer daemon.Close()
	addr := strings.TrimPrefix(daemon.URL, "http://")
	if code, out, errs := run(t, "replay", "--exporter", "portal", "--addr", addr, "--since", "1h"); code != 0 || !strings.Contains(out, "sent a#15\nreplayed: 15 sent") {
		t.Errorf("a replay longer than the idle limit: exit %d, printed %q, stderr %q", code, out, errs)
	}
	quiet.Store(true)
	if code, out, errs := run(t, "replay", "--exporter", "portal", "--addr", addr, "--since", "1h"); code != 1 || !strings.Contains(out, "sent a#15\n") || !strings.Contains(errs, "nothing from the daemon for 1s") {
		t.Errorf("a daemon gone quiet: exit %d, printed %q, stderr %q", code, out, errs)
	}
}
