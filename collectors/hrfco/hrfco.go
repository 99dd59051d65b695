// Package hrfco is the collector kind "hrfco": it reads the flood forecasts
// (홍수주의보, 홍수경보 and their lifting) of the Korean flood control offices
// from api.hrfco.go.kr, and derives flood alerts from water levels that
// reach a station's thresholds (관심/주의/경계/심각).
package hrfco

import (
	_ "embed"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/internal/secret"
)

const kindName = "hrfco"

// DefaultURL is the API's base when the config gives no url: the service
// key and the endpoint path are appended to it.
const DefaultURL = "https://api.hrfco.go.kr"

// The modes: what a collector reads.
const (
	ModeForecasts = "forecasts"
	ModeLevels    = "levels"
	ModeBoth      = "both"
)

const (
	language      = "ko-KR"
	sender        = "hrfco.go.kr"
	geocodeSystem = "HRFCO_WLOBSCD"
)

// Defaults and bounds of the options.
const (
	defaultHysteresis  = 0.10
	defaultInfoRefresh = time.Hour
	defaultMaxAge      = 3 * time.Hour
	minInterval        = 10 * time.Minute
	maxHysteresis      = 5.0
	minKeyLength       = 8
)

//go:embed sample.yaml
var sample []byte

func init() {
	collectors.Register(collectors.Kind{
		Name:            kindName,
		Options:         Options{},
		New:             New,
		Sample:          sample,
		DefaultSchedule: "@every 5m",
		Snapshot:        true,
		Accept:          "application/json",
	})
}

// Options are the hrfco kind's own configuration keys, beside the common
// ones (name, kind, schedule, url, ...). url is the API's base.
type Options struct {
	// ServiceKey is the key issued by hrfco.go.kr (${HRFCO_SERVICE_KEY}). It
	// goes in the URL path, and never into an error, log line or alert.
	ServiceKey string `yaml:"service_key"`
	// ServiceKeyFile reads the key from a file instead.
	ServiceKeyFile string `yaml:"service_key_file"`
	// Mode is forecasts (default), levels or both.
	Mode string `yaml:"mode"`
	// Hysteresis (m, default 0.10): a level must fall below a threshold minus
	// this to leave the threshold's stage.
	Hysteresis float64 `yaml:"hysteresis"`
	// InfoRefresh is how long the station list is reused (default 1h).
	InfoRefresh time.Duration `yaml:"info_refresh"`
	// MaxAge is the age past which a station's latest reading no longer
	// counts (default 3h).
	MaxAge time.Duration `yaml:"max_age"`
	// Stations limits the levels to these station codes (wlobscd).
	Stations []string `yaml:"stations"`
}

// collector is one configured hrfco collector. It keeps the station list and
// each station's stage in memory: a restart or reload starts afresh.
type collector struct {
	base, key string
	mode      string
	fetcher   *collectors.Fetcher
	mapper    mapper
	refresh   time.Duration
	now       func() time.Time

	// mu makes runs one at a time: the scheduler never overlaps them, but a
	// CLI or test may, and the cache and state below must stay whole.
	mu    sync.Mutex
	info  map[string]station
	infoT time.Time // when info was read
	state map[string]stageState
}

// mapper turns HRFCO rows into items for one configured source.
type mapper struct {
	source     string
	hysteresis int64 // mm
	maxAge     time.Duration
	stations   map[string]bool // nil: every station
}

// New builds an hrfco collector. It validates and does no network I/O
// (service_key_file is read here, as the daemon reads other secret files).
func New(env collectors.Env, decode collectors.Decode) (collectors.Collector, error) {
	o := Options{Hysteresis: defaultHysteresis, InfoRefresh: defaultInfoRefresh, MaxAge: defaultMaxAge}
	if err := decode(&o); err != nil {
		return nil, err
	}
	if env.Info.Name == "" {
		return nil, errors.New("collector name is empty")
	}
	base, err := baseURL(env.URL)
	if err != nil {
		return nil, err
	}
	if o.ServiceKey, err = secret.Resolve("service_key", o.ServiceKey, o.ServiceKeyFile, env.ReadFile); err != nil {
		return nil, err
	}
	key, err := serviceKey(o.ServiceKey)
	if err != nil {
		return nil, err
	}
	m, err := newMapper(env.Info.Name, &o)
	if err != nil {
		return nil, err
	}
	if env.Fetcher != nil {
		env.Fetcher.AddSecret(key) // the key is in the URL path: keep it out of the fetcher's own errors too
	}
	return &collector{base: base, key: key, mode: o.Mode, fetcher: env.Fetcher, mapper: m,
		refresh: o.InfoRefresh, now: time.Now}, nil
}

// newMapper checks the options of the mapping, and sets the default mode.
func newMapper(name string, o *Options) (mapper, error) {
	switch o.Mode {
	case "":
		o.Mode = ModeForecasts
	case ModeForecasts, ModeLevels, ModeBoth:
	default:
		return mapper{}, fmt.Errorf("mode %q: want forecasts, levels or both", o.Mode)
	}
	if math.IsNaN(o.Hysteresis) || o.Hysteresis < 0 || o.Hysteresis > maxHysteresis {
		return mapper{}, fmt.Errorf("hysteresis %g: want metres from 0 to %g", o.Hysteresis, maxHysteresis)
	}
	if o.InfoRefresh < minInterval {
		return mapper{}, fmt.Errorf("info_refresh %s: want at least %s (the station list changes rarely)", o.InfoRefresh, minInterval)
	}
	if o.MaxAge < minInterval {
		return mapper{}, fmt.Errorf("max_age %s: want at least %s (readings come every 10 minutes)", o.MaxAge, minInterval)
	}
	m := mapper{source: name, hysteresis: mm(o.Hysteresis), maxAge: o.MaxAge}
	if len(o.Stations) > 0 {
		if o.Mode == ModeForecasts {
			return mapper{}, errors.New("stations applies to water levels: set mode to levels or both")
		}
		m.stations = map[string]bool{}
		for _, s := range o.Stations {
			if s = strings.TrimSpace(s); s == "" {
				return mapper{}, errors.New("stations: empty station code")
			}
			m.stations[s] = true
		}
	}
	return m, nil
}

// baseURL checks the configured url: an absolute http(s) URL without query
// or fragment, to which "/{key}/{endpoint}" is appended.
func baseURL(raw string) (string, error) {
	if raw == "" {
		raw = DefaultURL
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("url %q: want the API's base, an absolute http(s) URL without query (default %s)",
			collectors.RedactString(raw, nil), DefaultURL)
	}
	return strings.TrimRight(raw, "/"), nil
}

// serviceKey checks the key (from service_key or service_key_file). Errors
// never quote it.
func serviceKey(raw string) (string, error) {
	key := strings.TrimSpace(raw)
	if key == "" {
		return "", errors.New("service_key is required: the key issued by hrfco.go.kr, e.g. service_key: ${HRFCO_SERVICE_KEY}")
	}
	if len(key) < minKeyLength || strings.IndexFunc(key, unicode.IsSpace) >= 0 || strings.ContainsAny(key, "/?#") {
		return "", fmt.Errorf("service_key: want the key as issued: at least %d characters, without spaces or /?#", minKeyLength)
	}
	return key, nil
}

// wants reports whether the collector reads part (forecasts or levels).
func (c *collector) wants(part string) bool { return c.mode == part || c.mode == ModeBoth }
