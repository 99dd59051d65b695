package exporters_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/bus"
	"github.com/hazardwire/hazardwire/exporters"
)

// TestRepeatsAfterServerLostAcks: a server that forgets the acks of
// changes a runner finished (as an external nats-server killed before it
// saved its consumer's state does) delivers them again as new; the runner
// acks them without sending them to the partner twice, counts them, and
// goes on delivering what comes next.
func TestRepeatsAfterServerLostAcks(t *testing.T) {
	first := change("k0", 1, alert.ChangeNew)
	// The first change fails until healed: the consumer's ack floor stays
	// below it, so the server may be told to deliver from there again.
	p, heal := failingPartner(503, first.ID)
	r := start(t, mode{"acks", false}, p, exporters.Filter{}, func(c *exporters.RunnerConfig) { c.BreakerThreshold = 1000 })
	r.publish(t, first)
	ids := []string{first.ID}
	for i := 1; i < 5; i++ {
		a := change(fmt.Sprintf("k%d", i), 1, alert.ChangeNew)
		r.publish(t, a)
		ids = append(ids, a.ID)
	}
	waitFor(t, "4 deliveries", func() bool { return len(p.ids()) == 4 })
	ctx := context.Background()

	// The server forgets the acks above its floor: it delivers the five
	// again from the first, as new.
	if _, err := r.b.JetStream().ResetConsumer(ctx, bus.StreamAlerts, exporters.ConsumerName("p1")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "4 repeats skipped", func() bool {
		return testutil.ToFloat64(r.metrics.Repeats.WithLabelValues("p1")) == 4
	})
	heal()
	next := change("k9", 1, alert.ChangeNew)
	r.publish(t, next)
	waitFor(t, "the first and the next change", func() bool { return len(p.ids()) == 6 })
	c, err := r.b.JetStream().Consumer(ctx, bus.StreamAlerts, exporters.ConsumerName("p1"))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every change acked", func() bool {
		info, err := c.Info(ctx)
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0
	})
	if got, want := sorted(p.ids()), sorted(append(ids, next.ID)); !slices.Equal(got, want) {
		t.Errorf("partner got %v, want each of %v once", got, want)
	}
}
