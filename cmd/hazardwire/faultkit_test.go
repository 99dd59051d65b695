package main_test

// The fault suite's kit: a burst feed, a recording partner with fault modes,
// the built daemon with its logs and metrics, and the delivery invariants.
// Everything here is prefixed fk (fault kit). Every wait is bounded
// (fkWait fails the test at its timeout, or at once if the daemon exits).

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/exporters/webhook"
)

// The suite's sizes and timings, so that it can be run again with others
// without editing it, e.g.
//
//	go test -run Fault -v ./cmd/hazardwire -args -fault.alerts=2000 -fault.delay=5ms -fault.kills=6
var (
	fkAlerts = flag.Int("fault.alerts", 200, "alerts in the burst of each delivery fault test")
	fkDelay  = flag.Duration("fault.delay", 20*time.Millisecond,
		"the partner's delay before each answer, in the tests that keep deliveries in flight to cut them")
	fkKills = flag.Int("fault.kills", 3, "SIGKILLs at random moments in each stage of TestFaultKillAnywhere (of the daemon) and TestFaultNATSKillAnywhere (of nats-server)")
	fkSeed  = flag.Uint64("fault.seed", 0, "seed of the random tests' moments (TestFaultKillAnywhere, TestFaultNATSKillAnywhere, TestFaultPartnerFlaps; 0: from the clock; each logs the one it used)")
)

// fkSecretKey signs every fault-suite delivery.
var fkSecretKey = []byte("fault-suite-key-0123456789abcdef")

// fkEnv holds the environment the fault configs read.
var fkEnv = "FK_SECRET=whsec_" + base64.StdEncoding.EncodeToString(fkSecretKey)

// fkStages is how many stages a burst goes through: 0 issues every key, 1
// updates every third key, 2 cancels every fourth.
const fkStages = 3

// fkBurst is an api.weather.gov-like snapshot feed of n flood warnings
// (keys burst:KFKT.FL.W.0001 …) that evolve by stage. Each key's versions
// are determined by the stages the daemon saw, so the changes the feed can
// produce are known in advance.
type fkBurst struct {
	n  int
	t0 time.Time

	mu      sync.Mutex
	stage   int
	polls   int // requests
	answers int // answers written in full
}

func fkNewBurst(n int) *fkBurst {
	return &fkBurst{n: n, t0: time.Now().Add(-time.Minute).Truncate(time.Second)}
}

// fkKey is the alert key of burst item i (from 1).
func fkKey(i int) string { return fmt.Sprintf("burst:KFKT.FL.W.%04d", i) }

// changesAt reports whether item i changes at stage s.
func fkChangesAt(i, s int) bool {
	switch s {
	case 0:
		return true
	case 1:
		return i%3 == 0
	case 2:
		return i%4 == 0
	}
	return false
}

// fkWant is one change the feed can produce.
type fkWant struct {
	key      string
	version  int
	change   alert.Change
	headline string
}

// fkHeadline is item i's headline as of stage s.
func fkHeadline(i, s int) string { return fmt.Sprintf("Flood Warning %d as of stage %d", i, s) }

// want returns every change the feed produces once the daemon has seen each
// stage up to stage, by id.
func (b *fkBurst) want(stage int) map[string]fkWant {
	out := map[string]fkWant{}
	for i := 1; i <= b.n; i++ {
		v := 0
		for s := 0; s <= stage; s++ {
			if !fkChangesAt(i, s) {
				continue
			}
			v++
			change := alert.ChangeNew
			switch {
			case s == 2:
				change = alert.ChangeCancel
			case v > 1:
				change = alert.ChangeUpdate
			}
			out[alert.MakeID(fkKey(i), v)] = fkWant{key: fkKey(i), version: v, change: change, headline: fkHeadline(i, s)}
		}
	}
	return out
}

// active returns the version of every key in force after stage.
func (b *fkBurst) active(stage int) map[string]int {
	last := map[string]fkWant{}
	for _, w := range b.want(stage) {
		if w.version > last[w.key].version {
			last[w.key] = w
		}
	}
	out := map[string]int{}
	for key, w := range last {
		if w.change != alert.ChangeCancel {
			out[key] = w.version
		}
	}
	return out
}

func (b *fkBurst) setStage(s int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stage = s
}

func (b *fkBurst) pollCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.polls
}

// awaitPoll waits until the feed has answered more than polls polls,
// looking every millisecond (fkWait's 50 ms would blur a kill's moment).
func (b *fkBurst) awaitPoll(t *testing.T, d *fkDaemon, polls int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for b.answered() <= polls {
		if d.exited() {
			t.Fatalf("daemon exited (%v) while waiting for a poll", d.cmd.ProcessState)
		}
		if time.Now().After(deadline) {
			t.Fatal("timed out after 30s waiting for a poll")
		}
		time.Sleep(time.Millisecond)
	}
}

func (b *fkBurst) answered() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.answers
}

func (b *fkBurst) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	b.mu.Lock()
	stage := b.stage
	b.polls++
	b.mu.Unlock()
	var features []string
	for i := 1; i <= b.n; i++ {
		s := 0
		for x := 1; x <= stage; x++ {
			if fkChangesAt(i, x) {
				s = x
			}
		}
		features = append(features, b.feature(i, s))
	}
	w.Header().Set("Content-Type", "application/geo+json")
	if _, err := io.WriteString(w, `{"type":"FeatureCollection","features":[`+strings.Join(features, ",")+`]}`); err != nil {
		return // a daemon killed meanwhile: not an answer
	}
	b.mu.Lock()
	b.answers++
	b.mu.Unlock()
}

// feature is item i as of stage s: NEW, then CON (a new headline), then CAN.
func (b *fkBurst) feature(i, s int) string {
	action, msgType := "NEW", "Alert"
	switch s {
	case 1:
		action, msgType = "CON", "Update"
	case 2:
		action, msgType = "CAN", "Cancel"
	}
	cdt := time.FixedZone("CDT", -5*3600)
	sent := b.t0.Add(time.Duration(s) * time.Second).In(cdt).Format(time.RFC3339)
	ends := b.t0.Add(6 * time.Hour)
	vtec := fmt.Sprintf("/O.%s.KFKT.FL.W.%04d.%s-%s/", action, i,
		b.t0.UTC().Format("060102T1504Z"), ends.UTC().Format("060102T1504Z"))
	return fmt.Sprintf(`{"id":"https://api.weather.gov/alerts/urn:oid:fk.%[1]d.%[2]d","type":"Feature","geometry":null,
"properties":{"id":"urn:oid:fk.%[1]d.%[2]d","areaDesc":"Fault County %[1]d","geocode":{"UGC":["TXC%03[1]d"],"SAME":["048%03[1]d"]},"references":[],
"sent":%[3]q,"effective":%[3]q,"onset":%[3]q,"expires":%[4]q,"ends":%[4]q,"status":"Actual","messageType":%[5]q,"category":"Met",
"severity":"Severe","certainty":"Likely","urgency":"Expected","event":"Flood Warning","sender":"w-nws.webmaster@noaa.gov",
"senderName":"NWS Fault Office","headline":%[6]q,"description":"River flooding, stage %[2]d.","instruction":null,"response":"Avoid",
"parameters":{"VTEC":[%[7]q]}}}`, i, s, sent, ends.In(cdt).Format(time.RFC3339), msgType, fkHeadline(i, s), vtec)
}

// fkMode is what the partner does with a request.
type fkMode int

const (
	fkOK        fkMode = iota // verify, record, 204
	fk500                     // 500
	fk429                     // 429 with Retry-After: 1
	fkSlow                    // answer only once the exporter has given up (then 503)
	fkCut                     // cut the connection without an answer
	fkListenOff               // the listener is closed: connections are refused
)

var fkModeNames = map[fkMode]string{fkOK: "ok", fk500: "500", fk429: "429", fkSlow: "slow", fkCut: "cut", fkListenOff: "down"}

// fkDelivery is one change the partner accepted.
type fkDelivery struct {
	id    string
	body  []byte
	alert alert.Alert
}

// fkPartner records what it accepts, in arrival order, and fails on
// demand. It serves on its own listener so that it can be closed and opened
// again on the same address.
type fkPartner struct {
	t    *testing.T
	addr string

	quit chan struct{} // closed when the test ends: slow requests end

	mu        sync.Mutex
	delay     time.Duration // before answering a request in mode ok
	mode      fkMode
	srv       *http.Server
	attempts  map[fkMode]int
	delivered []fkDelivery
	rejected  []string
}

func fkStartPartner(t *testing.T) *fkPartner {
	t.Helper()
	p := &fkPartner{t: t, attempts: map[fkMode]int{}, quit: make(chan struct{})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(func() {
		close(p.quit)
		p.mu.Lock()
		srv := p.srv
		p.mu.Unlock()
		if srv != nil {
			_ = srv.Close()
		}
	})
	return p
}

func (p *fkPartner) url() string { return "http://" + p.addr + "/hooks" }

func (p *fkPartner) serve(ln net.Listener) {
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	p.srv = srv
	go func() { _ = srv.Serve(ln) }()
}

// setMode switches modes; into fkListenOff closes the listener and every
// connection, out of it listens again on the same address.
func (p *fkPartner) setMode(m fkMode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if m == p.mode {
		return
	}
	if m == fkListenOff {
		_ = p.srv.Close()
		p.srv = nil
	} else if p.mode == fkListenOff {
		var ln net.Listener
		var err error
		for range 100 {
			if ln, err = net.Listen("tcp", p.addr); err == nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if err != nil {
			p.t.Errorf("partner listen again on %s: %v", p.addr, err)
			return
		}
		p.serve(ln)
	}
	p.mode = m
}

// setDelay makes the partner take d over each change it accepts.
func (p *fkPartner) setDelay(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay = d
}

func (p *fkPartner) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	id := r.Header.Get(webhook.HeaderID)
	p.mu.Lock()
	mode, delay := p.mode, p.delay
	p.attempts[mode]++
	p.mu.Unlock()
	if err != nil {
		http.Error(w, "short body", http.StatusBadRequest)
		return
	}
	switch mode {
	case fk500:
		http.Error(w, "partner broken", http.StatusInternalServerError)
		return
	case fk429:
		w.Header().Set("Retry-After", "1")
		http.Error(w, "slow down", http.StatusTooManyRequests)
		return
	case fkSlow:
		// Hang until the exporter gives up, whatever its timeout (or the
		// test ends): an answer after a fixed time would be a 5xx to an
		// exporter whose timeout is longer.
		select {
		case <-r.Context().Done():
		case <-p.quit:
		}
		http.Error(w, "too late", http.StatusServiceUnavailable)
		return
	case fkCut:
		panic(http.ErrAbortHandler)
	}
	if delay > 0 {
		time.Sleep(delay)
		if r.Context().Err() != nil {
			return // the exporter gave up meanwhile: not accepted
		}
	}
	if err := webhook.Verify(fkSecretKey, r.Header, body, time.Now(), 5*time.Minute); err != nil {
		p.reject(id + ": " + err.Error())
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var a alert.Alert
	if err := json.Unmarshal(body, &a); err != nil {
		p.reject(id + ": " + err.Error())
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	p.delivered = append(p.delivered, fkDelivery{id: id, body: body, alert: a})
	p.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (p *fkPartner) reject(why string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rejected = append(p.rejected, why)
}

func (p *fkPartner) got() []fkDelivery {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.delivered)
}

func (p *fkPartner) attemptsIn(m fkMode) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.attempts[m]
}

// hasAll reports whether every id of want has been delivered.
func (p *fkPartner) hasAll(want map[string]fkWant) bool {
	return p.missing(want) == 0
}

// missing counts the ids of want not delivered yet.
func (p *fkPartner) missing(want map[string]fkWant) int { return len(p.missingIDs(want)) }

// missingIDs returns the ids of want p has not accepted, sorted.
func (p *fkPartner) missingIDs(want map[string]fkWant) []string {
	seen := map[string]bool{}
	for _, d := range p.got() {
		seen[d.id] = true
	}
	var out []string
	for id := range want {
		if !seen[id] {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// fkReport is what fkCheck found beyond the invariants.
type fkReport struct {
	deliveries, duplicates int
}

// fkCheck checks the delivery invariants against what the feed produced:
// every change delivered at least once; nothing invented; the same id always
// with the same body; each body the change the feed made; and, among first
// deliveries, a key's versions in order.
func fkCheck(t *testing.T, p *fkPartner, want map[string]fkWant) fkReport {
	t.Helper()
	got := p.got()
	p.mu.Lock()
	rejected := slices.Clone(p.rejected)
	p.mu.Unlock()
	if len(rejected) > 0 {
		t.Errorf("partner rejected %d deliveries, first: %s", len(rejected), rejected[0])
	}
	first := map[string][]byte{}
	lastVersion := map[string]int{}
	rep := fkReport{deliveries: len(got)}
	for _, d := range got {
		w, ok := want[d.id]
		if !ok {
			t.Errorf("delivery %s: an id the feed could not have produced (change %s)", d.id, d.alert.Change)
			continue
		}
		if body, seen := first[d.id]; seen {
			rep.duplicates++
			if !bytes.Equal(body, d.body) {
				t.Errorf("delivery %s: delivered again with another body:\n%s\nthen\n%s", d.id, body, d.body)
			}
			continue
		}
		first[d.id] = d.body
		a := d.alert
		if a.ID != d.id || a.Key != w.key || a.Version != w.version || a.Change != w.change || a.Headline != w.headline {
			t.Errorf("delivery %s: body says id %s key %s v%d %s %q; the feed made %s v%d %s %q",
				d.id, a.ID, a.Key, a.Version, a.Change, a.Headline, w.key, w.version, w.change, w.headline)
		}
		if a.Version <= lastVersion[a.Key] {
			t.Errorf("key %s: v%d first delivered after v%d", a.Key, a.Version, lastVersion[a.Key])
		}
		lastVersion[a.Key] = max(lastVersion[a.Key], a.Version)
	}
	var missing []string
	for id := range want {
		if _, ok := first[id]; !ok {
			missing = append(missing, id)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("%d of %d changes never delivered, e.g. %v", len(missing), len(want), missing[:min(5, len(missing))])
	}
	return rep
}

// fkCheckSoFar checks what the partner has accepted so far: no two bodies
// for one id, and versions in order per key among first deliveries.
func fkCheckSoFar(t *testing.T, p *fkPartner) fkReport {
	t.Helper()
	got := p.got()
	rep := fkReport{deliveries: len(got)}
	first := map[string][]byte{}
	last := map[string]int{}
	for _, d := range got {
		if body, ok := first[d.id]; ok {
			rep.duplicates++
			if !bytes.Equal(body, d.body) {
				t.Errorf("delivery %s: delivered again with another body", d.id)
			}
			continue
		}
		first[d.id] = d.body
		if d.alert.Version <= last[d.alert.Key] {
			t.Errorf("key %s: v%d first delivered after v%d", d.alert.Key, d.alert.Version, last[d.alert.Key])
		}
		last[d.alert.Key] = d.alert.Version
	}
	return rep
}

// fkLogs is a log sink safe to read while the daemon writes.
type fkLogs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *fkLogs) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(b)
}

func (l *fkLogs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// fkDaemon is one run of the built binary.
type fkDaemon struct {
	t    *testing.T
	cmd  *exec.Cmd
	logs *fkLogs
	done chan struct{}
	addr string // the HTTP listener, once known
}

var fkListening = regexp.MustCompile(`msg="http listening" addr=(\S+)`)

// fkStart runs the daemon on config and waits for its HTTP listener.
func fkStart(t *testing.T, config string) *fkDaemon {
	t.Helper()
	d := fkStartExit(t, config)
	fkWait(t, d, 30*time.Second, "the daemon's HTTP listener", func() bool {
		m := fkListening.FindStringSubmatch(d.logs.String())
		if m != nil {
			d.addr = m[1]
		}
		return m != nil
	})
	return d
}

// fkStartExit runs the daemon on config, which may exit at once.
func fkStartExit(t *testing.T, config string) *fkDaemon {
	t.Helper()
	cmd := exec.Command(binary, "run", "--config", config)
	cmd.Env = append(os.Environ(), fkEnv)
	logs := &fkLogs{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &fkDaemon{t: t, cmd: cmd, logs: logs, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(d.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-d.done
		if t.Failed() {
			fkSaveLog(t, fmt.Sprintf("daemon-%d", cmd.Process.Pid), logs.String())
			t.Logf("daemon (pid %d) log, last 20000 bytes:\n%s", cmd.Process.Pid, fkTail(logs.String(), 20000))
		}
	})
	return d
}

// fkSaveLog writes a whole log of a failed test to $HAZARDWIRE_ARTIFACTS,
// when set (CI sets it): the test's output holds only its tail.
func fkSaveLog(t *testing.T, what, log string) {
	dir := os.Getenv("HAZARDWIRE_ARTIFACTS")
	if dir == "" {
		return
	}
	path := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+"-"+what+".log")
	if err := os.WriteFile(path, []byte(log), 0o644); err != nil {
		t.Logf("saving the %s log: %v", what, err)
		return
	}
	t.Logf("the whole %s log: %s", what, path)
}

func fkTail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// kill SIGKILLs the daemon and waits for it.
func (d *fkDaemon) kill() {
	_ = d.cmd.Process.Signal(syscall.SIGKILL)
	<-d.done
}

// term sends SIGTERM and waits up to 30 s for the daemon to exit; it
// returns the exit code.
func (d *fkDaemon) term(t *testing.T) int {
	t.Helper()
	return terminate(t, d.cmd, d.done)
}

// terminate sends cmd SIGTERM and waits up to 30 s for done; it returns
// the exit code.
func terminate(t *testing.T, cmd *exec.Cmd, done <-chan struct{}) int {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("daemon did not stop within 30s of SIGTERM")
	}
	return cmd.ProcessState.ExitCode()
}

func (d *fkDaemon) exited() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

// fkWait polls cond every 50ms until it holds; it fails the test after
// timeout, or at once when d (if not nil) exits.
func fkWait(t *testing.T, d *fkDaemon, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if d != nil && d.exited() {
			t.Fatalf("daemon exited (%v) while waiting for %s", d.cmd.ProcessState, what)
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fkStall is how long the partner may go without a new change before
// fkWaitAll gives up.
const fkStall = 30 * time.Second

// fkWaitAll waits until p has every change of want. It fails only when no
// new change has arrived for fkStall (or d exits), so that a larger burst or
// a slower partner (other timings) takes longer without failing.
func fkWaitAll(t *testing.T, d *fkDaemon, p *fkPartner, what string, want map[string]fkWant) {
	t.Helper()
	left, progress := p.missing(want), time.Now()
	fkWait(t, d, 24*time.Hour, what, func() bool {
		n := p.missing(want)
		if n < left {
			left, progress = n, time.Now()
		}
		if n > 0 && time.Since(progress) > fkStall {
			ids := p.missingIDs(want)
			var series []string
			for s, v := range d.metrics() {
				if strings.HasPrefix(s, "hazardwire_exporter_") && strings.Contains(s, `exporter="partner"`) && v != 0 {
					series = append(series, fmt.Sprintf("%s %v", s, v))
				}
			}
			slices.Sort(series)
			t.Fatalf("%s: %d of %d changes missing, none arrived for %v; first missing %v; the exporter's metrics:\n%s",
				what, n, len(want), fkStall, ids[:min(10, len(ids))], strings.Join(series, "\n"))
		}
		return n == 0
	})
}

var fkClient = &http.Client{Timeout: 5 * time.Second}

// metrics scrapes /metrics: series (name and sorted labels, as exposed) →
// value. It returns nil when the daemon does not answer.
func (d *fkDaemon) metrics() map[string]float64 {
	resp, err := fkClient.Get("http://" + d.addr + "/metrics")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err == nil {
			out[line[:i]] = v
		}
	}
	return out
}

// metric returns one series, named as Prometheus exposes it, e.g.
// `hazardwire_exporter_deliveries_total{exporter="partner",result="retry"}`
// (labels in name order); -1 when absent or the daemon does not answer.
// readyz returns the status of /readyz (0 when it does not answer).
func (d *fkDaemon) readyz() int {
	resp, err := fkClient.Get("http://" + d.addr + "/readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (d *fkDaemon) metric(series string) float64 {
	if v, ok := d.metrics()[series]; ok {
		return v
	}
	return -1
}

func fkDeliveries(result string) string {
	return `hazardwire_exporter_deliveries_total{exporter="partner",result="` + result + `"}`
}

func fkFailures(reason string) string {
	return `hazardwire_exporter_failures_total{exporter="partner",reason="` + reason + `"}`
}

func fkLifecycleErrors(stage string) string {
	return `hazardwire_lifecycle_errors_total{source="burst",stage="` + stage + `"}`
}

// landed reports whether the lifecycle has recorded every change of stage:
// the alerts in force are exactly those the stage leaves, at their versions.
func (d *fkDaemon) landed(b *fkBurst, stage int) bool {
	resp, err := fkClient.Get("http://" + d.addr + "/api/v1/alerts?source=burst")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var body struct {
		Alerts []alert.Alert `json:"alerts"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&body) != nil {
		return false
	}
	active := body.Alerts
	want := b.active(stage)
	if len(active) != len(want) {
		return false
	}
	for _, a := range active {
		if want[a.Key] != a.Version {
			return false
		}
	}
	return true
}

// reload asks the daemon to reload with POST /-/reload, returning the status
// code and body.
func (d *fkDaemon) reload() (int, string) {
	resp, err := fkClient.Post("http://"+d.addr+"/-/reload", "", nil)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// fkOptions shape a fault config.
type fkOptions struct {
	storeDir    string // default ./store
	busURL      string // external NATS instead of the embedded server
	busExtra    string // more bus keys, indented by two spaces
	feedURL     string
	partnerURL  string
	timeout     time.Duration // the exporter's per-attempt timeout (default 1s)
	concurrency int           // default 8
}

// fkConfig writes the config of a fault test into dir and returns its path.
func fkConfig(t *testing.T, dir string, o fkOptions) string {
	t.Helper()
	path := filepath.Join(dir, "hazardwire.yaml")
	fkWriteConfig(t, path, o)
	return path
}

func fkWriteConfig(t *testing.T, path string, o fkOptions) {
	t.Helper()
	if o.storeDir == "" {
		o.storeDir = "./store"
	}
	if o.timeout == 0 {
		o.timeout = time.Second
	}
	if o.concurrency == 0 {
		o.concurrency = 8
	}
	bus := "  store_dir: " + o.storeDir + "\n"
	if o.busURL != "" {
		bus = "  url: " + o.busURL + "\n"
	}
	yaml := fmt.Sprintf(`bus:
%s%shttp:
  listen: 127.0.0.1:0
collectors:
  - name: burst
    kind: nws
    schedule: "@every 1s"
    timeout: 10s
    url: %s/alerts/active
    user_agent: "hazardwire-fault (ops@example.org)"
exporters:
  - name: partner
    kind: webhook
    url: %s
    secret: ${FK_SECRET}
    timeout: %s
    concurrency: %d
    supersede: false
    retry:
      max_attempts: 10000
      min_backoff: 100ms
      max_backoff: 1s
`, bus, o.busExtra, o.feedURL, o.partnerURL, o.timeout, o.concurrency)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil { // a reload never reads half a file
		t.Fatal(err)
	}
}

// fkFeedServer serves b on loopback.
func fkFeedServer(t *testing.T, b *fkBurst) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: b, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String()
}

// fkFreePort returns a loopback port that was free a moment ago.
func fkFreePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
