package exporters

import (
	"context"
	"log/slog"
	"testing"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestFailedStartKeepsDisabled: a runner replacing one a 410 disabled (a
// reload) clears hazardwire_exporter_disabled only once it has started: when
// its start fails, nothing delivers, and the gauge still says so.
func TestFailedStartKeepsDisabled(t *testing.T) {
	m := NewMetrics(prometheus.NewRegistry())
	m.Disabled.WithLabelValues("p1").Set(1) // the old runner's 410
	r := NewRunner(RunnerConfig{Name: "p1", Filter: Filter{Hazards: []alert.Hazard{"bogus"}}}, nil, nil, m, slog.New(slog.DiscardHandler))
	if err := r.Start(context.Background()); err == nil {
		t.Fatal("a runner with a bad filter started")
	}
	if v := testutil.ToFloat64(m.Disabled.WithLabelValues("p1")); v != 1 {
		t.Errorf("hazardwire_exporter_disabled = %v after a failed start, want 1: nothing delivers", v)
	}
}
