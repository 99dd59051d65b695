package bench

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	_ "github.com/hazardwire/hazardwire/collectors/all" // every collector kind
	_ "github.com/hazardwire/hazardwire/exporters/all"  // every exporter kind
	"github.com/hazardwire/hazardwire/internal/config"
	"github.com/hazardwire/hazardwire/internal/daemon"
)

// collectorName is the synthetic feed's collector.
const collectorName = "nws"

// secret signs every bench delivery, as a partner's would.
var secret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("hazardwire-bench-secret-key-0001"))

// pipeline is one daemon, built from a config like an operator's, running
// in this process on its own store.
type pipeline struct {
	d      *daemon.Daemon
	reg    *prometheus.Registry
	cancel context.CancelFunc
	done   chan error

	stopOnce sync.Once
	stopErr  error
}

// pipelineConfig is what a scenario varies.
type pipelineConfig struct {
	StoreDir    string
	FeedURL     string
	Partners    []string
	Concurrency int    // per exporter; 0: the default
	Grace       int    // 0: the default
	Sync        string // bus.sync_interval, or "always" for bus.sync_always; "": the default
}

func (c pipelineConfig) yaml() string {
	var b strings.Builder
	switch c.Sync {
	case "":
		fmt.Fprintf(&b, "bus: {store_dir: %q}\n", c.StoreDir)
	case "always":
		fmt.Fprintf(&b, "bus: {store_dir: %q, sync_always: true}\n", c.StoreDir)
	default:
		fmt.Fprintf(&b, "bus: {store_dir: %q, sync_interval: %s}\n", c.StoreDir, c.Sync)
	}
	b.WriteString("http: {listen: \"127.0.0.1:0\"}\n")
	if c.FeedURL != "" {
		fmt.Fprintf(&b, "collectors:\n  - name: %s\n    kind: nws\n    schedule: \"@every 1h\"\n    url: %q\n    user_agent: \"hazardwire-bench (ops@example.org)\"\n    max_body: 256MiB\n", collectorName, c.FeedURL)
		if c.Grace > 0 {
			fmt.Fprintf(&b, "    grace: %d\n", c.Grace)
		}
	} else {
		b.WriteString("collectors: []\n")
	}
	if len(c.Partners) == 0 {
		b.WriteString("exporters: []\n")
	} else {
		b.WriteString("exporters:\n")
	}
	for i, u := range c.Partners {
		fmt.Fprintf(&b, "  - name: p%03d\n    kind: webhook\n    url: %q\n    secret: %q\n", i, u, secret)
		if c.Concurrency > 0 {
			fmt.Fprintf(&b, "    concurrency: %d\n", c.Concurrency)
		}
	}
	return b.String()
}

// startPipeline builds the daemon from c and runs it until it is ready.
func startPipeline(c pipelineConfig, log io.Writer) (*pipeline, time.Duration, error) {
	t0 := time.Now()
	cfg, err := config.Parse("bench.yaml", []byte(c.yaml()), os.LookupEnv)
	if err != nil {
		return nil, 0, fmt.Errorf("bench config: %w", err)
	}
	reg := prometheus.NewRegistry()
	logger := slog.New(slog.NewJSONHandler(log, &slog.HandlerOptions{Level: slog.LevelInfo}))
	d, err := daemon.New(cfg, daemon.Options{Logger: logger, Registry: reg})
	if err != nil {
		return nil, 0, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &pipeline{d: d, reg: reg, cancel: cancel, done: make(chan error, 1)}
	go func() { p.done <- d.Run(ctx) }()
	select {
	case <-d.Started():
		return p, time.Since(t0), nil
	case err := <-p.done:
		cancel()
		return nil, 0, fmt.Errorf("daemon stopped at start: %w", err)
	case <-time.After(2 * time.Minute):
		cancel()
		<-p.done
		return nil, 0, fmt.Errorf("daemon not ready after 2 minutes")
	}
}

// poll runs the collector now, waiting for a run in progress to end first.
func (p *pipeline) poll(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for !p.d.PollNow(collectorName) {
		if time.Now().After(deadline) {
			return fmt.Errorf("collector busy for %s", timeout)
		}
		time.Sleep(200 * time.Microsecond)
	}
	return nil
}

// counterSum sums the series of counter name in reg whose labels include want.
func counterSum(reg prometheus.Gatherer, name string, want map[string]string) float64 {
	mfs, err := reg.Gather()
	if err != nil {
		return 0
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if v, ok := want[l.GetName()]; ok && v != l.GetValue() {
					continue metrics
				}
			}
			if c := m.GetCounter(); c != nil {
				sum += c.GetValue()
			}
		}
	}
	return sum
}

// histogramMean is the mean of histogram name's observations in reg.
func histogramMean(reg prometheus.Gatherer, name string) time.Duration {
	sum, n := histogramSum(reg, name)
	if n == 0 {
		return 0
	}
	return time.Duration(sum / float64(n) * float64(time.Second))
}

// histogramSum is the sum and count of histogram name's observations in reg.
func histogramSum(reg prometheus.Gatherer, name string) (sum float64, n uint64) {
	mfs, err := reg.Gather()
	if err != nil {
		return 0, 0
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if h := m.GetHistogram(); h != nil {
				sum += h.GetSampleSum()
				n += h.GetSampleCount()
			}
		}
	}
	return sum, n
}

// stop ends the daemon and waits for it; it may be called again.
func (p *pipeline) stop() error {
	p.stopOnce.Do(func() {
		p.cancel()
		p.stopErr = <-p.done
	})
	return p.stopErr
}
