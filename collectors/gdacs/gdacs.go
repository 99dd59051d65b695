// Package gdacs is the collector kind "gdacs": it reads the Global Disaster
// Alert and Coordination System's event list, either its RSS feed (with the
// gdacs: namespace) or the GeoJSON FeatureCollection of its event API, and
// turns every flood event (eventtype FL) into one item keyed by its event id.
// GDACS has no heat events; everything else it lists is dropped as unmapped.
package gdacs

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hazardwire/hazardwire/collectors"
)

const kindName = "gdacs"

// DefaultURL is read when the config gives no url: the RSS feed of current
// events.
const DefaultURL = "https://www.gdacs.org/xml/rss.xml"

// accept asks for either format; the body decides which one is read.
const accept = "application/rss+xml, application/xml;q=0.9, application/geo+json;q=0.8, application/json;q=0.8"

// defaultExpiresAfter is how long after an event's todate its alert expires
// when GDACS says nothing more (see README: expiry).
const defaultExpiresAfter = 7 * 24 * time.Hour

//go:embed sample.yaml
var sample []byte

func init() {
	collectors.Register(collectors.Kind{
		Name:            kindName,
		Options:         Options{},
		New:             New,
		Sample:          sample,
		DefaultSchedule: "@every 10m",
		Snapshot:        true,
		Accept:          accept,
	})
}

// The formats a body can be read as.
const (
	formatAuto    = "auto"
	formatRSS     = "rss"
	formatGeoJSON = "geojson"
)

// Options are the gdacs kind's own configuration keys, beside the common ones
// (name, kind, schedule, url, ...).
type Options struct {
	// Format is how the body is read: "auto" (default: by its first byte),
	// "rss" or "geojson".
	Format string `yaml:"format"`
	// Snapshot says whether the URL serves the whole current set of events
	// (default true: rss.xml, geteventlist/EVENTS4APP). Set it false for
	// windows such as rss_24h.xml or a SEARCH query, where an event that is
	// not listed may still be in force.
	Snapshot *bool `yaml:"snapshot"`
	// ExpiresAfter is added to an event's todate to make its expiry (default
	// 168h; 0 leaves expires unset, so that only iscurrent=false or leaving
	// a snapshot feed ends the alert).
	ExpiresAfter *time.Duration `yaml:"expires_after"`
	// RadiusKm is the radius of the circle drawn around the event's point
	// (default 0: the point itself).
	RadiusKm float64 `yaml:"radius_km"`
	// BBoxPolygon adds the event's bounding box to its area as a polygon
	// (default false: the box is only a parameter).
	BBoxPolygon bool `yaml:"bbox_polygon"`
}

// collector is one configured gdacs collector. It keeps no state between
// runs: the fetcher keeps the conditional-GET cache.
type collector struct {
	url     string
	fetcher *collectors.Fetcher
	mapper  mapper
}

// New builds a gdacs collector. It validates and does no I/O.
func New(env collectors.Env, decode collectors.Decode) (collectors.Collector, error) {
	var o Options
	if err := decode(&o); err != nil {
		return nil, err
	}
	if env.Info.Name == "" {
		return nil, errors.New("gdacs: collector name is empty")
	}
	feed := env.URL
	if feed == "" {
		feed = DefaultURL
	}
	u, err := url.Parse(feed)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("gdacs: url %q is not an absolute http(s) URL", collectors.RedactString(feed, nil))
	}
	m := mapper{source: env.Info.Name, format: formatAuto, snapshot: true, expiresAfter: defaultExpiresAfter}
	switch f := strings.ToLower(strings.TrimSpace(o.Format)); f {
	case "":
	case formatAuto, formatRSS, formatGeoJSON:
		m.format = f
	default:
		return nil, fmt.Errorf("gdacs: format %q is not auto, rss or geojson", o.Format)
	}
	if o.Snapshot != nil {
		m.snapshot = *o.Snapshot
	}
	if o.ExpiresAfter != nil {
		if *o.ExpiresAfter < 0 {
			return nil, fmt.Errorf("gdacs: expires_after %s is negative", *o.ExpiresAfter)
		}
		m.expiresAfter = *o.ExpiresAfter
	}
	if o.RadiusKm < 0 || math.IsNaN(o.RadiusKm) || math.IsInf(o.RadiusKm, 0) || o.RadiusKm > 20000 {
		return nil, fmt.Errorf("gdacs: radius_km %g is not between 0 and 20000", o.RadiusKm)
	}
	m.radiusKm = o.RadiusKm
	m.bboxPolygon = o.BBoxPolygon
	if env.Fetcher != nil {
		// GDACS needs no key, but a proxy in front of it may take one in
		// the URL: the fetcher keeps its value out of every error, also
		// where a server echoes it.
		for _, s := range urlSecrets(u) {
			env.Fetcher.AddSecret(s)
		}
	}
	return &collector{url: feed, fetcher: env.Fetcher, mapper: m}, nil
}

// urlSecrets returns the values of the query parameters of u that the shared
// redaction treats as keys: those it would replace.
func urlSecrets(u *url.URL) []string {
	q := u.Query()
	r, err := url.Parse(collectors.RedactString(u.String(), nil))
	if err != nil {
		return nil
	}
	var out []string
	for name, vs := range r.Query() {
		for i, v := range vs {
			if i < len(q[name]) && q[name][i] != v && q[name][i] != "" {
				out = append(out, q[name][i])
			}
		}
	}
	return out
}

// redactedError is an error whose message had secrets removed; it still
// unwraps to the original for errors.Is and errors.As.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redact removes secrets from a parse error, whose message may quote the
// body.
func (c *collector) redact(err error) error {
	msg := c.fetcher.Redact(err.Error())
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, err: err}
}

// Collect fetches the feed once and maps its flood events.
func (c *collector) Collect(ctx context.Context) (collectors.Result, error) {
	if c.fetcher == nil {
		return collectors.Result{}, errors.New("gdacs: no fetcher configured")
	}
	resp, err := c.fetcher.Get(ctx, c.url)
	if err != nil {
		return collectors.Result{}, err
	}
	if resp.Status != http.StatusNoContent && len(bytes.TrimSpace(resp.Body)) == 0 {
		// Only 204 No Content is an answer without events: an empty 200 is
		// broken, and must not end every event in force.
		return collectors.Result{}, fmt.Errorf("parse %s: empty body with HTTP status %d (only 204 No Content means no events)", c.fetcher.Redact(c.url), resp.Status)
	}
	res, _, err := c.mapper.parse(resp.Body, resp.Header.Get("Content-Type"))
	if err != nil {
		return collectors.Result{}, c.redact(fmt.Errorf("parse %s: %w", c.fetcher.Redact(c.url), err))
	}
	res.NotModified = resp.NotModified
	return res, nil
}
