package main_test

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFaultPartner delivers a burst of 200 alerts (with updates and cancels)
// to a partner that answers 500, then 429 with Retry-After, then hangs past
// the exporter's timeout, then cuts connections, then is not listening at
// all, and then recovers: every change arrives, in order per key, with one
// id and one body per change, and the retries show in the metrics.
func TestFaultPartner(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test runs the binary")
	}
	b := fkNewBurst(*fkAlerts)
	p := fkStartPartner(t)
	p.setMode(fk500)
	dir := t.TempDir()
	config := fkConfig(t, dir, fkOptions{feedURL: fkFeedServer(t, b), partnerURL: p.url(), timeout: 500 * time.Millisecond})
	d := fkStart(t, config)

	// The whole burst reaches the bus while the partner fails.
	for s := range fkStages {
		b.setStage(s)
		fkWait(t, d, 30*time.Second, "stage landed", func() bool { return d.landed(b, s) })
	}

	// Each fault in turn, until the daemon has seen it (its failure reason
	// counted) at least once. The circuit breaker spaces attempts by ~5s.
	faults := []struct {
		mode   fkMode
		reason string
	}{
		{fk500, "http_5xx"},
		{fk429, "http_429"},
		{fkSlow, "timeout"},
		{fkCut, "network"},
		{fkListenOff, "network"},
	}
	for _, f := range faults {
		before := d.metric(fkFailures(f.reason))
		p.setMode(f.mode)
		fkWait(t, d, 20*time.Second, "a failure "+f.reason+" in mode "+fkModeNames[f.mode], func() bool {
			return d.metric(fkFailures(f.reason)) > before
		})
		t.Logf("mode %s: failure %s seen (partner attempts in this mode so far: %d)", fkModeNames[f.mode], f.reason, p.attemptsIn(f.mode))
	}
	if got := p.got(); len(got) > 0 {
		t.Errorf("partner accepted %d deliveries while failing", len(got))
	}

	p.setMode(fkOK)
	want := b.want(fkStages - 1)
	fkWaitAll(t, d, p, "every change delivered after the partner recovered", want)
	rep := fkCheck(t, p, want)
	retries := d.metric(fkDeliveries("retry"))
	if retries <= 0 {
		t.Errorf("%s = %v after the partner failed, want > 0", fkDeliveries("retry"), retries)
	}
	if dl := d.metric(fkDeliveries("dead_letter")); dl != 0 {
		t.Errorf("%s = %v, want 0", fkDeliveries("dead_letter"), dl)
	}
	t.Logf("%d changes, %d deliveries (%d repeats), %v retries", len(want), rep.deliveries, rep.duplicates, retries)
}

// TestFaultKill SIGKILLs the daemon three times in a row while deliveries of
// a burst are in flight, restarting it on the same store each time: every
// change arrives, in order per key among first deliveries; repeats are
// allowed (at least once) but carry the same body.
func TestFaultKill(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test runs the binary")
	}
	b := fkNewBurst(*fkAlerts)
	p := fkStartPartner(t)
	p.setDelay(*fkDelay) // keep deliveries in flight long enough to be cut
	dir := t.TempDir()
	config := fkConfig(t, dir, fkOptions{feedURL: fkFeedServer(t, b), partnerURL: p.url(), concurrency: 4})

	d := fkStart(t, config)
	for s := range fkStages {
		fresh := fkStageInFlight(t, d, b, p, s)
		d.kill()
		t.Logf("stage %d: killed with %d of %d changes of the stage delivered", s, len(fresh)-p.missing(fresh), len(fresh))
		d = fkStart(t, config)
	}
	want := b.want(fkStages - 1)
	fkWaitAll(t, d, p, "every change delivered after the last restart", want)
	rep := fkCheck(t, p, want)
	t.Logf("%d changes, %d deliveries (%d repeats)", len(want), rep.deliveries, rep.duplicates)
}

// fkStageInFlight moves the feed to stage s once d has every change of the
// stage before on the bus (so the versions the feed makes are known), and
// waits until the partner has some of the stage's new changes: the rest are
// in flight. It returns the stage's new changes.
func fkStageInFlight(t *testing.T, d *fkDaemon, b *fkBurst, p *fkPartner, s int) map[string]fkWant {
	t.Helper()
	if s > 0 {
		fkWait(t, d, 30*time.Second, "the previous stage landed", func() bool { return d.landed(b, s-1) })
	}
	before := len(p.got())
	b.setStage(s)
	fresh := b.want(s)
	for id := range b.want(s - 1) {
		delete(fresh, id)
	}
	fkWait(t, d, 30*time.Second, "deliveries of stage in flight", func() bool {
		for _, dl := range p.got()[before:] {
			if _, ok := fresh[dl.id]; ok {
				return true
			}
		}
		return false
	})
	return fresh
}

// TestFaultCleanStop sends SIGTERM in the middle of a burst to a partner
// that takes 300 ms over each change: the deliveries in flight end before
// the daemon exits 0, and the restarted daemon delivers the rest and
// repeats nothing (a stop that cancelled them would see the partner accept
// them anyway, and the next run send them again).
func TestFaultCleanStop(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test runs the binary")
	}
	const delay, timeout = 300 * time.Millisecond, 5 * time.Second
	if timeout <= delay {
		t.Fatalf("the exporter's timeout %v must exceed the partner's delay %v, or nothing is ever delivered", timeout, delay)
	}
	b := fkNewBurst(60)
	p := fkStartPartner(t)
	p.setDelay(delay)
	dir := t.TempDir()
	config := fkConfig(t, dir, fkOptions{feedURL: fkFeedServer(t, b), partnerURL: p.url(), concurrency: 4, timeout: timeout})

	d := fkStart(t, config)
	b.setStage(0)
	want := b.want(0)
	fkWait(t, d, 30*time.Second, "deliveries under way", func() bool { return len(p.got()) >= 8 })
	if code := d.term(t); code != 0 {
		t.Errorf("exit code after SIGTERM %d, want 0", code)
	}
	atStop := len(p.got())
	time.Sleep(500 * time.Millisecond) // a request the daemon gave up on would land by now
	if n := len(p.got()); n != atStop {
		t.Errorf("the partner accepted %d changes after the daemon exited: their deliveries were cut, not finished", n-atStop)
	}

	d = fkStart(t, config)
	fkWaitAll(t, d, p, "every change delivered after the restart", want)
	rep := fkCheck(t, p, want)
	t.Logf("%d changes: %d delivered before the stop, %d deliveries in all", len(want), atStop, rep.deliveries)
	if rep.duplicates != 0 {
		t.Errorf("%d changes delivered again after a clean stop", rep.duplicates)
	}
}

// fkNATS is a nats-server process built from the module go.mod requires.
type fkNATS struct {
	cmd  *exec.Cmd
	logs *fkLogs
	done chan struct{}
}

// fkBuildNATS builds nats-server from the nats-server module version that
// go.mod requires (go.sum already covers it: no requirement changes).
func fkBuildNATS(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "nats-server")
	build := exec.Command("go", "build", "-o", bin, "github.com/nats-io/nats-server/v2")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build nats-server: %v\n%s", err, out)
	}
	return bin
}

func fkStartNATS(t *testing.T, bin, storeDir string, port int) *fkNATS {
	t.Helper()
	cmd := exec.Command(bin, "-js", "-sd", storeDir, "-a", "127.0.0.1", "-p", strconv.Itoa(port))
	logs := &fkLogs{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n := &fkNATS{cmd: cmd, logs: logs, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(n.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-n.done
		if t.Failed() {
			t.Logf("nats-server (pid %d) log:\n%s", cmd.Process.Pid, fkTail(logs.String(), 6000))
		}
	})
	fkWait(t, nil, 30*time.Second, "nats-server ready", func() bool {
		select {
		case <-n.done:
			t.Fatalf("nats-server exited: %s", logs.String())
		default:
		}
		return strings.Contains(logs.String(), "Server is ready")
	})
	return n
}

// fkExternal is a nats-server process that can be killed and started again
// on the same store and port.
type fkExternal struct {
	bin, store string
	port       int
	n          *fkNATS
}

// fkOnExternal starts nats-server, a burst feed of -fault.alerts, a
// partner taking -fault.delay over each change, and the daemon on that
// server.
func fkOnExternal(t *testing.T) (*fkExternal, *fkBurst, *fkPartner, *fkDaemon) {
	t.Helper()
	x := &fkExternal{bin: fkBuildNATS(t), store: t.TempDir(), port: fkFreePort(t)}
	x.start(t)
	b := fkNewBurst(*fkAlerts)
	p := fkStartPartner(t)
	p.setDelay(*fkDelay)
	d := fkStart(t, fkConfig(t, t.TempDir(), fkOptions{busURL: fmt.Sprintf("nats://127.0.0.1:%d", x.port),
		feedURL: fkFeedServer(t, b), partnerURL: p.url(), concurrency: 4}))
	return x, b, p, d
}

func (x *fkExternal) start(t *testing.T) { x.n = fkStartNATS(t, x.bin, x.store, x.port) }

// kill SIGKILLs the server and waits for it.
func (x *fkExternal) kill() {
	_ = x.n.cmd.Process.Signal(syscall.SIGKILL)
	<-x.n.done
}

// TestFaultExternalNATS runs the daemon against an external nats-server,
// SIGKILLs the server mid-burst, lets the feed move on while it is down, and
// restarts it on the same store and port: the daemon reconnects, publishes
// what it missed, and delivers every change.
func TestFaultExternalNATS(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test runs the binary and nats-server")
	}
	x, b, p, d := fkOnExternal(t)

	// Stage 0 on the bus first, so that the versions the feed makes are
	// known; then the server dies while its deliveries are in flight.
	fkWait(t, d, 30*time.Second, "stage 0 landed", func() bool { return d.landed(b, 0) })
	fkWait(t, d, 30*time.Second, "first deliveries", func() bool { return len(p.got()) >= 10 })
	x.kill()
	t.Logf("nats-server killed with %d deliveries made", len(p.got()))
	// The feed moves on while the bus is down: the lifecycle cannot publish,
	// says so in a metric, and the daemon keeps answering its operators.
	before := d.metric(fkLifecycleErrors("publish"))
	b.setStage(1)
	fkWait(t, d, 30*time.Second, "a publish error while NATS is down", func() bool {
		return d.metric(fkLifecycleErrors("publish")) > before
	})
	for range 3 {
		start := time.Now()
		resp, err := fkClient.Get("http://" + d.addr + "/api/v1/status")
		if err != nil {
			t.Errorf("status while NATS is down: %v after %v", err, time.Since(start).Round(time.Millisecond))
			break
		}
		resp.Body.Close()
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("status while NATS is down took %v", took.Round(time.Millisecond))
		}
		time.Sleep(time.Second)
	}
	x.start(t)
	fkWait(t, d, 60*time.Second, "stage 1 landed after NATS came back", func() bool { return d.landed(b, 1) })
	b.setStage(2)
	want := b.want(fkStages - 1)
	fkWaitAll(t, d, p, "every change delivered", want)
	rep := fkCheck(t, p, want)
	// A nats-server killed before it saved its consumer's state delivers
	// the changes acknowledged since again, as new: the exporter skips
	// those it finished (before it did, 94 to 199 of the 316 came twice).
	t.Logf("%d changes, %d deliveries (%d repeats); %v redeliveries skipped", len(want), rep.deliveries, rep.duplicates,
		d.metric(`hazardwire_exporter_repeats_skipped_total{exporter="partner"}`))
}

// TestFaultStandbyTakesOver runs two daemons on one external nats-server:
// one acts, the other waits as a standby. At each stage, mid-burst, the one
// acting is SIGKILLed; the standby takes over within about the lease's TTL
// and delivers every change, and the killed one, started again, is the new
// standby. Nothing is lost across three such hand-overs.
func TestFaultStandbyTakesOver(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test runs the binary and nats-server")
	}
	bin := fkBuildNATS(t)
	port := fkFreePort(t)
	fkStartNATS(t, bin, t.TempDir(), port)

	b := fkNewBurst(*fkAlerts)
	p := fkStartPartner(t)
	p.setDelay(*fkDelay) // keep deliveries in flight long enough to be cut
	config := fkConfig(t, t.TempDir(), fkOptions{busURL: fmt.Sprintf("nats://127.0.0.1:%d", port), busExtra: "  lease_ttl: 3s\n",
		feedURL: fkFeedServer(t, b), partnerURL: p.url(), concurrency: 4})

	active := fkStart(t, config)
	fkWait(t, active, 30*time.Second, "the first daemon ready", func() bool { return active.readyz() == http.StatusOK })
	standby := fkStart(t, config)
	fkWait(t, standby, 30*time.Second, "the second daemon a standby", func() bool {
		return standby.metric("hazardwire_bus_lease_held") == 0 && standby.readyz() == http.StatusServiceUnavailable
	})
	for s := range fkStages {
		fresh := fkStageInFlight(t, active, b, p, s)
		active.kill()
		t.Logf("stage %d: the daemon acting killed with %d of %d changes of the stage delivered", s, len(fresh)-p.missing(fresh), len(fresh))
		killed := time.Now()
		fkWait(t, standby, 30*time.Second, "the standby taking over", func() bool { return standby.readyz() == http.StatusOK })
		t.Logf("stage %d: the standby ready %v after the kill", s, time.Since(killed).Round(100*time.Millisecond))
		active, standby = standby, fkStart(t, config)
	}
	want := b.want(fkStages - 1)
	fkWaitAll(t, active, p, "every change delivered after the last hand-over", want)
	rep := fkCheck(t, p, want)
	if standby.metric("hazardwire_bus_lease_held") != 0 {
		t.Error("the daemon started last is not a standby")
	}
	t.Logf("%d changes, %d deliveries (%d repeats)", len(want), rep.deliveries, rep.duplicates)
}

// TestFaultReload sends a bad config (SIGHUP, then POST /-/reload) while a
// burst is being delivered: it is rejected, the reload gauge says so, and
// deliveries go on with no repeat at all; then a good config that changes
// the exporter (so it restarts mid-burst) is taken, and every change still
// arrives in order.
func TestFaultReload(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test runs the binary")
	}
	b := fkNewBurst(*fkAlerts)
	p := fkStartPartner(t)
	p.setDelay(*fkDelay)
	dir := t.TempDir()
	// A long attempt timeout: a retry after a slow answer (a loaded
	// machine) would be a repeat, and this test allows none.
	opts := fkOptions{feedURL: fkFeedServer(t, b), partnerURL: p.url(), concurrency: 4, timeout: 10 * time.Second}
	config := fkConfig(t, dir, opts)
	good, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	d := fkStart(t, config)
	const reloadOK = "hazardwire_config_last_reload_successful"

	fkWait(t, d, 30*time.Second, "stage 0 landed", func() bool { return d.landed(b, 0) })
	some := min(10, len(b.want(0))/3) // deliveries under way, whatever the burst's size
	fkWait(t, d, 30*time.Second, "first deliveries", func() bool { return len(p.got()) >= some })
	// An unknown key in the exporter, whatever its other settings.
	bad := strings.Replace(string(good), "    supersede: false\n", "    supersede: false\n    retries: 3\n", 1)
	if bad == string(good) {
		t.Fatal("the bad config is the good one: the exporter has no supersede line to follow")
	}
	if err := os.WriteFile(config, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	fkWait(t, d, 20*time.Second, "the bad config rejected", func() bool { return d.metric(reloadOK) == 0 })
	if code, body := d.reload(); code != http.StatusBadRequest || !strings.Contains(body, "retries") {
		t.Errorf("POST /-/reload of a bad config: %d %q, want 400 naming the bad key", code, body)
	}
	if !strings.Contains(d.logs.String(), "reload on SIGHUP rejected") {
		t.Error("the log does not say the SIGHUP reload was rejected")
	}
	delivered := len(p.got())
	b.setStage(1)
	fkWait(t, d, 30*time.Second, "stage 1 landed with the old config", func() bool { return d.landed(b, 1) })
	fkWait(t, d, 30*time.Second, "deliveries going on", func() bool { return len(p.got()) >= delivered+some })
	if rep := fkCheckSoFar(t, p); rep.duplicates > 0 {
		t.Errorf("%d repeated deliveries after a rejected reload, want none", rep.duplicates)
	}

	// A good config changing the exporter: it restarts mid-burst.
	opts.concurrency *= 2
	fkWriteConfig(t, config, opts)
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	fkWait(t, d, 30*time.Second, "the good config taken", func() bool { return d.metric(reloadOK) == 1 })
	if !strings.Contains(d.logs.String(), "changed=\"[exporter partner]\"") && !strings.Contains(d.logs.String(), "changed=[exporter partner]") {
		t.Error("the good reload did not change (restart) the exporter")
	}
	b.setStage(2)
	want := b.want(fkStages - 1)
	fkWaitAll(t, d, p, "every change delivered", want)
	rep := fkCheck(t, p, want)
	t.Logf("%d changes, %d deliveries (%d repeats)", len(want), rep.deliveries, rep.duplicates)
}
