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
	"strings"
	"sync"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/capdoc"
	"github.com/hazardwire/hazardwire/collectors/internal/docindex"
)

const kindName = "cap"

//go:embed sample.yaml
var sample []byte

func init() {
	collectors.Register(collectors.Kind{
		Name:            kindName,
		Options:         Options{},
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

// collector is one configured cap collector. Its index of documents lives
// as long as the collector; a config reload that changes it starts over
// with an empty one.
type collector struct {
	url     string
	fetcher *collectors.Fetcher
	mapper  mapper
	maxDocs int
	workers int

	// mu serializes runs.
	mu sync.Mutex
	// index holds the mapped document of each index entry.
	index *docindex.Index[*capdoc.Yield]
	// memory holds the messages read, for the references of later ones.
	memory memory
}

// New builds a cap collector. It validates and does no I/O.
func New(env collectors.Env, decode collectors.Decode) (collectors.Collector, error) {
	var o Options
	if err := decode(&o); err != nil {
		return nil, err
	}
	if err := docindex.CheckEnv(kindName, env, ""); err != nil {
		return nil, err
	}
	maxDocs, err := docindex.MaxDocuments(kindName, o.MaxDocuments, defaultMaxDocuments)
	if err != nil {
		return nil, err
	}
	events, err := eventRules(o.Events)
	if err != nil {
		return nil, err
	}
	c := &collector{
		url:     env.URL,
		fetcher: env.Fetcher,
		mapper: mapper{source: env.Info.Name, classifier: classifier{
			events:   events,
			keywords: o.Keywords == nil || *o.Keywords,
		}},
		maxDocs: maxDocs,
		workers: fetchWorkers,
	}
	c.index = docindex.New(docindex.Options[*capdoc.Yield]{
		Fetcher: env.Fetcher,
		Parse:   func(resp *collectors.Response) (*capdoc.Yield, error) { return c.mapper.document(resp.Body) },
		Name:    "cap index",
		Partial: ErrPartial,
	})
	return c, nil
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
		y, err := c.mapper.document(resp.Body)
		if err != nil {
			return collectors.Result{}, fmt.Errorf("parse %s: %w", redacted, err)
		}
		// The memory keeps y: the Result gets copies.
		s := capdoc.NewSnapshot(true)
		s.Add(y)
		c.memory.remember([]*capdoc.Yield{y})
		c.memory.endReferenced([]*capdoc.Yield{y}, s)
		s.Result.NotModified = resp.NotModified
		return s.Result, nil
	}
	entries, invalid, err := parseIndex(kind, resp.Body, c.url)
	if err != nil {
		return collectors.Result{}, fmt.Errorf("parse %s: %w", redacted, err)
	}
	s := capdoc.NewSnapshot(true)
	s.Result.NotModified = resp.NotModified
	for range invalid {
		s.Result.Drop(collectors.DropInvalid)
	}
	err = c.collectIndex(ctx, entries, s)
	return s.Result, err
}

// documentResult maps one CAP document on its own, as the whole current set
// of a URL that serves a single document.
func (m *mapper) documentResult(body []byte) (collectors.Result, error) {
	y, err := m.document(body)
	if err != nil {
		return collectors.Result{}, err
	}
	s := capdoc.NewSnapshot(false)
	s.Add(y)
	return s.Result, nil
}
