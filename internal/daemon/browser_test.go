package daemon_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chromium finds a headless-capable Chromium; CI installs Debian's.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("CI must install Chromium (Debian's chromium package) for the status page test")
	}
	t.Skip("no Chromium on this machine (apt-get install chromium)")
	return ""
}

// TestStatusPageInABrowser opens the status page in headless Chromium and
// checks what a person sees: a row per collector, the failing one marked
// failing, and the page's own verdict; it saves a screenshot in the test's
// temp dir (kept by `go test` with -test.testlogfile, or printed on failure).
func TestStatusPageInABrowser(t *testing.T) {
	browser := chromium(t)
	now := time.Now()
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/broken" {
			http.Error(w, "upstream down", http.StatusBadGateway)
			return
		}
		fmt.Fprintf(w, capAlert, now.Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))
	}))
	defer feed.Close()
	yaml := fmt.Sprintf("bus: {store_dir: %q}\nhttp: {listen: \"127.0.0.1:0\"}\ncollectors:\n"+
		"  - {name: kma-heat, kind: cap, schedule: \"@every 1h\", url: %q}\n  - {name: hrfco-broken, kind: cap, schedule: \"@every 1h\", url: %q}\n",
		t.TempDir(), feed.URL+"/kma", feed.URL+"/broken")
	d := run(t, yaml)
	waitUntil(t, "both collectors to run", func() bool {
		s := d.Status()
		return len(s.Collectors) == 2 && !s.Collectors[0].LastRun.IsZero() && !s.Collectors[1].LastRun.IsZero()
	})
	url := "http://" + d.Addr().String() + "/"
	profile := t.TempDir()
	shot := filepath.Join(t.TempDir(), "status-page.png")
	flags := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile}
	chromium := func(extra ...string) string {
		cctx, ccancel := context.WithTimeout(t.Context(), 60*time.Second)
		defer ccancel()
		out, err := exec.CommandContext(cctx, browser, append(flags, append(extra, url)...)...).Output()
		if err != nil {
			t.Fatalf("chromium %v: %v", extra, err)
		}
		return string(out)
	}
	dom := chromium("--dump-dom")
	for _, want := range []string{`data-collector="kma-heat"`, `data-collector="hrfco-broken"`, "attention needed", "HTTP 502", "heat/moderate"} {
		if !strings.Contains(dom, want) {
			t.Errorf("the page as Chromium rendered it lacks %q", want)
		}
	}
	i := strings.Index(dom, `data-collector="hrfco-broken"`)
	if i < 0 || !strings.Contains(dom[i:min(len(dom), i+400)], "failing") {
		t.Error("the failing collector's row does not say failing")
	}
	chromium("--screenshot="+shot, "--window-size=1600,900")
	if fi, err := os.Stat(shot); err != nil || fi.Size() < 1000 {
		t.Fatalf("no screenshot: %v", err)
	}
	t.Logf("screenshot: %s", shot)
	if dir := os.Getenv("HAZARDWIRE_ARTIFACTS"); dir != "" {
		if b, err := os.ReadFile(shot); err == nil {
			_ = os.WriteFile(filepath.Join(dir, "status-page.png"), b, 0o644)
		}
	}
}
