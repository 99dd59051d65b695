// Package cap is the collector kind "cap": it reads OASIS CAP 1.1 and 1.2
// alert messages, either one document at the configured URL or every CAP
// document linked from an Atom or RSS index there, and turns each info block
// that is a flood or heat warning into one item.
package cap

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
)

const kindName = "cap"

//go:embed sample.yaml
var sample []byte

func init() {
	collectors.Register(collectors.Kind{
		Name:            kindName,
		New:             New,
		Sample:          sample,
		DefaultSchedule: "@every 2m",
		Snapshot:        true,
		// api.weather.gov serves CAP for /alerts/{id} only when asked for it.
		Accept: "application/cap+xml, application/atom+xml;q=0.9, application/rss+xml;q=0.9, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5",
	})
}

// defaultMaxDocuments bounds the CAP documents fetched in one run.
const defaultMaxDocuments = 200

// fetchWorkers is how many documents of an index are fetched at once; the
// shared client's per-host limit applies on top.
const fetchWorkers = 4

// Options are the cap kind's own configuration keys, beside the common ones
// (name, kind, schedule, url, ...).
type Options struct {
	// Events maps event names (exact, case-insensitive) to "flood", "heat" or
	// "none". It decides before event codes and keywords; "none" keeps an
	// event out whatever its codes or words say.
	Events map[string]string `yaml:"events"`
	// Keywords turns the event-name keyword rules on or off (default on).
	Keywords *bool `yaml:"keywords"`
	// MaxDocuments bounds the CAP documents an index run fetches (default
	// 200); the rest wait for the next run, which makes this run partial.
	MaxDocuments int `yaml:"max_documents"`
}

// ErrPartial is wrapped by the error of an index run that could not read
// every linked document: some failed, or were left for the next run. Items
// are returned beside it, and the lifecycle ends nothing on such a run.
var ErrPartial = errors.New("partial run")

// collector is one configured cap collector. Its cache of index entries
// lives as long as the collector; a config reload that changes it starts
// over with an empty cache.
type collector struct {
	url     string
	fetcher *collectors.Fetcher
	mapper  mapper
	maxDocs int
	workers int

	// mu serializes runs: the cache below belongs to one run at a time.
	mu sync.Mutex
	// cache holds the parsed document of each index entry, by entry id.
	cache map[string]*cacheEntry
	// failures counts consecutive failed fetches per document URL, so that
	// documents that keep failing are tried after the others.
	failures map[string]int
}

// New builds a cap collector. It validates and does no I/O.
func New(env collectors.Env, decode collectors.Decode) (collectors.Collector, error) {
	var o Options
	if err := decode(&o); err != nil {
		return nil, err
	}
	if env.Info.Name == "" {
		return nil, errors.New("cap: collector name is empty")
	}
	if env.URL == "" {
		return nil, errors.New("cap: url is required")
	}
	u, err := url.Parse(env.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("cap: url %q is not an absolute http(s) URL", collectors.RedactString(env.URL, nil))
	}
	switch {
	case o.MaxDocuments < 0:
		return nil, fmt.Errorf("cap: max_documents %d is negative", o.MaxDocuments)
	case o.MaxDocuments == 0:
		o.MaxDocuments = defaultMaxDocuments
	}
	events, err := eventRules(o.Events)
	if err != nil {
		return nil, err
	}
	return &collector{
		url:     env.URL,
		fetcher: env.Fetcher,
		mapper: mapper{source: env.Info.Name, classifier: classifier{
			events:   events,
			keywords: o.Keywords == nil || *o.Keywords,
		}},
		maxDocs:  o.MaxDocuments,
		workers:  fetchWorkers,
		cache:    map[string]*cacheEntry{},
		failures: map[string]int{},
	}, nil
}

func eventRules(in map[string]string) (map[string]eventRule, error) {
	out := make(map[string]eventRule, len(in))
	for name, v := range in {
		key := strings.ToLower(strings.TrimSpace(name))
		if key == "" {
			return nil, errors.New("cap: events: empty event name")
		}
		var r eventRule
		if strings.EqualFold(strings.TrimSpace(v), "none") {
			r.none = true
		} else if h, ok := alert.ParseHazard(v); ok {
			r.hazard = h
		} else {
			return nil, fmt.Errorf("cap: events: %q maps to %q, want flood, heat or none", name, v)
		}
		if prev, dup := out[key]; dup && prev != r {
			return nil, fmt.Errorf("cap: events: %q is given twice with different hazards", name)
		}
		out[key] = r
	}
	return out, nil
}

// Collect fetches the configured URL and, for an index, the documents it
// links that are new or changed. The Result holds the whole current set.
func (c *collector) Collect(ctx context.Context) (collectors.Result, error) {
	if c.fetcher == nil {
		return collectors.Result{}, errors.New("cap: no fetcher configured")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	resp, err := c.fetcher.Get(ctx, c.url)
	if err != nil {
		return collectors.Result{}, err
	}
	redacted := c.fetcher.Redact(c.url)
	kind, _, err := sniff(resp.Body)
	if err != nil {
		return collectors.Result{}, fmt.Errorf("parse %s: %w", redacted, err)
	}
	if kind == rootCAP {
		res, err := c.mapper.documentResult(resp.Body)
		if err != nil {
			return collectors.Result{}, fmt.Errorf("parse %s: %w", redacted, err)
		}
		res.NotModified = resp.NotModified
		return res, nil
	}
	entries, invalid, err := parseIndex(kind, resp.Body, c.url)
	if err != nil {
		return collectors.Result{}, fmt.Errorf("parse %s: %w", redacted, err)
	}
	b := newBuilder(true)
	b.res.NotModified = resp.NotModified
	for range invalid {
		b.res.Drop(collectors.DropInvalid)
	}
	err = c.collectIndex(ctx, entries, b)
	return b.res, err
}

// documentResult maps one CAP document on its own, as the whole current set
// of a URL that serves a single document.
func (m *mapper) documentResult(body []byte) (collectors.Result, error) {
	d, err := m.document(body)
	if err != nil {
		return collectors.Result{}, err
	}
	b := newBuilder(false)
	b.add(d)
	return b.res, nil
}

// builder gathers documents into one Result, keeping at most one item per
// key: the one sent last (on a tie: a cancel, then the more severe).
type builder struct {
	res   collectors.Result
	byKey map[string]int
	// clone copies items taken from the cache, so that nothing the caller
	// does to a Result reaches the cache.
	clone bool
}

func newBuilder(clone bool) *builder {
	return &builder{res: collectors.Result{Snapshot: true}, byKey: map[string]int{}, clone: clone}
}

func (b *builder) add(d *docResult) {
	b.res.Fetched += d.fetched
	for reason, n := range d.dropped {
		for range n {
			b.res.Drop(reason)
		}
	}
	for _, it := range d.items {
		if b.clone {
			it.Alert = it.Alert.Clone()
		}
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
