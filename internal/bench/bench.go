// Package bench measures the daemon on loopback against ceilings measured in
// the same run: a synthetic NWS feed, synthetic partner endpoints, and the
// real daemon code between them. Every scenario reports a ratio to its
// ceiling, so that a result holds on a shared, noisy machine. See
// docs/performance.md.
package bench

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"time"
)

// Options size the scenarios.
type Options struct {
	// Scenarios to run, in order (default: all).
	Scenarios []string
	// Dir holds the temporary stores (default: the system's temp dir).
	Dir string
	// Log receives the daemons' logs (default: discarded).
	Log io.Writer
	// Timeout bounds each wait (default 10 minutes).
	Timeout time.Duration
	// Concurrency is each exporter's deliveries in flight, and the ceiling's
	// workers per endpoint (default 8, the exporter's default).
	Concurrency int
	// Sync is the daemons' bus.sync_interval, or "always" for
	// bus.sync_always ("": the daemon's default, 1s).
	Sync string

	BurstAlerts, BurstPartners int   // default 5,000 × 100
	SingleAlerts               int   // default 5,000
	IdleAlerts                 int   // default 200
	BusChanges                 int   // default 10,000
	MemoryActive               []int // default 10,000 and 100,000
	StartMessages, StartActive int   // default 1,000,000 and 10,000
	StartRuns                  int   // default 3

	// Peers are the relays the peer scenario runs, one after another, each
	// beside its own ceiling; PeerAlerts is the alerts the feed goes to
	// (default 5,000, the single partner's), PeerPartners the partner
	// endpoints each alert goes to (default 1).
	Peers        []Peer
	PeerAlerts   int
	PeerPartners int
}

// Scenarios lists every scenario's name, in the order they run. The peer
// scenario, which runs commands given with -peer, is not among them: ask for
// it by name.
var Scenarios = []string{"burst", "single", "idle", "bus", "memory", "start"}

func (o *Options) defaults() {
	if len(o.Scenarios) == 0 {
		o.Scenarios = Scenarios
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Minute
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.BurstAlerts, 5000)
	def(&o.BurstPartners, 100)
	def(&o.SingleAlerts, 5000)
	def(&o.IdleAlerts, 200)
	def(&o.BusChanges, 10000)
	def(&o.StartMessages, 1_000_000)
	def(&o.StartActive, 10000)
	def(&o.StartRuns, 3)
	def(&o.PeerAlerts, 5000)
	def(&o.PeerPartners, 1)
	if len(o.MemoryActive) == 0 {
		o.MemoryActive = []int{10000, 100000}
	}
}

// Report is one run's results; a scenario not run is nil.
type Report struct {
	Started   time.Time      `json:"started"`
	GoVersion string         `json:"go_version"`
	CPUs      int            `json:"cpus"`
	Burst     *FanOutResult  `json:"burst,omitempty"`
	Single    *FanOutResult  `json:"single,omitempty"`
	Idle      *IdleResult    `json:"idle,omitempty"`
	Bus       *BusResult     `json:"bus,omitempty"`
	Memory    []MemoryResult `json:"memory,omitempty"`
	Start     *StartResult   `json:"start,omitempty"`
	Peers     []PeerResult   `json:"peers,omitempty"`
	Elapsed   time.Duration  `json:"elapsed_ns"`
}

// Run runs the scenarios of o one after another; progress lines go to
// progress.
func Run(ctx context.Context, o Options, progress io.Writer) (*Report, error) {
	o.defaults()
	r := &Report{Started: time.Now(), GoVersion: runtime.Version(), CPUs: runtime.NumCPU()}
	for _, s := range o.Scenarios {
		fmt.Fprintf(progress, "running %s...\n", s)
		t0 := time.Now()
		var err error
		switch s {
		case "burst":
			var res FanOutResult
			res, err = runFanOut(ctx, o, o.BurstAlerts, o.BurstPartners, false)
			r.Burst = &res
		case "single":
			var res FanOutResult
			res, err = runFanOut(ctx, o, o.SingleAlerts, 1, true)
			r.Single = &res
		case "idle":
			var res IdleResult
			res, err = runIdle(ctx, o, o.IdleAlerts)
			r.Idle = &res
		case "bus":
			var res BusResult
			res, err = runBus(ctx, o, o.BusChanges)
			r.Bus = &res
		case "memory":
			for _, n := range o.MemoryActive {
				var res MemoryResult
				if res, err = runMemory(ctx, o, n); err != nil {
					break
				}
				r.Memory = append(r.Memory, res)
			}
		case "start":
			var res StartResult
			res, err = runStart(ctx, o, o.StartMessages, o.StartActive, o.StartRuns)
			r.Start = &res
		case "peer":
			if len(o.Peers) == 0 {
				err = errNoPeers
			}
			for _, p := range o.Peers {
				fmt.Fprintf(progress, "  peer %s...\n", p.Name)
				var res PeerResult
				if res, err = runPeer(ctx, o, p, o.PeerAlerts, o.PeerPartners); err != nil {
					break
				}
				r.Peers = append(r.Peers, res)
			}
		default:
			err = fmt.Errorf("no scenario %q (have %v, and peer)", s, Scenarios)
		}
		if err != nil {
			return r, fmt.Errorf("%s: %w", s, err)
		}
		fmt.Fprintf(progress, "  %s done in %s\n", s, time.Since(t0).Round(time.Millisecond))
	}
	r.Elapsed = time.Since(r.Started)
	return r, nil
}
