package lifecycle

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/bus"
)

// maxBatch bounds the changes published and recorded at once: large enough
// that a burst takes few round trips, small enough that exporters start
// delivering its first changes early.
const maxBatch = 256

// queued is a decision waiting for its pass's next flush.
type queued struct {
	source string
	d      Decision
}

// storedRecord encodes r as stored, with its alert's JSON as published:
// the record's other fields, then the alert spliced in, not encoded again.
func storedRecord(r *Record, alertJSON []byte) ([]byte, error) {
	rest := *r
	rest.Alert = alert.Alert{} // omitted
	b, err := json.Marshal(&rest)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(b)+len(alertJSON)+10)
	out = append(out, `{"alert":`...)
	out = append(out, alertJSON...)
	out = append(out, ',')
	return append(out, b[1:]...), nil // b is {"key":…}
}

// apply queues a decision for the pass's next flush, which publishes the
// changes, then records the new states: publish first, so that a crash in
// between repeats the same ids, which the bus drops.
//
// Once the bus has failed in a Handle or Sweep, the pass's remaining changes
// are not tried: each would wait out the same failure (a publish times out
// after seconds) while the engine is locked, and the API and the status page,
// which read the engine, would hang with it. Nothing is recorded for them, so
// the next poll or sweep decides them again, with the same ids.
func (e *Engine) apply(ctx context.Context, source string, d Decision) {
	if d.Record == nil {
		return
	}
	if e.failed {
		e.left++
		return
	}
	switch {
	case e.queuedKeys[d.Record.Key]:
		e.flush(ctx)
	case len(e.batch) >= maxBatch:
		e.publishBatch(ctx)
	}
	e.batch = append(e.batch, queued{source: source, d: d})
	e.queuedKeys[d.Record.Key] = true
}

// flush publishes the queued changes and records their states, and waits
// until every record is written. e.mu is held.
func (e *Engine) flush(ctx context.Context) {
	e.publishBatch(ctx)
	e.settle()
}

// recording is a batch whose changes the bus has taken and whose records
// are on their way to the store.
type recording struct {
	batch    []queued
	failed   []bool
	nFailed  int
	firstErr error
	recorded []int        // batch index of each record written
	done     chan []error // the store's answer, one error per record
}

// fail counts change i of the batch as not published or not recorded.
func (e *Engine) fail(r *recording, i int, stage string, err error) {
	r.failed[i], e.failed = true, true
	e.metrics.PublishErrors.WithLabelValues(r.batch[i].source, stage).Inc()
	if r.nFailed++; r.firstErr == nil {
		r.firstErr = err
	}
}

// publishBatch publishes the queued changes at once and starts recording
// their states at once: two round trips for up to maxBatch changes. The
// records of the batch before are waited for after this batch is
// published, not before, so that the stream stores one batch while the
// state bucket stores the other. e.mu is held.
func (e *Engine) publishBatch(ctx context.Context) {
	r := &recording{batch: e.batch, failed: make([]bool, len(e.batch))}
	e.batch = nil
	clear(e.queuedKeys)
	if len(r.batch) == 0 {
		return
	}
	if e.failed {
		e.left += len(r.batch)
		return
	}
	encoded := e.publish(ctx, r)
	entries := e.records(ctx, r, encoded)
	e.settle()
	if e.failed {
		// The records of the batch before failed: these are not tried. The
		// bus has their changes, so the next poll or sweep finds their ids
		// there and records them (adoptStored).
		e.left += len(entries)
		r.recorded = nil
		e.report(r)
		return
	}
	if len(entries) == 0 {
		e.report(r)
		return
	}
	r.done = make(chan []error, 1)
	go func() { r.done <- e.store.PutAll(ctx, entries) }() // settle waits for it
	for _, i := range r.recorded {
		e.inflightKeys[r.batch[i].d.Record.Key] = true
	}
	e.inflight = r
}

// publish encodes the batch's changes, each once, for the stream and for
// its record, and publishes them. It returns each change's JSON as the
// stream holds it, by batch index (nil for a decision without a change).
func (e *Engine) publish(ctx context.Context, r *recording) [][]byte {
	var changes []bus.Encoded
	var published []int // batch index of each change
	encoded := make([][]byte, len(r.batch))
	for i, q := range r.batch {
		if q.d.Publish == nil {
			continue
		}
		c, err := bus.Encode(q.d.Publish)
		if err != nil {
			e.fail(r, i, "publish", err)
			continue
		}
		changes = append(changes, c)
		published = append(published, i)
		encoded[i] = c.Data
		if e.publishing != nil {
			e.publishing(c)
		}
	}
	stored, errs := e.pub.PublishAll(ctx, changes)
	for j, i := range published {
		if errs[j] != nil {
			e.fail(r, i, "publish", errs[j])
			continue
		}
		if stored[j].Duplicate {
			// The id was on the stream already: published before a crash,
			// not recorded. If the feed has changed since, what partners got
			// under this id is not this content: record what they got.
			data, err := e.adoptStored(ctx, &r.batch[i].d, stored[j].Seq)
			if err != nil {
				e.fail(r, i, "publish", err)
				continue
			}
			if data != nil {
				encoded[i] = data
			}
		}
		r.batch[i].d.Record.Seqs = append(r.batch[i].d.Record.Seqs, stored[j].Seq)
	}
	return encoded
}

// records encodes the records of the batch's decisions that did not fail,
// noting their batch indexes in r.recorded.
func (e *Engine) records(ctx context.Context, r *recording, encoded [][]byte) []bus.StateEntry {
	var entries []bus.StateEntry
	for i, q := range r.batch {
		if r.failed[i] {
			continue
		}
		rec := q.d.Record
		var value []byte
		var err error
		switch {
		case encoded[i] != nil:
			value, err = storedRecord(rec, encoded[i])
		case rec.Alert.Key == "":
			// Only the record changed (a miss counted, or reset): its alert,
			// kept in the store, is stored with it again.
			var full *Record
			if full, err = e.read(ctx, rec.Source, rec.Key); err != nil {
				e.fail(r, i, "load", err)
				continue
			}
			rec.Alert = full.Alert
			fallthrough
		default:
			value, err = json.Marshal(rec)
		}
		if err != nil {
			e.fail(r, i, "store", err)
			continue
		}
		entries = append(entries, bus.StateEntry{Source: rec.Source, Key: rec.Key, Value: value})
		r.recorded = append(r.recorded, i)
	}
	return entries
}

// settle waits for the records in flight, if any, and takes the new states
// of those written. e.mu is held.
func (e *Engine) settle() {
	r := e.inflight
	if r == nil {
		return
	}
	e.inflight = nil
	clear(e.inflightKeys)
	for j, err := range <-r.done {
		i := r.recorded[j]
		if err != nil {
			e.fail(r, i, "store", err)
			continue
		}
		d := r.batch[i].d
		e.recs[d.Record.Key] = slimOf(d.Record)
		if a := d.Publish; a != nil {
			e.metrics.Changes.WithLabelValues(r.batch[i].source, string(a.Hazard), string(a.Change)).Inc()
			e.log.Info("alert change", "collector", r.batch[i].source, "id", a.ID, "change", a.Change, "hazard", a.Hazard,
				"severity", a.Severity, "event", a.Event, "why", d.Why)
		}
	}
	e.report(r)
}

// report logs the batch's failures, if any.
func (e *Engine) report(r *recording) {
	if r.nFailed > 0 {
		// Nothing is recorded for them: the next poll or sweep decides them
		// again, and a change the bus did store is repeated with its id and dropped.
		e.log.Error("bus failed: changes not recorded, to be decided again on the next poll or sweep",
			"changes", r.nFailed, "of", len(r.batch), "err", r.firstErr)
	}
}

// adoptStored checks the change d meant to publish against the one the
// stream holds under the same id, at seq. When they differ (the daemon died
// after publishing, before recording, and the feed changed meanwhile), d
// becomes the stored change: partners have it, and the next poll publishes
// the new content as the next version. It returns the JSON to record, or
// nil when the stored change is d's own.
func (e *Engine) adoptStored(ctx context.Context, d *Decision, seq uint64) ([]byte, error) {
	got, err := e.pub.AlertAt(ctx, seq)
	if err != nil {
		return nil, fmt.Errorf("read %s back: %w", d.Publish.ID, err)
	}
	if got.ID == d.Publish.ID && got.Change == d.Publish.Change && got.ContentHash() == d.Record.Hash {
		return nil, nil // the same change: a plain repeat
	}
	e.log.Warn("a change published before a crash differs from what the feed says now: recording what partners got; the new content follows as the next version",
		"id", got.ID, "stored", got.Change, "decided", d.Publish.Change)
	r := d.Record
	r.Version, r.Hash, r.Sent, r.End, r.Active = got.Version, got.ContentHash(), got.Sent, got.End(), got.State == alert.StateActive
	r.Episode = got.Version
	if len(got.References) > 0 {
		if _, v, ok := alert.SplitID(got.References[0]); ok {
			r.Episode = v
		}
	}
	r.Alert, r.Missing = *got, 0
	d.Publish = got
	d.Why = "published before a crash"
	c, err := bus.Encode(got)
	if err != nil {
		return nil, err
	}
	return c.Data, nil
}
