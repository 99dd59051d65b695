// Package eafloods is the collector kind "eafloods": it reads the flood
// warnings currently in force in England from the UK Environment Agency's
// real-time flood-monitoring API (/flood-monitoring/id/floods) and turns each
// into one item keyed by its flood area (floodAreaID).
package eafloods

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/hazardwire/hazardwire/collectors"
)

const kindName = "eafloods"

// DefaultURL is read when the config gives no url: every current warning of
// England.
const DefaultURL = "https://environment.data.gov.uk/flood-monitoring/id/floods"

// minSeverityParam is the API's query parameter behind the min_severity
// option.
const minSeverityParam = "min-severity"

//go:embed sample.yaml
var sample []byte

func init() {
	collectors.Register(collectors.Kind{
		Name:    kindName,
		Options: Options{},
		New:     New,
		Sample:  sample,
		// The EA refreshes the warnings list every 15 minutes; polling every 5
		// catches a change within a third of that and costs the agency little.
		DefaultSchedule: "@every 5m",
		Snapshot:        true,
		Accept:          "application/json",
	})
}

// Options are the eafloods kind's own configuration keys, beside the common
// ones (name, kind, schedule, url, ...).
type Options struct {
	// MinSeverity, 1 to 4, is sent as the API's min-severity query parameter:
	// only warnings at least that severe (1 is the most severe) are listed.
	// Unset, every warning is listed, including level 4 ("no longer in
	// force"), which is what lets the collector announce cancels.
	MinSeverity *int `yaml:"min_severity"`
}

// collector is one configured eafloods collector. It keeps no state between
// runs: the feed is a snapshot, and the fetcher keeps the conditional-GET
// cache.
type collector struct {
	url     string
	fetcher *collectors.Fetcher
	mapper  mapper
}

// New builds an eafloods collector. It validates and does no I/O.
func New(env collectors.Env, decode collectors.Decode) (collectors.Collector, error) {
	var o Options
	if err := decode(&o); err != nil {
		return nil, err
	}
	if env.Info.Name == "" {
		return nil, errors.New("collector name is empty")
	}
	feed, err := feedURL(env.URL, o.MinSeverity)
	if err != nil {
		return nil, err
	}
	return &collector{url: feed, fetcher: env.Fetcher, mapper: mapper{source: env.Info.Name}}, nil
}

// feedURL returns the URL to poll: the configured one (default DefaultURL)
// with min-severity added when the option is set.
func feedURL(raw string, minSeverity *int) (string, error) {
	if raw == "" {
		raw = DefaultURL
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("url %q is not an absolute http(s) URL", collectors.RedactString(raw, nil))
	}
	if minSeverity == nil {
		return raw, nil
	}
	if *minSeverity < 1 || *minSeverity > 4 {
		return "", fmt.Errorf("min_severity: %d is not a severity level 1 to 4 (1 Severe Flood Warning, 2 Flood Warning, 3 Flood Alert, 4 also no longer in force)", *minSeverity)
	}
	q := u.Query()
	if q.Has(minSeverityParam) {
		return "", fmt.Errorf("min_severity: the url already has a %s parameter; set one or the other", minSeverityParam)
	}
	q.Set(minSeverityParam, strconv.Itoa(*minSeverity))
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Collect fetches the current warnings once. The Result is the whole current
// set.
func (c *collector) Collect(ctx context.Context) (collectors.Result, error) {
	if c.fetcher == nil {
		return collectors.Result{}, errors.New("no fetcher configured")
	}
	resp, err := c.fetcher.Get(ctx, c.url)
	if err != nil {
		return collectors.Result{}, err
	}
	res, _, err := c.mapper.parse(resp.Body, resp.Header.Get("Content-Type"))
	if err != nil {
		return collectors.Result{}, fmt.Errorf("parse %s: %w", c.fetcher.Redact(c.url), err)
	}
	res.NotModified = resp.NotModified
	return res, nil
}
