package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/exporters"
	"github.com/hazardwire/hazardwire/internal/nwsfeed"
)

// TestScenarios runs every scenario at a tiny size: it checks that each
// completes, that every expected delivery arrived and nothing else, and that
// the table prints. It asserts no speed: the numbers come from the tool.
func TestScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("starts several daemons")
	}
	o := Options{
		Dir: t.TempDir(), Timeout: 2 * time.Minute,
		BurstAlerts: 40, BurstPartners: 3, SingleAlerts: 30, IdleAlerts: 5,
		BusChanges: 50, MemoryActive: []int{300}, StartMessages: 2000, StartActive: 50, StartRuns: 1,
	}
	var progress bytes.Buffer
	r, err := Run(context.Background(), o, &progress)
	if err != nil {
		t.Fatalf("%v\n%s", err, progress.String())
	}
	for name, f := range map[string]*FanOutResult{"burst": r.Burst, "single": r.Single} {
		for side, s := range map[string]FanOut{"daemon": f.Daemon, "ceiling": f.Ceiling} {
			if s.Deliveries != s.Expected || s.Unexpected != 0 || s.Rate <= 0 || s.Latency.N != int(s.Expected) {
				t.Errorf("%s %s: %+v", name, side, s)
			}
		}
		if f.Ratio <= 0 {
			t.Errorf("%s: ratio %v", name, f.Ratio)
		}
	}
	if fl := r.Single.Floor; fl == nil || fl.Deliveries != 30 || fl.Expected != 30 || fl.Unexpected != 0 || fl.Latency.N != 30 || r.Single.FloorRatio <= 0 {
		t.Errorf("single's bus floor: %+v, ratio %v", fl, r.Single.FloorRatio)
	}
	if r.Burst.Floor != nil {
		t.Errorf("burst has a bus floor: %+v", r.Burst.Floor)
	}
	if r.Burst.Daemon.Expected != 40*3 || r.Single.Daemon.Expected != 30 {
		t.Errorf("expected deliveries: burst %d, single %d", r.Burst.Daemon.Expected, r.Single.Daemon.Expected)
	}
	if r.Idle.Daemon.N != 5 || r.Idle.Ceiling.N != 5 || r.Idle.Daemon.P50 <= 0 {
		t.Errorf("idle: %+v", r.Idle)
	}
	if r.Bus.Lifecycle <= 0 || r.Bus.RawAsync <= 0 || r.Bus.RawSync <= 0 {
		t.Errorf("bus: %+v", r.Bus)
	}
	if len(r.Memory) != 1 || r.Memory[0].HeapHeld <= r.Memory[0].HeapEmpty || r.Memory[0].EnginePerAlert <= 0 {
		t.Errorf("memory: %+v", r.Memory)
	}
	if len(r.Start.Empty) != 1 || len(r.Start.Full) != 1 || r.Start.FullMedian <= 0 {
		t.Errorf("start: %+v", r.Start)
	}
	var table bytes.Buffer
	if err := r.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	var bf bytes.Buffer
	if err := r.WriteBenchfmt(&bf); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"BenchmarkBurst/40x3/Daemon 1 ", "BenchmarkBurst/40x3/Ceiling 1 ", "BenchmarkSingle/30x1/Ratio 1 0 ns/op",
		"BenchmarkSingle/30x1/Floor 1 ", "BenchmarkSingle/30x1/FloorRatio 1 0 ns/op",
		"BenchmarkIdle/Daemon 1 ", "BenchmarkBus/Lifecycle 1 ", "BenchmarkMemory/300 1 0 ns/op", "BenchmarkStart/2000Messages 1 "} {
		if !strings.Contains(bf.String(), want) {
			t.Errorf("benchmark format lacks %q:\n%s", want, bf.String())
		}
	}
	for _, want := range []string{"burst fan-out (40 alerts × 3 partners", "deliveries/s", "idle latency", "changes/s", "bus floor: deliveries/s", "memory (300 alerts", "ready, 2000 messages"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
}

// TestFeatureKey: the keys the bench expects are the keys the nws collector
// gives its synthetic features.
func TestFeatureKey(t *testing.T) {
	src, err := newSource()
	if err != nil {
		t.Fatal(err)
	}
	defer src.close()
	sent := time.Now().Truncate(time.Minute)
	idx := []int{0, 1, 9998, 9999, 123456}
	var features [][]byte
	for _, i := range idx {
		features = append(features, nwsfeed.Feature("t", i, sent))
	}
	res, err := src.collect(context.Background(), features)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, it := range res.Items {
		got[it.Alert.Key] = true
	}
	for _, i := range idx {
		if k := nwsfeed.FeatureKey(collectorName, i); !got[k] {
			t.Errorf("feature %d: key %s not among %v", i, k, got)
		}
	}
}

func TestSummarize(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 100; i++ {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	l := summarize(ds)
	if l.N != 100 || l.P50 != 50*time.Millisecond || l.P99 != 99*time.Millisecond || l.Max != 100*time.Millisecond {
		t.Errorf("summarize: %+v", l)
	}
	if (summarize(nil) != Latency{}) {
		t.Error("summarize(nil) not zero")
	}
}

// BenchmarkDecodedHeap measures the live heap the exporters' shared cache
// of decoded changes holds when full, per change, beyond the bodies it
// keeps: go test -run '^$' -bench DecodedHeap ./internal/bench
func BenchmarkDecodedHeap(b *testing.B) {
	src, err := newSource()
	if err != nil {
		b.Fatal(err)
	}
	defer src.close()
	const size = 8192 // the daemon's
	var bodies [][]byte
	var ids []string
	for from := 0; from < size; from += 1000 {
		var fs [][]byte
		for i := from; i < min(from+1000, size); i++ {
			fs = append(fs, nwsfeed.Feature("decoded", i, time.Now()))
		}
		res, err := src.collect(context.Background(), fs)
		if err != nil {
			b.Fatal(err)
		}
		for _, it := range res.Items {
			a := it.Alert
			a.ID = a.Key + "#1"
			body, err := json.Marshal(&a)
			if err != nil {
				b.Fatal(err)
			}
			bodies, ids = append(bodies, body), append(ids, a.ID)
		}
	}
	var perEntry, bodySize float64
	for b.Loop() {
		before := liveHeap()
		c := exporters.NewDecoded(size)
		for i := range bodies {
			if _, err := c.Get(ids[i], bodies[i]); err != nil {
				b.Fatal(err)
			}
		}
		after := liveHeap()
		runtime.KeepAlive(c)
		perEntry = float64(after-before) / size
	}
	for _, body := range bodies {
		bodySize += float64(len(body))
	}
	b.ReportMetric(perEntry, "B/entry")
	b.ReportMetric(bodySize/size, "body-B/entry")
	b.ReportMetric(perEntry*size/1e6, "MB-full")
}
