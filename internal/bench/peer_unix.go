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
// brought them to the partners' last first sight of one; then stops it and
// POSTs the bodies it sent, plainly, for the ceiling.
func runPeer(ctx context.Context, o Options, pc Peer, n, partners int) (PeerResult, error) {
	res := PeerResult{Peer: pc, Alerts: n, Partners: partners, Concurrency: o.Concurrency}
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
	ps := make([]*Partner, partners)
	urls := make([]string, partners)
	for i := range ps {
		p, err := NewEventPartner()
		if err != nil {
			return res, err
		}
		defer p.Close()
		ps[i], urls[i] = p, p.URL()
	}
	ps[0].Reset(true)

	relay, err := startRelay(o, pc, dir, feed.URL(), urls)
	if err != nil {
		return res, err
	}
	defer func() { _ = relay.stop() }() // on the way out early; a measured run stops it below
	// Every wait gives up when the relay exits or the bench is interrupted
	// (the relay is in its own process group: a Ctrl-C does not reach it).
	quit, done := make(chan struct{}), make(chan struct{})
	defer close(done)
	go func() {
		defer close(quit)
		select {
		case <-relay.exited:
		case <-ctx.Done():
		case <-done:
		}
	}()
	if err := feed.awaitPolls(0, 2, o.Timeout, quit); err != nil {
		return res, relay.why(ctx, fmt.Errorf("%s before the alerts: %w", pc.Name, err))
	}

	features, want := burst(n, nwsfeed.FeatureEvent)
	relay0 := relay.cpu() // before the bench's clock: the /proc reads are the bench's work
	self0 := cpuTime()
	gen := feed.Set(nwsfeed.Collection(features))
	t0, err := feed.servedAt(gen, o.Timeout, quit)
	if err != nil {
		return res, relay.why(ctx, fmt.Errorf("%s: %w", pc.Name, err))
	}
	expected := int64(n * partners)
	if err := awaitCount(ctx, ps, expected, o.Timeout, quit); err != nil {
		return res, relay.why(ctx, fmt.Errorf("%s: %w", pc.Name, err))
	}
	self1 := cpuTime()
	relayCPU := max(relay.cpu()-relay0, 0)
	res.Relay = collect(ps, t0, want, expected)
	res.RelayCPU, res.CPUMeasured = relayCPU, procReadable()
	res.Relay.CPU = self1 - self0 + relayCPU
	for _, p := range ps {
		res.Repeats += p.Repeats()
	}
	if err := relay.stop(); err != nil {
		res.Stop = err.Error() // the figures stand: they were taken before
	}

	// The ceiling: each body the relay sent that brought an alert first,
	// once, POSTed plainly to every partner (those partner 0 got).
	if res.Ceiling, err = ceiling(ctx, ps, urls, onceEach(ps[0].Bodies()), want, expected, o.Concurrency); err != nil {
		return res, err
	}
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

// outputWait bounds how long a relay's output is read after it exits: a
// process it started and left running keeps the pipe open.
const outputWait = 2 * time.Second

func startRelay(o Options, pc Peer, dir, feedURL string, partners []string) (*relay, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("/bin/sh", "-c", pc.Command)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"HW_BENCH_FEED="+feedURL,
		"HW_BENCH_PARTNER="+partners[0],
		"HW_BENCH_PARTNERS="+strings.Join(partners, " "),
		"HW_BENCH_DIR="+dir,
		"HW_BENCH_SECRET="+secret,
		"HW_BENCH_CONCURRENCY="+strconv.Itoa(o.Concurrency),
		"HW_BENCH_PORT="+strconv.Itoa(port))
	// One writer for both streams: one pipe, one goroutine writing to o.Log.
	// Without a log, nil: the relay writes to /dev/null and there is no pipe.
	out := prefixed(o.Log, pc.Name)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = outputWait
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

// why is err, with why the wait gave up: the bench was interrupted, or the
// relay exited.
func (r *relay) why(ctx context.Context, err error) error {
	select {
	case <-r.exited:
		return fmt.Errorf("%s exited early (%v; -log FILE keeps its output): %w", r.name, r.err, err)
	default:
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%w)", err, ctx.Err())
	}
	return err
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

// cpu is the CPU time, user and system, of the relay's process group so far,
// from /proc: every member alive, with the children each has waited for;
// once the leader has exited, its own from its exit status instead.
func (r *relay) cpu() time.Duration {
	var total time.Duration
	pgid := r.cmd.Process.Pid
	select {
	case <-r.exited:
		if ps := r.cmd.ProcessState; ps != nil {
			total += ps.UserTime() + ps.SystemTime()
		}
	default:
	}
	for _, pid := range groupPIDs(pgid) {
		total += procCPU(pid)
	}
	return total
}

// procReadable reports whether /proc gives processes' CPU times here.
func procReadable() bool {
	_, err := os.Stat("/proc/self/stat")
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
