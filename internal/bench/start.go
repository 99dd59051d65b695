package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hazardwire/hazardwire/bus"
	"github.com/hazardwire/hazardwire/internal/nwsfeed"
)

// StartResult is the time from config to ready, on an empty store and on a
// store holding many messages.
type StartResult struct {
	Messages int `json:"messages"`
	// Active is how many alerts are in force in the full store's state.
	Active int `json:"active"`
	// Fill is how long writing the full store took (not a goal).
	Fill time.Duration `json:"fill_ns"`
	// Empty and Full are the runs' times to ready, and their medians.
	Empty       []time.Duration `json:"empty_ns"`
	Full        []time.Duration `json:"full_ns"`
	EmptyMedian time.Duration   `json:"empty_median_ns"`
	FullMedian  time.Duration   `json:"full_median_ns"`
}

// runStart times startPipeline runs times on fresh empty stores, then fills
// one store with messages (active alerts through the lifecycle, the rest as
// raw publishes of the same bytes) and times runs restarts on it.
func runStart(ctx context.Context, o Options, messages, active, runs int) (StartResult, error) {
	res := StartResult{Messages: messages, Active: active}
	r, err := newRig(o, "start", 1)
	if err != nil {
		return res, err
	}
	defer r.close()
	cfg := pipelineConfig{FeedURL: r.feed.URL(), Partners: r.urls(), Sync: o.Sync}
	once := func() (time.Duration, error) {
		p, ready, err := startPipeline(cfg, o.Log)
		if err != nil {
			return 0, err
		}
		return ready, p.stop()
	}
	for range runs {
		dir, err := os.MkdirTemp(o.Dir, "start-empty-")
		if err != nil {
			return res, err
		}
		cfg.StoreDir = dir
		d, err := once()
		os.RemoveAll(dir)
		if err != nil {
			return res, err
		}
		res.Empty = append(res.Empty, d)
	}

	dir, err := os.MkdirTemp(o.Dir, "start-full-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	t0 := time.Now()
	if err := fillStore(ctx, o, dir, messages, active); err != nil {
		return res, err
	}
	res.Fill = time.Since(t0)
	cfg.StoreDir = dir
	for range runs {
		d, err := once()
		if err != nil {
			return res, err
		}
		res.Full = append(res.Full, d)
	}
	res.EmptyMedian, res.FullMedian = median(res.Empty), median(res.Full)
	return res, nil
}

// fillStore writes active alerts through the collector and lifecycle, then
// raw copies of their bytes until the alert stream holds messages.
func fillStore(ctx context.Context, o Options, dir string, messages, active int) error {
	src, err := newSource()
	if err != nil {
		return err
	}
	defer src.close()
	b, err := bus.Open(ctx, bus.Config{StoreDir: dir}, discardLogger())
	if err != nil {
		return err
	}
	defer b.Close()
	engine, _, err := newEngine(ctx, b)
	if err != nil {
		return err
	}
	run := fmt.Sprintf("%d", time.Now().UnixNano())
	sent := time.Now().Truncate(time.Minute)
	var sample []byte
	for from := 0; from < active; from += 1000 {
		var features [][]byte
		for i := from; i < min(from+1000, active); i++ {
			features = append(features, nwsfeed.Feature(run, i, sent))
		}
		items, err := src.collect(ctx, features)
		if err != nil {
			return err
		}
		engine.Handle(ctx, src.info, items, nil)
		if sample, err = json.Marshal(items.Items[0].Alert); err != nil {
			return err
		}
	}
	if sample == nil {
		return fmt.Errorf("fill: no active alert to copy")
	}
	js := b.JetStream()
	stream, err := js.Stream(ctx, bus.StreamAlerts)
	if err != nil {
		return err
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return err
	}
	for i := int(info.State.Msgs); i < messages; i++ {
		m := nats.NewMsg(bus.SubjectAlerts + ".flood.severe." + collectorName)
		m.Data = sample
		m.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("fill-%s-%d", run, i))
		if _, err := js.PublishMsgAsync(m); err != nil {
			return err
		}
		if i%10000 == 0 {
			select {
			case <-js.PublishAsyncComplete():
			case <-time.After(o.Timeout):
				return fmt.Errorf("fill: publishes not acknowledged within %s", o.Timeout)
			}
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(o.Timeout):
		return fmt.Errorf("fill: publishes not acknowledged within %s", o.Timeout)
	}
	if info, err = stream.Info(ctx); err != nil {
		return err
	}
	if int(info.State.Msgs) < messages {
		return fmt.Errorf("fill: the stream holds %d messages, not %d (limits?)", info.State.Msgs, messages)
	}
	return nil
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
