package main_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/exporters/webhook"
)

// binary is the hazardwire binary built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hazardwire-e2e-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "hazardwire")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build hazardwire:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// feed serves whatever the test last set, per path.
type feed struct {
	mu    sync.Mutex
	docs  map[string]string
	polls map[string]int
}

func (f *feed) set(path, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.docs[path] = body
}

func (f *feed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	body, ok := f.docs[r.URL.Path]
	f.polls[r.URL.Path]++
	f.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	_, _ = io.WriteString(w, body)
}

// delivery is one webhook the partner verified.
type delivery struct {
	webhookID string
	alert     alert.Alert
}

// partner verifies every webhook like a real partner would; while down it
// drops connections.
type partner struct {
	key []byte

	mu        sync.Mutex
	down      bool
	attempts  map[string]int
	delivered []delivery
	rejected  []string
}

func (p *partner) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	defer p.mu.Unlock()
	id := r.Header.Get(webhook.HeaderID)
	p.attempts[id]++
	if p.down {
		panic(http.ErrAbortHandler) // the connection is cut, as if the partner were down
	}
	if err := webhook.Verify(p.key, r.Header, body, time.Now(), 5*time.Minute); err != nil {
		p.rejected = append(p.rejected, id+": "+err.Error())
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var a alert.Alert
	if err := json.Unmarshal(body, &a); err != nil {
		p.rejected = append(p.rejected, id+": "+err.Error())
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	p.delivered = append(p.delivered, delivery{webhookID: id, alert: a})
	w.WriteHeader(http.StatusNoContent)
}

func (p *partner) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
}

func (p *partner) got() []delivery {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.delivered)
}

func (p *partner) has(id string) bool {
	return slices.ContainsFunc(p.got(), func(d delivery) bool { return d.webhookID == id })
}

// daemon is one run of the binary.
type daemon struct {
	cmd  *exec.Cmd
	logs *bytes.Buffer
	done chan struct{}
}

func startDaemon(t *testing.T, config string, env ...string) *daemon {
	t.Helper()
	cmd := exec.Command(binary, "run", "--config", config, "--log-level", "debug")
	cmd.Env = append(os.Environ(), env...)
	var logs bytes.Buffer
	cmd.Stdout = &logs
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &daemon{cmd: cmd, logs: &logs, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(d.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-d.done
		if t.Failed() {
			t.Logf("daemon log:\n%s", logs.String())
		}
	})
	return d
}

func waitFor(t *testing.T, what string, d *daemon, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		select {
		case <-d.done:
			t.Fatalf("daemon exited while waiting for %s", what)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

const capDoc = `<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>%s</identifier>
  <sender>flood@hrfco.example</sender>
  <sent>%s</sent>
  <status>Actual</status>
  <msgType>%s</msgType>
  <scope>Public</scope>%s
  <info>
    <language>ko-KR</language>
    <category>Met</category>
    <event>%s</event>
    <responseType>%s</responseType>
    <urgency>Expected</urgency>
    <severity>%s</severity>
    <certainty>Likely</certainty>
    <expires>%s</expires>
    <headline>%s</headline>
    <area>
      <areaDesc>서울특별시 한강대교</areaDesc>
      <polygon>37.51,126.95 37.53,126.95 37.53,126.98 37.51,126.98 37.51,126.95</polygon>
    </area>
  </info>
</alert>`

func floodDoc(id, msgType, refs, event, response, severity string, sent time.Time) string {
	kst := time.FixedZone("KST", 9*3600)
	if refs != "" {
		refs = "\n  <references>" + refs + "</references>"
	}
	return fmt.Sprintf(capDoc, id, sent.In(kst).Format(time.RFC3339), msgType, refs, event, response, severity,
		sent.Add(6*time.Hour).In(kst).Format(time.RFC3339), event+" 한강대교")
}

func heatDoc(sent, ends time.Time) string {
	edt := time.FixedZone("EDT", -4*3600)
	return fmt.Sprintf(`{"type":"FeatureCollection","features":[{"id":"https://api.weather.gov/alerts/urn:oid:e2e.heat.1","type":"Feature","geometry":null,
"properties":{"id":"urn:oid:e2e.heat.1","areaDesc":"Inland Chatham","geocode":{"UGC":["GAZ118"],"SAME":["013051"]},"references":[],
"sent":%q,"effective":%q,"onset":%q,"expires":%q,"ends":%q,"status":"Actual","messageType":"Alert","category":"Met",
"severity":"Moderate","certainty":"Likely","urgency":"Expected","event":"Heat Advisory","sender":"w-nws.webmaster@noaa.gov",
"senderName":"NWS Charleston SC","headline":"Heat Advisory","description":"Heat index up to 110.","instruction":null,"response":"Execute",
"parameters":{"VTEC":["/O.NEW.KCHS.HT.Y.0007.%s-%s/"]}}}]}`,
		sent.In(edt).Format(time.RFC3339), sent.In(edt).Format(time.RFC3339), sent.In(edt).Format(time.RFC3339),
		ends.In(edt).Format(time.RFC3339), ends.In(edt).Format(time.RFC3339),
		sent.UTC().Format("060102T1504Z"), ends.UTC().Format("060102T1504Z"))
}

// TestEndToEnd runs the binary as a user would: CAP and NWS feeds served
// locally, a partner that verifies every signature, a flood warning through
// new → update → cancel, a heat advisory through new → expire, and a SIGKILL
// while the partner is down.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test builds and runs the binary")
	}
	secretKey := []byte("e2e-secret-key-0123456789abcdef!")
	f := &feed{docs: map[string]string{}, polls: map[string]int{}}
	feeds := httptest.NewServer(f)
	defer feeds.Close()
	p := &partner{key: secretKey, attempts: map[string]int{}}
	hooks := httptest.NewServer(p)
	defer hooks.Close()

	dir := t.TempDir()
	config := filepath.Join(dir, "hazardwire.yaml")
	yaml := fmt.Sprintf(`bus:
  store_dir: ./store
http:
  listen: 127.0.0.1:0
collectors:
  - name: floods
    kind: cap
    schedule: "@every 1s"
    url: %[1]s/cap/flood.xml
  - name: heat
    kind: nws
    schedule: "@every 1s"
    url: %[1]s/nws/active
    user_agent: "hazardwire-e2e (ops@example.org)"
exporters:
  - name: partner
    kind: webhook
    url: %[2]s/hooks
    secret: ${PARTNER_SECRET}
    retry:
      min_backoff: 200ms
      max_backoff: 1s
`, feeds.URL, hooks.URL)
	if err := os.WriteFile(config, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	env := "PARTNER_SECRET=whsec_" + base64.StdEncoding.EncodeToString(secretKey)

	if out, err := exec.Command(binary, "check", "--config", config).CombinedOutput(); err == nil {
		t.Fatalf("check passed without PARTNER_SECRET set:\n%s", out)
	} else if !strings.Contains(string(out), `"PARTNER_SECRET" is not set`) {
		t.Errorf("check without the secret said:\n%s", out)
	}

	t0 := time.Now().Truncate(time.Second)
	const floodKey = "floods:flood@hrfco.example,F-1/ko-KR"
	const heatKey = "heat:KCHS.HT.Y.0007"
	f.set("/cap/flood.xml", floodDoc("F-1", "Alert", "", "홍수주의보", "Prepare", "Moderate", t0))
	f.set("/nws/active", heatDoc(t0, t0.Add(8*time.Second)))

	d := startDaemon(t, config, env)
	waitFor(t, "flood new v1", d, func() bool { return p.has(floodKey + "#1") })
	waitFor(t, "heat new v1", d, func() bool { return p.has(heatKey + "#1") })

	// The warning is upgraded: an Update referencing the first message.
	ref1 := "flood@hrfco.example,F-1," + t0.Format(time.RFC3339)
	ref2 := "flood@hrfco.example,F-2," + t0.Add(2*time.Second).Format(time.RFC3339)
	f.set("/cap/flood.xml", floodDoc("F-2", "Update", ref1, "홍수경보", "Evacuate", "Severe", t0.Add(2*time.Second)))
	waitFor(t, "flood update v2", d, func() bool { return p.has(floodKey + "#2") })
	// The heat advisory's end passes while it is still served.
	waitFor(t, "heat expire v2", d, func() bool { return p.has(heatKey + "#2") })

	// The partner goes down; the warning is cancelled; the daemon is killed
	// after it has tried to deliver the cancel.
	p.setDown(true)
	f.set("/cap/flood.xml", floodDoc("F-3", "Cancel", ref1+" "+ref2,
		"홍수경보 해제", "AllClear", "Minor", t0.Add(4*time.Second)))
	waitFor(t, "an attempt to deliver the cancel", d, func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.attempts[floodKey+"#3"] > 0
	})
	if err := d.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-d.done

	// Restart, bring the partner back: the cancel arrives.
	d = startDaemon(t, config, env)
	p.setDown(false)
	waitFor(t, "flood cancel v3 after the restart", d, func() bool { return p.has(floodKey + "#3") })

	// A clean stop: SIGTERM drains and exits 0.
	if code := terminate(t, d.cmd, d.done); code != 0 {
		t.Errorf("exit code after SIGTERM %d, want 0", code)
	}

	want := map[string]struct {
		change  alert.Change
		version int
		refs    int
	}{
		floodKey + "#1": {alert.ChangeNew, 1, 0},
		floodKey + "#2": {alert.ChangeUpdate, 2, 1},
		floodKey + "#3": {alert.ChangeCancel, 3, 2},
		heatKey + "#1":  {alert.ChangeNew, 1, 0},
		heatKey + "#2":  {alert.ChangeExpire, 2, 1},
	}
	seen := map[string]bool{}
	for _, dl := range p.got() {
		a := dl.alert
		w, ok := want[dl.webhookID]
		if !ok {
			t.Errorf("unexpected delivery %s (%s v%d)", dl.webhookID, a.Change, a.Version)
			continue
		}
		seen[dl.webhookID] = true
		if a.ID != dl.webhookID || a.Change != w.change || a.Version != w.version || len(a.References) != w.refs {
			t.Errorf("delivery %s: id %s change %s version %d references %v; want %s v%d with %d references",
				dl.webhookID, a.ID, a.Change, a.Version, a.References, w.change, w.version, w.refs)
		}
		if a.State != alert.StateAfter(a.Change) {
			t.Errorf("delivery %s: state %s after %s", a.ID, a.State, a.Change)
		}
	}
	for id := range want {
		if !seen[id] {
			t.Errorf("change %s never delivered", id)
		}
	}
	if len(p.rejected) > 0 {
		t.Errorf("partner rejected deliveries: %v", p.rejected)
	}
	// Order per key: versions never go backwards at the partner.
	last := map[string]int{}
	for _, dl := range p.got() {
		if dl.alert.Version < last[dl.alert.Key] {
			t.Errorf("key %s: v%d delivered after v%d", dl.alert.Key, dl.alert.Version, last[dl.alert.Key])
		}
		last[dl.alert.Key] = max(last[dl.alert.Key], dl.alert.Version)
	}
}
