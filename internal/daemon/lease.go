package daemon

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/hazardwire/hazardwire/bus"
	"github.com/hazardwire/hazardwire/internal/config"
)

// On an external cluster one daemon at a time acts on the streams: it holds
// the lease in bus.BucketLeases (bus.Lease). Another started on the same
// streams waits as a standby, not ready, trying the lease every sixth of its
// TTL; it starts (loads the state, reads the exporters' positions) once the
// holder releases it on a clean stop, or once the TTL has ended the lease
// of a holder that stopped renewing it. A holder that cannot renew for two
// thirds of the TTL, or that finds another holding it, stops, and Run
// returns errLeaseLost: a service manager restarts it as a standby.

// errStoppedWaiting ends a start that was still waiting for the lease.
var errStoppedWaiting = errors.New("stopped while waiting for the lease")

// errLeaseLost ends Run when the lease was lost.
var errLeaseLost = errors.New("lease lost: another daemon may act on the streams; stopped")

// leaseState is the daemon's side of the lease: the standby's view of the
// holder, the holder's renewer.
type leaseState struct {
	mu      sync.Mutex
	waiting bool
	holder  bus.Holder // while waiting: who holds it, if known
	held    bool
	// used is set (by New) when the daemon takes part in the lease (an
	// external cluster); until is when the lease held stops being valid unless
	// renewed (bus.Lease.ValidUntil).
	used  bool
	until time.Time

	lost       chan error // the renewer's end, to Run
	stop       func()     // stops the renewer and waits for it
	stopActing func()     // ends Run's context of collectors and decisions
	// gone ends when the lease is lost, even during a clean stop: the
	// exporters' drain ends with it (stopAll).
	gone context.Context
}

// acquireLease takes the lease on b's streams, waiting as a standby while
// another daemon holds it, until ctx ends (errStoppedWaiting). With the
// lease held, a renewer runs until stopLease.
func (d *Daemon) acquireLease(ctx context.Context, b *bus.Bus, ttl time.Duration) error {
	l, err := b.Lease(ctx, cmp.Or(ttl, config.DefaultLeaseTTL))
	if err != nil {
		return err
	}
	var last bus.Holder
	for {
		ok, h, err := l.TryAcquire(ctx)
		switch {
		case ok:
			d.lease.mu.Lock()
			d.lease.waiting, d.lease.held, d.lease.until = false, true, l.ValidUntil()
			d.lease.mu.Unlock()
			d.log.Info("lease taken: this daemon acts on the streams", "bucket", bus.BucketLeases, "ttl", l.TTL())
			d.renew(l)
			return nil
		case err != nil:
			d.log.Warn("lease: cannot try it; trying again", "err", err)
		case h.Instance != last.Instance:
			d.log.Warn("standby: another daemon acts on these streams; waiting for its lease to end", "holder", h.String())
			last = h
		}
		d.lease.mu.Lock()
		d.lease.waiting, d.lease.holder = true, h
		d.lease.mu.Unlock()
		select {
		case <-ctx.Done():
			return errStoppedWaiting
		case <-time.After(l.Every()):
		}
	}
}

// renew starts the goroutine that renews l until stopLease. When the lease
// is lost it says so on d.lease.lost and ends.
func (d *Daemon) renew(l *bus.Lease) {
	done := make(chan struct{})
	quit := make(chan struct{})
	d.lease.lost = make(chan error, 1)
	gone, lose := context.WithCancel(context.Background())
	d.lease.gone = gone
	go func() {
		defer close(done)
		defer lose()
		t := time.NewTicker(l.Every())
		defer t.Stop()
		for {
			select {
			case <-quit:
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				if err := l.Release(ctx); err != nil {
					d.log.Warn("lease: not released; a standby takes over when it ends", "err", err)
				}
				return
			case <-t.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), l.Every())
			err := l.Renew(ctx)
			cancel()
			switch {
			case errors.Is(err, bus.ErrLeaseLost):
				// At once, not once Run's loop sees it: polls in flight
				// end, and nothing more is decided or published.
				d.lease.stopActing()
				lose()
				d.lease.mu.Lock()
				d.lease.held = false
				d.lease.mu.Unlock()
				d.lease.lost <- err
				<-quit
				return
			case err != nil:
				d.log.Warn("lease: not renewed; trying again", "err", err)
			default:
				d.lease.mu.Lock()
				d.lease.until = l.ValidUntil()
				d.lease.mu.Unlock()
			}
		}
	}()
	d.lease.stop = sync.OnceFunc(func() { close(quit); <-done })
}

// stopLease stops the renewer, releasing the lease if still held.
func (d *Daemon) stopLease() {
	if d.lease.stop != nil {
		d.lease.stop()
	}
}

// leaseLost is the renewer's report of a lost lease (nil channel, never
// ready, without a lease).
func (d *Daemon) leaseLost() <-chan error { return d.lease.lost }

// standby says whether the daemon waits for the lease, and who holds it.
func (d *Daemon) standby() (bool, bus.Holder) {
	d.lease.mu.Lock()
	defer d.lease.mu.Unlock()
	return d.lease.waiting, d.lease.holder
}

// leaseHeld is 1 while this daemon holds the lease.
func (d *Daemon) leaseHeld() float64 {
	d.lease.mu.Lock()
	defer d.lease.mu.Unlock()
	if d.lease.held {
		return 1
	}
	return 0
}

// errNotActing refuses a publish while this daemon's lease is not valid.
var errNotActing = errors.New("not published: this daemon's lease on the streams is not valid (not renewed in time, or lost)")

// acting returns nil while this daemon may act on the streams: on the
// embedded bus always; on an external cluster while its lease is valid.
// The renewer finds a lease lost only at its next renewal: this is the
// check that holds between, for instance after the process was paused for
// longer than the TTL.
func (d *Daemon) acting() error {
	d.lease.mu.Lock()
	defer d.lease.mu.Unlock()
	if !d.lease.used || (d.lease.held && time.Now().Before(d.lease.until)) {
		return nil
	}
	return errNotActing
}

// gatedPublisher is the lifecycle's publisher: the bus, refusing every
// change while the daemon is not acting (acting). A refused change fails as
// one the bus could not take: counted, and tried again at the next poll.
type gatedPublisher struct {
	*bus.Bus
	acting func() error
}

func (g gatedPublisher) PublishAll(ctx context.Context, cs []bus.Encoded) ([]bus.Stored, []error) {
	if err := g.acting(); err != nil {
		errs := make([]error, len(cs))
		for i := range errs {
			errs[i] = err
		}
		return make([]bus.Stored, len(cs)), errs
	}
	return g.Bus.PublishAll(ctx, cs)
}

// refuseUnlessActing answers 503 to an operator's request that would act
// on the streams (a replay to partners, a poll) while this daemon does not
// (acting): a standby, naming the holder to ask instead, or a holder whose
// lease is not valid. It reports whether it refused.
func (d *Daemon) refuseUnlessActing(w http.ResponseWriter) bool {
	if d.acting() == nil {
		return false
	}
	why := "this daemon does not act on the streams: its lease on them is not valid (lost, or not renewed in time)"
	if waiting, _ := d.standby(); waiting {
		_, why = d.readiness()
		why += "; ask the daemon that holds the lease"
	}
	http.Error(w, why, http.StatusServiceUnavailable)
	return true
}
