package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/bus"
	"github.com/hazardwire/hazardwire/internal/lifecycle"
)

// runFloor measures the bus floor of a fan-out: the changes the partners
// got (bodies, by id), encoded with their records before the clock starts,
// published by the bench onto a fresh daemon that has no collector, in the
// lifecycle's batches and order of work (a batch's records are written
// while the next batch is published), each handed to the exporters' cache
// first as the lifecycle does. The daemon's delivery path runs as in the
// scenario; fetching, parsing, deciding and encoding cost nothing. The gap
// between the floor and the ceiling is the bus's and the exporter's; the
// gap between the daemon and the floor is the daemon's own work.
func runFloor(ctx context.Context, o Options, r *rig, bodies map[string][]byte, want map[string]bool, expected int64) (FanOut, error) {
	var f FanOut
	dir, err := os.MkdirTemp(o.Dir, "floor-")
	if err != nil {
		return f, err
	}
	defer os.RemoveAll(dir)
	changes, records, err := floorChanges(bodies)
	if err != nil {
		return f, err
	}
	for _, q := range r.partners {
		q.Reset(false)
	}
	p, _, err := startPipeline(pipelineConfig{StoreDir: dir, Partners: r.urls(), Concurrency: o.Concurrency, Sync: o.Sync}, o.Log)
	if err != nil {
		return f, err
	}
	defer p.stop()
	b, decoded := p.d.Publisher()
	states := b.States()

	runtime.GC() // the encoding's garbage is not the floor's
	start, cpu0 := time.Now(), cpuTime()
	recorded := make(chan error, 1)
	recorded <- nil
	for i := 0; i < len(changes); i += lifecycle.MaxBatch {
		j := min(i+lifecycle.MaxBatch, len(changes))
		for _, c := range changes[i:j] {
			decoded.Put(c.Alert.ID, c.Data, c.Alert)
		}
		_, errs := b.PublishAll(ctx, changes[i:j])
		if err := errors.Join(errs...); err != nil {
			return f, fmt.Errorf("bus floor: publish: %w", err)
		}
		if err := <-recorded; err != nil {
			return f, err
		}
		go func(entries []bus.StateEntry) {
			err := errors.Join(states.PutAll(ctx, entries)...)
			if err != nil {
				err = fmt.Errorf("bus floor: record: %w", err)
			}
			recorded <- err
		}(records[i:j])
	}
	if err := <-recorded; err != nil {
		return f, err
	}
	if err := awaitCount(ctx, r.partners, expected, o.Timeout, nil); err != nil {
		return f, fmt.Errorf("bus floor: %w", err)
	}
	f = collect(r.partners, start, want, expected)
	f.CPU = cpuTime() - cpu0
	return f, nil
}

// floorChanges decodes the bodies into changes as the lifecycle encodes
// them, and their records as it writes them (the stream sequence aside).
func floorChanges(bodies map[string][]byte) ([]bus.Encoded, []bus.StateEntry, error) {
	var changes []bus.Encoded
	var records []bus.StateEntry
	for id, body := range bodies {
		a := new(alert.Alert)
		if err := json.Unmarshal(body, a); err != nil {
			return nil, nil, fmt.Errorf("bus floor: body of %s: %w", id, err)
		}
		c, err := bus.Encode(a)
		if err != nil {
			return nil, nil, fmt.Errorf("bus floor: %w", err)
		}
		rec, err := json.Marshal(lifecycle.Record{Key: a.Key, Source: a.Source, Version: a.Version, Episode: a.Version,
			Active: true, Hash: a.ContentHash(), Sent: a.Sent, Alert: *a, Seqs: []uint64{uint64(len(changes) + 1)}})
		if err != nil {
			return nil, nil, fmt.Errorf("bus floor: record of %s: %w", id, err)
		}
		changes = append(changes, c)
		records = append(records, bus.StateEntry{Source: a.Source, Key: a.Key, Value: rec})
	}
	return changes, records, nil
}
