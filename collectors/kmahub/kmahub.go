// Package kmahub is the collector kind "kmahub": it reads the weather
// warnings (기상특보) in force now from the Korea Meteorological
// Administration's API Hub, wrn_now_data.php, a plain-text table (possibly
// EUC-KR) with one line per warning zone and kind. Heat warnings (폭염) and,
// by default, heavy-rain warnings (호우) become items keyed by zone and kind;
// the table is a snapshot, so a warning that leaves it ends.
package kmahub

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/kmacode"
	"github.com/hazardwire/hazardwire/internal/secret"
)

const kindName = "kmahub"

// DefaultURL is read when the config gives no url.
const DefaultURL = "https://apihub.kma.go.kr/api/typ01/url/wrn_now_data.php"

//go:embed sample.yaml
var sample []byte

func init() {
	collectors.Register(collectors.Kind{
		Name:            kindName,
		Options:         Options{},
		New:             New,
		Sample:          sample,
		DefaultSchedule: "@every 2m",
		Accept:          "text/plain",
		Snapshot:        true,
	})
}

// Options are the kmahub kind's own configuration keys, beside the common
// ones (name, kind, schedule, url, ...).
type Options struct {
	// AuthKey is the API Hub key (required), sent as authKey.
	AuthKey string `yaml:"auth_key"`
	// AuthKeyFile reads the key from a file instead.
	AuthKeyFile string `yaml:"auth_key_file"`
	// HeavyRainFlood maps 호우 (heavy rain) warnings to flood (default on).
	HeavyRainFlood bool `yaml:"heavy_rain_flood"`
	// Kinds maps more warning kinds, by Korean name, to flood or heat
	// ("열대야": heat, "폭풍해일": flood).
	Kinds map[string]string `yaml:"kinds"`
}

// defaultQuery is added to the url unless it sets the parameter itself:
// warnings by issue time (fe=f), comma-separated columns (disp=1), no help
// text (help=0), and no tm, which asks for now.
func defaultQuery() [][2]string {
	return [][2]string{{"fe", "f"}, {"disp", "1"}, {"help", "0"}}
}

// collector is one configured kmahub collector. It keeps no state between
// runs: the table is the whole current set.
type collector struct {
	url     string // without the key
	key     string
	secrets []string
	fetcher *collectors.Fetcher
	mapper  mapper
}

// New builds a kmahub collector. It validates and does no network I/O
// (auth_key_file is read here); no error it returns holds the key.
func New(env collectors.Env, decode collectors.Decode) (collectors.Collector, error) {
	o := Options{HeavyRainFlood: true}
	if err := decode(&o); err != nil {
		return nil, err
	}
	if env.Info.Name == "" {
		return nil, errors.New("kmahub: collector name is empty")
	}
	key, err := secret.Resolve("auth_key", o.AuthKey, o.AuthKeyFile, env.ReadFile)
	if err != nil {
		return nil, fmt.Errorf("kmahub: %w", err)
	}
	key = strings.TrimSpace(key)
	switch {
	case key == "":
		return nil, errors.New("kmahub: auth_key is required: the API Hub key, e.g. auth_key: ${KMA_APIHUB_KEY}")
	case strings.ContainsFunc(key, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return nil, errors.New("kmahub: auth_key holds white space or control characters")
	}
	secrets := []string{key}
	raw := env.URL
	if raw == "" {
		raw = DefaultURL
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("kmahub: url %q is not an absolute http(s) URL", collectors.RedactString(raw, secrets))
	}
	q := u.Query()
	for name := range q {
		if strings.EqualFold(name, "authKey") {
			return nil, errors.New("kmahub: url must not carry authKey: give the key as auth_key")
		}
	}
	for _, p := range defaultQuery() {
		if !q.Has(p[0]) {
			q.Set(p[0], p[1])
		}
	}
	u.RawQuery = q.Encode()
	classifier, err := kmacode.NewClassifier(o.HeavyRainFlood, o.Kinds)
	if err != nil {
		return nil, fmt.Errorf("kmahub: %w", err)
	}
	if env.Fetcher != nil {
		// The fetcher then keeps the key out of its own errors too, even
		// where a server echoes it in an error body.
		env.Fetcher.AddSecret(key)
	}
	return &collector{
		url: u.String(), key: key, secrets: secrets, fetcher: env.Fetcher,
		mapper: mapper{source: env.Info.Name, classifier: classifier},
	}, nil
}

// requestURL is the url with the key, encoded once, last.
func (c *collector) requestURL() string {
	return c.url + "&authKey=" + url.QueryEscape(c.key)
}

// Collect fetches the table once. The Result is the whole current set.
func (c *collector) Collect(ctx context.Context) (collectors.Result, error) {
	if c.fetcher == nil {
		return collectors.Result{}, errors.New("kmahub: no fetcher configured")
	}
	u := c.requestURL()
	resp, err := c.fetcher.Get(ctx, u)
	if err != nil {
		return collectors.Result{}, c.redact(err)
	}
	res, _, err := c.mapper.parse(resp.Body, resp.Header.Get("Content-Type"))
	if err != nil {
		return collectors.Result{}, c.redact(fmt.Errorf("parse %s: %w", c.fetcher.Redact(u), err))
	}
	res.NotModified = resp.NotModified
	return res, nil
}

// redact returns err with the key removed from its message; errors.As still
// finds what it wraps (the fetcher's errors keep no key: it redacts authKey
// parameters itself).
func (c *collector) redact(err error) error {
	return &redactedError{msg: collectors.RedactString(err.Error(), c.secrets), err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
