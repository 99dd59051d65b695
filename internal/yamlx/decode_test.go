package yamlx

import (
	"math"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		opts Options
		want []string
	}{
		{"unknown key with suggestion", "server:\n  hots: x\n",
			Options{}, []string{`2:3: unknown key "hots" in server; did you mean "host"?`}},
		{"unknown key case only", "Server: {}\n",
			Options{}, []string{`1:1: unknown key "Server" in config; did you mean "server"?`}},
		{"unknown key dash for underscore", "max-attempts: 3\n",
			Options{}, []string{`1:1: unknown key "max-attempts" in config; did you mean "max_attempts"?`}},
		{"unknown key without suggestion", "zzz: 1\n",
			Options{}, []string{`1:1: unknown key "zzz" in config`}},
		{"short keys get no far-fetched suggestion", "x: 1\nip: 2\n",
			Options{}, []string{`1:1: unknown key "x" in config`, `2:1: unknown key "ip" in config`}},
		{"ignored and untagged fields are unknown keys", "Skipped: a\nNoTag: b\n",
			Options{}, []string{`1:1: unknown key "Skipped" in config`, `2:1: unknown key "NoTag" in config`}},
		{"unknown key in inline struct", "collectors:\n  - name: a\n    shedule: '* * * * *'\n",
			Options{}, []string{`3:5: unknown key "shedule" in collector config; did you mean "schedule"?`}},
		{"duplicate key", "debug: true\nratio: 1\ndebug: false\n",
			Options{}, []string{`3:1: duplicate key "debug"; first given at 1:1`}},
		{"duplicate key in map", "limits:\n  a: 1\n  a: 2\n",
			Options{}, []string{`3:3: duplicate key "a"; first given at 2:3`}},
		{"duplicate key in any", "extra: {a: 1, b: 2, a: 3}\n",
			Options{}, []string{`1:21: duplicate key "a"; first given at 1:9`}},
		{"integer syntax", "server:\n  port: abc\n",
			Options{}, []string{`2:9: cannot use "abc" as an integer for "server.port"`}},
		{"integer from a float", "count: 1.5\n",
			Options{}, []string{`1:8: cannot use "1.5" as an integer for "count"`}},
		{"uint16 overflow", "server:\n  port: 70000\n",
			Options{}, []string{`2:9: value "70000" is out of range for "server.port" (must be between 0 and 65535)`}},
		{"negative uint", "server: {port: -1}\n",
			Options{}, []string{`1:16: value "-1" is out of range for "server.port" (must be between 0 and 65535)`}},
		{"int8 overflow", "collectors:\n- retries: 128\n- retries: -129\n",
			Options{}, []string{
				`2:12: value "128" is out of range for "collectors[0].retries" (must be between -128 and 127)`,
				`3:12: value "-129" is out of range for "collectors[1].retries" (must be between -128 and 127)`}},
		{"int64 overflow", "big: 9223372036854775808\n",
			Options{}, []string{`1:6: value "9223372036854775808" is out of range for "big" (must be between -9223372036854775808 and 9223372036854775807)`}},
		{"float syntax", "ratio: half\n",
			Options{}, []string{`1:8: cannot use "half" as a number for "ratio"`}},
		{"float32 overflow", "small: 1e39\n",
			Options{}, []string{`1:8: value "1e39" is out of range for "small" (float32)`}},
		{"boolean", "debug: maybe\n",
			Options{}, []string{`1:8: cannot use "maybe" as a boolean for "debug"; use true or false`}},
		{"duration without unit", "server:\n  timeout: 30\n",
			Options{}, []string{`2:12: cannot use "30" as a duration for "server.timeout": add a unit, e.g. "30s"`}},
		{"duration garbage", "server:\n  timeout: soon\n",
			Options{}, []string{`2:12: cannot use "soon" as a duration for "server.timeout"; use e.g. "30s", "5m" or "1h30m"`}},
		{"mapping expected", "server: 5\n",
			Options{}, []string{`1:9: cannot use "5" as a mapping for "server"`}},
		{"list expected", "collectors: {a: 1}\n",
			Options{}, []string{`1:13: cannot use a mapping as a list for "collectors"`}},
		{"number expected", "ratio: [1]\n",
			Options{}, []string{`1:8: cannot use a sequence as a number for "ratio"`}},
		{"string expected", "names: [a, {b: c}]\n",
			Options{}, []string{`1:12: cannot use a mapping as a string for "names[1]"`}},
		{"map expected", "limits: [1]\n",
			Options{}, []string{`1:9: cannot use a sequence as a mapping for "limits"`}},
		{"map value type", "limits: {a: x}\n",
			Options{}, []string{`1:13: cannot use "x" as an integer for "limits.a"`}},
		{"text unmarshaler", "server: {ip: 300.1.1.1}\n",
			Options{}, []string{`1:14: cannot use "300.1.1.1" as a netip.Addr for "server.ip": ParseAddr("300.1.1.1"): IPv4 field has value >255`}},
		{"non-scalar key", "limits:\n  ? [a]\n  : 1\n",
			Options{}, []string{`2:5: mapping keys must be plain values, not a sequence`}},
		{"unset variable", "server:\n  host: ${KMA_SERVICE_KEY}\n",
			Options{}, []string{`2:9: environment variable "KMA_SERVICE_KEY" is not set`}},
		{"two unset variables in one value", "names: [\"${A}-${B}\"]\n",
			Options{}, []string{`1:9: environment variable "A" is not set`, `1:9: environment variable "B" is not set`}},
		{"unterminated reference", "server: {host: \"${HOST\"}\n",
			Options{}, []string{`1:16: unterminated "${" in value; write "$$" for a literal "$"`}},
		{"bad reference", "server: {host: \"${1X}\", port: \"${X-1}\"}\n",
			Options{}, []string{
				`1:16: invalid environment variable reference "${1X}"; use ${NAME} or ${NAME:-default}`,
				`1:31: invalid environment variable reference "${X-1}"; use ${NAME} or ${NAME:-default}`}},
		{"expanded value of the wrong type", "server:\n  port: ${BAD}\n",
			Options{}, []string{`2:9: cannot use "abc" (expanded from "${BAD}") as an integer for "server.port"`}},
		{"keys are not expanded", "${HOST}: 1\n",
			Options{}, []string{`1:1: unknown key "${HOST}" in config`}},
		{"unset variable in any", "extra: [\"${NOPE}\"]\n",
			Options{}, []string{`1:9: environment variable "NOPE" is not set`}},
		{"allow unknown is top level only", "foo: 1\nserver:\n  bar: 2\n",
			Options{AllowUnknown: true}, []string{`3:3: unknown key "bar" in server`}},
		{"ignore is top level only", "foo: 1\nserver:\n  foo: 2\n",
			Options{Ignore: []string{"foo"}}, []string{`3:3: unknown key "foo" in server`}},
		{"ignored keys are suggested", "fooo: 1\n",
			Options{Ignore: []string{"food"}}, []string{`1:1: unknown key "fooo" in config; did you mean "food"?`}},
		{"many errors at once, in order", "" +
			"server:\n" +
			"  hots: a\n" + // 2:3
			"  port: 99999\n" + // 3:9
			"  timeout: 5\n" + // 4:12
			"debug: maybe\n" + // 5:8
			"collectors:\n" +
			"  - name: x\n" +
			"    url: ${NOPE}\n" + // 8:10
			"    retries: many\n" + // 9:14
			"debug: true\n", // 10:1
			Options{}, []string{
				`2:3: unknown key "hots" in server; did you mean "host"?`,
				`3:9: value "99999" is out of range for "server.port" (must be between 0 and 65535)`,
				`4:12: cannot use "5" as a duration for "server.timeout": add a unit, e.g. "5s"`,
				`5:8: cannot use "maybe" as a boolean for "debug"; use true or false`,
				`8:10: environment variable "NOPE" is not set`,
				`9:14: cannot use "many" as an integer for "collectors[0].retries"`,
				`10:1: duplicate key "debug"; first given at 5:1`,
			}},
		{"hook error placed at the node", "heat: 12\n",
			Options{}, []string{`1:7: temperature "12" needs a C suffix`}},
		{"hook error with its own position", "heat: xC\n",
			Options{}, []string{`1:7: bad temperature "xC"`}},
		{"hook sub-decode errors", "heat: [1]\n",
			Options{}, []string{`1:7: cannot use a sequence as a string for "heat"`}},
		{"hook sub-decode expands env", "heat: ${NOPE}\n",
			Options{}, []string{`1:7: environment variable "NOPE" is not set`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			node := parse(t, tt.src)
			if tt.opts.LookupEnv == nil {
				tt.opts.LookupEnv = env(testEnv())
			}
			var cfg Config
			sameMessages(t, Decode(node, &cfg, tt.opts), tt.want)
		})
	}
}

func TestDecodeValues(t *testing.T) {
	src := `
server:
  host: ${HOST}
  port: ${PORT}
  timeout: 1m30s
  tls:
    cert: "$$HOME/cert.pem"
    insecure: ${YES}
  ip: 10.0.0.1
collectors:
  - name: nws
    schedule: "*/5 * * * *"
    url: https://example.org/a$b?${MISSING:-x=1}
    retries: 0x7f
    labels: {a: "${EMPTY:-fallback}", b: "${EMPTY}", c: ~}
ratio: .inf
small: 0.25
debug: on
count: 010
big: -9223372036854775808
extra:
  n: ${PORT}
  q: "${PORT}"
  list: [1, 2.5, x, true, ~]
  1: one
raw: {k: "${NOT_EXPANDED}"}
limits: {a: 1, b: 0b101}
heat: 21.5C
max_attempts: "7"
names: [a, b]
`
	var cfg Config
	sameMessages(t, Decode(parse(t, src), &cfg, Options{LookupEnv: env(testEnv())}), nil)
	want := Config{
		Server: Server{
			Host: "example.org", Port: 8080, Timeout: 90 * time.Second,
			TLS: &tlsConf{Cert: "$HOME/cert.pem", Insecure: true},
			IP:  netip.MustParseAddr("10.0.0.1"),
		},
		Collectors: []CollectorConfig{{
			Common: Common{Name: "nws", Schedule: "*/5 * * * *"},
			URL:    "https://example.org/a$b?x=1", Retries: 127,
			Labels: map[string]string{"a": "fallback", "b": "", "c": ""},
		}},
		Ratio: math.Inf(1), Small: 0.25, Debug: true, Count: 10, Big: math.MinInt64,
		Extra: map[any]any{
			"n": 8080, "q": "8080",
			"list": []any{1, 2.5, "x", true, nil},
			1:      "one",
		},
		Limits:   map[string]int{"a": 1, "b": 5},
		Heat:     21.5,
		MaxTries: 7,
		Names:    []string{"a", "b"},
	}
	raw := cfg.Raw
	cfg.Raw = nil
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("got  %#v\nwant %#v", cfg, want)
	}
	if raw == nil || raw.Kind != yaml.MappingNode || raw.Line != 26 || raw.Column != 6 ||
		raw.Content[1].Value != "${NOT_EXPANDED}" {
		t.Errorf("raw node = %#v", raw)
	}
}

func TestDurations(t *testing.T) {
	for _, tt := range []struct {
		src  string
		want time.Duration
	}{
		{"30s", 30 * time.Second},
		{"1m30s", 90 * time.Second},
		{"250ms", 250 * time.Millisecond},
		{"1h", time.Hour},
		{"0", 0},
		{"'0'", 0},
		{"${SECS}", 45 * time.Second},
		{"-5m", -5 * time.Minute},
	} {
		var s Server
		s.Timeout = time.Minute
		sameMessages(t, Decode(parse(t, "timeout: "+tt.src), &s, Options{LookupEnv: env(testEnv())}), nil)
		if s.Timeout != tt.want {
			t.Errorf("%s: got %v, want %v", tt.src, s.Timeout, tt.want)
		}
	}
}

func TestNullKeepsDefaults(t *testing.T) {
	cfg := Config{
		Server: Server{Host: "default", Port: 1, TLS: &tlsConf{Cert: "c"}},
		Names:  []string{"keep"},
		Ratio:  0.5,
		Extra:  "x",
	}
	src := "server:\n  host:\n  port: ~\n  tls: null\nnames:\nratio: ${EMPTY}\nextra: ~\ncollectors: [~]\n"
	sameMessages(t, Decode(parse(t, src), &cfg, Options{LookupEnv: env(testEnv())}), nil)
	if cfg.Server.Host != "default" || cfg.Server.Port != 1 || cfg.Server.TLS == nil ||
		cfg.Server.TLS.Cert != "c" || len(cfg.Names) != 1 || cfg.Ratio != 0.5 || cfg.Extra != "x" {
		t.Errorf("defaults lost: %+v", cfg)
	}
	if len(cfg.Collectors) != 1 || cfg.Collectors[0].Name != "" {
		t.Errorf("collectors = %+v", cfg.Collectors)
	}
	// An explicitly empty string is a value for a string.
	sameMessages(t, Decode(parse(t, `server: {host: ""}`), &cfg, Options{}), nil)
	if cfg.Server.Host != "" {
		t.Errorf("host = %q, want empty", cfg.Server.Host)
	}
}

func TestAliasesAndMerges(t *testing.T) {
	src := `
defaults: &defaults
  host: h
  port: 1
  timeout: 5s
tls: &tls {cert: c}
server:
  <<: *defaults
  port: 2
  tls: *tls
names: &names [a, b]
extra: *names
`
	var cfg Config
	sameMessages(t, Decode(parse(t, src), &cfg, Options{Ignore: []string{"defaults", "tls"}}), nil)
	s := cfg.Server
	if s.Host != "h" || s.Port != 2 || s.Timeout != 5*time.Second || s.TLS == nil || s.TLS.Cert != "c" {
		t.Errorf("server = %+v", s)
	}
	if !reflect.DeepEqual(cfg.Extra, []any{"a", "b"}) || !reflect.DeepEqual(cfg.Names, []string{"a", "b"}) {
		t.Errorf("names %v extra %v", cfg.Names, cfg.Extra)
	}

	// A list of merges: earlier ones win; explicit keys win over all.
	src = "a: &a {host: a, port: 1}\nb: &b {host: b, timeout: 2s}\nserver:\n  <<: [*a, *b]\n  port: 3\n"
	var s2 Server
	var holder struct {
		Server *Server `yaml:"server"`
	}
	holder.Server = &s2
	sameMessages(t, Decode(parse(t, src), &holder, Options{AllowUnknown: true}), nil)
	if s2.Host != "a" || s2.Port != 3 || s2.Timeout != 2*time.Second {
		t.Errorf("server = %+v", s2)
	}
}

func TestAliasErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"scalar through alias reported at the alias", "p: &p abc\nserver:\n  port: *p\n",
			[]string{`3:9: cannot use "abc" as an integer for "server.port"`}},
		{"unknown key in merged mapping reported once where written", "" +
			"d: &d {hots: x}\n" +
			"server: {<<: *d}\n" +
			"collectors: [{labels: {<<: *d}}]\n",
			[]string{`1:8: unknown key "hots" in server; did you mean "host"?`}},
		{"bad merge value", "server:\n  <<: 5\n",
			[]string{`2:7: the merge key << takes a mapping or a sequence of mappings (usually aliases like *base)`}},
		{"alias containing itself", "extra: &x [*x]\n",
			[]string{`1:12: alias *x refers to a value that contains it`}},
		{"mapping merging itself", "server: &s\n  <<: *s\n",
			[]string{`2:7: merge of a mapping into itself`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cfg Config
			sameMessages(t, Decode(parse(t, tt.src), &cfg, Options{Ignore: []string{"p", "d"}}), tt.want)
		})
	}
}

func TestAliasBomb(t *testing.T) {
	src := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	for i, p := 'b', 'a'; i <= 'i'; i, p = i+1, i {
		src += string(i) + ": &" + string(i) + " ["
		for j := range 10 {
			if j > 0 {
				src += ", "
			}
			src += "*" + string(p)
		}
		src += "]\n"
	}
	src += "extra: *i\n"
	var cfg Config
	start := time.Now()
	errs := Decode(parse(t, src), &cfg, Options{AllowUnknown: true})
	if len(errs) != 1 || errs[0].Line != 10 {
		t.Fatalf("errors = %v", errs)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestDeepNesting(t *testing.T) {
	src := "extra: "
	for range 2000 {
		src += "["
	}
	for range 2000 {
		src += "]"
	}
	n, lerrs := Load("", []byte(src))
	if lerrs != nil {
		t.Skipf("yaml.v3 refuses the nesting itself: %v", lerrs)
	}
	var cfg Config
	if errs := Decode(n, &cfg, Options{}); len(errs) != 1 {
		t.Errorf("errors = %v", errs)
	}
}
