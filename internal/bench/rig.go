package bench

import (
	"context"
	"os"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hazardwire/hazardwire/bus"
	"github.com/hazardwire/hazardwire/internal/lifecycle"
)

// rig is what a daemon scenario runs against: a feed, partners and a store
// directory. Partner 0 keeps the bodies it receives.
type rig struct {
	feed     *Feed
	partners []*Partner
	dir      string
}

func newRig(o Options, name string, partners int) (*rig, error) {
	r := &rig{}
	var err error
	if r.feed, err = NewFeed(); err != nil {
		return nil, err
	}
	for range partners {
		p, err := NewPartner()
		if err != nil {
			r.close()
			return nil, err
		}
		r.partners = append(r.partners, p)
	}
	if partners > 0 {
		r.partners[0].Reset(true)
	}
	if r.dir, err = os.MkdirTemp(o.Dir, name+"-"); err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

func (r *rig) urls() []string {
	var out []string
	for _, p := range r.partners {
		out = append(out, p.URL())
	}
	return out
}

// start runs the daemon on the rig with c's other settings, once its first
// poll (of the empty feed) is done.
func (r *rig) start(o Options, c pipelineConfig) (*pipeline, error) {
	c.StoreDir, c.FeedURL, c.Partners, c.Sync = r.dir, r.feed.URL(), r.urls(), o.Sync
	p, _, err := startPipeline(c, o.Log)
	if err != nil {
		return nil, err
	}
	if _, err := r.feed.ServedAt(0, o.Timeout); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

func (r *rig) close() {
	if r.feed != nil {
		r.feed.Close()
	}
	for _, p := range r.partners {
		p.Close()
	}
	if r.dir != "" {
		os.RemoveAll(r.dir)
	}
}

// lifecycleRig is the synthetic feed's collector and a lifecycle engine on
// a bus of its own, for the scenarios without a daemon.
type lifecycleRig struct {
	src    *source
	bus    *bus.Bus
	engine *lifecycle.Engine
	reg    *prometheus.Registry
	dir    string
}

func newLifecycleRig(ctx context.Context, o Options, name string) (*lifecycleRig, error) {
	r := &lifecycleRig{}
	var err error
	if r.src, err = newSource(); err != nil {
		return nil, err
	}
	if r.dir, err = os.MkdirTemp(o.Dir, name+"-"); err != nil {
		r.close()
		return nil, err
	}
	if r.bus, err = bus.Open(ctx, bus.Config{StoreDir: r.dir}, discardLogger()); err != nil {
		r.close()
		return nil, err
	}
	if r.engine, r.reg, err = newEngine(ctx, r.bus); err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

func (r *lifecycleRig) close() {
	if r.bus != nil {
		r.bus.Close()
	}
	if r.src != nil {
		r.src.close()
	}
	if r.dir != "" {
		os.RemoveAll(r.dir)
	}
}
