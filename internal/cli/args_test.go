package cli

import (
	"bytes"
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

// TestStrayArgumentsAreUsageErrors: an argument a command does not take is
// named and refused (exit 2), not silently ignored: check --config a.yaml
// b.yaml must not say ok having read only a.yaml.
func TestStrayArgumentsAreUsageErrors(t *testing.T) {
	good := writeConfig(t, "collectors: []\n")
	for _, args := range [][]string{
		{"check", "--config", good, "other.yaml"},
		{"run", "--config", good, "other.yaml"},
		{"dlq", "list", "--exporter", "portal", "--addr", "127.0.0.1:1", "extra"},
		{"dlq", "replay", "--exporter", "portal", "--addr", "127.0.0.1:1", "--all", "extra"},
		{"replay", "--exporter", "portal", "--addr", "127.0.0.1:1", "--since", "1h", "extra"},
	} {
		// The context is ended: a run that ignored the stray argument
		// stops at once instead of running the daemon.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var outb, errb bytes.Buffer
		code := Main(ctx, args, IO{Stdout: &outb, Stderr: &errb})
		out, errs := outb.String(), errb.String()
		if code != 2 || !strings.Contains(errs, `"`+args[len(args)-1]+`"`) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2 naming the stray argument", args, code, out, errs)
		}
	}
}

// TestCollectTakesFlagsAfterTheName: collect NAME --config FILE works as
// collect --config FILE NAME does.
func TestCollectTakesFlagsAfterTheName(t *testing.T) {
	cfg := writeConfig(t, "collectors:\n  - {name: a, kind: cap, url: \"https://example.org/cap.xml\"}\n")
	if code, _, errs := run(t, "collect", "zzz", "--config", cfg); code != 1 || !strings.Contains(errs, `no collector "zzz"`) {
		t.Errorf("collect zzz --config: exit %d, stderr %q", code, errs)
	}
	if code, _, errs := run(t, "collect", "--config", cfg, "a", "b"); code != 2 || !strings.Contains(errs, `"b"`) {
		t.Errorf("collect with two names: exit %d, stderr %q", code, errs)
	}
}

// TestUsageNamesEveryFlag: the usage (hazardwire --help) names every flag
// each command takes.
func TestUsageNamesEveryFlag(t *testing.T) {
	_, usageText, _ := run(t, "--help")
	for _, cmd := range [][]string{{"run"}, {"check"}, {"collect"}, {"demo"}, {"dlq", "list"}, {"dlq", "replay"}, {"replay"}} {
		_, _, errs := run(t, append(cmd, "-h")...)
		for _, line := range strings.Split(errs, "\n") {
			f := strings.Fields(line)
			if len(f) == 0 || !strings.HasPrefix(line, "  -") {
				continue
			}
			if name := "-" + f[0]; !strings.Contains(usageText, name) {
				t.Errorf("%s takes %s; the usage does not say so", strings.Join(cmd, " "), name)
			}
		}
	}
}

// TestReplaySaysWhatIsMissing: replay names the flag that is missing or
// wrong, as dlq does.
func TestReplaySaysWhatIsMissing(t *testing.T) {
	if code, _, errs := run(t, "replay", "--since", "2h"); code != 2 || !strings.Contains(errs, "--exporter NAME is required") {
		t.Errorf("replay without --exporter: exit %d, stderr %q", code, errs)
	}
	for _, since := range []string{"", "--since=0s", "--since=-1h"} {
		args := []string{"replay", "--exporter", "portal"}
		if since != "" {
			args = append(args, since)
		}
		if code, _, errs := run(t, args...); code != 2 || !strings.Contains(errs, "--since") || !strings.Contains(errs, "above 0") {
			t.Errorf("%q: exit %d, stderr %q", args, code, errs)
		}
	}
}

// TestUnknownSubcommandIsNamed: dlq and config name an unknown subcommand.
func TestUnknownSubcommandIsNamed(t *testing.T) {
	for _, args := range [][]string{{"dlq", "lst"}, {"config", "sampel"}, {"config", "schema", "webhook"}} {
		if code, _, errs := run(t, args...); code != 2 || !strings.Contains(errs, `"`+args[len(args)-1]+`"`) || !strings.Contains(errs, "usage:") {
			t.Errorf("%q: exit %d, stderr %q", args, code, errs)
		}
	}
}
