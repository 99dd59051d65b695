package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/alert"
)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, IO{Stdout: &out, Stderr: &errb})
	return code, out.String(), errb.String()
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheck(t *testing.T) {
	good := writeConfig(t, "collectors:\n  - {name: a, kind: cap, url: \"https://example.org/cap.xml\"}\n")
	if code, out, errs := run(t, "check", "--config", good); code != 0 || !strings.Contains(out, "ok") {
		t.Errorf("check good: %d %q %q", code, out, errs)
	}
	bad := writeConfig(t, "collectors:\n  - name: a\n    kind: cap\n    urll: x\n")
	code, _, errs := run(t, "check", "--config", bad)
	if code != 1 || !strings.Contains(errs, "c.yaml:4:5: unknown key \"urll\"") {
		t.Errorf("check bad: exit %d, stderr %q", code, errs)
	}
	if code, _, _ := run(t, "check"); code != 2 {
		t.Errorf("check without --config: exit %d, want 2", code)
	}
}

const doc = `<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>X-1</identifier><sender>s@example</sender>
<sent>%s</sent><status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
<info><language>en-US</language><category>Met</category><event>Flood Warning</event><urgency>Immediate</urgency>
<severity>Severe</severity><certainty>Likely</certainty><expires>%s</expires><headline>Flood warning</headline>
<area><areaDesc>Somewhere</areaDesc></area></info>
<info><language>en-US</language><category>Met</category><event>Wind Advisory</event><urgency>Immediate</urgency>
<severity>Minor</severity><certainty>Likely</certainty></info></alert>`

func TestCollectPrintsAlertsAndPublishesNothing(t *testing.T) {
	now := time.Now()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/broken" {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		fmt.Fprintf(w, doc, now.Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))
	}))
	defer srv.Close()
	store := t.TempDir()
	cfg := writeConfig(t, fmt.Sprintf("bus: {store_dir: %q}\ncollectors:\n  - {name: a, kind: cap, url: %q}\n  - {name: b, kind: cap, url: %q}\n",
		store, srv.URL+"/cap.xml", srv.URL+"/broken"))
	code, out, errs := run(t, "collect", "--config", cfg, "a")
	if code != 0 {
		t.Fatalf("collect: exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one alert line (the wind advisory is dropped), got %d:\n%s", len(lines), out)
	}
	var a alert.Alert
	if err := json.Unmarshal([]byte(lines[0]), &a); err != nil {
		t.Fatal(err)
	}
	if a.ID != "a:s@example,X-1/en-US#1" || a.Change != alert.ChangeNew || a.Hazard != alert.HazardFlood {
		t.Errorf("alert: %s %s %s", a.ID, a.Change, a.Hazard)
	}
	if entries, _ := os.ReadDir(store); len(entries) != 0 {
		t.Errorf("collect wrote to the store: %v", entries)
	}
	if code, _, errs := run(t, "collect", "--config", cfg, "b"); code != 1 || !strings.Contains(errs, "HTTP 502") {
		t.Errorf("collect of a failing feed: exit %d, stderr %q", code, errs)
	}
	code, out, _ = run(t, "check", "--fetch", "--config", cfg)
	if code != 1 || !strings.Contains(out, "1 new (flood/severe 1)") || !strings.Contains(out, "unmapped 1") || !strings.Contains(out, "HTTP 502") {
		t.Errorf("check --fetch: exit %d\n%s", code, out)
	}
	if code, _, errs := run(t, "collect", "--config", cfg, "zzz"); code != 1 || !strings.Contains(errs, `no collector "zzz"`) {
		t.Errorf("collect of an unknown name: exit %d, stderr %q", code, errs)
	}
}

func TestConfigSampleAndVersion(t *testing.T) {
	code, out, _ := run(t, "config", "sample", "webhook")
	if code != 0 || !strings.Contains(out, "kind: webhook") {
		t.Errorf("config sample webhook: %d\n%s", code, out)
	}
	if code, _, _ := run(t, "config", "sample", "nope"); code != 1 {
		t.Errorf("config sample nope: exit %d, want 1", code)
	}
	if code, out, _ := run(t, "version"); code != 0 || !strings.HasPrefix(out, "hazardwire ") {
		t.Errorf("version: %d %q", code, out)
	}
	if code, _, _ := run(t, "bogus"); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
}

// TestLogFlags: the commands that log take the log flags and name a bad
// value; the usage says which commands those are.
func TestLogFlags(t *testing.T) {
	for _, cmd := range []string{"run", "collect", "demo"} {
		code, _, errs := run(t, cmd, "--log-level", "loud")
		if code != 2 || !strings.Contains(errs, `--log-level "loud"`) {
			t.Errorf("%s --log-level loud: exit %d, stderr %q", cmd, code, errs)
		}
	}
	_, _, errs := run(t)
	if !strings.Contains(errs, "run, collect and demo also take --log-format") {
		t.Errorf("usage does not say which commands take the log flags:\n%s", errs)
	}
}
