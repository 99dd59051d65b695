// Package config loads the daemon's YAML configuration strictly, reporting
// every problem at once as file:line:col, and builds the collectors and
// exporters it names without doing any I/O.
package config

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/exporters"
	"github.com/hazardwire/hazardwire/internal/yamlx"
)

// Config is the whole configuration file (DESIGN.md §9, a contract).
type Config struct {
	Bus        Bus         `yaml:"bus"`
	HTTP       HTTP        `yaml:"http"`
	Collectors []Collector `yaml:"collectors"`
	Exporters  []Exporter  `yaml:"exporters"`

	// File is the path the config was read from.
	File string `yaml:"-"`

	root *yaml.Node
}

// dir is the config file's directory, against which relative paths are
// read ("" without a file).
func (c *Config) dir() string {
	if c.File == "" {
		return ""
	}
	return filepath.Dir(c.File)
}

// node returns the node at a dotted path such as "http.tokens[0]", or the
// root when the path is not found, for error positions.
func (c *Config) node(path string) *yaml.Node {
	n := c.root
	for _, part := range strings.Split(path, ".") {
		name, idx, _ := strings.Cut(strings.TrimSuffix(part, "]"), "[")
		next := field(n, name)
		if next == n {
			return c.root
		}
		n = next
		if idx != "" {
			i, err := strconv.Atoi(idx)
			if err != nil || n.Kind != yaml.SequenceNode || i >= len(n.Content) {
				return c.root
			}
			n = n.Content[i]
		}
	}
	return n
}

// Bus configures the NATS connection.
type Bus struct {
	StoreDir    string        `yaml:"store_dir"`
	URL         string        `yaml:"url"`
	Listen      string        `yaml:"listen"`
	Credentials string        `yaml:"credentials"`
	MaxMemory   ByteSize      `yaml:"max_memory"`
	MaxStore    ByteSize      `yaml:"max_store"`
	MaxAge      time.Duration `yaml:"max_age"`
	MaxBytes    ByteSize      `yaml:"max_bytes"`
	Duplicates  time.Duration `yaml:"duplicates"`
	Replicas    int           `yaml:"replicas"`
	// SyncInterval and SyncAlways set how often the embedded server syncs
	// its store files to the disk (nats-server's sync_interval; default
	// bus.DefaultSyncInterval, a second): what a power loss can take
	// (docs/operations.md).
	SyncInterval time.Duration `yaml:"sync_interval"`
	SyncAlways   bool          `yaml:"sync_always"`
	// LeaseTTL is how long the lease on an external cluster's streams
	// outlives its holder's last renewal (default DefaultLeaseTTL): a
	// second daemon on the same streams waits as a standby, and takes over
	// within about this long after the first is lost.
	LeaseTTL time.Duration `yaml:"lease_ttl"`
}

// HTTP configures the daemon's listener.
type HTTP struct {
	Listen string `yaml:"listen"`
	// PublicURL is the base URL partners reach the daemon at (behind a
	// proxy that ends TLS, say): the links and ids of /feeds/cap.atom are
	// made from it rather than from each request's Host.
	PublicURL string `yaml:"public_url"`
	// Tokens are the bearer tokens that open the pull API (/api/v1, /feeds)
	// and the operator endpoints to other hosts; without any, those answer
	// only to loopback clients. /metrics, /healthz, /readyz and the status
	// page are open to all.
	Tokens []Token `yaml:"tokens"`
}

// Token is one API client's bearer token, given inline or in a file.
type Token struct {
	Name  string `yaml:"name"`
	Token string `yaml:"token"`
	// TokenFile reads the token from a file instead; check reads it into
	// Token.
	TokenFile string `yaml:"token_file"`
}

// Collector is one collectors entry: the keys every kind shares. The kind's
// own keys sit beside them and are decoded by the kind.
type Collector struct {
	Name      string        `yaml:"name"`
	Kind      string        `yaml:"kind"`
	Schedule  string        `yaml:"schedule"`
	URL       string        `yaml:"url"`
	Timeout   time.Duration `yaml:"timeout"`
	Jitter    time.Duration `yaml:"jitter"`
	Grace     int           `yaml:"grace"`
	UserAgent string        `yaml:"user_agent"`
	MaxBody   ByteSize      `yaml:"max_body"`
	// MaxBackoff caps the wait before a host that failed is asked again
	// (and a Retry-After): 5 s after the first failure, doubling, by default
	// up to 10 minutes.
	MaxBackoff time.Duration `yaml:"max_backoff"`

	node *yaml.Node
}

// collectorKeys are the keys of Collector, withheld from the kind's decode.
var collectorKeys = yamlx.KeysOf(Collector{})

// Exporter is one exporters entry: the keys every kind shares, beside the
// kind's own.
type Exporter struct {
	Name        string                `yaml:"name"`
	Kind        string                `yaml:"kind"`
	Filter      exporters.Filter      `yaml:"filter"`
	Retry       exporters.RetryPolicy `yaml:"retry"`
	Concurrency int                   `yaml:"concurrency"`
	MaxRPS      float64               `yaml:"max_rps"`
	Supersede   *bool                 `yaml:"supersede"`
	Heartbeat   time.Duration         `yaml:"heartbeat"`

	node *yaml.Node
}

var exporterKeys = yamlx.KeysOf(Exporter{})

// Defaults for the file.
const (
	DefaultListen  = "127.0.0.1:9750"
	DefaultTimeout = 30 * time.Second
	DefaultGrace   = 2
	// MinDuplicates is the shortest bus.duplicates allowed (DESIGN: the
	// duplicate window is at least an hour).
	MinDuplicates = time.Hour
	// DefaultLeaseTTL, MinLeaseTTL and MaxLeaseTTL bound bus.lease_ttl.
	DefaultLeaseTTL = 30 * time.Second
	MinLeaseTTL     = 3 * time.Second
	MaxLeaseTTL     = 10 * time.Minute
)

// namePattern is what collector and exporter names must match: they appear in
// subjects, consumer names and metric labels.
var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// Load reads a config file and checks it whole, kinds' options included. The
// error, if any, is a yamlx.Errors listing every problem found.
func Load(file string, client *collectors.Client) (*Config, *Built, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, fmt.Errorf("read config: %w", err)
	}
	return Check(file, data, os.LookupEnv, client)
}

// Parse reads a config from data; file names it in messages. On error the
// config may still be returned, for Check; it is not fit to run.
func Parse(file string, data []byte, lookupEnv func(string) (string, bool)) (*Config, error) {
	root, errs := yamlx.Load(file, data)
	if len(errs) > 0 {
		return nil, errs
	}
	cfg := &Config{File: file, root: root}
	if root == nil { // an empty file: every default
		cfg.defaults()
		return cfg, nil
	}
	// Entries are decoded one by one, keeping their nodes for the kinds,
	// whose own keys sit beside the common ones.
	errs = yamlx.Decode(root, cfg, yamlx.Options{File: file, LookupEnv: lookupEnv, Ignore: []string{"collectors", "exporters"}})
	at := func(n *yaml.Node, format string, args ...any) {
		if n == nil {
			n = root
		}
		errs = append(errs, &yamlx.Error{File: file, Line: n.Line, Col: n.Column, Msg: fmt.Sprintf(format, args...)})
	}
	for _, key := range []string{"collectors", "exporters"} {
		if v := field(root, key); v != root && v.Kind != yaml.SequenceNode && v.Tag != "!!null" {
			at(v, "%s: want a list of entries (each starting with \"- name: ...\")", key)
		}
	}
	for _, item := range seq(root, "collectors") {
		var c Collector
		errs = append(errs, yamlx.Decode(item, &c, yamlx.Options{File: file, LookupEnv: lookupEnv, AllowUnknown: true})...)
		c.node = item
		cfg.Collectors = append(cfg.Collectors, c)
	}
	for _, item := range seq(root, "exporters") {
		var e Exporter
		errs = append(errs, yamlx.Decode(item, &e, yamlx.Options{File: file, LookupEnv: lookupEnv, AllowUnknown: true})...)
		e.node = item
		cfg.Exporters = append(cfg.Exporters, e)
	}
	cfg.defaults()
	cfg.check(at)
	if len(errs) > 0 {
		// The config is returned beside its errors so that Check can go on
		// and report the kinds' problems too; it must not be run.
		return cfg, dedupe(errs)
	}
	return cfg, nil
}

// Check parses data and builds every part it names, reporting every problem
// of both steps at once, in file order.
func Check(file string, data []byte, lookupEnv func(string) (string, bool), client *collectors.Client) (*Config, *Built, error) {
	cfg, err := Parse(file, data, lookupEnv)
	if cfg == nil {
		return nil, nil, err
	}
	built, berr := cfg.Build(client, lookupEnv)
	if err == nil && berr == nil {
		return cfg, built, nil
	}
	var all yamlx.Errors
	for _, e := range []error{err, berr} {
		var ye yamlx.Errors
		if errors.As(e, &ye) {
			all = append(all, ye...)
		} else if e != nil {
			all = append(all, &yamlx.Error{File: file, Msg: e.Error()})
		}
	}
	return nil, nil, dedupe(all)
}

// seq returns the items of the sequence under key in mapping m.
func seq(m *yaml.Node, key string) []*yaml.Node {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key && m.Content[i+1].Kind == yaml.SequenceNode {
			return m.Content[i+1].Content
		}
	}
	return nil
}

// dedupe drops errors reported twice at one place, and sorts them by place.
func dedupe(errs yamlx.Errors) yamlx.Errors {
	seen := map[string]bool{}
	var out yamlx.Errors
	for _, e := range errs {
		if s := e.Error(); !seen[s] {
			seen[s] = true
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b *yamlx.Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
	return out
}

func (c *Config) defaults() {
	if c.HTTP.Listen == "" {
		c.HTTP.Listen = DefaultListen
	}
	if c.Bus.StoreDir == "" {
		c.Bus.StoreDir = "./data"
	}
	// Relative paths are relative to the config file, not the working dir
	// (a service manager starts the daemon in /): the store dir, the
	// credentials and the token files here, the kinds' files through their
	// Env.
	if dir := c.dir(); dir != "" {
		if !filepath.IsAbs(c.Bus.StoreDir) {
			c.Bus.StoreDir = filepath.Join(dir, c.Bus.StoreDir)
		}
		if c.Bus.Credentials != "" && !filepath.IsAbs(c.Bus.Credentials) {
			c.Bus.Credentials = filepath.Join(dir, c.Bus.Credentials)
		}
		for i := range c.HTTP.Tokens {
			if f := c.HTTP.Tokens[i].TokenFile; f != "" && !filepath.IsAbs(f) {
				c.HTTP.Tokens[i].TokenFile = filepath.Join(dir, f)
			}
		}
	}
	for i := range c.Collectors {
		col := &c.Collectors[i]
		if col.Timeout <= 0 {
			col.Timeout = DefaultTimeout
		}
		if col.Grace <= 0 {
			col.Grace = DefaultGrace
		}
	}
}
