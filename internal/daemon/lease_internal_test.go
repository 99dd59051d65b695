package daemon

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/bus"
	"github.com/hazardwire/hazardwire/internal/testbus"
)

// TestNoPublishWithoutAValidLease: the lifecycle's publisher refuses every
// change while the daemon's lease is not valid (its time run out, as after
// a pause longer than the TTL, before the renewer finds it lost), and
// publishes again once it is; on the embedded bus it never refuses.
func TestNoPublishWithoutAValidLease(t *testing.T) {
	b := testbus.Open(t)
	ctx := context.Background()
	change := func(v int) []bus.Encoded { return []bus.Encoded{testChange(t, "nws:KCHS.HT.Y.0007", v)} }
	d := &Daemon{}
	g := gatedPublisher{b, d.acting}
	if _, errs := g.PublishAll(ctx, change(1)); errs[0] != nil {
		t.Fatalf("without a lease (the embedded bus): %v", errs[0])
	}

	d.lease.used, d.lease.held, d.lease.until = true, true, time.Now().Add(-time.Second)
	stored, errs := g.PublishAll(ctx, change(2))
	if len(stored) != 1 || !errors.Is(errs[0], errNotActing) {
		t.Fatalf("with the lease's time run out: %v, want errNotActing", errs)
	}
	d.lease.held = false
	if _, errs := g.PublishAll(ctx, change(2)); !errors.Is(errs[0], errNotActing) {
		t.Fatalf("with the lease lost: %v, want errNotActing", errs[0])
	}

	d.lease.held, d.lease.until = true, time.Now().Add(time.Minute)
	if _, errs := g.PublishAll(ctx, change(2)); errs[0] != nil {
		t.Fatalf("with the lease valid: %v", errs[0])
	}
	if _, err := b.AlertAt(ctx, 2); err != nil {
		t.Errorf("the change published once the lease is valid is not on the stream: %v", err)
	}
	if _, err := b.AlertAt(ctx, 3); err == nil {
		t.Error("a refused change reached the stream")
	}
}
