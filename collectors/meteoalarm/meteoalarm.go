// Package meteoalarm is the collector kind "meteoalarm": it reads a country
// Atom feed of MeteoAlarm (EUMETNET's European warnings), fetches the CAP 1.2
// message each entry links, and turns every message that warns of heat or
// flood (by MeteoAlarm's awareness_type) into one item per language.
package meteoalarm

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"sync"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/capdoc"
	"github.com/hazardwire/hazardwire/collectors/internal/docindex"
)

const kindName = "meteoalarm"

// accept is the Accept header of every request of the kind: the Atom feed
// first, then the CAP documents it links.
const accept = "application/atom+xml, application/cap+xml;q=0.9, application/xml;q=0.8, */*;q=0.5"

//go:embed sample.yaml
var sample []byte

func init() {
	collectors.Register(collectors.Kind{
		Name:            kindName,
		Options:         Options{},
		New:             New,
		Sample:          sample,
		DefaultSchedule: "@every 5m",
		Accept:          accept,
		Snapshot:        true,
	})
}

// defaultMaxDocuments bounds the CAP documents fetched in one run.
const defaultMaxDocuments = 200

// fetchWorkers is how many documents are fetched at once. MeteoAlarm serves
// every country from one host, so stay well under the shared per-host limit.
const fetchWorkers = 2

// Options are the meteoalarm kind's own configuration keys, beside the
// common ones (name, kind, schedule, url, ...).
type Options struct {
	// RainAsFlood maps awareness_type 10 (rain) to flood. Off by default:
	// heavy rain is a flood precursor, not a flood warning.
	RainAsFlood bool `yaml:"rain_as_flood"`
	// MaxDocuments bounds the CAP documents fetched per run (default 200);
	// the rest wait for the next run, which makes this run partial.
	MaxDocuments int `yaml:"max_documents"`
}

// ErrPartial is wrapped by the error of a run that could not read every new
// or changed document: some failed, or were left for the next run. Items
// are returned beside it, and the lifecycle ends nothing on such a run.
var ErrPartial = errors.New("partial run")

// collector is one configured meteoalarm collector. Its index of documents
// lives as long as the collector; a config reload that changes it starts
// afresh.
type collector struct {
	url     string
	fetcher *collectors.Fetcher
	mapper  mapper
	maxDocs int
	workers int

	// mu serializes runs.
	mu sync.Mutex
	// index holds the parsed CAP document of each link in the feed.
	index *docindex.Index[*capdoc.Alert]
}

// New builds a meteoalarm collector. It validates and does no I/O.
func New(env collectors.Env, decode collectors.Decode) (collectors.Collector, error) {
	var o Options
	if err := decode(&o); err != nil {
		return nil, err
	}
	if err := docindex.CheckEnv(kindName, env, "https://feeds.meteoalarm.org/feeds/meteoalarm-legacy-atom-france"); err != nil {
		return nil, err
	}
	maxDocs, err := docindex.MaxDocuments(kindName, o.MaxDocuments, defaultMaxDocuments)
	if err != nil {
		return nil, err
	}
	return &collector{
		url:     env.URL,
		fetcher: env.Fetcher,
		mapper:  mapper{source: env.Info.Name, rainAsFlood: o.RainAsFlood},
		maxDocs: maxDocs,
		workers: fetchWorkers,
		index: docindex.New(docindex.Options[*capdoc.Alert]{
			Fetcher: env.Fetcher,
			Parse: func(resp *collectors.Response) (*capdoc.Alert, error) {
				return parseCAP(resp.Body, resp.Header.Get("Content-Type"))
			},
			Name:    "meteoalarm",
			Partial: ErrPartial,
		}),
	}, nil
}

// Collect fetches the feed and the documents it links that are new or
// changed, and returns the whole current set.
func (c *collector) Collect(ctx context.Context) (collectors.Result, error) {
	if c.fetcher == nil {
		return collectors.Result{}, errors.New("meteoalarm: no fetcher configured")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	resp, err := c.fetcher.Get(ctx, c.url)
	if err != nil {
		return collectors.Result{}, err
	}
	docs, invalid, err := parseFeed(resp.Body, resp.Header.Get("Content-Type"), c.url)
	if err != nil {
		return collectors.Result{}, fmt.Errorf("parse %s: %w", c.fetcher.Redact(c.url), err)
	}
	s := capdoc.NewSnapshot(false)
	s.Result.NotModified = resp.NotModified
	for range invalid {
		s.Result.Fetched++
		s.Result.Drop(collectors.DropInvalid)
	}
	found, err := c.refresh(ctx, docs)
	for i, d := range docs {
		if p := found[i].Parsed; p != nil {
			s.Add(c.mapper.mapDocument(p, d.entries))
		}
	}
	return s.Result, err
}

// refresh brings the index of documents up to date with the feed, one
// entry per document, whose version changes whenever one of the document's
// feed entries does: documents that left the feed are forgotten, and at
// most maxDocs new or changed ones are fetched. It returns what it knows of
// each of docs, in order: a document that could not be fetched keeps its
// older version, if any, so that its keys are still seen while the run is
// partial.
func (c *collector) refresh(ctx context.Context, docs []*feedDoc) ([]docindex.Document[*capdoc.Alert], error) {
	entries := make([]docindex.Entry, len(docs))
	for i, d := range docs {
		entries[i] = docindex.Entry{ID: d.link, Version: d.version, Link: d.link}
	}
	return c.index.Run(ctx, entries, docindex.Budget{Documents: c.maxDocs, Workers: c.workers})
}
