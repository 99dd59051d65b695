package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hazardwire/hazardwire/bus"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/internal/config"
	"github.com/hazardwire/hazardwire/internal/lifecycle"
	"github.com/hazardwire/hazardwire/internal/nwsfeed"
)

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// source is the synthetic feed with the nws collector built as the daemon
// builds it, for scenarios that drive the lifecycle without a daemon.
type source struct {
	feed *Feed
	c    collectors.Collector
	info collectors.Info
}

func newSource() (*source, error) {
	feed, err := NewFeed()
	if err != nil {
		return nil, err
	}
	cfg, err := config.Parse("bench.yaml", []byte(pipelineConfig{StoreDir: os.TempDir(), FeedURL: feed.URL()}.yaml()), os.LookupEnv)
	if err != nil {
		feed.Close()
		return nil, err
	}
	built, err := cfg.Build(collectors.NewClient(collectors.ClientOptions{UserAgent: "hazardwire-bench"}), os.LookupEnv)
	if err != nil {
		feed.Close()
		return nil, err
	}
	c := built.Collectors[0]
	return &source{feed: feed, c: c.Collector, info: c.Info}, nil
}

func (s *source) close() { s.feed.Close() }

// collect serves features and collects them; the result is not a snapshot,
// so that alerts collected in several batches all stay in force.
func (s *source) collect(ctx context.Context, features [][]byte) (collectors.Result, error) {
	s.feed.Set(nwsfeed.Collection(features))
	res, err := s.c.Collect(ctx)
	if err != nil {
		return res, err
	}
	if len(res.Items) != len(features) {
		return res, fmt.Errorf("collected %d items of %d features (dropped %v)", len(res.Items), len(features), res.Dropped)
	}
	res.Snapshot = false
	return res, nil
}

// newEngine returns a lifecycle engine on bus b with its own metrics.
func newEngine(ctx context.Context, b *bus.Bus) (*lifecycle.Engine, *prometheus.Registry, error) {
	reg := prometheus.NewRegistry()
	e := lifecycle.NewEngine(b, b.States(), discardLogger(), lifecycle.NewMetrics(reg), nil)
	return e, reg, e.Load(ctx)
}
