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
	"net/url"
	"sync"

	"github.com/hazardwire/hazardwire/collectors"
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

// collector is one configured meteoalarm collector. Its document cache lives
// as long as the collector; a config reload that changes it starts afresh.
type collector struct {
	url     string
	fetcher *collectors.Fetcher
	mapper  mapper
	maxDocs int
	workers int

	// mu serializes runs: the maps below belong to one run at a time.
	mu sync.Mutex
	// docs holds the parsed CAP document of each link in the feed.
	docs map[string]*cachedDoc
	// failures counts consecutive failed fetches per link, so that
	// documents that keep failing are tried after the others.
	failures map[string]int
}

// New builds a meteoalarm collector. It validates and does no I/O.
func New(env collectors.Env, decode collectors.Decode) (collectors.Collector, error) {
	var o Options
	if err := decode(&o); err != nil {
		return nil, err
	}
	if env.Info.Name == "" {
		return nil, errors.New("meteoalarm: collector name is empty")
	}
	if env.URL == "" {
		return nil, errors.New("meteoalarm: url is required (e.g. https://feeds.meteoalarm.org/feeds/meteoalarm-legacy-atom-france)")
	}
	u, err := url.Parse(env.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("meteoalarm: url %q is not an absolute http(s) URL", collectors.RedactString(env.URL, nil))
	}
	switch {
	case o.MaxDocuments < 0:
		return nil, fmt.Errorf("meteoalarm: max_documents %d is negative", o.MaxDocuments)
	case o.MaxDocuments == 0:
		o.MaxDocuments = defaultMaxDocuments
	}
	return &collector{
		url:      env.URL,
		fetcher:  env.Fetcher,
		mapper:   mapper{source: env.Info.Name, rainAsFlood: o.RainAsFlood},
		maxDocs:  o.MaxDocuments,
		workers:  fetchWorkers,
		docs:     map[string]*cachedDoc{},
		failures: map[string]int{},
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
	b := newBuilder()
	b.res.NotModified = resp.NotModified
	for range invalid {
		b.res.Fetched++
		b.res.Drop(collectors.DropInvalid)
	}
	err = c.refresh(ctx, docs)
	for _, d := range docs {
		if cd := c.docs[d.link]; cd != nil {
			b.add(c.mapper.mapDocument(cd, d.entries))
		}
	}
	return b.res, err
}
