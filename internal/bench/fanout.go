package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/hazardwire/hazardwire/internal/nwsfeed"
)

// FanOut is one side of a fan-out run: the daemon's, or the ceiling's.
type FanOut struct {
	// Deliveries is how many (partner, change) pairs were acknowledged, of
	// Expected.
	Deliveries int64 `json:"deliveries"`
	Expected   int64 `json:"expected"`
	// Requests counts every request the partners answered, repeats included.
	Requests int64 `json:"requests"`
	// Elapsed runs from the start (the poll that saw the alerts, or the
	// first POST) to the last acknowledgement.
	Elapsed time.Duration `json:"elapsed_ns"`
	// Rate is Deliveries per second of Elapsed.
	Rate float64 `json:"deliveries_per_s"`
	// Latency is, per delivery, start → the partner's 2xx.
	Latency Latency `json:"latency"`
	// Unexpected counts acknowledged ids the feed never produced.
	Unexpected int `json:"unexpected"`
	// Retries is the daemon's retry count (zero for the ceiling).
	Retries float64 `json:"retries"`
	// Attempt is the daemon's mean delivery attempt (request to answer).
	Attempt time.Duration `json:"attempt_mean_ns"`
	// Collect is how long the daemon's poll took, fetch and parse.
	Collect time.Duration `json:"collect_ns"`
	// First is the first acknowledgement, from the start.
	First time.Duration `json:"first_ns"`
	// CPU is the process's CPU time, all cores, from the poll (or the first
	// POST) to the last acknowledgement; the partner endpoints, which run
	// in the process, are in it on both sides.
	CPU time.Duration `json:"cpu_ns"`
}

// CPUPerDelivery is CPU over the deliveries acknowledged.
func (f FanOut) CPUPerDelivery() time.Duration {
	if f.Deliveries == 0 {
		return 0
	}
	return f.CPU / time.Duration(f.Deliveries)
}

// FanOutResult compares the daemon with plain POSTs of the same bodies at
// the same total concurrency to the same endpoints.
type FanOutResult struct {
	Alerts      int     `json:"alerts"`
	Partners    int     `json:"partners"`
	Concurrency int     `json:"concurrency_per_partner"`
	Daemon      FanOut  `json:"daemon"`
	Ceiling     FanOut  `json:"ceiling"`
	Ratio       float64 `json:"ratio"` // daemon rate / ceiling rate
	// Floor is the bus floor (runFloor), measured for the single partner.
	Floor      *FanOut `json:"bus_floor,omitempty"`
	FloorRatio float64 `json:"bus_floor_ratio,omitempty"` // floor rate / ceiling rate
}

// runFanOut takes a snapshot feed from 0 to n alerts with every one of
// partners subscribed to everything, then replays the same bodies as plain
// POSTs, then, with floor, puts the same changes on a daemon's bus
// (runFloor).
func runFanOut(ctx context.Context, o Options, n, partners int, floor bool) (FanOutResult, error) {
	res := FanOutResult{Alerts: n, Partners: partners, Concurrency: o.Concurrency}
	r, err := newRig(o, "fanout", partners)
	if err != nil {
		return res, err
	}
	defer r.close()
	feed, ps, urls := r.feed, r.partners, r.urls()
	p, err := r.start(o, pipelineConfig{Concurrency: o.Concurrency})
	if err != nil {
		return res, err
	}
	defer p.stop()
	features, want := burst(n, func(i int) string { return nwsfeed.FeatureKey(collectorName, i) + "#1" })
	collectBefore, _ := histogramSum(p.reg, "hazardwire_collector_fetch_duration_seconds")
	gen := feed.Set(nwsfeed.Collection(features))
	cpu0 := cpuTime()
	if err := p.poll(time.Minute); err != nil {
		return res, err
	}
	t0, err := feed.ServedAt(gen, time.Minute)
	if err != nil {
		return res, err
	}
	expected := int64(n * partners)
	if err := awaitCount(ctx, ps, expected, o.Timeout, nil); err != nil {
		return res, err
	}
	res.Daemon = collect(ps, t0, want, expected)
	res.Daemon.CPU = cpuTime() - cpu0
	res.Daemon.Retries = counterSum(p.reg, "hazardwire_exporter_deliveries_total", map[string]string{"result": "retry"})
	res.Daemon.Attempt = histogramMean(p.reg, "hazardwire_exporter_delivery_duration_seconds")
	collectAfter, _ := histogramSum(p.reg, "hazardwire_collector_fetch_duration_seconds")
	res.Daemon.Collect = time.Duration((collectAfter - collectBefore) * float64(time.Second))
	if err := p.stop(); err != nil {
		return res, fmt.Errorf("daemon stop: %w", err)
	}

	// The ceiling: the bodies partner 0 got, POSTed by plain clients.
	bodies := ps[0].Bodies()
	if res.Ceiling, err = ceiling(ctx, ps, urls, bodies, want, expected, o.Concurrency); err != nil {
		return res, err
	}
	if res.Ceiling.Rate > 0 {
		res.Ratio = res.Daemon.Rate / res.Ceiling.Rate
	}
	if floor {
		fl, err := runFloor(ctx, o, r, bodies, want, expected)
		if err != nil {
			return res, err
		}
		res.Floor = &fl
		if res.Ceiling.Rate > 0 {
			res.FloorRatio = fl.Rate / res.Ceiling.Rate
		}
	}
	return res, nil
}

// burst returns n new flood warnings, unique to this run, and the set of
// what the partner will see of each (mark(i) for warning i).
func burst(n int, mark func(i int) string) ([][]byte, map[string]bool) {
	run := fmt.Sprintf("%d", time.Now().UnixNano())
	sent := time.Now().Truncate(time.Minute)
	features := make([][]byte, n)
	want := make(map[string]bool, n)
	for i := range features {
		features[i] = nwsfeed.Feature(run, i, sent)
		want[mark(i)] = true
	}
	return features, want
}

// awaitCount waits until the partners have acknowledged expected ids in all;
// it gives up when quit (nil: never) is closed.
func awaitCount(ctx context.Context, ps []*Partner, expected int64, timeout time.Duration, quit <-chan struct{}) error {
	count := func() (got int64) {
		for _, p := range ps {
			got += p.Distinct()
		}
		return got
	}
	deadline := time.Now().Add(timeout)
	for {
		if count() >= expected {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d deliveries acknowledged after %s", count(), expected, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-quit:
			if got := count(); got < expected { // the last may have come since
				return fmt.Errorf("%d of %d deliveries acknowledged when the sender stopped", got, expected)
			}
			return nil
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// collect reads the partners' arrivals into a FanOut measured from start.
func collect(ps []*Partner, start time.Time, want map[string]bool, expected int64) FanOut {
	f := FanOut{Expected: expected}
	var lat []time.Duration
	var first, last time.Time
	for _, p := range ps {
		f.Requests += p.Requests()
		for id, at := range p.Arrivals() {
			if !want[id] {
				f.Unexpected++
				continue
			}
			f.Deliveries++
			lat = append(lat, at.Sub(start))
			if at.After(last) {
				last = at
			}
			if first.IsZero() || at.Before(first) {
				first = at
			}
		}
	}
	f.Elapsed, f.First = last.Sub(start), first.Sub(start)
	if f.Elapsed > 0 {
		f.Rate = float64(f.Deliveries) / f.Elapsed.Seconds()
	}
	f.Latency = summarize(lat)
	return f
}

// ceiling forgets what the partners ps (at urls) got, POSTs every body to
// each of them with plain clients, and measures that as collect does.
func ceiling(ctx context.Context, ps []*Partner, urls []string, bodies map[string][]byte, want map[string]bool, expected int64, concurrency int) (FanOut, error) {
	for _, p := range ps {
		p.Reset(false)
	}
	start, cpu0 := time.Now(), cpuTime()
	if err := plainPost(ctx, urls, bodies, concurrency); err != nil {
		return FanOut{}, err
	}
	f := collect(ps, start, want, expected)
	f.CPU = cpuTime() - cpu0
	return f, nil
}

// plainPost sends every body to every url with concurrency workers per url,
// each url with its own client, as the webhook exporter has.
func plainPost(ctx context.Context, urls []string, bodies map[string][]byte, concurrency int) error {
	type job struct {
		id   string
		body []byte
	}
	jobs := make([]job, 0, len(bodies))
	for id, b := range bodies {
		jobs = append(jobs, job{id, b})
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(urls)*concurrency)
	for _, u := range urls {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 64
		client := &http.Client{Transport: t, Timeout: 30 * time.Second}
		next := make(chan job)
		go func() {
			defer close(next)
			for _, j := range jobs {
				select {
				case next <- j:
				case <-ctx.Done():
					return
				}
			}
		}()
		for range concurrency {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range next {
					if err := post(ctx, client, u, j.id, j.body); err != nil {
						errs <- err
						for range next {
						}
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func post(ctx context.Context, client *http.Client, url, id string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("webhook-id", id)
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("POST %s: %s", url, res.Status)
	}
	return nil
}
