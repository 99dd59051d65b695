package lifecycle

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/hazardwire/hazardwire/alert"
)

// slim is what the engine keeps in memory of one key: its record without the
// alert, which stays in the store (the state bucket) and is read back only
// to announce an expiry, to re-record an unchanged alert, or for the API.
// Keeping alerts out of the heap is what lets one daemon hold a country's
// alerts in a few hundred bytes each (docs/performance.md).
type slim struct {
	source           string
	version, episode int32
	missing          int32
	active           bool
	hazard           alert.Hazard
	severity         alert.Severity
	hash             string
	sent, end        int64 // unix nanoseconds; end 0: unknown
	sentLoc, endLoc  *time.Location
	seqs             []uint64
	published        int64 // Unix seconds; 0: not known
}

func slimOf(r *Record) *slim {
	s := &slim{source: r.Source, version: int32(r.Version), episode: int32(r.Episode), missing: int32(r.Missing),
		active: r.Active, hazard: r.Alert.Hazard, severity: r.Alert.Severity, hash: r.Hash,
		sent: r.Sent.UnixNano(), sentLoc: r.Sent.Location(), seqs: r.Seqs, published: r.Published}
	if !r.End.IsZero() {
		s.end, s.endLoc = r.End.UnixNano(), r.End.Location()
	}
	return s
}

// record returns the key's record without its alert, which Decide does not
// read; nil for a key never seen.
func (s *slim) record(key string) *Record {
	if s == nil {
		return nil
	}
	r := &Record{Key: key, Source: s.source, Version: int(s.version), Episode: int(s.episode), Active: s.active,
		Hash: s.hash, Sent: time.Unix(0, s.sent).In(s.sentLoc), Missing: int(s.missing), Seqs: s.seqs, Published: s.published}
	if s.end != 0 {
		r.End = time.Unix(0, s.end).In(s.endLoc)
	}
	return r
}

// endPassed reports whether the key is in force with an end at or before now.
func (s *slim) endPassed(now time.Time) bool {
	return s.active && s.end != 0 && s.end <= now.UnixNano()
}

// full reads a key's whole record, its alert included, from the store.
// e.mu is held.
func (e *Engine) full(ctx context.Context, key string) (*Record, error) {
	s := e.recs[key]
	if s == nil {
		return nil, fmt.Errorf("load %q: no record", key)
	}
	if e.inflightKeys[key] {
		e.settle(ctx) // its record is being written
	}
	return e.read(ctx, s.source, key)
}

func (e *Engine) read(ctx context.Context, source, key string) (*Record, error) {
	v, err := e.store.Get(ctx, source, key)
	if err != nil {
		return nil, err
	}
	r := new(Record)
	if err := json.Unmarshal(v, r); err != nil {
		return nil, fmt.Errorf("load %q: %w", key, err)
	}
	return r, nil
}

// Active returns the alerts in force now, ordered by key, read from the
// store without holding the engine (a few readers at a time).
func (e *Engine) Active(ctx context.Context) ([]alert.Alert, error) {
	type ref struct{ source, key string }
	e.mu.Lock()
	var refs []ref
	for _, key := range e.sortedKeys() {
		if s := e.recs[key]; s.active {
			refs = append(refs, ref{s.source, key})
		}
	}
	e.mu.Unlock()
	out := make([]alert.Alert, len(refs))
	errs := make([]error, len(refs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(8, len(refs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r, err := e.read(ctx, refs[i].source, refs[i].key)
				if err != nil {
					errs[i] = err
					continue
				}
				out[i] = r.Alert
			}
		}()
	}
	for i := range refs {
		next <- i
	}
	close(next)
	wg.Wait()
	kept := out[:0]
	for i, a := range out {
		switch {
		case errs[i] == nil:
			kept = append(kept, a)
		case ctx.Err() != nil:
			return nil, ctx.Err()
		default:
			// Ended or removed since the keys were listed: not in force.
			e.log.Debug("alert in force not read", "key", refs[i].key, "err", errs[i])
		}
	}
	return kept, nil
}

// ActiveCounts returns how many alerts are in force by hazard and severity.
func (e *Engine) ActiveCounts() map[[2]string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.counts()
}

func (e *Engine) counts() map[[2]string]int {
	counts := map[[2]string]int{}
	for _, s := range e.recs {
		if s.active {
			counts[[2]string{string(s.hazard), string(s.severity)}]++
		}
	}
	return counts
}
