package config

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/exporters"
	"github.com/hazardwire/hazardwire/internal/secret"
	"github.com/hazardwire/hazardwire/internal/yamlx"
)

// check reports the problems a type-correct config can still have.
func (c *Config) check(at func(n *yaml.Node, format string, args ...any)) {
	seen := map[string]bool{}
	for _, col := range c.Collectors {
		n := col.node
		switch {
		case col.Name == "":
			at(n, "collector: name is required")
		case !namePattern.MatchString(col.Name):
			at(field(n, "name"), "collector name %q: use lower-case letters, digits, '_' and '-' (it appears in subjects and metric labels)", col.Name)
		case seen[col.Name]:
			at(field(n, "name"), "collector name %q is used twice", col.Name)
		}
		seen[col.Name] = true
		kind, ok := collectors.Lookup(col.Kind)
		if !ok {
			at(field(n, "kind"), "collector %q: kind %q is not one of %s", col.Name, col.Kind, strings.Join(collectors.Kinds(), ", "))
			continue
		}
		spec := col.Schedule
		if spec == "" {
			spec = kind.DefaultSchedule
		}
		if _, err := collectors.ParseSchedule(spec); err != nil {
			at(field(n, "schedule"), "collector %q: %v%s", col.Name, err, scheduleHint(spec))
		}
	}
	seen = map[string]bool{}
	for _, e := range c.Exporters {
		n := e.node
		switch {
		case e.Name == "":
			at(n, "exporter: name is required")
		case !namePattern.MatchString(e.Name):
			at(field(n, "name"), "exporter name %q: use lower-case letters, digits, '_' and '-' (it appears in consumer names and metric labels)", e.Name)
		case seen[e.Name]:
			at(field(n, "name"), "exporter name %q is used twice", e.Name)
		}
		seen[e.Name] = true
		if _, ok := exporters.Lookup(e.Kind); !ok {
			at(field(n, "kind"), "exporter %q: kind %q is not one of %s", e.Name, e.Kind, strings.Join(exporters.Kinds(), ", "))
		}
		// Each filter rule is checked alone, to point at its own value.
		f := e.Filter
		for key, one := range map[string]*exporters.Filter{
			"hazards": {Hazards: f.Hazards}, "min_severity": {MinSeverity: f.MinSeverity}, "status": {Status: f.Status},
			"urgency": {Urgency: f.Urgency}, "certainty": {Certainty: f.Certainty}, "region": {Region: f.Region},
		} {
			if err := one.Validate(); err != nil {
				at(field(field(n, "filter"), key), "exporter %q: %v", e.Name, err)
			}
		}
	}
	names := map[string]bool{}
	if raw := c.HTTP.PublicURL; raw != "" {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			at(c.node("http.public_url"), "http.public_url %q: want an absolute http(s) URL without user, query or fragment, e.g. https://alerts.example.org", raw)
		}
	}
	for i := range c.HTTP.Tokens {
		tok := &c.HTTP.Tokens[i]
		n := c.node(fmt.Sprintf("http.tokens[%d]", i))
		// A token_file is read here, so that the rules below apply to
		// its content too.
		value, err := secret.Resolve("token", tok.Token, tok.TokenFile, nil)
		if err != nil {
			at(field(n, "token_file"), "http.tokens: %q: %v", tok.Name, err)
			names[tok.Name] = true
			continue
		}
		tok.Token = value
		switch {
		case tok.Name == "" || tok.Token == "":
			at(n, "http.tokens: every token needs a name and a token (or token_file)")
		case names[tok.Name]:
			at(n, "http.tokens: name %q is used twice", tok.Name)
		case len(tok.Token) < 16:
			at(n, "http.tokens: the token of %q is shorter than 16 characters", tok.Name)
		}
		names[tok.Name] = true
	}
	if c.Bus.URL != "" && c.Bus.Listen != "" {
		at(c.node("bus.listen"), "bus: set url (an external NATS) or listen (the embedded server's client port), not both")
	}
	if d := c.Bus.LeaseTTL; d != 0 && (d < MinLeaseTTL || d > MaxLeaseTTL) {
		at(c.node("bus.lease_ttl"), "bus.lease_ttl %s is outside [%s, %s]", d, MinLeaseTTL, MaxLeaseTTL)
	}
	if c.Bus.LeaseTTL != 0 && c.Bus.URL == "" {
		at(c.node("bus.lease_ttl"), "bus.lease_ttl is for an external cluster (bus.url): the embedded server's store has one daemon")
	}
	if c.Bus.URL != "" && (c.Bus.SyncInterval != 0 || c.Bus.SyncAlways) {
		key := "bus.sync_interval"
		if c.Bus.SyncInterval == 0 {
			key = "bus.sync_always"
		}
		at(c.node(key), "%s is for the embedded server: an external cluster's servers sync as their own config says", key)
	}
	if c.Bus.SyncInterval < 0 || (c.Bus.SyncInterval > 0 && c.Bus.SyncInterval < 100*time.Millisecond) {
		at(c.node("bus.sync_interval"), "bus.sync_interval %s: want 100ms or more (or sync_always: true)", c.Bus.SyncInterval)
	}
	if c.Bus.SyncInterval != 0 && c.Bus.SyncAlways {
		at(c.node("bus.sync_interval"), "bus: set sync_interval or sync_always, not both")
	}
	// A change published again after a crash between its publish and its
	// record is dropped only inside the window; a restart can take a while.
	if d := c.Bus.Duplicates; d != 0 && d < MinDuplicates {
		at(c.node("bus.duplicates"), "bus.duplicates %s is shorter than %s: a change published again after a crash would reach partners twice", d, MinDuplicates)
	}
}

// scheduleHint explains the usual mistake with a schedule's field count.
func scheduleHint(spec string) string {
	if strings.HasPrefix(spec, "@") {
		return ""
	}
	switch n := len(strings.Fields(spec)); {
	case n == 7:
		return " (7 fields: the year field is not supported; use 6 fields with seconds first, or 5 without)"
	case n < 5:
		return ` (want 5 fields "min hour dom month dow", 6 with seconds first, or a descriptor such as "@every 1m")`
	}
	return ""
}

// keyOf returns the value node of the key a kind's error begins with
// ("service_key: want the key as issued", "url \"x\": want an http(s) URL"),
// or the entry n when the error names none of its keys.
func keyOf(n *yaml.Node, msg string) *yaml.Node {
	key, _, _ := strings.Cut(msg, ":")
	key, _, _ = strings.Cut(key, " ")
	key, _, _ = strings.Cut(key, ".")
	return field(n, key)
}

// field returns the value node of key in mapping n, or n itself.
func field(n *yaml.Node, key string) *yaml.Node {
	if n != nil && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i+1]
			}
		}
	}
	return n
}

// Built is a config turned into running parts, not yet started.
type Built struct {
	Collectors []BuiltCollector
	Exporters  []BuiltExporter
}

// BuiltCollector is one collector ready to schedule.
type BuiltCollector struct {
	Config    Collector
	Info      collectors.Info
	Collector collectors.Collector
	Fetcher   *collectors.Fetcher // the collector's, as configured
	// Fingerprint changes when anything that configures the collector
	// changes, including the environment variables its entry names.
	Fingerprint string
}

// BuiltExporter is one exporter ready to run.
type BuiltExporter struct {
	Config      Exporter
	Exporter    exporters.Exporter
	Fingerprint string
}

// fingerprint digests an entry's decoded common keys, its YAML, the values
// of the environment variables its kind read and the contents of the files
// it read (a rotated secret file), so a reload can tell what changed.
func fingerprint(common any, n *yaml.Node, env map[string]string, files []fileRead) string {
	h := sha256.New()
	for _, v := range []any{common, n} {
		var b []byte
		var err error
		if n, ok := v.(*yaml.Node); ok {
			b, err = yaml.Marshal(n)
		} else {
			b, err = json.Marshal(v)
		}
		if err != nil {
			b = []byte(err.Error())
		}
		h.Write(b)
		h.Write([]byte{0})
	}
	for _, k := range slices.Sorted(maps.Keys(env)) {
		fmt.Fprintf(h, "\x00%s=%s", k, env[k])
	}
	for _, f := range files {
		fmt.Fprintf(h, "\x00%s:%x", f.path, f.sum)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// fileRead is a file a kind read, and the digest of what it read: the
// fingerprint is of the bytes the running kind holds, not of the file now.
type fileRead struct {
	path string
	sum  [sha256.Size]byte
}

// recordFiles returns a hook for a kind's Env.Read, and what it records.
func recordFiles() (func(string, []byte), *[]fileRead) {
	var files []fileRead
	return func(p string, b []byte) { files = append(files, fileRead{p, sha256.Sum256(b)}) }, &files
}

// recordEnv wraps lookupEnv to remember what it returned.
func recordEnv(lookupEnv func(string) (string, bool)) (func(string) (string, bool), map[string]string) {
	seen := map[string]string{}
	return func(k string) (string, bool) {
		v, ok := lookupEnv(k)
		seen[k] = v
		return v, ok
	}, seen
}

// Build constructs every collector and exporter of c. It does no I/O; it
// reports every problem found, each at its entry's position.
func (c *Config) Build(client *collectors.Client, lookupEnv func(string) (string, bool)) (*Built, error) {
	var errs yamlx.Errors
	fail := func(n *yaml.Node, what, name string, err error) {
		var ye yamlx.Errors
		if errors.As(err, &ye) {
			errs = append(errs, ye...)
			return
		}
		n = keyOf(n, err.Error())
		errs = append(errs, &yamlx.Error{File: c.File, Line: n.Line, Col: n.Column, Msg: fmt.Sprintf("%s %q: %v", what, name, err)})
	}
	b := &Built{}
	for _, col := range c.Collectors {
		kind, ok := collectors.Lookup(col.Kind)
		if !ok {
			continue // reported by check
		}
		info := collectors.Info{Name: col.Name, Kind: col.Kind, Schedule: col.Schedule, Timeout: col.Timeout,
			Jitter: col.Jitter, Grace: col.Grace, UserAgent: col.UserAgent}
		if info.Schedule == "" {
			info.Schedule = kind.DefaultSchedule
		}
		fetcher := client.NewFetcher(collectors.FetchOptions{Name: col.Name, UserAgent: col.UserAgent, Accept: kind.Accept,
			MaxBody: int64(col.MaxBody), MaxBackoff: col.MaxBackoff})
		read, files := recordFiles()
		env := collectors.Env{Info: info, URL: col.URL, Fetcher: fetcher, Files: secret.Files{Dir: c.dir(), Read: read}}
		decoded := false
		lookup, used := recordEnv(lookupEnv)
		decode := func(opts any) error {
			decoded = true
			return yamlx.Decode(col.node, opts, yamlx.Options{File: c.File, LookupEnv: lookup, Ignore: collectorKeys}).Err()
		}
		coll, err := kind.New(env, decode)
		if err == nil && !decoded {
			err = decode(&struct{}{})
		}
		if err != nil {
			fail(col.node, "collector", col.Name, err)
			continue
		}
		b.Collectors = append(b.Collectors, BuiltCollector{Config: col, Info: info, Collector: coll, Fetcher: fetcher, Fingerprint: fingerprint(col, col.node, used, *files)})
	}
	for _, e := range c.Exporters {
		kind, ok := exporters.Lookup(e.Kind)
		if !ok {
			continue
		}
		decoded := false
		lookup, used := recordEnv(lookupEnv)
		decode := func(opts any) error {
			decoded = true
			return yamlx.Decode(e.node, opts, yamlx.Options{File: c.File, LookupEnv: lookup, Ignore: exporterKeys}).Err()
		}
		read, files := recordFiles()
		exp, err := kind.New(exporters.Env{Name: e.Name, Files: secret.Files{Dir: c.dir(), Read: read}}, decode)
		if err == nil && !decoded {
			err = decode(&struct{}{})
		}
		if err != nil {
			fail(e.node, "exporter", e.Name, err)
			continue
		}
		b.Exporters = append(b.Exporters, BuiltExporter{Config: e, Exporter: exp, Fingerprint: fingerprint(e, e.node, used, *files)})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return b, nil
}
