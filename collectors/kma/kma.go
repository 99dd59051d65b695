// Package kma is the collector kind "kma": it reads the Korea Meteorological
// Administration's weather warnings (기상특보) from data.go.kr's
// WthrWrnInfoService, whose getPwnCd operation lists every announcement of
// the last days as coded rows, one per warning zone and kind. Heat warnings
// (폭염) and, by default, heavy-rain warnings (호우) become items keyed by
// zone and kind; getWthrWrnMsg adds the bulletins' text when asked to.
package kma

import (
	_ "embed"
	"errors"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/kmacode"
	"github.com/hazardwire/hazardwire/internal/secret"
)

const kindName = "kma"

// DefaultURL is read when the config gives no url: the getPwnCd operation.
const DefaultURL = "https://apis.data.go.kr/1360000/WthrWrnInfoService/getPwnCd"

// textOperation is the operation, beside getPwnCd, that gives bulletin text.
const textOperation = "getWthrWrnMsg"

// nationwideStation is the station of KMA headquarters (기상청 본청), whose
// bulletins cover every zone.
const nationwideStation = "108"

// Option bounds. The window cannot reach further back than data.go.kr
// serves (resultCode 99: "최대 조회 기간은 오늘 기준으로 6일 전까지입니다").
const (
	defaultLookback  = 72 * time.Hour
	maxLookback      = 6 * 24 * time.Hour
	defaultNumOfRows = 1000
	maxNumOfRows     = 10000
	defaultMaxPages  = 5
	maxMaxPages      = 100
)

//go:embed sample.yaml
var sample []byte

func init() {
	collectors.Register(collectors.Kind{
		Name:            kindName,
		Options:         Options{},
		New:             New,
		Sample:          sample,
		DefaultSchedule: "@every 2m",
		Accept:          "application/json",
		Snapshot:        false,
	})
}

// Options are the kma kind's own configuration keys, beside the common ones
// (name, kind, schedule, url, ...).
type Options struct {
	// ServiceKey is the data.go.kr key (required), given URL-encoded as the
	// portal shows it or decoded: the collector encodes it exactly once.
	ServiceKey string `yaml:"service_key"`
	// ServiceKeyFile reads the key from a file instead.
	ServiceKeyFile string `yaml:"service_key_file"`
	// Lookback is how far back getPwnCd is asked for announcements (default
	// 72h, at most 144h): whole KST days from the day it reaches.
	Lookback time.Duration `yaml:"lookback"`
	// NumOfRows is the page size (default 1000, at most 10000).
	NumOfRows int `yaml:"num_of_rows"`
	// MaxPages bounds the pages read per operation and run (default 5).
	MaxPages int `yaml:"max_pages"`
	// StnID restricts getPwnCd to one issuing station, and picks the station
	// of the bulletins fetch_text reads (default: every station; 108 for text).
	StnID string `yaml:"stn_id"`
	// AreaCode restricts getPwnCd to one warning zone (e.g. L1100200).
	AreaCode string `yaml:"area_code"`
	// FetchText adds a getWthrWrnMsg request per run for headlines and
	// descriptions (default off: one request per run).
	FetchText bool `yaml:"fetch_text"`
	// HeavyRainFlood maps 호우 (heavy rain) warnings to flood (default on).
	HeavyRainFlood bool `yaml:"heavy_rain_flood"`
	// Kinds maps more warning kinds, by Korean name, to flood or heat
	// ("열대야": heat, "폭풍해일": flood).
	Kinds map[string]string `yaml:"kinds"`
}

// collector is one configured kma collector. It keeps no state between runs:
// every run reads the whole window again.
type collector struct {
	pwnURL, textURL *url.URL
	fetcher         *collectors.Fetcher
	mapper          mapper
	key             string   // the decoded service key
	secrets         []string // every form of the key, for redaction
	lookback        time.Duration
	rows, maxPages  int
	stnID, area     string
	textStn         string
	fetchText       bool
	now             func() time.Time
}

var (
	stationRE = regexp.MustCompile(`^[0-9]{1,4}$`)
	areaRE    = regexp.MustCompile(`^[A-Z][0-9A-Z]{1,15}$`)
)

// New builds a kma collector. It validates and does no network I/O
// (service_key_file is read here); no error it returns holds the service key.
func New(env collectors.Env, decode collectors.Decode) (collectors.Collector, error) {
	o := Options{Lookback: defaultLookback, NumOfRows: defaultNumOfRows, MaxPages: defaultMaxPages, HeavyRainFlood: true}
	if err := decode(&o); err != nil {
		return nil, err
	}
	if env.Info.Name == "" {
		return nil, errors.New("kma: collector name is empty")
	}
	var err error
	if o.ServiceKey, err = secret.Resolve("service_key", o.ServiceKey, o.ServiceKeyFile, env.ReadFile); err != nil {
		return nil, fmt.Errorf("kma: %w", err)
	}
	key, err := decodeKey(o.ServiceKey)
	if err != nil {
		return nil, err
	}
	secrets := []string{key, url.QueryEscape(key), strings.TrimSpace(o.ServiceKey)}
	pwn, err := feedURL(env.URL, secrets)
	if err != nil {
		return nil, err
	}
	if err := checkOptions(&o); err != nil {
		return nil, err
	}
	classifier, err := kmacode.NewClassifier(o.HeavyRainFlood, o.Kinds)
	if err != nil {
		return nil, fmt.Errorf("kma: %w", err)
	}
	if env.Fetcher != nil {
		// The fetcher then keeps the key out of its own errors too, even
		// where a server echoes it in an error body.
		for _, s := range secrets {
			env.Fetcher.AddSecret(s)
		}
	}
	text := *pwn
	text.Path = path.Join(path.Dir(pwn.Path), textOperation)
	textStn := o.StnID
	if textStn == "" {
		textStn = nationwideStation
	}
	return &collector{
		pwnURL: pwn, textURL: &text, fetcher: env.Fetcher,
		mapper: mapper{source: env.Info.Name, classifier: classifier},
		key:    key, secrets: secrets,
		lookback: o.Lookback, rows: o.NumOfRows, maxPages: o.MaxPages,
		stnID: o.StnID, area: o.AreaCode, textStn: textStn, fetchText: o.FetchText,
		now: time.Now,
	}, nil
}

// decodeKey returns the service key as data.go.kr issued it. The portal
// shows each key twice, URL-encoded ("…%2B…%3D%3D") and decoded ("…+…=="):
// a key with a % is taken as encoded and decoded here, so that the request
// encodes it exactly once (encoding it twice makes data.go.kr answer error
// 30). A decoded key never holds a %: the keys are base64.
func decodeKey(k string) (string, error) {
	k = strings.TrimSpace(k)
	if k == "" {
		return "", errors.New("kma: service_key is required: the data.go.kr key of WthrWrnInfoService, e.g. service_key: ${KMA_SERVICE_KEY}")
	}
	if strings.Contains(k, "%") {
		d, err := url.PathUnescape(k)
		if err != nil {
			return "", errors.New("kma: service_key has a % but is not valid URL encoding: give the key as the portal shows it, encoded or decoded")
		}
		k = d
	}
	if strings.ContainsFunc(k, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return "", errors.New("kma: service_key holds white space or control characters")
	}
	return k, nil
}

// feedURL checks the configured url (default DefaultURL). The key belongs in
// service_key, never in the url, where it would reach logs and config dumps.
func feedURL(raw string, secrets []string) (*url.URL, error) {
	if raw == "" {
		raw = DefaultURL
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("kma: url %q is not an absolute http(s) URL", collectors.RedactString(raw, secrets))
	}
	for name := range u.Query() {
		if strings.EqualFold(name, "serviceKey") {
			return nil, errors.New("kma: url must not carry serviceKey: give the key as service_key")
		}
	}
	if path.Base(u.Path) != "getPwnCd" {
		return nil, fmt.Errorf("kma: url %q does not name the getPwnCd operation (%s)", collectors.RedactString(u.Redacted(), secrets), DefaultURL)
	}
	return u, nil
}

// checkOptions validates the bounds and codes of o.
func checkOptions(o *Options) error {
	switch {
	case o.Lookback < time.Hour || o.Lookback > maxLookback:
		return fmt.Errorf("kma: lookback %s is outside [1h, %s]: data.go.kr serves 6 days back", o.Lookback, maxLookback)
	case o.NumOfRows < 1 || o.NumOfRows > maxNumOfRows:
		return fmt.Errorf("kma: num_of_rows %d is outside [1, %d]", o.NumOfRows, maxNumOfRows)
	case o.MaxPages < 1 || o.MaxPages > maxMaxPages:
		return fmt.Errorf("kma: max_pages %d is outside [1, %d]", o.MaxPages, maxMaxPages)
	case o.StnID != "" && !stationRE.MatchString(o.StnID):
		return fmt.Errorf("kma: stn_id %q is not a station number (108 = nationwide)", o.StnID)
	case o.AreaCode != "" && !areaRE.MatchString(o.AreaCode):
		return fmt.Errorf("kma: area_code %q is not a warning zone code (e.g. L1100200)", o.AreaCode)
	}
	return nil
}
