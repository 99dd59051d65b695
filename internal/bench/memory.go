package bench

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/hazardwire/hazardwire/internal/nwsfeed"
)

// MemoryResult is the memory held with n alerts in force.
type MemoryResult struct {
	Active int `json:"active"`
	// HeapEmpty, HeapHeld and HeapReleased are the live Go heap (bytes, after
	// a collection) with the bus open and no alert, with n alerts in force,
	// and after the lifecycle engine holding them is let go.
	HeapEmpty    uint64 `json:"heap_empty"`
	HeapHeld     uint64 `json:"heap_held"`
	HeapReleased uint64 `json:"heap_released"`
	// EnginePerAlert is (HeapHeld-HeapReleased)/n: what the daemon holds per
	// alert beyond the store.
	EnginePerAlert float64 `json:"engine_bytes_per_alert"`
	// TotalPerAlert is (HeapHeld-HeapEmpty)/n: the same plus the embedded
	// store's own memory for them (indexes, caches).
	TotalPerAlert float64 `json:"total_bytes_per_alert"`
	// RSS is the process's resident set with the alerts held.
	RSS uint64 `json:"rss"`
}

// runMemory puts n alerts in force through the real collector and lifecycle,
// in batches of 1,000, on a bus of its own.
func runMemory(ctx context.Context, o Options, n int) (MemoryResult, error) {
	res := MemoryResult{Active: n}
	lr, err := newLifecycleRig(ctx, o, "memory")
	if err != nil {
		return res, err
	}
	defer lr.close()
	src, engine, reg := lr.src, lr.engine, lr.reg
	lr.engine = nil // so that only engine below holds it
	res.HeapEmpty = liveHeap()
	run := fmt.Sprintf("%d", time.Now().UnixNano())
	sent := time.Now().Truncate(time.Minute)
	const batch = 1000
	for from := 0; from < n; from += batch {
		features := make([][]byte, 0, batch)
		for i := from; i < min(from+batch, n); i++ {
			features = append(features, nwsfeed.Feature(run, i, sent))
		}
		items, err := src.collect(ctx, features)
		if err != nil {
			return res, err
		}
		engine.Handle(ctx, src.info, items, nil)
	}
	if got := counterSum(reg, "hazardwire_alerts_changes_total", nil); got != float64(n) {
		return res, fmt.Errorf("lifecycle published %v changes of %d", got, n)
	}
	res.HeapHeld = liveHeap()
	res.RSS = rss()
	runtime.KeepAlive(engine)
	engine = nil //nolint:ineffassign // let the engine go, to see what it held
	res.HeapReleased = liveHeap()
	res.EnginePerAlert = (float64(res.HeapHeld) - float64(res.HeapReleased)) / float64(n)
	res.TotalPerAlert = (float64(res.HeapHeld) - float64(res.HeapEmpty)) / float64(n)
	return res, nil
}

// liveHeap returns the bytes of live heap objects after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// rss returns the resident set size from /proc (0 where there is none).
func rss() uint64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
