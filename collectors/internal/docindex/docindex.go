// Package docindex is the engine of the collector kinds that read an index
// (an Atom or RSS feed) of documents and fetch the documents it links: it
// keeps the parse of each document across runs, fetches only the new or
// changed ones within a per-run budget and a few at a time, tries the
// documents that failed before last, forgets what left the index (the
// fetcher's conditional-GET copy too), and makes a run that could not read
// everything partial. What an entry is, and what a document means, stays
// in the kind.
package docindex

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/hazardwire/hazardwire/collectors"
)

// Entry is one entry of an index: the document it links and what tells
// whether that changed.
type Entry struct {
	// ID names the entry; the first entry of an ID seen twice counts.
	ID string
	// Version changes whenever the linked document may have (an Atom
	// updated, an RSS pubDate).
	Version string
	// Link is the document's absolute http(s) URL. Entries may share one.
	Link string
}

// Budget bounds one run.
type Budget struct {
	// Documents is how many new or changed documents the run fetches; the
	// rest wait for the next run, which makes this one partial.
	Documents int
	// Workers is how many documents are fetched at once (at least one); the
	// shared client's per-host limit applies on top.
	Workers int
}

// Parsed is a document as read: its parse, or the error that made it
// unreadable. A document that does not parse is kept as such, so that it
// is reported on every run and not fetched again until its entries change.
type Parsed[D any] struct {
	Value D
	Err   error
	// Older is the document's last good parse, when Err is the parse error
	// of a later version: the document is still in the index, so what it
	// held is still served, only unreadably. Nil when there was none.
	Older *Parsed[D]
}

// Document is one document of the index, as a run leaves it.
type Document[D any] struct {
	Link string
	// Entries are the entries that link it, in index order.
	Entries []Entry
	// Parsed is the document as last read, nil when it never was.
	Parsed *Parsed[D]
	// Current is true when Parsed is of the entries' current versions;
	// false, with Parsed set, when it is of older ones: the document
	// changed and could not be read again in this run.
	Current bool
}

// Options configure an Index.
type Options[D any] struct {
	// Fetcher fetches the documents.
	Fetcher *collectors.Fetcher
	// Parse reads a fetched document. Its error is a parse error.
	Parse func(resp *collectors.Response) (D, error)
	// Name starts the message of a partial run's error ("cap index").
	Name string
	// Partial is wrapped by the error of a partial run (the kind's
	// ErrPartial).
	Partial error
}

// Index keeps the documents of one index across runs. Runs are serialized.
type Index[D any] struct {
	opts Options[D]

	mu sync.Mutex
	// cache holds the parsed document of each entry, by entry ID.
	cache map[string]*cached[D]
	// failures counts consecutive failed fetches per link, so that
	// documents that keep failing are tried after the others.
	failures map[string]int
}

// cached is the parsed document of one entry at one version and link.
type cached[D any] struct {
	version, link string
	parsed        *Parsed[D]
}

// New returns an empty Index. It does no I/O.
func New[D any](o Options[D]) *Index[D] {
	return &Index[D]{opts: o, cache: map[string]*cached[D]{}, failures: map[string]int{}}
}

// group is the entries of the current index that link one document.
type group struct {
	link    string
	entries []Entry
}

// Run brings the index up to date with entries: it forgets what left the
// index and fetches the new or changed documents, at most b.Documents of
// them, the ones that failed before last. It returns every document of
// entries, in the order of their first entry, and a non-nil error, which
// wraps Options.Partial, when some new or changed document could not be
// read: it failed, or was left for the next run.
func (x *Index[D]) Run(ctx context.Context, entries []Entry, b Budget) ([]Document[D], error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	groups := groupByLink(entries)
	x.forget(groups)
	var stale []*group
	for _, g := range groups {
		if _, current := x.lookup(g); !current {
			stale = append(stale, g)
		}
	}
	// Documents that failed before go last, so that one that keeps failing
	// (and makes the fetcher back off from its host) cannot starve the rest.
	slices.SortStableFunc(stale, func(a, b *group) int { return x.failures[a.link] - x.failures[b.link] })
	st := runStats{total: len(stale)}
	if len(stale) > b.Documents {
		st.overBudget = len(stale) - b.Documents
		stale = stale[:b.Documents]
	}
	for i, o := range x.fetchAll(ctx, stale, b.Workers) {
		x.record(stale[i], o, &st)
	}
	docs := make([]Document[D], len(groups))
	for i, g := range groups {
		p, current := x.lookup(g)
		docs[i] = Document[D]{Link: g.link, Entries: g.entries, Parsed: p, Current: current}
	}
	return docs, st.err(x.opts.Name, x.opts.Partial, b.Documents, ctx.Err())
}

// Len returns how many entries have a document in the cache.
func (x *Index[D]) Len() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return len(x.cache)
}

// Has reports whether the entry of ID id has a document in the cache.
func (x *Index[D]) Has(id string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.cache[id] != nil
}

// groupByLink groups entries by link, in the order of their first entry,
// leaving out an entry whose ID was seen before.
func groupByLink(entries []Entry) []*group {
	var groups []*group
	byLink := map[string]*group{}
	seen := map[string]bool{}
	for _, e := range entries {
		if seen[e.ID] {
			continue
		}
		seen[e.ID] = true
		g := byLink[e.Link]
		if g == nil {
			g = &group{link: e.Link}
			byLink[e.Link] = g
			groups = append(groups, g)
		}
		g.entries = append(g.entries, e)
	}
	return groups
}

// lookup returns the document of g, when every entry of g has the same one
// cached at g's link, and whether it is of every entry's current version.
func (x *Index[D]) lookup(g *group) (p *Parsed[D], current bool) {
	current = true
	for _, e := range g.entries {
		c := x.cache[e.ID]
		if c == nil || c.link != g.link || (p != nil && c.parsed != p) {
			return nil, false
		}
		p = c.parsed
		current = current && c.version == e.Version
	}
	return p, current
}

// forget drops the cached documents of entries, and the failure counts of
// links, that left the index, and the fetcher's conditional-GET copy of a
// link no entry has any more: the caches hold only what may be asked for
// again.
func (x *Index[D]) forget(groups []*group) {
	ids := map[string]bool{}
	links := make(map[string]bool, len(groups))
	for _, g := range groups {
		links[g.link] = true
		for _, e := range g.entries {
			ids[e.ID] = true
		}
	}
	for id, c := range x.cache {
		if !ids[id] {
			delete(x.cache, id)
			if !links[c.link] && x.opts.Fetcher != nil {
				x.opts.Fetcher.Forget(c.link)
			}
		}
	}
	for l := range x.failures {
		if !links[l] {
			delete(x.failures, l)
		}
	}
}

// ResolveLink makes ref absolute against base, without its fragment; it
// returns "" for anything that is not then an http(s) URL.
func ResolveLink(base *url.URL, ref string) string {
	ref = strings.TrimSpace(ref)
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
