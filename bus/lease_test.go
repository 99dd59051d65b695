package bus_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/bus"
	"github.com/hazardwire/hazardwire/internal/testbus"
)

// openLease opens a bus on url, as a daemon would, and its lease.
func openLease(t *testing.T, url string, ttl time.Duration) *bus.Lease {
	t.Helper()
	ctx := context.Background()
	b, err := bus.Open(ctx, bus.Config{URL: url, MaxBytes: 64 << 20}, testbus.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	l, err := b.Lease(ctx, ttl)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// awaitAcquire tries l as a standby does until it holds the lease.
func awaitAcquire(t *testing.T, l *bus.Lease, within time.Duration) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(within)
	for {
		ok, _, err := l.TryAcquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("lease not taken within %v", within)
		}
		time.Sleep(l.Every())
	}
}

// TestLease: one daemon holds the streams at a time. A second waits; it
// takes the lease when the first releases it (a clean stop), or when the
// first stops renewing it (killed) and the TTL ends it; the first then
// finds it lost.
func TestLease(t *testing.T) {
	ctx := context.Background()
	url := testbus.External(t)
	const ttl = 1500 * time.Millisecond
	a, b := openLease(t, url, ttl), openLease(t, url, ttl)

	if ok, _, err := a.TryAcquire(ctx); !ok || err != nil {
		t.Fatalf("first daemon: acquired %v, %v", ok, err)
	}
	ok, holder, err := b.TryAcquire(ctx)
	if ok || err != nil {
		t.Fatalf("second daemon while the first holds it: acquired %v, %v", ok, err)
	}
	if holder.Instance == "" || holder.PID == 0 {
		t.Errorf("the standby is not told who holds the lease: %+v", holder)
	}
	if err := a.Renew(ctx); err != nil {
		t.Fatalf("renew: %v", err)
	}
	if !a.Valid(time.Now()) || b.Valid(time.Now()) {
		t.Errorf("valid: holder %v, standby %v", a.Valid(time.Now()), b.Valid(time.Now()))
	}
	if a.Valid(time.Now().Add(ttl)) {
		t.Error("the holder counts itself valid a TTL after its last renewal")
	}

	// A clean stop: the standby takes it at its next try.
	if err := a.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := b.TryAcquire(ctx); !ok || err != nil {
		t.Fatalf("after the release: acquired %v, %v", ok, err)
	}
	if err := a.Renew(ctx); !errors.Is(err, bus.ErrLeaseLost) {
		t.Errorf("renew after the release: %v, want ErrLeaseLost", err)
	}

	// The holder killed: it renews no more, the TTL ends its lease.
	awaitAcquire(t, a, 30*time.Second)
	if err := b.Renew(ctx); !errors.Is(err, bus.ErrLeaseLost) {
		t.Errorf("renew by the daemon whose lease ended: %v, want ErrLeaseLost", err)
	}
	if err := a.Renew(ctx); err != nil {
		t.Errorf("renew by the new holder: %v", err)
	}
}

// TestLeaseTTLOfAnotherDaemon: the TTL is the bucket's, one for every
// daemon on the streams. A second daemon started with a shorter
// bus.lease_ttl (an operator editing it on one machine) must not shorten the
// lease the first holds under its own TTL: the entry would end between the
// holder's renewals, and the second take it while the first still acts.
func TestLeaseTTLOfAnotherDaemon(t *testing.T) {
	ctx := context.Background()
	url := testbus.External(t)
	a := openLease(t, url, 30*time.Second)
	if ok, _, err := a.TryAcquire(ctx); !ok || err != nil {
		t.Fatalf("first daemon: acquired %v, %v", ok, err)
	}
	b := openLease(t, url, 3*time.Second)
	// Longer than b's TTL, well within a's renewal period (5 s) and its
	// validity (20 s).
	deadline := time.Now().Add(4 * time.Second)
	for time.Now().Before(deadline) {
		ok, h, err := b.TryAcquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			t.Fatalf("second daemon took the lease while the first still holds it (valid %v)", a.Valid(time.Now()))
		}
		if h.Instance == "" {
			t.Fatal("no holder seen")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !a.Valid(time.Now()) {
		t.Fatal("first daemon's lease not valid")
	}
	if err := a.Renew(ctx); err != nil {
		t.Fatalf("first daemon's renewal: %v", err)
	}
}
