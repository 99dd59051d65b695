package bench

import (
	"fmt"
	"io"
	"time"
)

// WriteBenchfmt prints the report in Go's benchmark format, one line per
// measure, so that runs can be compared with benchstat (see
// docs/performance.md). Names say whose figure it is: Daemon, Ceiling or (the single
// partner's bus floor) Floor.
func (r *Report) WriteBenchfmt(w io.Writer) error {
	var err error
	line := func(name string, ns float64, metrics ...any) {
		if err != nil {
			return
		}
		s := fmt.Sprintf("Benchmark%s 1 %.0f ns/op", name, ns)
		for i := 0; i+1 < len(metrics); i += 2 {
			s += fmt.Sprintf(" %v %s", metrics[i], metrics[i+1])
		}
		_, err = fmt.Fprintln(w, s)
	}
	fanout := func(name string, f *FanOutResult) {
		side := func(s FanOut, who string) {
			line(fmt.Sprintf("%s/%dx%d/%s", name, f.Alerts, f.Partners, who), float64(s.Elapsed),
				fmt.Sprintf("%.0f", s.Rate), "deliveries/s", float64(s.Latency.P50.Microseconds())/1000, "p50-ms", float64(s.Latency.P99.Microseconds())/1000, "p99-ms",
				float64(s.CPUPerDelivery().Nanoseconds())/1000, "cpu-µs/delivery")
		}
		side(f.Daemon, "Daemon")
		side(f.Ceiling, "Ceiling")
		line(fmt.Sprintf("%s/%dx%d/Ratio", name, f.Alerts, f.Partners), 0, fmt.Sprintf("%.3f", f.Ratio), "ratio")
		if f.Floor != nil {
			side(*f.Floor, "Floor")
			line(fmt.Sprintf("%s/%dx%d/FloorRatio", name, f.Alerts, f.Partners), 0, fmt.Sprintf("%.3f", f.FloorRatio), "ratio")
		}
	}
	if f := r.Burst; f != nil {
		fanout("Burst", f)
	}
	if f := r.Single; f != nil {
		fanout("Single", f)
	}
	if i := r.Idle; i != nil {
		line("Idle/Daemon", float64(i.Daemon.P50), float64(i.Daemon.P99.Microseconds())/1000, "p99-ms")
		line("Idle/Ceiling", float64(i.Ceiling.P50), float64(i.Ceiling.P99.Microseconds())/1000, "p99-ms")
	}
	if b := r.Bus; b != nil {
		line("Bus/Lifecycle", 1e9/b.Lifecycle, fmt.Sprintf("%.0f", b.Lifecycle), "changes/s")
		line("Bus/RawAsync", 1e9/b.RawAsync, fmt.Sprintf("%.0f", b.RawAsync), "changes/s")
	}
	for _, m := range r.Memory {
		line(fmt.Sprintf("Memory/%d", m.Active), 0, fmt.Sprintf("%.0f", m.EnginePerAlert), "B/alert", fmt.Sprintf("%.0f", m.TotalPerAlert), "B/alert-with-store")
	}
	for _, p := range r.Peers {
		// One partner: "5000", per alert. Several: "1000x20", per delivery.
		size, per, rateUnit := fmt.Sprint(p.Alerts), "alert", "alerts/s"
		if p.Partners > 1 {
			size, per, rateUnit = fmt.Sprintf("%dx%d", p.Alerts, p.Partners), "delivery", "deliveries/s"
		}
		side := func(s FanOut, who string, more ...any) {
			line(fmt.Sprintf("Peer/%s/%s/%s", p.Name, size, who), float64(s.Elapsed), append([]any{
				fmt.Sprintf("%.0f", s.Rate), rateUnit, float64(s.Latency.P50.Microseconds()) / 1000, "p50-ms", float64(s.Latency.P99.Microseconds()) / 1000, "p99-ms",
				float64(s.CPUPerDelivery().Nanoseconds()) / 1000, "cpu-µs/" + per}, more...)...)
		}
		var own []any // the relay's own CPU, where /proc gave it
		if p.CPUMeasured && p.Relay.Deliveries > 0 {
			own = []any{float64((p.RelayCPU / time.Duration(p.Relay.Deliveries)).Nanoseconds()) / 1000, "relay-cpu-µs/" + per}
		}
		side(p.Relay, "Relay", own...)
		side(p.Ceiling, "Ceiling")
		line(fmt.Sprintf("Peer/%s/%s/Ratio", p.Name, size), 0, fmt.Sprintf("%.3f", p.Ratio), "ratio")
	}
	if s := r.Start; s != nil {
		line("Start/Empty", float64(s.EmptyMedian))
		line(fmt.Sprintf("Start/%dMessages", s.Messages), float64(s.FullMedian))
	}
	return err
}
