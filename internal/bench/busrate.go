package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hazardwire/hazardwire/bus"
	"github.com/hazardwire/hazardwire/internal/nwsfeed"
)

// BusResult compares the lifecycle's rate of published changes with raw
// JetStream publishes of the same bytes.
type BusResult struct {
	Changes int `json:"changes"`
	// Lifecycle: decide, publish and record n new alerts (changes/s).
	Lifecycle float64 `json:"lifecycle_per_s"`
	// RawAsync: the same bytes published asynchronously, acks awaited.
	RawAsync float64 `json:"raw_async_per_s"`
	// RawSync: the same bytes, one acknowledged publish at a time.
	RawSync float64 `json:"raw_sync_per_s"`
	Ratio   float64 `json:"ratio"` // Lifecycle / RawAsync
}

func runBus(ctx context.Context, o Options, n int) (BusResult, error) {
	res := BusResult{Changes: n}
	lr, err := newLifecycleRig(ctx, o, "bus")
	if err != nil {
		return res, err
	}
	defer lr.close()
	src, b, engine, reg := lr.src, lr.bus, lr.engine, lr.reg
	run := fmt.Sprintf("%d", time.Now().UnixNano())
	sent := time.Now().Truncate(time.Minute)
	features := make([][]byte, n)
	for i := range features {
		features[i] = nwsfeed.Feature(run, i, sent)
	}
	items, err := src.collect(ctx, features)
	if err != nil {
		return res, err
	}
	bodies := make([][]byte, n)
	for i, it := range items.Items {
		if bodies[i], err = json.Marshal(it.Alert); err != nil {
			return res, err
		}
	}

	t0 := time.Now()
	engine.Handle(ctx, src.info, items, nil)
	elapsed := time.Since(t0)
	if got := counterSum(reg, "hazardwire_alerts_changes_total", nil); got != float64(n) {
		return res, fmt.Errorf("lifecycle published %v changes of %d", got, n)
	}
	res.Lifecycle = float64(n) / elapsed.Seconds()

	js := b.JetStream()
	msg := func(i int, kind string) *nats.Msg {
		m := nats.NewMsg(bus.SubjectAlerts + ".flood.severe." + collectorName)
		m.Data = bodies[i]
		m.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("%s-%s-%d", kind, run, i))
		m.Header.Set(bus.HeaderCESpecVersion, "1.0")
		m.Header.Set(bus.HeaderCESubject, items.Items[i].Alert.Key)
		return m
	}
	t0 = time.Now()
	for i := range n {
		if _, err := js.PublishMsgAsync(msg(i, "async")); err != nil {
			return res, err
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(o.Timeout):
		return res, fmt.Errorf("async publishes not acknowledged within %s", o.Timeout)
	}
	res.RawAsync = float64(n) / time.Since(t0).Seconds()

	t0 = time.Now()
	for i := range n {
		if _, err := js.PublishMsg(ctx, msg(i, "sync")); err != nil {
			return res, err
		}
	}
	res.RawSync = float64(n) / time.Since(t0).Seconds()
	res.Ratio = res.Lifecycle / res.RawAsync
	return res, nil
}
