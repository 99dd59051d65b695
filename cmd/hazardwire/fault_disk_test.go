package main_test

import (
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/bus"
	"github.com/hazardwire/hazardwire/internal/testbus"
)

// fkMount mounts a tmpfs of size at a new directory and unmounts it at the
// end of the test; it skips the test when mounting is not possible (not
// root, or no tmpfs).
func fkMount(t *testing.T, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs for the store (needs root): %v: %s", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		// Lazily, so that a daemon still holding files open cannot keep it.
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// fkFill writes a file in dir until the file system is full.
func fkFill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling %s: %v", dir, err)
			}
			break
		}
	}
	// Fill the last partial block too.
	for n := 4096; n > 0; n /= 2 {
		for {
			if _, err := f.Write(buf[:n]); err != nil {
				break
			}
		}
	}
	return path
}

// TestFaultDiskFull fills the file system of the embedded bus's store while
// the feed moves on, then frees it.
func TestFaultDiskFull(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test runs the binary")
	}
	var filler string
	fkDiskFault(t,
		func(mnt string) { filler = fkFill(t, mnt) },
		func(string) {
			if err := os.Remove(filler); err != nil {
				t.Fatal(err)
			}
		})
}

// TestFaultDiskReadOnly finds the store's file system read-only at start
// (a tmpfs cannot be remounted read-only under a writer, so the daemon is
// stopped first): the daemon exits at once with an error naming the store,
// rather than run without a bus; started again once the file system is
// writable, it publishes and delivers what the feed made meanwhile.
func TestFaultDiskReadOnly(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test runs the binary")
	}
	remount := func(mnt, mode string) {
		t.Helper()
		if out, err := exec.Command("mount", "-o", "remount,"+mode, mnt).CombinedOutput(); err != nil {
			t.Fatalf("remount %s %s: %v: %s", mode, mnt, err, out)
		}
	}
	mnt := fkMount(t, "64m")
	b := fkNewBurst(30)
	p := fkStartPartner(t)
	config := fkConfig(t, t.TempDir(), fkOptions{storeDir: filepath.Join(mnt, "store"), feedURL: fkFeedServer(t, b), partnerURL: p.url()})
	d := fkStart(t, config)
	fkWait(t, d, 30*time.Second, "stage 0 delivered", func() bool { return p.hasAll(b.want(0)) })
	d.term(t)

	remount(mnt, "ro")
	b.setStage(1)
	d = fkStartExit(t, config)
	select {
	case <-d.done:
	case <-time.After(30 * time.Second):
		t.Fatal("daemon on a read-only store still running after 30s")
	}
	logs := d.logs.String()
	if code := d.cmd.ProcessState.ExitCode(); code == 0 {
		t.Errorf("daemon on a read-only store exited with 0:\n%s", logs)
	}
	if !strings.Contains(logs, "hazardwire failed") || !strings.Contains(logs, "not writable") {
		t.Errorf("the daemon's last words do not say the store is not writable:\n%s", fkTail(logs, 3000))
	}

	remount(mnt, "rw")
	d = fkStart(t, config)
	fkWait(t, d, 30*time.Second, "stage 1 landed on the writable store", func() bool { return d.landed(b, 1) })
	b.setStage(2)
	want := b.want(fkStages - 1)
	fkWait(t, d, 30*time.Second, "every change delivered", func() bool { return p.hasAll(want) })
	rep := fkCheck(t, p, want)
	t.Logf("%d changes, %d deliveries (%d repeats)", len(want), rep.deliveries, rep.duplicates)
}

// fkDiskFault runs a burst on an embedded store in a tmpfs, breaks the
// store with fail while the feed moves on, then repairs it. The daemon must
// say so in its log and in hazardwire_lifecycle_errors_total, keep running
// (and polling), and once repaired publish and deliver every change it
// missed, with the versions the feed made.
func fkDiskFault(t *testing.T, fail, repair func(mnt string)) {
	t.Helper()
	mnt := fkMount(t, "64m")
	b := fkNewBurst(30)
	p := fkStartPartner(t)
	config := fkConfig(t, t.TempDir(), fkOptions{storeDir: filepath.Join(mnt, "store"), busExtra: "  max_store: 32MiB\n",
		feedURL: fkFeedServer(t, b), partnerURL: p.url()})
	d := fkStart(t, config)
	fkWait(t, d, 30*time.Second, "stage 0 delivered", func() bool { return p.hasAll(b.want(0)) })

	errs := func() float64 { return d.metric(fkLifecycleErrors("publish")) + d.metric(fkLifecycleErrors("store")) }
	before := errs()
	fail(mnt)
	b.setStage(1)
	fkWait(t, d, 45*time.Second, "a lifecycle error counted on the broken store", func() bool { return errs() > before })
	fkWait(t, d, 30*time.Second, "the log to name the store", func() bool {
		return strings.Contains(d.logs.String(), "the bus store cannot write")
	})
	fkWait(t, d, 10*time.Second, "hazardwire_bus_store_failing 1 and /readyz 503", func() bool {
		return d.metric("hazardwire_bus_store_failing") == 1 && d.readyz() == http.StatusServiceUnavailable
	})
	// Still running and polling, not crashing in a loop. (A poll waits out
	// the bus's publish timeout, 10 s, while the store cannot write.)
	polls := b.pollCount()
	fkWait(t, d, 30*time.Second, "a poll going on while the store is broken", func() bool { return b.pollCount() > polls })
	if d.exited() {
		t.Fatal("daemon exited on the broken store")
	}
	if p.missing(b.want(1)) == 0 {
		t.Error("stage 1 was delivered while the store could not write")
	}

	repair(mnt)
	fkWait(t, d, 30*time.Second, "stage 1 landed once the store was repaired", func() bool { return d.landed(b, 1) })
	if !strings.Contains(d.logs.String(), "the bus store takes writes again") {
		t.Error("the log does not say the store recovered")
	}
	fkWait(t, d, 10*time.Second, "hazardwire_bus_store_failing 0 and /readyz 200", func() bool {
		return d.metric("hazardwire_bus_store_failing") == 0 && d.readyz() == http.StatusOK
	})
	b.setStage(2)
	want := b.want(fkStages - 1)
	fkWait(t, d, 30*time.Second, "every change delivered", func() bool { return p.hasAll(want) })
	// The exporters' consumers, kept in memory, went with the old server:
	// the exporters were started again after their saved positions.
	if !strings.Contains(d.logs.String(), "exporters restarted after the bus restarted") {
		t.Error("the log does not say the exporters were restarted with the bus")
	}
	rep := fkCheck(t, p, want)
	t.Logf("%d changes, %d deliveries (%d repeats)", len(want), rep.deliveries, rep.duplicates)
}

// TestFaultPowerLoss: the daemon dies with the machine, and the alert
// stream's store loses its last writes while the state bucket keeps the
// records of those changes (the store syncs its files every second;
// testbus.LoseWrites cuts the stream's last block file). The whole burst
// reached the bus while the partner failed, so nothing was delivered.
// After the restart every key's last change arrives under its id (versions
// lost before it may not: a partner takes the last), nothing is invented,
// and each id keeps one body. In the last case the state bucket loses its
// own last writes too: a change lost with its record leaves no trace, the
// daemon decides the feed again, and what must arrive is each key's last
// content (under the versions the daemon gives it).
func TestFaultPowerLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test runs the binary")
	}
	for _, loss := range []struct {
		name             string
		keepIndex, state bool
	}{
		{"stream", false, false},
		{"stream, its saved state kept", true, false},
		{"stream and state bucket", false, true},
	} {
		t.Run(loss.name, func(t *testing.T) {
			b := fkNewBurst(*fkAlerts)
			p := fkStartPartner(t)
			p.setMode(fk500)
			dir := t.TempDir()
			config := fkConfig(t, dir, fkOptions{feedURL: fkFeedServer(t, b), partnerURL: p.url()})
			d := fkStart(t, config)
			for s := range fkStages {
				b.setStage(s)
				fkWait(t, d, 30*time.Second, "stage landed", func() bool { return d.landed(b, s) })
			}
			d.kill()
			testbus.LoseWrites(t, filepath.Join(dir, "store"), bus.StreamAlerts, loss.keepIndex)
			if loss.state {
				testbus.LoseWrites(t, filepath.Join(dir, "store"), "KV_"+bus.BucketState, false)
			}

			p.setMode(fkOK)
			d = fkStart(t, config)
			all := b.want(fkStages - 1)
			last := map[string]fkWant{}
			for _, w := range all {
				if w.version > last[w.key].version {
					last[w.key] = w
				}
			}
			must := map[string]fkWant{}
			for _, w := range last {
				must[alert.MakeID(w.key, w.version)] = w
			}
			if !loss.state {
				fkWaitAll(t, d, p, "every key's last change delivered after the loss", must)
				for _, dl := range p.got() {
					if _, ok := all[dl.id]; !ok {
						t.Errorf("delivery %s: an id the feed could not have produced", dl.id)
					}
				}
			} else {
				// A change lost with its record leaves no trace: the daemon
				// decides the feed again from the record before it, so the
				// versions after it differ from the feed's model. What a
				// partner must end with is each key's last content.
				fkWait(t, d, 60*time.Second, "every key's last content delivered after the loss", func() bool {
					return len(fkStale(p, last)) == 0
				})
			}
			rep := fkCheckSoFar(t, p)
			restored := d.metric(`hazardwire_lifecycle_restored_total{source="burst",what="change"}`)
			records := d.metric(`hazardwire_lifecycle_restored_total{source="burst",what="record"}`)
			if restored+records == 0 {
				t.Errorf("hazardwire_lifecycle_restored_total is 0: the loss took nothing the test needed")
			}
			t.Logf("%d keys, %d changes made; %d deliveries (%d repeats); %v changes published again, %v records written again",
				len(must), len(all), rep.deliveries, rep.duplicates, restored, records)
		})
	}
}

// TestFaultPowerLossAfterDelivery: as TestFaultPowerLoss, but the partner
// had every change of the first two stages, and the exporter had saved its
// position at their end, when the machine went down, and the stream's saved
// state is lost with its last writes: the stream's end moves back, and the
// next changes take the lost ones' sequences again. The exporter must not
// skip them: the third stage's changes all arrive.
func TestFaultPowerLossAfterDelivery(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test runs the binary")
	}
	b := fkNewBurst(*fkAlerts)
	p := fkStartPartner(t)
	dir := t.TempDir()
	config := fkConfig(t, dir, fkOptions{feedURL: fkFeedServer(t, b), partnerURL: p.url()})
	d := fkStart(t, config)
	for s := range fkStages - 1 {
		b.setStage(s)
		fkWait(t, d, 30*time.Second, "stage landed", func() bool { return d.landed(b, s) })
	}
	fkWaitAll(t, d, p, "the first two stages delivered", b.want(fkStages-2))
	// The exporter saves its position every 250 ms: a second is plenty.
	time.Sleep(time.Second)
	d.kill()
	testbus.LoseWrites(t, filepath.Join(dir, "store"), bus.StreamAlerts, false)

	d = fkStart(t, config)
	fkWait(t, d, 30*time.Second, "the daemon ready", func() bool { return d.readyz() == http.StatusOK })
	b.setStage(fkStages - 1)
	fresh := b.want(fkStages - 1)
	for id := range b.want(fkStages - 2) {
		delete(fresh, id)
	}
	fkWaitAll(t, d, p, "the third stage's changes delivered after the loss", fresh)
	rep := fkCheckSoFar(t, p)
	t.Logf("%d changes of the third stage; %d deliveries in all (%d repeats); %v changes published again", len(fresh), rep.deliveries, rep.duplicates,
		d.metric(`hazardwire_lifecycle_restored_total{source="burst",what="change"}`))
}

// fkStale returns the keys of last (each key's last change as the feed made
// it) whose newest delivery does not carry that change's content: its
// headline, and ended or not.
func fkStale(p *fkPartner, last map[string]fkWant) []string {
	newest := map[string]alert.Alert{}
	for _, dl := range p.got() {
		if n, ok := newest[dl.alert.Key]; !ok || dl.alert.Version > n.Version {
			newest[dl.alert.Key] = dl.alert
		}
	}
	var stale []string
	for key, w := range last {
		a, ok := newest[key]
		ended := a.Change == alert.ChangeCancel || a.Change == alert.ChangeExpire
		if !ok || a.Headline != w.headline || ended != (w.change == alert.ChangeCancel) {
			stale = append(stale, key)
		}
	}
	slices.Sort(stale)
	return stale
}
