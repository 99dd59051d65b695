package cli

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hazardwire/hazardwire/internal/config"
	"github.com/hazardwire/hazardwire/internal/daemon"
	"github.com/hazardwire/hazardwire/internal/testbus"
)

// TestDeadLettersAndReplay: a partner rejects a change (400), the operator
// lists it, fixes the partner, replays it; then replays the last hour.
func TestDeadLettersAndReplay(t *testing.T) {
	now := time.Now()
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, doc, now.Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))
	}))
	defer feed.Close()
	var mu sync.Mutex
	rejecting := true
	var got []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if rejecting {
			http.Error(w, "schema mismatch", http.StatusBadRequest)
			return
		}
		got = append(got, r.Header.Get("webhook-id"))
	}))
	defer hook.Close()
	yaml := fmt.Sprintf(`bus: {store_dir: %q}
http: {listen: "127.0.0.1:0"}
collectors:
  - {name: a, kind: cap, schedule: "@every 1h", url: %q}
exporters:
  - {name: portal, kind: webhook, url: %q, secret: "whsec_%s"}
`, t.TempDir(), feed.URL, hook.URL, base64.StdEncoding.EncodeToString([]byte("0123456789abcdef")))
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
	defer func() { cancel(); <-done }()
	<-d.Started()
	addr := d.Addr().String()
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
	mu.Lock()
	rejecting = false
	mu.Unlock()
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
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[0] != id || got[1] != id {
		t.Errorf("partner got %v, want the change twice with its original id", got)
	}
	if code, _, errs := run(t, "dlq", "list", "--exporter", "nope", "--addr", addr); code != 1 || !strings.Contains(errs, "no exporter") {
		t.Errorf("unknown exporter: %d %q", code, errs)
	}
}
