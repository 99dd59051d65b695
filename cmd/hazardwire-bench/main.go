// Command hazardwire-bench measures hazardwire on loopback: burst fan-out,
// single-partner throughput, idle latency, bus rate, memory per alert and
// start time, each beside a ceiling measured in the same run. See
// docs/performance.md.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hazardwire/hazardwire/internal/bench"
)

func main() {
	var o bench.Options
	var scenarios, memory, logFile string
	var asJSON, benchfmt bool
	var cpuProfile, memProfile, blockProfile string
	fs := flag.NewFlagSet("hazardwire-bench", flag.ExitOnError)
	fs.StringVar(&scenarios, "scenarios", strings.Join(bench.Scenarios, ","), "scenarios to run, comma-separated; also peer, which runs the -peer commands")
	fs.StringVar(&o.Dir, "dir", "", "directory for the temporary stores (default: the system's temp dir)")
	fs.StringVar(&logFile, "log", "", "write the daemons' logs, and the peer relays' output, to this file (default: discarded)")
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Minute, "bound on every wait")
	fs.IntVar(&o.Concurrency, "concurrency", 8, "deliveries in flight per exporter, and the ceiling's workers per endpoint")
	fs.StringVar(&o.Sync, "bus-sync", "", "the daemons' bus.sync_interval (e.g. 1s), or always for bus.sync_always (default: the daemon's, 1s)")
	fs.IntVar(&o.BurstAlerts, "burst-alerts", 5000, "burst: alerts the feed goes to")
	fs.IntVar(&o.BurstPartners, "burst-partners", 100, "burst: partner endpoints")
	fs.IntVar(&o.SingleAlerts, "single-alerts", 5000, "single: alerts to one partner")
	fs.IntVar(&o.IdleAlerts, "idle-alerts", 200, "idle: alerts fed one at a time")
	fs.IntVar(&o.BusChanges, "bus-changes", 10000, "bus: changes published")
	fs.StringVar(&memory, "memory-active", "10000,100000", "memory: alerts in force, comma-separated sizes")
	fs.IntVar(&o.StartMessages, "start-messages", 1_000_000, "start: messages on the full store")
	fs.IntVar(&o.StartActive, "start-active", 10000, "start: alerts in force on the full store")
	fs.IntVar(&o.StartRuns, "start-runs", 3, "start: runs per store")
	fs.Func("peer", "peer scenario: a relay to run as `name=command` (repeat for more; see docs/performance.md)", func(v string) error {
		p, err := bench.ParsePeer(v)
		if err == nil {
			o.Peers = append(o.Peers, p)
		}
		return err
	})
	fs.IntVar(&o.PeerAlerts, "peer-alerts", 5000, "peer: alerts the feed goes to")
	fs.IntVar(&o.PeerPartners, "peer-partners", 1, "peer: partner endpoints, each to get every alert (HW_BENCH_PARTNERS)")
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON instead of a table")
	fs.BoolVar(&benchfmt, "benchfmt", false, "print the report in Go's benchmark format, for benchstat")
	fs.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	fs.StringVar(&memProfile, "memprofile", "", "write a heap profile at the end of the run to this file")
	fs.StringVar(&blockProfile, "blockprofile", "", "write a profile of where goroutines waited (channels, locks; 1 ms or longer) to this file")
	_ = fs.Parse(os.Args[1:])

	o.Scenarios = strings.Split(scenarios, ",")
	for _, s := range strings.Split(memory, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "hazardwire-bench: -memory-active: %q is not a positive number\n", s)
			os.Exit(2)
		}
		o.MemoryActive = append(o.MemoryActive, n)
	}
	if logFile != "" {
		f, err := os.Create(logFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "hazardwire-bench:", err)
			os.Exit(2)
		}
		defer f.Close()
		o.Log = f
	}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "hazardwire-bench:", err)
			os.Exit(2)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "hazardwire-bench:", err)
			os.Exit(2)
		}
		defer pprof.StopCPUProfile()
	}
	if blockProfile != "" {
		runtime.SetBlockProfileRate(int(time.Millisecond))
		defer func() {
			if f, err := os.Create(blockProfile); err == nil {
				_ = pprof.Lookup("block").WriteTo(f, 0)
				f.Close()
			}
		}()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	report, err := bench.Run(ctx, o, os.Stderr)
	if benchfmt && report != nil {
		_ = report.WriteBenchfmt(os.Stdout)
	} else if asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(report)
	} else if report != nil {
		_ = report.WriteTable(os.Stdout)
	}
	if memProfile != "" {
		if f, err := os.Create(memProfile); err == nil {
			_ = pprof.WriteHeapProfile(f)
			f.Close()
		}
	}
	if err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "hazardwire-bench:", err)
		os.Exit(1)
	}
}
