//go:build unix

package bench

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hazardwire/hazardwire/internal/nwsfeed"
)

// peerStop bounds how long a relay may take to exit after SIGTERM.
const peerStop = 15 * time.Second

// runPeer starts the relay with an empty feed, waits until it has polled
// twice, takes the feed to n alerts, and measures from the answer that
// brought them to the partner's last first sight of one; then stops it and
// POSTs the bodies it sent, plainly, for the ceiling.
func runPeer(ctx context.Context, o Options, pc Peer, n int) (PeerResult, error) {
	res := PeerResult{Peer: pc, Alerts: n, Concurrency: o.Concurrency}
	dir, err := os.MkdirTemp(o.Dir, "hazardwire-bench-peer-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	feed, err := NewFeed()
	if err != nil {
		return res, err
	}
	defer feed.Close()
	partner, err := NewEventPartner()
	if err != nil {
		return res, err
	}
	defer partner.Close()
	partner.Reset(true)

	relay, err := startRelay(o, pc, dir, feed.URL(), partner.URL())
	if err != nil {
		return res, err
	}
	defer func() { _ = relay.stop() }() // on the way out early; a measured run stops it below
	if err := feed.awaitPolls(0, 2, o.Timeout, relay.exited); err != nil {
		return res, relay.why(fmt.Errorf("%s before the alerts: %w", pc.Name, err))
	}

	features, want := burst(n, nwsfeed.FeatureEvent)
	self0, relay0 := cpuTime(), relay.cpu()
	gen := feed.Set(nwsfeed.Collection(features))
	t0, err := feed.servedAt(gen, o.Timeout, relay.exited)
	if err != nil {
		return res, relay.why(fmt.Errorf("%s: %w", pc.Name, err))
	}
	if err := awaitCount(ctx, []*Partner{partner}, int64(n), o.Timeout, relay.exited); err != nil {
		return res, relay.why(fmt.Errorf("%s: %w", pc.Name, err))
	}
	relayCPU, measured := relay.cpu()-relay0, relay.measured()
	res.Relay = collect([]*Partner{partner}, t0, want, int64(n))
	res.Relay.CPU = cpuTime() - self0 + relayCPU
	res.RelayCPU, res.CPUMeasured = relayCPU, measured
	res.Repeats = partner.Repeats()
	if err := relay.stop(); err != nil {
		res.Stop = err.Error() // the figures stand: they were taken before
	}

	// The ceiling: each body the relay sent that brought an alert first,
	// once, POSTed plainly to the same partner.
	bodies := map[string][]byte{}
	for ev, b := range partner.Bodies() {
		if !hasBody(bodies, b) {
			bodies[ev] = b
		}
	}
	partner.Reset(false)
	start, cpu0 := time.Now(), cpuTime()
	if err := plainPost(ctx, []string{partner.URL()}, bodies, o.Concurrency); err != nil {
		return res, err
	}
	res.Ceiling = collect([]*Partner{partner}, start, want, int64(n))
	res.Ceiling.CPU = cpuTime() - cpu0
	if res.Ceiling.Rate > 0 {
		res.Ratio = res.Relay.Rate / res.Ceiling.Rate
	}
	return res, nil
}

// relay is a running peer command, in its own process group.
type relay struct {
	name    string
	cmd     *exec.Cmd
	exited  chan struct{} // closed when the process has exited
	err     error         // its exit, once exited is closed
	stopped bool
}

func startRelay(o Options, pc Peer, dir, feedURL, partnerURL string) (*relay, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("/bin/sh", "-c", pc.Command)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"HW_BENCH_FEED="+feedURL,
		"HW_BENCH_PARTNER="+partnerURL,
		"HW_BENCH_DIR="+dir,
		"HW_BENCH_SECRET="+secret,
		"HW_BENCH_CONCURRENCY="+strconv.Itoa(o.Concurrency),
		"HW_BENCH_PORT="+strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = prefixed(o.Log, pc.Name), prefixed(o.Log, pc.Name)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", pc.Name, err)
	}
	r := &relay{name: pc.Name, cmd: cmd, exited: make(chan struct{})}
	go func() {
		r.err = cmd.Wait()
		close(r.exited)
	}()
	return r, nil
}

// freePort returns a loopback port nothing listens on now, for a relay made
// of two processes that must find each other.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// why is err, or, if the relay has exited, that.
func (r *relay) why(err error) error {
	select {
	case <-r.exited:
		return fmt.Errorf("%s exited early (%v); -log FILE keeps its output", r.name, r.err)
	default:
		return err
	}
}

// stop sends the process group SIGTERM, and SIGKILL after peerStop.
func (r *relay) stop() error {
	if r.stopped {
		return nil
	}
	r.stopped = true
	pgid := r.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-r.exited:
		return nil
	case <-time.After(peerStop):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-r.exited
		return fmt.Errorf("%s did not exit within %s of SIGTERM; killed", r.name, peerStop)
	}
}

// cpu is the CPU time, user and system, of every process in the relay's
// process group so far, from /proc; zero where there is no /proc.
func (r *relay) cpu() time.Duration {
	var total time.Duration
	for _, pid := range groupPIDs(r.cmd.Process.Pid) {
		total += procCPU(pid)
	}
	return total
}

// measured reports whether the relay's CPU time can be read.
func (r *relay) measured() bool {
	_, err := os.Stat(fmt.Sprintf("/proc/%d/stat", r.cmd.Process.Pid))
	return err == nil
}

// clockTicks is Linux's USER_HZ, the unit of /proc/<pid>/stat's times: 100
// on every architecture Go runs on.
const clockTicks = 100

// procStat returns the fields of /proc/<pid>/stat after the command name
// (field 3 on), or nil.
func procStat(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	i := bytes.LastIndexByte(b, ')') // the command name may hold spaces and parentheses
	if i < 0 {
		return nil
	}
	return strings.Fields(string(b[i+1:]))
}

// procCPU is utime+stime of pid and of its children it has waited for.
func procCPU(pid int) time.Duration {
	f := procStat(pid)
	if len(f) < 15 {
		return 0
	}
	var ticks int64
	for _, k := range []int{11, 12, 13, 14} { // utime stime cutime cstime: fields 14–17
		v, _ := strconv.ParseInt(f[k], 10, 64)
		ticks += v
	}
	return time.Duration(ticks) * time.Second / clockTicks
}

// groupPIDs lists the processes of process group pgid.
func groupPIDs(pgid int) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if f := procStat(pid); len(f) > 2 && f[2] == strconv.Itoa(pgid) { // field 5: pgrp
			pids = append(pids, pid)
		}
	}
	return pids
}
