package cap

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/hazardwire/hazardwire/collectors"
)

// indexEntry is one entry of an Atom or RSS index: a CAP document's URL and
// what tells whether it changed.
type indexEntry struct {
	id      string
	version string // Atom updated (else published), RSS pubDate
	link    string // absolute http(s) URL
}

type atomFeed struct {
	Entries []atomEntry `xml:"entry"`
}

type atomEntry struct {
	ID        string     `xml:"id"`
	Updated   string     `xml:"updated"`
	Published string     `xml:"published"`
	Links     []atomLink `xml:"link"`
}

type atomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr"`
}

type rssDoc struct {
	Items []rssItem `xml:"channel>item"`
}

type rssItem struct {
	Link    string `xml:"link"`
	GUID    string `xml:"guid"`
	PubDate string `xml:"pubDate"`
}

// parseIndex reads an Atom or RSS index of CAP documents. Entries without a
// usable link are counted in invalid; an entry id seen twice keeps its first
// entry.
func parseIndex(kind rootKind, body []byte, base string) (entries []indexEntry, invalid int, err error) {
	baseURL, err := url.Parse(base)
	if err != nil {
		return nil, 0, fmt.Errorf("index URL: %w", err)
	}
	var raw []indexEntry
	switch kind {
	case rootAtom:
		var f atomFeed
		if err := decodeRoot(body, rootAtom, &f); err != nil {
			return nil, 0, err
		}
		for _, e := range f.Entries {
			version := strings.TrimSpace(e.Updated)
			if version == "" {
				version = strings.TrimSpace(e.Published)
			}
			raw = append(raw, indexEntry{id: strings.TrimSpace(e.ID), version: version, link: atomLinkOf(e)})
		}
	case rootRSS:
		var r rssDoc
		if err := decodeRoot(body, rootRSS, &r); err != nil {
			return nil, 0, err
		}
		for _, it := range r.Items {
			link := strings.TrimSpace(it.Link)
			if link == "" && isHTTPURL(it.GUID) {
				link = strings.TrimSpace(it.GUID)
			}
			raw = append(raw, indexEntry{id: strings.TrimSpace(it.GUID), version: strings.TrimSpace(it.PubDate), link: link})
		}
	default:
		return nil, 0, errors.New("not an index")
	}
	seen := map[string]bool{}
	for _, e := range raw {
		e.link = resolve(baseURL, e.link)
		if e.link == "" {
			invalid++
			continue
		}
		if e.id == "" {
			e.id = e.link
		}
		if seen[e.id] {
			continue
		}
		seen[e.id] = true
		entries = append(entries, e)
	}
	return entries, invalid, nil
}

// atomLinkOf picks the CAP document of an Atom entry: a link typed
// application/cap+xml, else the first alternate link (a link without rel is
// alternate), else the entry id when it is an http(s) URL.
func atomLinkOf(e atomEntry) string {
	for _, l := range e.Links {
		if mt, _, err := mime.ParseMediaType(l.Type); err == nil && mt == "application/cap+xml" && strings.TrimSpace(l.Href) != "" {
			return strings.TrimSpace(l.Href)
		}
	}
	for _, l := range e.Links {
		rel := strings.TrimSpace(l.Rel)
		if (rel == "" || rel == "alternate") && strings.TrimSpace(l.Href) != "" {
			return strings.TrimSpace(l.Href)
		}
	}
	if isHTTPURL(e.ID) {
		return strings.TrimSpace(e.ID)
	}
	return ""
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(strings.TrimSpace(s))
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// resolve makes ref absolute against base; it returns "" for anything that
// is not then an http(s) URL.
func resolve(base *url.URL, ref string) string {
	if ref == "" {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	abs := base.ResolveReference(u)
	if (abs.Scheme != "http" && abs.Scheme != "https") || abs.Host == "" {
		return ""
	}
	abs.Fragment = ""
	return abs.String()
}

// cacheEntry is the parsed document of one index entry at one version.
type cacheEntry struct {
	version, link string
	doc           *docResult
}

// group is the entries of the current index that link one document.
type group struct {
	link    string
	entries []indexEntry
}

// collectIndex brings the cache up to date with entries, fetching at most
// maxDocs new or changed documents, and adds every document read to b.
func (c *collector) collectIndex(ctx context.Context, entries []indexEntry, b *builder) error {
	groups := groupByLink(entries)
	c.forget(entries, groups)
	var stale []*group
	for _, g := range groups {
		if c.fresh(g) == nil {
			stale = append(stale, g)
		}
	}
	// Documents that failed before go last, so that one that keeps failing
	// (and makes the fetcher back off from its host) cannot starve the rest.
	slices.SortStableFunc(stale, func(a, b *group) int { return c.failures[a.link] - c.failures[b.link] })
	var st runStats
	st.total = len(stale)
	if len(stale) > c.maxDocs {
		st.overBudget = len(stale) - c.maxDocs
		stale = stale[:c.maxDocs]
	}
	for i, o := range c.fetchAll(ctx, stale) {
		c.record(stale[i], o, &st)
	}
	for _, g := range groups {
		if d := c.fresh(g); d != nil {
			b.add(d)
		}
	}
	return st.err(c.maxDocs, ctx.Err())
}

func groupByLink(entries []indexEntry) []*group {
	var groups []*group
	byLink := map[string]*group{}
	for _, e := range entries {
		g := byLink[e.link]
		if g == nil {
			g = &group{link: e.link}
			byLink[e.link] = g
			groups = append(groups, g)
		}
		g.entries = append(g.entries, e)
	}
	return groups
}

// fresh returns the cached document of g when every entry of g is cached at
// its current version and link, or nil.
func (c *collector) fresh(g *group) *docResult {
	var doc *docResult
	for _, e := range g.entries {
		ce := c.cache[e.id]
		if ce == nil || ce.version != e.version || ce.link != e.link || (doc != nil && ce.doc != doc) {
			return nil
		}
		doc = ce.doc
	}
	return doc
}

// forget drops the cache entries and failure counts of entries and
// documents that left the index.
func (c *collector) forget(entries []indexEntry, groups []*group) {
	ids := make(map[string]bool, len(entries))
	for _, e := range entries {
		ids[e.id] = true
	}
	links := make(map[string]bool, len(groups))
	for _, g := range groups {
		links[g.link] = true
	}
	for id, ce := range c.cache {
		if !ids[id] {
			delete(c.cache, id)
			if !links[ce.link] && c.fetcher != nil {
				c.fetcher.Forget(ce.link) // the fetcher's conditional-GET copy too
			}
		}
	}
	for l := range c.failures {
		if !links[l] {
			delete(c.failures, l)
		}
	}
}

// outcome is the fate of one document fetch.
type outcome struct {
	doc      *docResult
	err      error
	parse    bool // err is a parse error: the document will not change until its entry does
	deferred bool // not attempted: backoff or the run's end
}

// fetchAll fetches and parses the documents of groups, a few at a time.
func (c *collector) fetchAll(ctx context.Context, groups []*group) []outcome {
	out := make([]outcome, len(groups))
	sem := make(chan struct{}, max(c.workers, 1))
	var wg sync.WaitGroup
	for i, g := range groups {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			for j := i; j < len(groups); j++ {
				out[j] = outcome{deferred: true, err: ctx.Err()}
			}
			wg.Wait()
			return out
		}
		wg.Go(func() {
			defer func() { <-sem }()
			out[i] = c.fetchDocument(ctx, g.link)
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
	d, err := c.mapper.document(resp.Body)
	if err != nil {
		return outcome{err: fmt.Errorf("parse %s: %w", c.fetcher.Redact(link), err), parse: true}
	}
	return outcome{doc: d}
}

// record applies the outcome of fetching g's document to the cache. A
// document that does not parse is cached as one invalid item, so that it is
// reported once and not fetched again until its entry changes.
func (c *collector) record(g *group, o outcome, st *runStats) {
	switch {
	case o.deferred:
		st.deferred++
		return
	case o.err != nil:
		st.failed++
		if st.first == nil {
			st.first = o.err
		}
		c.failures[g.link]++
		if !o.parse {
			return
		}
		o.doc = &docResult{fetched: 1}
		o.doc.drop(collectors.DropInvalid, o.err)
	default:
		delete(c.failures, g.link)
	}
	for _, e := range g.entries {
		c.cache[e.id] = &cacheEntry{version: e.version, link: e.link, doc: o.doc}
	}
}

// runStats counts what one index run could not read.
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
	return &partialError{msg: "cap index: " + strings.Join(parts, "; "), errs: errs}
}

// partialError is the error of a partial index run. It wraps ErrPartial,
// the first failure (so that collectors.Reason sees a fetch error's reason)
// and the context's error when the run was cut short.
type partialError struct {
	msg  string
	errs []error
}

func (e *partialError) Error() string   { return e.msg }
func (e *partialError) Unwrap() []error { return e.errs }
