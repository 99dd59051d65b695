package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Goals are issue 6's targets; docs/performance.md says how far each is.
const (
	GoalFanOutRatio   = 0.50
	GoalIdleP99       = 5 * time.Millisecond
	GoalBytesPerAlert = 1024
	GoalStartEmpty    = time.Second
	GoalStartFull     = 5 * time.Second
)

type row struct{ scenario, measure, daemon, ceiling, ratio, goal, met string }

// WriteTable prints the report as one table.
func (r *Report) WriteTable(w io.Writer) error {
	var rows []row
	add := func(x row) { rows = append(rows, x) }
	fanout := func(name string, f *FanOutResult) {
		what := fmt.Sprintf("%s (%d alerts × %d partners, %d in flight each)", name, f.Alerts, f.Partners, f.Concurrency)
		add(row{what, "all acknowledged after", dur(f.Daemon.Elapsed), dur(f.Ceiling.Elapsed), "", "", ""})
		add(row{"", "deliveries/s", rate(f.Daemon.Rate), rate(f.Ceiling.Rate), pct(f.Ratio),
			"≥ " + pct(GoalFanOutRatio), met(f.Ratio >= GoalFanOutRatio)})
		add(row{"", "latency p50 (poll → 2xx)", dur(f.Daemon.Latency.P50), dur(f.Ceiling.Latency.P50), "", "", ""})
		add(row{"", "latency p99", dur(f.Daemon.Latency.P99), dur(f.Ceiling.Latency.P99), "", "", ""})
		add(row{"", "first acknowledged after", dur(f.Daemon.First), dur(f.Ceiling.First), "", "", ""})
		add(row{"", "CPU time, all cores (per delivery)", fmt.Sprintf("%s (%s)", dur(f.Daemon.CPU), dur(f.Daemon.CPUPerDelivery())),
			fmt.Sprintf("%s (%s)", dur(f.Ceiling.CPU), dur(f.Ceiling.CPUPerDelivery())), ratio(f.Ceiling.CPU, f.Daemon.CPU), "", ""})
		add(row{"", "the poll's fetch and parse", dur(f.Daemon.Collect), "", "", "", ""})
		add(row{"", "mean delivery attempt (request → answer)", dur(f.Daemon.Attempt), "", "", "", ""})
		add(row{"", "acknowledged / expected", fmt.Sprintf("%d/%d", f.Daemon.Deliveries, f.Daemon.Expected),
			fmt.Sprintf("%d/%d", f.Ceiling.Deliveries, f.Ceiling.Expected), "", "", ""})
		add(row{"", "requests (repeats), retries, unexpected ids", fmt.Sprintf("%d, %.0f, %d", f.Daemon.Requests, f.Daemon.Retries, f.Daemon.Unexpected),
			fmt.Sprintf("%d, 0, %d", f.Ceiling.Requests, f.Ceiling.Unexpected), "", "", ""})
		if fl := f.Floor; fl != nil {
			// The hazardwire column holds the floor's figures.
			add(row{"", "bus floor: all acknowledged after", dur(fl.Elapsed), dur(f.Ceiling.Elapsed), "", "", ""})
			add(row{"", "bus floor: deliveries/s", rate(fl.Rate), rate(f.Ceiling.Rate), pct(f.FloorRatio), "", ""})
			add(row{"", "bus floor: CPU time (per delivery)", fmt.Sprintf("%s (%s)", dur(fl.CPU), dur(fl.CPUPerDelivery())),
				fmt.Sprintf("%s (%s)", dur(f.Ceiling.CPU), dur(f.Ceiling.CPUPerDelivery())), ratio(f.Ceiling.CPU, fl.CPU), "", ""})
			add(row{"", "bus floor: acknowledged / expected, unexpected ids", fmt.Sprintf("%d/%d, %d", fl.Deliveries, fl.Expected, fl.Unexpected), "", "", "", ""})
		}
	}
	if f := r.Burst; f != nil {
		fanout("burst fan-out", f)
	}
	if f := r.Single; f != nil {
		fanout("single partner", f)
	}
	if i := r.Idle; i != nil {
		what := fmt.Sprintf("idle latency (%d alerts, one at a time)", i.Alerts)
		add(row{what, "p50 poll complete → 2xx", dur(i.Daemon.P50), dur(i.Ceiling.P50), ratio(i.Ceiling.P50, i.Daemon.P50), "", ""})
		add(row{"", "p99", dur(i.Daemon.P99), dur(i.Ceiling.P99), ratio(i.Ceiling.P99, i.Daemon.P99), "< " + dur(GoalIdleP99), met(i.Daemon.P99 < GoalIdleP99)})
		add(row{"", "ceiling parts p50/p99: publish; POST", "", fmt.Sprintf("%s/%s; %s/%s", dur(i.Publish.P50), dur(i.Publish.P99), dur(i.Post.P50), dur(i.Post.P99)), "", "", ""})
	}
	if b := r.Bus; b != nil {
		what := fmt.Sprintf("bus (%d new alerts)", b.Changes)
		add(row{what, "changes/s vs raw async publish", rate(b.Lifecycle), rate(b.RawAsync), pct(b.Ratio), "", ""})
		add(row{"", "raw sync publish/s (reference)", "", rate(b.RawSync), "", "", ""})
	}
	for _, m := range r.Memory {
		what := fmt.Sprintf("memory (%d alerts in force)", m.Active)
		add(row{what, "heap per alert held by the daemon", size(m.EnginePerAlert), "", "", "< " + size(GoalBytesPerAlert), met(m.EnginePerAlert < GoalBytesPerAlert)})
		add(row{"", "heap per alert incl. embedded store", size(m.TotalPerAlert), "", "", "", ""})
		add(row{"", "heap held; RSS", fmt.Sprintf("%s; %s", size(float64(m.HeapHeld)), size(float64(m.RSS))), "", "", "", ""})
	}
	if s := r.Start; s != nil {
		add(row{"start", "ready, empty store (median)", dur(s.EmptyMedian), "", "", "< " + dur(GoalStartEmpty), met(s.EmptyMedian < GoalStartEmpty)})
		add(row{"", fmt.Sprintf("ready, %d messages, %d in force (median)", s.Messages, s.Active), dur(s.FullMedian), "", "", "< " + dur(GoalStartFull), met(s.FullMedian < GoalStartFull)})
		add(row{"", "runs (empty; full)", fmt.Sprintf("%s; %s", durs(s.Empty), durs(s.Full)), "", "", "", ""})
	}
	for _, p := range r.Peers {
		// The hazardwire column holds the relay's figures.
		what := fmt.Sprintf("peer %s (%d alerts, 1 partner)", p.Name, p.Alerts)
		if p.Partners > 1 {
			what = fmt.Sprintf("peer %s (%d alerts × %d partners)", p.Name, p.Alerts, p.Partners)
		}
		cpu := "CPU time, relay and bench (per delivery)"
		if !p.CPUMeasured {
			cpu = "CPU time, bench only (per delivery)"
		}
		add(row{what, "all delivered after", dur(p.Relay.Elapsed), dur(p.Ceiling.Elapsed), "", "", ""})
		add(row{"", "deliveries/s", rate(p.Relay.Rate), rate(p.Ceiling.Rate), pct(p.Ratio), "", ""})
		add(row{"", "latency p50 (poll → first 2xx)", dur(p.Relay.Latency.P50), dur(p.Ceiling.Latency.P50), "", "", ""})
		add(row{"", "latency p99", dur(p.Relay.Latency.P99), dur(p.Ceiling.Latency.P99), "", "", ""})
		add(row{"", cpu, fmt.Sprintf("%s (%s)", dur(p.Relay.CPU), dur(p.Relay.CPUPerDelivery())),
			fmt.Sprintf("%s (%s)", dur(p.Ceiling.CPU), dur(p.Ceiling.CPUPerDelivery())), ratio(p.Ceiling.CPU, p.Relay.CPU), "", ""})
		if p.CPUMeasured && p.Relay.Deliveries > 0 {
			add(row{"", "CPU time, the relay alone (per delivery)", fmt.Sprintf("%s (%s)", dur(p.RelayCPU), dur(p.RelayCPU/time.Duration(p.Relay.Deliveries))), "", "", "", ""})
		}
		add(row{"", "delivered / expected, unexpected", fmt.Sprintf("%d/%d, %d", p.Relay.Deliveries, p.Relay.Expected, p.Relay.Unexpected),
			fmt.Sprintf("%d/%d, %d", p.Ceiling.Deliveries, p.Ceiling.Expected, p.Ceiling.Unexpected), "", "", ""})
		add(row{"", "requests, alerts sent again", fmt.Sprintf("%d, %d", p.Relay.Requests, p.Repeats), fmt.Sprintf("%d", p.Ceiling.Requests), "", "", ""})
		if p.Stop != "" {
			add(row{"", "stopping it", p.Stop, "", "", "", ""})
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	who := "hazardwire"
	if len(r.Peers) > 0 { // a peer's rows hold the relay's figures there
		who = "hazardwire or relay"
	}
	fmt.Fprintf(tw, "scenario\tmeasure\t%s\tceiling\tratio\tgoal\tmet\n", who)
	for _, x := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", x.scenario, x.measure, x.daemon, x.ceiling, x.ratio, x.goal, x.met)
	}
	fmt.Fprintf(tw, "\n%s, %d CPUs, %s in all\n", r.GoVersion, r.CPUs, r.Elapsed.Round(time.Second))
	return tw.Flush()
}

func dur(d time.Duration) string {
	switch {
	case d == 0:
		return "-"
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fµs", float64(d)/1e3)
	case d < time.Second:
		return fmt.Sprintf("%.2fms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}

func durs(ds []time.Duration) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = dur(d)
	}
	return strings.Join(s, " ")
}

func rate(v float64) string { return fmt.Sprintf("%.0f", v) }

func pct(v float64) string { return fmt.Sprintf("%.0f%%", v*100) }

// ratio is the ceiling's latency over the daemon's: 100% means as fast.
func ratio(ceiling, daemon time.Duration) string {
	if daemon == 0 {
		return ""
	}
	return pct(float64(ceiling) / float64(daemon))
}

func size(v float64) string {
	switch {
	case v >= 1<<30:
		return fmt.Sprintf("%.2f GiB", v/(1<<30))
	case v >= 1<<20:
		return fmt.Sprintf("%.1f MiB", v/(1<<20))
	case v >= 10<<10:
		return fmt.Sprintf("%.1f KiB", v/(1<<10))
	}
	return fmt.Sprintf("%.0f B", v)
}

func met(ok bool) string {
	if ok {
		return "yes"
	}
	return "NO"
}
