package lifecycle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/bus"
)

// MaxBatch bounds the changes published and recorded at once: large enough
// that a burst takes few round trips, small enough that exporters start
// delivering its first changes early.
const MaxBatch = 256

// queued is a decision waiting for its pass's next flush.
type queued struct {
	source string
	d      Decision
}

// storedRecord encodes r as stored, with its alert's JSON as published:
// the alert spliced in, not encoded again, then the record's other fields.
// It appends to out, which may come from recordBufs.
func storedRecord(out []byte, r *Record, alertJSON []byte) ([]byte, error) {
	out = slices.Grow(out[:0], len(alertJSON)+len(r.Key)+len(r.Hash)+16*len(r.Seqs)+200)
	out = append(out, `{"alert":`...)
	out = append(out, alertJSON...)
	out = append(out, ',')
	return appendRecordFields(out, r)
}

// appendRecordFields appends the members of r but its alert, and the
// closing brace, byte for byte as encoding/json writes them (TestRecordFields):
// json.Marshal of the record was a quarter of the cost of recording it.
func appendRecordFields(out []byte, r *Record) ([]byte, error) {
	out = append(out, `"key":`...)
	out = appendJSONString(out, r.Key)
	out = append(out, `,"source":`...)
	out = appendJSONString(out, r.Source)
	out = append(out, `,"version":`...)
	out = strconv.AppendInt(out, int64(r.Version), 10)
	out = append(out, `,"episode":`...)
	out = strconv.AppendInt(out, int64(r.Episode), 10)
	out = append(out, `,"active":`...)
	out = strconv.AppendBool(out, r.Active)
	out = append(out, `,"hash":`...)
	out = appendJSONString(out, r.Hash)
	var err error
	out = append(out, `,"sent":`...)
	if out, err = appendJSONTime(out, r.Sent); err != nil {
		return nil, fmt.Errorf("record %s: sent: %w", r.Key, err)
	}
	if !r.End.IsZero() {
		out = append(out, `,"end":`...)
		if out, err = appendJSONTime(out, r.End); err != nil {
			return nil, fmt.Errorf("record %s: end: %w", r.Key, err)
		}
	}
	if r.Missing != 0 {
		out = append(out, `,"missing":`...)
		out = strconv.AppendInt(out, int64(r.Missing), 10)
	}
	if len(r.Seqs) > 0 {
		out = append(out, `,"seqs":[`...)
		for i, s := range r.Seqs {
			if i > 0 {
				out = append(out, ',')
			}
			out = strconv.AppendUint(out, s, 10)
		}
		out = append(out, ']')
	}
	if r.Published != 0 {
		out = append(out, `,"published":`...)
		out = strconv.AppendInt(out, r.Published, 10)
	}
	return append(out, '}'), nil
}

// appendJSONString appends s quoted as encoding/json does. Keys, sources
// and hashes are plain ASCII all but always; anything else goes through
// encoding/json.
func appendJSONString(out []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s) // a string always encodes
			return append(out, b...)
		}
	}
	out = append(out, '"')
	out = append(out, s...)
	return append(out, '"')
}

// appendJSONTime appends t quoted as time.Time's MarshalJSON does, with its
// error for a time it cannot write.
func appendJSONTime(out []byte, t time.Time) ([]byte, error) {
	out = append(out, '"')
	out, err := t.AppendText(out)
	if err != nil {
		return nil, err
	}
	return append(out, '"'), nil
}

// recordBufs recycles the buffers records are encoded into once the bucket
// has stored them: a record is the whole alert again, and a fresh buffer
// for each was one of the lifecycle's largest allocations. A record whose
// write failed keeps its buffer: the client may still hold it for a retry.
var recordBufs bufPool

type bufPool struct{ p sync.Pool }

func (bp *bufPool) get() []byte {
	if b, ok := bp.p.Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return make([]byte, 0, 4096)
}

func (bp *bufPool) put(b []byte) {
	if cap(b) > 64<<10 { // an unusual record: leave it to the collector
		return
	}
	bp.p.Put(&b)
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
	case len(e.batch) >= MaxBatch:
		e.publishBatch(ctx)
	}
	e.batch = append(e.batch, queued{source: source, d: d})
	e.queuedKeys[d.Record.Key] = true
}

// flush publishes the queued changes and records their states, and waits
// until every record is written. e.mu is held.
func (e *Engine) flush(ctx context.Context) {
	e.publishBatch(ctx)
	e.settle(ctx)
}

// A batch goes through three stages, each overlapping the next batch's
// stage before it: decided (e.batch, while the engine decides), published
// (e.publishing: the stream stores its changes) and recorded (e.recording:
// the state bucket stores its records). Its records are written only once
// the stream has acknowledged its changes, so that a crash repeats an id,
// which the bus drops, and never records a change partners cannot get.

// pending is a batch on its way to the stream and the state bucket.
type pending struct {
	batch    []queued
	failed   []bool
	nFailed  int
	firstErr error
	changes  []bus.Encoded
	encoded  [][]byte // each change's JSON, by batch index
	pubIndex []int    // batch index of each change
	pubDone  chan published
	recorded []int            // batch index of each record written
	entries  []bus.StateEntry // the records written, by index in recorded
	putDone  chan []error     // the store's answer, one error per record
}

// published is the stream's answer for a batch's changes.
type published struct {
	stored []bus.Stored
	errs   []error
}

// fail counts change i of the batch as not published or not recorded.
func (e *Engine) fail(p *pending, i int, stage string, err error) {
	p.failed[i], e.failed = true, true
	e.metrics.PublishErrors.WithLabelValues(p.batch[i].source, stage).Inc()
	if p.nFailed++; p.firstErr == nil {
		p.firstErr = err
	}
}

// publishBatch encodes the queued changes and publishes them at once, once
// the batch before has been acknowledged and its records are on their way.
// e.mu is held.
func (e *Engine) publishBatch(ctx context.Context) {
	p := &pending{batch: e.batch, failed: make([]bool, len(e.batch)), encoded: make([][]byte, len(e.batch))}
	e.batch = nil
	clear(e.queuedKeys)
	if len(p.batch) == 0 {
		return
	}
	if e.failed {
		e.left += len(p.batch)
		return
	}
	e.encode(p)
	e.advance(ctx)
	if e.failed {
		// The batch before failed: this one is not tried.
		e.left += len(p.batch) - p.nFailed
		e.report(p)
		return
	}
	p.pubDone = make(chan published, 1)
	go func() { // advance waits for it
		stored, errs := e.pub.PublishAll(ctx, p.changes)
		p.pubDone <- published{stored, errs}
	}()
	for _, q := range p.batch {
		e.inflightKeys[q.d.Record.Key] = true
	}
	e.publishing = p
}

// settle waits until every batch in flight is published and recorded, and
// takes the new states of those recorded. e.mu is held.
func (e *Engine) settle(ctx context.Context) {
	e.advance(ctx)
	e.settleRecords()
	clear(e.inflightKeys)
}

// encode encodes the batch's changes, each once, for the stream and for
// its record, and hands them to the OnPublish hook.
func (e *Engine) encode(p *pending) {
	for i, q := range p.batch {
		if q.d.Publish == nil {
			continue
		}
		c, err := bus.Encode(q.d.Publish)
		if err != nil {
			e.fail(p, i, "publish", err)
			continue
		}
		if q.d.Publish.Change == alert.ChangeUpdate && q.d.Record != nil && len(q.d.Record.Seqs) > 0 {
			c.Previous = q.d.Record.Seqs[len(q.d.Record.Seqs)-1] // not yet appended to: acknowledged does that
		}
		p.changes = append(p.changes, c)
		p.pubIndex = append(p.pubIndex, i)
		p.encoded[i] = c.Data
		if e.onPublish != nil {
			e.onPublish(c)
		}
	}
}

// advance waits for the batch being published, if any, and starts writing
// its records once the records of the batch before are written.
func (e *Engine) advance(ctx context.Context) {
	p := e.publishing
	if p == nil {
		return
	}
	e.publishing = nil
	e.acknowledged(ctx, p, <-p.pubDone)
	entries := e.records(ctx, p)
	e.settleRecords()
	if e.failed {
		// The records of the batch before failed: these are not tried. The
		// bus has their changes, so the next poll or sweep finds their ids
		// there and records them (adoptStored).
		e.left += len(entries)
		e.report(p)
		return
	}
	if len(entries) == 0 {
		e.report(p)
		return
	}
	p.putDone = make(chan []error, 1)
	p.entries = entries
	go func() { p.putDone <- e.store.PutAll(ctx, entries) }() // settleRecords waits for it
	e.recording = p
}

// acknowledged takes the stream's answer for the batch's changes.
func (e *Engine) acknowledged(ctx context.Context, p *pending, ans published) {
	for j, i := range p.pubIndex {
		if ans.errs[j] != nil {
			e.fail(p, i, "publish", ans.errs[j])
			continue
		}
		if ans.stored[j].Duplicate {
			// The id was on the stream already: published before a crash,
			// not recorded. If the feed has changed since, what partners got
			// under this id is not this content: record what they got.
			data, err := e.adoptStored(ctx, &p.batch[i].d, ans.stored[j].Seq)
			if err != nil {
				e.fail(p, i, "publish", err)
				continue
			}
			if data != nil {
				p.encoded[i] = data
			}
		}
		p.batch[i].d.Record.Seqs = append(p.batch[i].d.Record.Seqs, ans.stored[j].Seq)
	}
}

// records encodes the records of the batch's decisions that did not fail,
// noting their batch indexes in p.recorded.
func (e *Engine) records(ctx context.Context, p *pending) []bus.StateEntry {
	var entries []bus.StateEntry
	now := e.now().Unix()
	for i, q := range p.batch {
		if p.failed[i] {
			continue
		}
		rec := q.d.Record
		if q.d.Publish != nil {
			rec.Published = now
		} else if s := e.recs[rec.Key]; s != nil {
			rec.Published = s.published
		}
		var value []byte
		var err error
		switch {
		case p.encoded[i] != nil:
			value, err = storedRecord(recordBufs.get(), rec, p.encoded[i])
		case rec.Alert.Key == "":
			// Only the record changed (a miss counted, or reset): its alert,
			// kept in the store, is stored with it again.
			var full *Record
			if full, err = e.read(ctx, rec.Source, rec.Key); err != nil {
				e.fail(p, i, "load", err)
				continue
			}
			rec.Alert = full.Alert
			fallthrough
		default:
			value, err = json.Marshal(rec)
		}
		if err != nil {
			e.fail(p, i, "store", err)
			continue
		}
		entries = append(entries, bus.StateEntry{Source: rec.Source, Key: rec.Key, Value: value})
		p.recorded = append(p.recorded, i)
	}
	return entries
}

// settleRecords waits for the records being written, if any, and takes the
// new states of those written.
func (e *Engine) settleRecords() {
	p := e.recording
	if p == nil {
		return
	}
	e.recording = nil
	for j, err := range <-p.putDone {
		i := p.recorded[j]
		if err != nil {
			if a := p.batch[i].d.Publish; a != nil { // on the stream all the same
				e.unrecorded[a.Key] = max(e.unrecorded[a.Key], a.Version)
			}
			e.fail(p, i, "store", err)
			continue
		}
		recordBufs.put(p.entries[j].Value) // stored: the bus holds no reference to it
		d := p.batch[i].d
		e.recs[d.Record.Key] = slimOf(d.Record)
		delete(e.unrecorded, d.Record.Key)
		if a := d.Publish; a != nil {
			e.metrics.Changes.WithLabelValues(p.batch[i].source, string(a.Hazard), string(a.Change)).Inc()
			// Attributes, not key-value pairs: a line per change, and each
			// pair boxed its value.
			e.log.LogAttrs(context.Background(), slog.LevelInfo, "alert change", slog.String("collector", p.batch[i].source),
				slog.String("id", a.ID), slog.String("change", string(a.Change)), slog.String("hazard", string(a.Hazard)),
				slog.String("severity", string(a.Severity)), slog.String("event", a.Event), slog.String("why", d.Why))
		}
	}
	for _, q := range p.batch {
		delete(e.inflightKeys, q.d.Record.Key)
	}
	e.report(p)
}

// report logs the batch's failures, if any.
func (e *Engine) report(p *pending) {
	if p.nFailed > 0 {
		// Nothing is recorded for them: the next poll or sweep decides them
		// again, and a change the bus did store is repeated with its id and dropped.
		e.log.Error("bus failed: changes not recorded, to be tried again at "+e.retry(),
			"changes", p.nFailed, "of", len(p.batch), "err", p.firstErr)
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
	if errors.Is(err, bus.ErrGone) {
		// The bus remembers the id, and its message is gone (deleted by
		// hand, or lost with the machine's last writes): nothing can be
		// published under it until the duplicate window passes. Take it
		// as published: a next content takes the next version.
		e.log.Warn("a change was taken for a duplicate of one no longer on the stream; recorded as published", "id", d.Publish.ID, "seq", seq)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s back: %w", d.Publish.ID, err)
	}
	if got.ID == d.Publish.ID && got.Change == d.Publish.Change && got.ContentHash() == d.Record.Hash {
		return nil, nil // the same change: a plain repeat
	}
	e.log.Warn("a change published before a crash differs from what the feed says now: recording what partners got; the new content follows as the next version",
		"id", got.ID, "stored", got.Change, "decided", d.Publish.Change)
	recordAs(d.Record, got)
	d.Publish = got
	d.Why = "published before a crash"
	c, err := bus.Encode(got)
	if err != nil {
		return nil, err
	}
	return c.Data, nil
}

// recordAs makes r the record of got, a change on the stream: partners have
// it, whatever r said before.
func recordAs(r *Record, got *alert.Alert) {
	r.Version, r.Hash, r.Sent, r.End, r.Active = got.Version, got.ContentHash(), got.Sent, got.End(), got.State == alert.StateActive
	r.Episode = got.Version
	if len(got.References) > 0 {
		if _, v, ok := alert.SplitID(got.References[0]); ok {
			r.Episode = v
		}
	}
	r.Alert, r.Missing = *got, 0
}
