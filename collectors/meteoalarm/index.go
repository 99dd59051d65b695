package meteoalarm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/hazardwire/hazardwire/collectors"
)

// cachedDoc is the parsed CAP document of one link at one feed version.
type cachedDoc struct {
	version string
	alert   *capAlert
	// err is set when the document did not parse: it then counts as one
	// invalid item, and is not fetched again until its entries change.
	err error
}

// refresh brings the document cache up to date with the feed: documents
// that left it are forgotten, and at most maxDocs new or changed ones are
// fetched. A document that could not be fetched keeps its older version, if
// any, and makes the run partial.
func (c *collector) refresh(ctx context.Context, docs []*feedDoc) error {
	c.forget(docs)
	var stale []*feedDoc
	for _, d := range docs {
		if cd := c.docs[d.link]; cd == nil || cd.version != d.version {
			stale = append(stale, d)
		}
	}
	// Documents that failed before go last, so that one that keeps failing
	// (and makes the fetcher back off from the host) cannot starve the rest.
	slices.SortStableFunc(stale, func(a, b *feedDoc) int { return c.failures[a.link] - c.failures[b.link] })
	st := runStats{total: len(stale)}
	if len(stale) > c.maxDocs {
		st.overBudget = len(stale) - c.maxDocs
		stale = stale[:c.maxDocs]
	}
	for i, o := range c.fetchAll(ctx, stale) {
		c.record(stale[i], o, &st)
	}
	return st.err(c.maxDocs, ctx.Err())
}

// forget drops the documents, and failure counts, of links that left the
// feed, and the fetcher's conditional-GET copy of them: the caches hold only
// what may be asked for again.
func (c *collector) forget(docs []*feedDoc) {
	links := make(map[string]bool, len(docs))
	for _, d := range docs {
		links[d.link] = true
	}
	for link := range c.docs {
		if !links[link] {
			delete(c.docs, link)
			c.fetcher.Forget(link)
		}
	}
	for link := range c.failures {
		if !links[link] {
			delete(c.failures, link)
		}
	}
}

// outcome is the fate of one document fetch.
type outcome struct {
	alert    *capAlert
	err      error
	parse    bool // err is a parse error: the document will not change until its entries do
	deferred bool // not attempted: backoff or the run's end
}

// fetchAll fetches and parses the documents of docs, a few at a time.
func (c *collector) fetchAll(ctx context.Context, docs []*feedDoc) []outcome {
	out := make([]outcome, len(docs))
	sem := make(chan struct{}, max(c.workers, 1))
	var wg sync.WaitGroup
	for i, d := range docs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			for j := i; j < len(docs); j++ {
				out[j] = outcome{deferred: true, err: ctx.Err()}
			}
			wg.Wait()
			return out
		}
		wg.Go(func() {
			defer func() { <-sem }()
			out[i] = c.fetchDocument(ctx, d.link)
		})
	}
	wg.Wait()
	return out
}

func (c *collector) fetchDocument(ctx context.Context, link string) outcome {
	if ctx.Err() != nil {
		return outcome{deferred: true, err: ctx.Err()}
	}
	resp, err := c.fetcher.Get(ctx, link)
	if err != nil {
		var fe *collectors.FetchError
		if errors.As(err, &fe) && (fe.Reason == "backoff" || fe.Reason == "canceled") {
			return outcome{deferred: true, err: err}
		}
		return outcome{err: err}
	}
	a, err := parseCAP(resp.Body, resp.Header.Get("Content-Type"))
	if err != nil {
		return outcome{err: fmt.Errorf("parse %s: %w", c.fetcher.Redact(link), err), parse: true}
	}
	return outcome{alert: a}
}

// record applies the outcome of fetching d's document to the cache.
func (c *collector) record(d *feedDoc, o outcome, st *runStats) {
	switch {
	case o.deferred:
		st.deferred++
		return
	case o.err != nil:
		st.failed++
		if st.first == nil {
			st.first = o.err
		}
		c.failures[d.link]++
		if o.parse {
			c.docs[d.link] = &cachedDoc{version: d.version, err: o.err}
		}
		return
	}
	delete(c.failures, d.link)
	c.docs[d.link] = &cachedDoc{version: d.version, alert: o.alert}
}

// runStats counts what one run could not read.
type runStats struct {
	total      int // new or changed documents
	failed     int
	overBudget int // left for the next run by max_documents
	deferred   int // left for the next run by backoff or the run's end
	first      error
}

func (st *runStats) err(maxDocs int, ctxErr error) error {
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
	errs := []error{ErrPartial}
	if st.first != nil {
		errs = append(errs, st.first)
	}
	if ctxErr != nil {
		errs = append(errs, ctxErr)
	}
	return &partialError{msg: "meteoalarm: " + strings.Join(parts, "; "), errs: errs}
}

// partialError is the error of a partial run. It wraps ErrPartial, the
// first failure (so that collectors.Reason sees a fetch error's reason) and
// the context's error when the run was cut short.
type partialError struct {
	msg  string
	errs []error
}

func (e *partialError) Error() string   { return e.msg }
func (e *partialError) Unwrap() []error { return e.errs }

// builder gathers documents into one Result, keeping at most one item per
// key: the one sent last (on a tie: a cancel, then the more severe).
type builder struct {
	res   collectors.Result
	byKey map[string]int
}

func newBuilder() *builder {
	return &builder{res: collectors.Result{Snapshot: true}, byKey: map[string]int{}}
}

func (b *builder) add(d *docResult) {
	b.res.Fetched += d.fetched
	for reason, n := range d.dropped {
		for range n {
			b.res.Drop(reason)
		}
	}
	for _, it := range d.items {
		if i, ok := b.byKey[it.Alert.Key]; ok {
			if supersedes(it, b.res.Items[i]) {
				b.res.Items[i] = it
			}
			continue
		}
		b.byKey[it.Alert.Key] = len(b.res.Items)
		b.res.Items = append(b.res.Items, it)
	}
}

// supersedes reports whether a is the newer word on its key than b.
func supersedes(a, b collectors.Item) bool {
	if c := a.Alert.Sent.Compare(b.Alert.Sent); c != 0 {
		return c > 0
	}
	if (a.Intent == collectors.IntentCancel) != (b.Intent == collectors.IntentCancel) {
		return a.Intent == collectors.IntentCancel
	}
	return a.Alert.Severity.Rank() > b.Alert.Severity.Rank()
}
