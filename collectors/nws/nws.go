// Package nws is the collector kind "nws": it reads the active alerts of the
// US National Weather Service from api.weather.gov, a GeoJSON
// FeatureCollection, and turns each flood or heat hazard event into one item
// keyed by its VTEC event (office.phenomenon.significance.number).
package nws

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
)

const kindName = "nws"

// DefaultURL is read when the config gives no url: every active alert.
const DefaultURL = "https://api.weather.gov/alerts/active"

//go:embed sample.yaml
var sample []byte

func init() {
	collectors.Register(collectors.Kind{
		Name:            kindName,
		Options:         Options{},
		New:             New,
		Sample:          sample,
		DefaultSchedule: "@every 1m",
		Snapshot:        true,
		Accept:          "application/geo+json",
	})
}

// Options are the nws kind's own configuration keys, beside the common ones
// (name, kind, schedule, url, user_agent, ...).
type Options struct {
	// Events adds event names (exact, case-insensitive) to the built-in flood
	// and heat lists: name → "flood" or "heat". A feature with VTEC maps its
	// own phenomena through it too (README: hazards).
	Events map[string]string `yaml:"events"`
}

// errUserAgent is returned by New when no user_agent is configured:
// api.weather.gov answers 403 to requests without one.
var errUserAgent = errors.New(`user_agent is required by api.weather.gov (an app name and a contact, e.g. "hazardwire (ops@example.org)")`)

// collector is one configured nws collector. It keeps no state between runs:
// the feed is a snapshot, and the fetcher keeps the conditional-GET cache.
type collector struct {
	url     string
	fetcher *collectors.Fetcher
	mapper  mapper
}

// New builds an nws collector. It validates and does no I/O.
func New(env collectors.Env, decode collectors.Decode) (collectors.Collector, error) {
	var o Options
	if err := decode(&o); err != nil {
		return nil, err
	}
	if strings.TrimSpace(env.Info.UserAgent) == "" {
		return nil, errUserAgent
	}
	if env.Info.Name == "" {
		return nil, errors.New("collector name is empty")
	}
	feed := env.URL
	if feed == "" {
		feed = DefaultURL
	}
	u, err := url.Parse(feed)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("url %q is not an absolute http(s) URL", collectors.RedactString(feed, nil))
	}
	events, err := eventRules(o.Events)
	if err != nil {
		return nil, err
	}
	return &collector{
		url:     feed,
		fetcher: env.Fetcher,
		mapper:  mapper{source: env.Info.Name, events: events},
	}, nil
}

// eventRules checks the events option and returns it keyed by normalized
// name. A name the built-in lists already map to another hazard is an error:
// the option adds names, it does not move them.
func eventRules(in map[string]string) (map[string]alert.Hazard, error) {
	out := make(map[string]alert.Hazard, len(in))
	for _, name := range slices.Sorted(maps.Keys(in)) {
		key := normalizeEvent(name)
		if key == "" {
			return nil, errors.New("events: empty event name")
		}
		h, ok := alert.ParseHazard(in[name])
		if !ok {
			return nil, fmt.Errorf("events: %q maps to %q, want flood or heat", name, in[name])
		}
		if b, ok := builtinEvents[key]; ok && b != h {
			return nil, fmt.Errorf("events: %q is already mapped to %s", name, b)
		}
		if prev, dup := out[key]; dup && prev != h {
			return nil, fmt.Errorf("events: %q is given twice with different hazards", name)
		}
		out[key] = h
	}
	return out, nil
}

// Collect fetches the active alerts once. The Result is the whole current set.
func (c *collector) Collect(ctx context.Context) (collectors.Result, error) {
	if c.fetcher == nil {
		return collectors.Result{}, errors.New("no fetcher configured")
	}
	resp, err := c.fetcher.Get(ctx, c.url)
	if err != nil {
		return collectors.Result{}, err
	}
	res, _, err := c.mapper.parse(resp.Body)
	if err != nil {
		return collectors.Result{}, fmt.Errorf("parse %s: %w", c.fetcher.Redact(c.url), err)
	}
	res.NotModified = resp.NotModified
	return res, nil
}
