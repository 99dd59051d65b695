package bench

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hazardwire/hazardwire/bus"
	"github.com/hazardwire/hazardwire/internal/nwsfeed"
)

// IdleResult is the latency of one new alert at a time.
type IdleResult struct {
	Alerts int `json:"alerts"`
	// Daemon: the poll that saw the alert completes → the partner's 2xx.
	Daemon Latency `json:"daemon"`
	// Ceiling: one JetStream publish round trip plus one loopback POST,
	// back to back, on the same machine in the same run.
	Ceiling Latency `json:"ceiling"`
	Publish Latency `json:"publish"`
	Post    Latency `json:"post"`
}

// runIdle feeds k alerts one at a time: each poll brings one new alert (and
// expires the one before, which left the feed), and the next is fed only
// once the partner has both.
func runIdle(ctx context.Context, o Options, k int) (IdleResult, error) {
	res := IdleResult{Alerts: k}
	r, err := newRig(o, "idle", 1)
	if err != nil {
		return res, err
	}
	defer r.close()
	feed, partner, dir := r.feed, r.partners[0], r.dir
	p, err := r.start(o, pipelineConfig{Concurrency: o.Concurrency, Grace: 1})
	if err != nil {
		return res, err
	}
	defer p.stop()
	run := fmt.Sprintf("%d", time.Now().UnixNano())
	sent := time.Now().Truncate(time.Minute)
	lat := make([]time.Duration, 0, k)
	for i := range k {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		gen := feed.Set(nwsfeed.Collection([][]byte{nwsfeed.Feature(run, i, sent)}))
		if err := p.poll(time.Minute); err != nil {
			return res, err
		}
		t0, err := feed.ServedAt(gen, time.Minute)
		if err != nil {
			return res, err
		}
		id := nwsfeed.FeatureKey(collectorName, i) + "#1"
		at, ok := partner.Await(id, o.Timeout)
		if !ok {
			return res, fmt.Errorf("idle: %s not delivered within %s", id, o.Timeout)
		}
		lat = append(lat, at.Sub(t0))
		if i > 0 {
			prev := nwsfeed.FeatureKey(collectorName, i-1) + "#2"
			if _, ok := partner.Await(prev, o.Timeout); !ok {
				return res, fmt.Errorf("idle: expiry %s not delivered within %s", prev, o.Timeout)
			}
		}
	}
	res.Daemon = summarize(lat)
	body := partner.Bodies()[nwsfeed.FeatureKey(collectorName, 0)+"#1"]
	if err := p.stop(); err != nil {
		return res, fmt.Errorf("daemon stop: %w", err)
	}

	// The ceiling, on a bus of its own and the same partner.
	b, err := bus.Open(ctx, bus.Config{StoreDir: dir + "-ceiling"}, discardLogger())
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir + "-ceiling")
	defer b.Close()
	client := &http.Client{Timeout: 30 * time.Second}
	var pub, post1, both []time.Duration
	for i := range k {
		t0 := time.Now()
		msg := nats.NewMsg(bus.SubjectAlerts + ".flood.severe." + collectorName)
		msg.Data = body
		msg.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("ceiling-%s-%d", run, i))
		if _, err := b.JetStream().PublishMsg(ctx, msg); err != nil {
			return res, err
		}
		t1 := time.Now()
		if err := post(ctx, client, partner.URL(), fmt.Sprintf("ceiling-%d", i), body); err != nil {
			return res, err
		}
		t2 := time.Now()
		pub = append(pub, t1.Sub(t0))
		post1 = append(post1, t2.Sub(t1))
		both = append(both, t2.Sub(t0))
	}
	res.Ceiling, res.Publish, res.Post = summarize(both), summarize(pub), summarize(post1)
	return res, nil
}
