package lifecycle_test

import (
	"context"
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/bus"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/internal/testbus"
)

// downBus publishes through a real bus, or fails while down, counting the
// attempts.
type downBus struct {
	b        *bus.Bus
	down     bool
	attempts int
}

func (d *downBus) PublishAll(ctx context.Context, as []bus.Encoded) ([]bus.Stored, []error) {
	d.attempts++
	if d.down {
		errs := make([]error, len(as))
		for i := range errs {
			errs[i] = errors.New("bus down")
		}
		return make([]bus.Stored, len(as)), errs
	}
	return d.b.PublishAll(ctx, as)
}

func (d *downBus) AlertAt(ctx context.Context, seq uint64) (*alert.Alert, error) {
	return d.b.AlertAt(ctx, seq)
}

// TestEngineStopsAtFirstBusFailure: once a publish fails, the poll's other
// changes are not tried (each would wait out the same failure with the
// engine locked); the next poll publishes them all, with their first ids.
func TestEngineStopsAtFirstBusFailure(t *testing.T) {
	b := testbus.Open(t)
	ctx := context.Background()
	pub := &downBus{b: b, down: true}
	e, m := newEngineOn(t, pub, b.States(), &clock{t0})
	res := collectors.Result{Snapshot: true, Items: []collectors.Item{
		heat("a", alert.SeverityModerate), heat("b", alert.SeverityModerate), heat("c", alert.SeverityModerate)}}

	e.Handle(ctx, info, res, nil)
	if pub.attempts != 1 {
		t.Errorf("%d publish attempts while the bus is down, want 1 (then stop)", pub.attempts)
	}
	if got := testutil.ToFloat64(m.PublishErrors.WithLabelValues("kma", "publish")); got != 3 {
		t.Errorf("publish errors = %v, want 3 (the poll's changes)", got)
	}
	if n := len(activeOf(t, e)); n != 0 {
		t.Errorf("%d alerts in force after nothing was published", n)
	}

	pub.down = false
	e.Handle(ctx, info, res, nil)
	got := changes(published(t, b))
	want := []string{"new kma:a#1", "new kma:b#1", "new kma:c#1"}
	if len(got) != len(want) {
		t.Fatalf("after the bus came back: %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("change %d: %s, want %s", i, got[i], want[i])
		}
	}
}
