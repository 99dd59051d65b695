package docindex

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/hazardwire/hazardwire/collectors"
)

// outcome is the fate of one document fetch.
type outcome[D any] struct {
	value    D
	err      error
	parse    bool // err is a parse error: the document will not change until its entries do
	deferred bool // not attempted: backoff or the run's end
}

// fetchAll fetches and parses the documents of groups, workers at a time.
func (x *Index[D]) fetchAll(ctx context.Context, groups []*group, workers int) []outcome[D] {
	out := make([]outcome[D], len(groups))
	sem := make(chan struct{}, max(workers, 1))
	var wg sync.WaitGroup
	for i, g := range groups {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			for j := i; j < len(groups); j++ {
				out[j] = outcome[D]{deferred: true, err: ctx.Err()}
			}
			wg.Wait()
			return out
		}
		wg.Go(func() {
			defer func() { <-sem }()
			out[i] = x.fetch(ctx, g.link)
		})
	}
	wg.Wait()
	return out
}

func (x *Index[D]) fetch(ctx context.Context, link string) outcome[D] {
	if ctx.Err() != nil {
		return outcome[D]{deferred: true, err: ctx.Err()}
	}
	f := x.opts.Fetcher
	if f == nil {
		return outcome[D]{err: errors.New("no fetcher configured")}
	}
	resp, err := f.Get(ctx, link)
	if err != nil {
		var fe *collectors.FetchError
		if errors.As(err, &fe) && (fe.Reason == "backoff" || fe.Reason == "canceled") {
			return outcome[D]{deferred: true, err: err}
		}
		return outcome[D]{err: err}
	}
	v, err := x.opts.Parse(resp)
	if err != nil {
		return outcome[D]{err: fmt.Errorf("parse %s: %w", f.Redact(link), err), parse: true}
	}
	return outcome[D]{value: v}
}

// record applies the outcome of fetching g's document to the cache. A
// document that does not parse is cached with its error.
func (x *Index[D]) record(g *group, o outcome[D], st *runStats) {
	var p *Parsed[D]
	switch {
	case o.deferred:
		st.deferred++
		return
	case o.err != nil:
		st.failed++
		if st.first == nil {
			st.first = o.err
		}
		x.failures[g.link]++
		if !o.parse {
			return
		}
		p = &Parsed[D]{Err: o.err, Older: x.older(g)}
	default:
		delete(x.failures, g.link)
		p = &Parsed[D]{Value: o.value}
	}
	for _, e := range g.entries {
		x.cache[e.ID] = &cached[D]{version: e.Version, link: g.link, parsed: p}
	}
}

// older returns the last good parse of g's document cached for any of its
// entries, or nil.
func (x *Index[D]) older(g *group) *Parsed[D] {
	for _, e := range g.entries {
		c := x.cache[e.ID]
		if c == nil || c.link != g.link {
			continue
		}
		if c.parsed.Err == nil {
			return c.parsed
		}
		if c.parsed.Older != nil {
			return c.parsed.Older
		}
	}
	return nil
}

// runStats counts what one run could not read.
type runStats struct {
	total      int // new or changed documents
	failed     int
	overBudget int // left for the next run by the budget
	deferred   int // left for the next run by backoff or the run's end
	first      error
}

// err is the error of a run: nil when it read every new or changed
// document.
func (st *runStats) err(name string, partial error, maxDocs int, ctxErr error) error {
	if st.failed == 0 && st.overBudget == 0 && st.deferred == 0 {
		return nil
	}
	var parts []string
	if st.failed > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d new or changed documents failed (first: %v)", st.failed, st.total, st.first))
	}
	if st.overBudget > 0 {
		parts = append(parts, fmt.Sprintf("%d documents left for the next run by max_documents %d", st.overBudget, maxDocs))
	}
	if st.deferred > 0 {
		why := "backoff"
		if ctxErr != nil {
			why = ctxErr.Error()
		}
		parts = append(parts, fmt.Sprintf("%d documents left for the next run (%s)", st.deferred, why))
	}
	var errs []error
	if partial != nil {
		errs = append(errs, partial)
	}
	if st.first != nil {
		errs = append(errs, st.first)
	}
	if ctxErr != nil {
		errs = append(errs, ctxErr)
	}
	return &partialError{msg: name + ": " + strings.Join(parts, "; "), errs: errs}
}

// partialError is the error of a partial run. It wraps Options.Partial,
// the first failure (so that collectors.Reason sees a fetch error's reason)
// and the context's error when the run was cut short.
type partialError struct {
	msg  string
	errs []error
}

func (e *partialError) Error() string   { return e.msg }
func (e *partialError) Unwrap() []error { return e.errs }
