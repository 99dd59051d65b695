package cli

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/internal/config"
	"github.com/hazardwire/hazardwire/internal/daemon"
	"github.com/hazardwire/hazardwire/internal/testbus"
)

// TestOperatorCommandsSendTheConfigsToken: once http.tokens are configured,
// the daemon answers the dead-letter and replay endpoints only to a bearer
// token, loopback included; dlq and replay given --config send one.
func TestOperatorCommandsSendTheConfigsToken(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	hook := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(hook.Close)
	file := writeConfig(t, fmt.Sprintf(`bus: {store_dir: %q}
http:
  listen: %q
  tokens: [{name: ops, token: "0123456789abcdef-ops"}]
exporters:
  - {name: portal, kind: webhook, url: %q, secret: "whsec_%s"}
`, t.TempDir(), addr, hook.URL, base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))))
	cfg, _, err := config.Load(file, collectors.NewClient(collectors.ClientOptions{}))
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

	if code, out, errs := run(t, "dlq", "list", "--exporter", "portal", "--config", file); code != 0 || !strings.Contains(out, "LAST ERROR") {
		t.Errorf("dlq list --config: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if code, out, errs := run(t, "replay", "--config", file, "--exporter", "portal", "--since", "1h"); code != 0 || !strings.Contains(out, "replayed: 0 sent, 0 failed") {
		t.Errorf("replay --config: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	// --addr names the address; --config still gives the token.
	if code, _, errs := run(t, "dlq", "list", "--addr", addr, "--config", file, "--exporter", "portal"); code != 0 {
		t.Errorf("dlq list --addr --config: exit %d, stderr %q", code, errs)
	}
	// Without the config, the 401 says how to send a token.
	if code, _, errs := run(t, "dlq", "list", "--addr", addr, "--exporter", "portal"); code != 1 || !strings.Contains(errs, "401") || !strings.Contains(errs, "--config") {
		t.Errorf("dlq list without a token: exit %d, stderr %q", code, errs)
	}
}
