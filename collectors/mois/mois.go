// Package mois is the collector kind "mois": it reads the Cell Broadcast
// disaster text messages (재난문자) of the Korean Ministry of the Interior and
// Safety from safetydata.go.kr (API DSSP-IF-00247), and turns each message
// about heavy rain, flooding or a heatwave into one item keyed by its serial
// number. Messages are immutable: each is its own alert, ended by its expiry.
package mois

import (
	_ "embed"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/internal/secret"
)

const kindName = "mois"

// DefaultURL is read when the config gives no url.
const DefaultURL = "https://www.safetydata.go.kr/V2/api/DSSP-IF-00247"

// Defaults of the options.
const (
	defaultLookbackDays = 1
	defaultMaxPages     = 20
	defaultPageSize     = 1000
	defaultExpireAfter  = 24 * time.Hour
)

// Bounds of the options: enough for any real use, small enough that a typo
// cannot make a run hammer the API.
const (
	maxLookbackDays = 7
	maxMaxPages     = 1000
	maxPageSize     = 1000
	maxExpireAfter  = 7 * 24 * time.Hour
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
		Snapshot:        false,
		Accept:          "application/json",
	})
}

// Options are the mois kind's own configuration keys, beside the common ones
// (name, kind, schedule, url, ...).
type Options struct {
	// ServiceKey is the safetydata.go.kr key for DSSP-IF-00247 (required; set
	// it from the environment: ${MOIS_SERVICE_KEY}). A key pasted in its
	// percent-encoded form is decoded first, so both portal forms work.
	ServiceKey string `yaml:"service_key"`
	// ServiceKeyFile reads the key from a file instead.
	ServiceKeyFile string `yaml:"service_key_file"`
	// Region is sent as rgnNm to narrow the messages to one region (optional).
	Region string `yaml:"region"`
	// LookbackDays is how many days before today (KST) are read too (default
	// 1: today and yesterday), so that messages sent before midnight are not
	// missed. A day whose messages have all expired is skipped.
	LookbackDays *int `yaml:"lookback_days"`
	// PageSize is numOfRows, the messages asked for per page (default 1000).
	PageSize int `yaml:"page_size"`
	// MaxPages bounds the pages read per day (default 20). A day with more
	// makes the run partial.
	MaxPages int `yaml:"max_pages"`
	// ExpireAfter is how long a message stays in force after it was sent
	// (default 24h): messages carry no end of their own.
	ExpireAfter time.Duration `yaml:"expire_after"`
	// TyphoonAsFlood maps 태풍 (typhoon) messages to flood (default false).
	TyphoonAsFlood bool `yaml:"typhoon_as_flood"`
	// Keywords maps 기타 (other) messages by flood and heat words in their
	// text (default false).
	Keywords bool `yaml:"keywords"`
}

// collector is one configured mois collector. It keeps no messages between
// runs: every run reads whole days again, and the lifecycle drops what it
// has already published.
type collector struct {
	url      *url.URL // without the query parameters the collector sets
	key      string   // the service key as sent (decoded)
	secrets  []string // every form of the key to remove from errors
	region   string
	lookback int
	pageSize int
	maxPages int
	fetcher  *collectors.Fetcher
	mapper   mapper
	now      func() time.Time

	// mu serializes runs; lastAsked (the page URLs of the last run, whose
	// bodies the fetcher may cache) belongs to one run at a time.
	mu        sync.Mutex
	lastAsked map[string]bool
}

// New builds a mois collector. It validates and does no network I/O
// (service_key_file is read here).
func New(env collectors.Env, decode collectors.Decode) (collectors.Collector, error) {
	var o Options
	if err := decode(&o); err != nil {
		return nil, err
	}
	if env.Info.Name == "" {
		return nil, errors.New("mois: collector name is empty")
	}
	var err error
	if o.ServiceKey, err = secret.Resolve("service_key", o.ServiceKey, o.ServiceKeyFile, env.ReadFile); err != nil {
		return nil, fmt.Errorf("mois: %w", err)
	}
	key, secrets, err := serviceKey(o.ServiceKey)
	if err != nil {
		return nil, err
	}
	u, err := feedURL(env.URL)
	if err != nil {
		return nil, err
	}
	c := &collector{url: u, key: key, secrets: secrets, region: strings.TrimSpace(o.Region),
		lookback: defaultLookbackDays, pageSize: defaultPageSize, maxPages: defaultMaxPages,
		fetcher: env.Fetcher, now: time.Now}
	if env.Fetcher != nil {
		for _, s := range secrets { // the fetcher's own errors never show the key either
			env.Fetcher.AddSecret(s)
		}
	}
	if o.LookbackDays != nil {
		c.lookback = *o.LookbackDays
	}
	if c.lookback < 0 || c.lookback > maxLookbackDays {
		return nil, fmt.Errorf("mois: lookback_days %d is not between 0 and %d", c.lookback, maxLookbackDays)
	}
	if c.pageSize, err = bounded("page_size", o.PageSize, defaultPageSize, maxPageSize); err != nil {
		return nil, err
	}
	if c.maxPages, err = bounded("max_pages", o.MaxPages, defaultMaxPages, maxMaxPages); err != nil {
		return nil, err
	}
	expire := o.ExpireAfter
	switch {
	case expire == 0:
		expire = defaultExpireAfter
	case expire < time.Minute || expire > maxExpireAfter:
		return nil, fmt.Errorf("mois: expire_after %s is not between 1m and %s", expire, maxExpireAfter)
	}
	c.mapper = mapper{source: env.Info.Name, expireAfter: expire, typhoon: o.TyphoonAsFlood, keywords: o.Keywords}
	return c, nil
}

// serviceKey checks the service_key option and returns the key to send and
// every form of it that must never be shown.
func serviceKey(raw string) (key string, secrets []string, err error) {
	key = strings.TrimSpace(raw)
	if key == "" {
		return "", nil, errors.New("mois: service_key is required (the safetydata.go.kr key for DSSP-IF-00247, e.g. service_key: ${MOIS_SERVICE_KEY})")
	}
	secrets = []string{key}
	// The portal hands out keys in two forms; the percent-encoded one would
	// be encoded twice and refused as "not registered".
	if strings.Contains(key, "%") {
		if dec, err := url.QueryUnescape(key); err == nil && dec != "" {
			key = dec
			secrets = append(secrets, dec)
		}
	}
	return key, secrets, nil
}

// feedURL checks the url (DefaultURL when empty). The key belongs in
// service_key, where it is kept out of errors and logs, not in the url.
func feedURL(raw string) (*url.URL, error) {
	if raw == "" {
		raw = DefaultURL
	}
	shown := collectors.RedactString(raw, nil)
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("mois: url %q is not an absolute http(s) URL", shown)
	}
	for name := range u.Query() {
		if strings.EqualFold(name, "serviceKey") {
			return nil, fmt.Errorf("mois: url %q carries serviceKey: set the service_key option instead", shown)
		}
	}
	return u, nil
}

// bounded applies an integer option's default (for 0) and bounds.
func bounded(name string, v, def, hi int) (int, error) {
	switch {
	case v == 0:
		return def, nil
	case v < 1 || v > hi:
		return 0, fmt.Errorf("mois: %s %d is not between 1 and %d", name, v, hi)
	}
	return v, nil
}
