// Package gauge is the collector kind "gauge": it reads river level readings
// (USGS NWIS instantaneous values as WaterML-JSON, or UK Environment Agency
// flood-monitoring readings and station documents) and compares each
// configured station's latest level with its flood thresholds. A station at or
// above a threshold gives one derived flood alert keyed by the station; a
// station back below every threshold is simply absent from the snapshot.
package gauge

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hazardwire/hazardwire/collectors"
)

const kindName = "gauge"

// The feed formats.
const (
	formatAuto = "auto"
	formatUSGS = "usgs"
	formatEA   = "ea"
)

// idPlaceholder in the url makes the collector fetch once per configured
// station, with the station id in its place.
const idPlaceholder = "{id}"

// Defaults of the options.
const (
	defaultHysteresis = 0.1
	defaultMaxAge     = 6 * time.Hour
	defaultParameter  = "00065"
	// publishedTTL is how long a fetched EA station document is used before
	// it is fetched again: typicalRangeHigh changes rarely, and the brief is
	// to ask the agency at most hourly.
	publishedTTL = time.Hour
)

//go:embed sample.yaml
var sample []byte

func init() {
	collectors.Register(collectors.Kind{
		Name:    kindName,
		Options: Options{},
		New:     New,
		Sample:  sample,
		// USGS and EA gauges report every 15 minutes (often less often):
		// polling faster only asks the agencies for the same reading again.
		DefaultSchedule: "0 */15 * * * *",
		Snapshot:        true,
		Accept:          "application/json",
	})
}

// Options are the gauge kind's own configuration keys, beside the common ones
// (name, kind, schedule, url, ...).
type Options struct {
	// Format is usgs, ea or auto (default: told apart by the document's shape).
	Format string `yaml:"format"`
	// Stations are the stations evaluated, by USGS site number or EA station
	// reference, with their thresholds in the feed's unit.
	Stations map[string]Station `yaml:"stations"`
	// Hysteresis is how far below a threshold (feed units, default 0.1) a
	// level must fall before the station leaves that level.
	Hysteresis *float64 `yaml:"hysteresis"`
	// UsePublished takes the EA station's stageScale.typicalRangeHigh as its
	// minor level when none is configured (format ea only).
	UsePublished bool `yaml:"use_published"`
	// StationURL is the EA station document URL, {id} standing for the
	// station (default: derived from url).
	StationURL string `yaml:"station_url"`
	// MaxAge ignores a station whose latest reading is older (default 6h; 0s
	// turns the check off).
	MaxAge *time.Duration `yaml:"max_age"`
	// Parameter is the USGS parameter code read (default 00065, gage height).
	Parameter string `yaml:"parameter"`
}

// Station is one configured station.
type Station struct {
	// Name describes the station; default: the feed's site name or label.
	Name string `yaml:"name"`
	// Minor, Moderate, Major and Extreme are the thresholds (feed units):
	// a level at or above one is in that category.
	Minor    *float64 `yaml:"minor"`
	Moderate *float64 `yaml:"moderate"`
	Major    *float64 `yaml:"major"`
	Extreme  *float64 `yaml:"extreme"`
	// Lat and Lon place the station; default: the feed's coordinates.
	Lat *float64 `yaml:"lat"`
	Lon *float64 `yaml:"lon"`
	// Measure picks one EA measure by its notation when a station has
	// several level measures (default: the stage measure).
	Measure string `yaml:"measure"`
}

// collector is one configured gauge collector. It keeps, in memory only, the
// level each station is in (for hysteresis) and the EA station documents it
// fetched: a restart forgets both.
type collector struct {
	source     string
	url        string
	stationURL string
	fetcher    *collectors.Fetcher
	cfg        config
	now        func() time.Time

	mu        sync.Mutex
	levels    map[string]int // station → level index, 0 none
	published map[string]publishedDoc
}

// config is the validated options.
type config struct {
	format       string
	stations     map[string]stationConfig
	hysteresis   float64
	usePublished bool
	maxAge       time.Duration
	parameter    string
}

// publishedDoc is a fetched EA station document.
type publishedDoc struct {
	fetched time.Time
	info    stationInfo
}

// New builds a gauge collector. It validates and does no I/O.
func New(env collectors.Env, decode collectors.Decode) (collectors.Collector, error) {
	var o Options
	if err := decode(&o); err != nil {
		return nil, err
	}
	if env.Info.Name == "" {
		return nil, errors.New("collector name is empty")
	}
	cfg, err := validate(o)
	if err != nil {
		return nil, err
	}
	if err := checkURL("url", env.URL, true); err != nil {
		return nil, err
	}
	c := &collector{source: env.Info.Name, url: env.URL, fetcher: env.Fetcher, cfg: cfg, now: time.Now,
		levels: map[string]int{}, published: map[string]publishedDoc{}}
	if cfg.usePublished {
		c.stationURL = o.StationURL
		if c.stationURL == "" {
			c.stationURL = deriveStationURL(env.URL)
		}
		if err := checkURL("station_url", c.stationURL, false); err != nil {
			return nil, err
		}
		if !strings.Contains(c.stationURL, idPlaceholder) {
			return nil, fmt.Errorf("station_url %q: want %s where the station reference goes", c.stationURL, idPlaceholder)
		}
	} else if o.StationURL != "" {
		return nil, errors.New("station_url: only used with use_published: true")
	}
	return c, nil
}

// validate checks the options and fills in the defaults.
func validate(o Options) (config, error) {
	cfg := config{format: strings.ToLower(strings.TrimSpace(o.Format)), hysteresis: defaultHysteresis,
		usePublished: o.UsePublished, maxAge: defaultMaxAge, parameter: defaultParameter}
	switch cfg.format {
	case "":
		cfg.format = formatAuto
	case formatAuto, formatUSGS, formatEA:
	default:
		return config{}, fmt.Errorf("format: %q is not usgs, ea or auto", o.Format)
	}
	if o.Hysteresis != nil {
		if h := *o.Hysteresis; h < 0 || math.IsNaN(h) || math.IsInf(h, 0) {
			return config{}, fmt.Errorf("hysteresis: %v, want a number of 0 or more", h)
		}
		cfg.hysteresis = *o.Hysteresis
	}
	if o.MaxAge != nil {
		if *o.MaxAge < 0 {
			return config{}, fmt.Errorf("max_age: %s, want 0s (off) or more", *o.MaxAge)
		}
		cfg.maxAge = *o.MaxAge
	}
	if p := strings.TrimSpace(o.Parameter); p != "" {
		cfg.parameter = p
	}
	if o.UsePublished && cfg.format != formatEA {
		return config{}, errors.New("use_published: needs format: ea (the published levels are the EA's stageScale)")
	}
	if len(o.Stations) == 0 {
		return config{}, errors.New("stations: at least one station is required")
	}
	cfg.stations = map[string]stationConfig{}
	for _, id := range slices.Sorted(maps.Keys(o.Stations)) {
		sc, err := stationOf(id, o.Stations[id], o.UsePublished)
		if err != nil {
			return config{}, fmt.Errorf("stations: %q: %w", id, err)
		}
		cfg.stations[id] = sc
	}
	return cfg, nil
}

// checkURL checks an absolute http(s) URL (a template with {id} is fine).
func checkURL(key, raw string, required bool) error {
	if raw == "" {
		if required {
			return fmt.Errorf("%s is required: the USGS or EA URL to read", key)
		}
		return nil
	}
	u, err := url.Parse(strings.ReplaceAll(raw, idPlaceholder, "x"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s %q is not an absolute http(s) URL", key, collectors.RedactString(raw, nil))
	}
	return nil
}

// deriveStationURL returns the EA station document URL template beside the
// configured readings URL: everything up to /flood-monitoring, then
// /id/stations/{id}.
func deriveStationURL(feed string) string {
	u, err := url.Parse(strings.ReplaceAll(feed, idPlaceholder, "x"))
	if err != nil || u.Host == "" {
		return ""
	}
	base := u.Scheme + "://" + u.Host
	if i := strings.Index(u.Path, "/flood-monitoring/"); i >= 0 {
		base += u.Path[:i] + "/flood-monitoring"
	}
	return base + "/id/stations/" + idPlaceholder
}

// Collect fetches the readings once and evaluates every configured station
// found in them. The Result is the whole current set of stations in flood.
func (c *collector) Collect(ctx context.Context) (collectors.Result, error) {
	if c.fetcher == nil {
		return collectors.Result{}, errors.New("no fetcher configured")
	}
	p, fetchErr := c.fetchReadings(ctx)
	if p == nil {
		return collectors.Result{}, fetchErr
	}
	pubErr := c.refreshPublished(ctx, p.readings)
	c.mu.Lock()
	res := c.evaluate(p, c.now(), fetchErr == nil)
	c.mu.Unlock()
	// A failed station fetch makes the run partial: the items found are
	// taken, and the lifecycle ends nothing.
	return res, errors.Join(fetchErr, pubErr)
}

// fetchReadings fetches the url, once, or once per station when it holds
// {id}. It returns nil and the error when nothing could be read; partial
// results come with the error of what failed.
func (c *collector) fetchReadings(ctx context.Context) (*parsed, error) {
	targets := []string{c.url}
	if strings.Contains(c.url, idPlaceholder) {
		targets = targets[:0]
		for _, id := range slices.Sorted(maps.Keys(c.cfg.stations)) {
			targets = append(targets, strings.ReplaceAll(c.url, idPlaceholder, url.PathEscape(id)))
		}
	}
	all := newParsed()
	all.notModified = true
	var errs []error
	ok := 0
	for _, u := range targets {
		resp, err := c.fetcher.Get(ctx, u)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p, err := c.parse(resp.Body, resp.Header.Get("Content-Type"))
		if err != nil {
			errs = append(errs, fmt.Errorf("parse %s: %w", c.fetcher.Redact(u), err))
			continue
		}
		ok++
		all.merge(p)
		all.notModified = all.notModified && resp.NotModified
	}
	if ok == 0 {
		return nil, errors.Join(errs...)
	}
	return all, errors.Join(errs...)
}
