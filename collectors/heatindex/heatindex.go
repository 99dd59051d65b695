// Package heatindex is the collector kind "heatindex": it reads temperature
// and relative humidity observations (or forecasts), computes the NWS heat
// index or the KMA summer apparent temperature per station, and gives one
// derived heat alert per station at or above a threshold. With the KMA
// formula the Korean rule applies: the daily maximum (KST days) at or above
// 33/35/38 °C on two consecutive days. A station back below every threshold
// is simply absent from the snapshot.
package heatindex

import (
	_ "embed"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/internal/secret"
)

const kindName = "heatindex"

// The formulas, formats and inputs.
const (
	formulaKMA = "kma"
	formulaNWS = "nws"

	formatAuto         = "auto"
	formatObservations = "observations" // the documented JSON list
	formatKMA          = "kma"          // data.go.kr VilageFcstInfoService

	inputObservation = "observation"
	inputForecast    = "forecast"
)

// Defaults of the options.
const (
	defaultHysteresisC = 0.5
	defaultMaxAge      = 3 * time.Hour
)

//go:embed sample.yaml
var sample []byte

func init() {
	collectors.Register(collectors.Kind{
		Name:    kindName,
		Options: Options{},
		New:     New,
		Sample:  sample,
		// KMA observations (초단기실황) are hourly, available at about 40
		// minutes past the hour; polling every 10 minutes sees each within
		// minutes without asking for the same hour many times.
		DefaultSchedule: "0 */10 * * * *",
		Snapshot:        true,
		Accept:          "application/json",
	})
}

// Options are the heatindex kind's own configuration keys, beside the common
// ones (name, kind, schedule, url, ...).
type Options struct {
	// Formula is kma (default: KMA summer apparent temperature, two-day
	// rule) or nws (NWS heat index of the latest observation).
	Formula string `yaml:"formula"`
	// Format is observations, kma or auto (default: told apart by the body).
	Format string `yaml:"format"`
	// Input is observation or forecast (default: forecast for a KMA
	// getVilageFcst/getUltraSrtFcst url, else observation).
	Input string `yaml:"input"`
	// Thresholds replace the formula's defaults: minor, moderate, severe,
	// extreme → value (°F for nws, °C for kma).
	Thresholds map[string]float64 `yaml:"thresholds"`
	// Hysteresis is how far (°C, default 0.5) below a threshold the value
	// must fall before the station leaves that level.
	Hysteresis *float64 `yaml:"hysteresis"`
	// MaxAge ignores a station whose latest observation is older (nws with
	// observations; default 3h, 0s turns it off).
	MaxAge *time.Duration `yaml:"max_age"`
	// TimeZone is the zone of times given without an offset: KST (default),
	// UTC or ±hh:mm.
	TimeZone string `yaml:"time_zone"`
	// ServiceKey is the data.go.kr key, added to the url as serviceKey.
	ServiceKey string `yaml:"service_key"`
	// ServiceKeyFile reads the key from a file instead.
	ServiceKeyFile string `yaml:"service_key_file"`
	// Stations name and place stations (by id, or "nx,ny" for KMA grids);
	// with {nx}/{ny}/{station} in the url, one request is made per station.
	Stations map[string]Station `yaml:"stations"`
}

// Station describes one station or grid point.
type Station struct {
	Name string   `yaml:"name"`
	Lat  *float64 `yaml:"lat"`
	Lon  *float64 `yaml:"lon"`
}

// config is the validated options.
type config struct {
	formula, format string
	forecast        bool
	limits          thresholds
	hysteresis      float64 // in the formula's unit
	maxAge          time.Duration
	loc             *time.Location
	serviceKey      string // as it goes in the query, escaped
	stations        map[string]Station
}

// collector is one configured heatindex collector. It keeps, in memory only,
// each station's latest observation and daily maxima and the level it is in:
// a restart forgets them (README: restarts).
type collector struct {
	source  string
	url     string
	fetcher *collectors.Fetcher
	cfg     config
	now     func() time.Time

	mu       sync.Mutex
	memory   map[string]*memory
	levels   map[string]int
	redactor []string
}

// placeholderRE finds the url placeholders.
var placeholderRE = regexp.MustCompile(`\{(nx|ny|station|base_date|base_time)\}`)

// New builds a heatindex collector. It validates and does no network I/O
// (service_key_file is read here).
func New(env collectors.Env, decode collectors.Decode) (collectors.Collector, error) {
	var o Options
	if err := decode(&o); err != nil {
		return nil, err
	}
	if env.Info.Name == "" {
		return nil, errors.New("collector name is empty")
	}
	var err error
	if o.ServiceKey, err = secret.Resolve("service_key", o.ServiceKey, o.ServiceKeyFile, env.ReadFile); err != nil {
		return nil, err
	}
	if env.URL == "" {
		return nil, errors.New("url is required: the observations (or forecasts) to read")
	}
	u, err := url.Parse(placeholderRE.ReplaceAllString(env.URL, "0"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("url %q is not an absolute http(s) URL", collectors.RedactString(env.URL, []string{o.ServiceKey}))
	}
	if u.Query().Has("serviceKey") || u.Query().Has("ServiceKey") {
		return nil, errors.New("url: put the data.go.kr key in service_key (from ${ENV}), not in the url")
	}
	cfg, err := validate(o, env.URL)
	if err != nil {
		return nil, err
	}
	c := &collector{source: env.Info.Name, url: env.URL, fetcher: env.Fetcher, cfg: cfg, now: time.Now,
		memory: map[string]*memory{}, levels: map[string]int{}}
	if o.ServiceKey != "" {
		c.redactor = []string{o.ServiceKey, cfg.serviceKey}
		if env.Fetcher != nil {
			for _, s := range c.redactor {
				env.Fetcher.AddSecret(s)
			}
		}
	}
	return c, nil
}

// validate checks the options against the url and fills in the defaults.
func validate(o Options, rawURL string) (config, error) {
	cfg := config{formula: strings.ToLower(strings.TrimSpace(o.Formula)), format: strings.ToLower(strings.TrimSpace(o.Format)),
		maxAge: defaultMaxAge, stations: o.Stations}
	switch cfg.formula {
	case "":
		cfg.formula = formulaKMA
	case formulaKMA, formulaNWS:
	default:
		return config{}, fmt.Errorf("formula: %q is not kma or nws", o.Formula)
	}
	switch cfg.format {
	case "":
		cfg.format = formatAuto
	case formatAuto, formatObservations, formatKMA:
	default:
		return config{}, fmt.Errorf("format: %q is not observations, kma or auto", o.Format)
	}
	switch in := strings.ToLower(strings.TrimSpace(o.Input)); in {
	case "":
		cfg.forecast = strings.Contains(rawURL, "getVilageFcst") || strings.Contains(rawURL, "getUltraSrtFcst")
	case inputObservation, inputForecast:
		cfg.forecast = in == inputForecast
	default:
		return config{}, fmt.Errorf("input: %q is not observation or forecast", o.Input)
	}
	limits, err := thresholdsOf(cfg.formula, o.Thresholds)
	if err != nil {
		return config{}, err
	}
	cfg.limits = limits
	h := defaultHysteresisC
	if o.Hysteresis != nil {
		h = *o.Hysteresis
		if h < 0 || math.IsNaN(h) || math.IsInf(h, 0) {
			return config{}, fmt.Errorf("hysteresis: %v, want a number of °C of 0 or more", h)
		}
	}
	cfg.hysteresis = h
	if cfg.formula == formulaNWS {
		cfg.hysteresis = h * 9 / 5 // a difference of °C in °F
	}
	if o.MaxAge != nil {
		if *o.MaxAge < 0 {
			return config{}, fmt.Errorf("max_age: %s, want 0s (off) or more", *o.MaxAge)
		}
		cfg.maxAge = *o.MaxAge
	}
	if cfg.loc, err = zoneOf(o.TimeZone); err != nil {
		return config{}, err
	}
	if cfg.serviceKey, err = escapeKey(o.ServiceKey); err != nil {
		return config{}, err
	}
	return cfg, validateStations(o.Stations, rawURL)
}

// validateStations checks the stations against the url's placeholders.
func validateStations(stations map[string]Station, rawURL string) error {
	grid := strings.Contains(rawURL, "{nx}") || strings.Contains(rawURL, "{ny}")
	if (grid || strings.Contains(rawURL, "{station}")) && len(stations) == 0 {
		return errors.New("stations: the url has a station placeholder, so at least one station is required")
	}
	for _, id := range slices.Sorted(maps.Keys(stations)) {
		s := stations[id]
		if grid {
			if _, _, ok := gridOf(id); !ok {
				return fmt.Errorf("stations: %q: the url has {nx}/{ny}, so the key must be a KMA grid \"nx,ny\"", id)
			}
		}
		if (s.Lat == nil) != (s.Lon == nil) {
			return fmt.Errorf("stations: %q: lat and lon go together", id)
		}
		if s.Lat != nil && (*s.Lat < -90 || *s.Lat > 90 || *s.Lon < -180 || *s.Lon > 180) {
			return fmt.Errorf("stations: %q: lat %v, lon %v outside [-90, 90] × [-180, 180]", id, *s.Lat, *s.Lon)
		}
	}
	return nil
}

// gridOf reads a KMA grid key "nx,ny".
func gridOf(id string) (nx, ny string, ok bool) {
	nx, ny, ok = strings.Cut(id, ",")
	nx, ny = strings.TrimSpace(nx), strings.TrimSpace(ny)
	_, e1 := strconv.Atoi(nx)
	_, e2 := strconv.Atoi(ny)
	return nx, ny, ok && e1 == nil && e2 == nil
}

// zoneOf reads the time_zone option.
func zoneOf(s string) (*time.Location, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "", "KST", "ASIA/SEOUL", "+09:00":
		return alert.KST, nil
	case "UTC", "Z", "+00:00":
		return time.UTC, nil
	}
	t, err := time.Parse("-07:00", strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("time_zone: %q, want KST, UTC or an offset like +09:00", s)
	}
	_, off := t.Zone()
	return time.FixedZone(s, off), nil
}

// escapeKey returns the key as it goes into the query. data.go.kr hands out
// each key twice, URL-encoded ("Encoding", with %2B) and not ("Decoding"):
// either works here, and is never escaped twice.
func escapeKey(key string) (string, error) {
	key = strings.TrimSpace(key)
	if key == "" || !strings.Contains(key, "%") {
		return url.QueryEscape(key), nil
	}
	if _, err := url.QueryUnescape(key); err != nil {
		return "", errors.New("service_key: it has a % that is not URL encoding")
	}
	return key, nil
}
