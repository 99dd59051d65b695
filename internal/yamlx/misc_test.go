package yamlx

import (
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestErrorFormatting(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{File: "a.yaml", Line: 3, Col: 7, Msg: "bad"}, "a.yaml:3:7: bad"},
		{&Error{Line: 3, Col: 7, Msg: "bad"}, "3:7: bad"},
		{&Error{File: "a.yaml", Msg: "bad"}, "a.yaml: bad"},
		{&Error{Msg: "bad"}, "bad"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	es := Errors{tests[0].err, tests[1].err}
	if got := es.Error(); got != "a.yaml:3:7: bad\n3:7: bad" {
		t.Errorf("Errors.Error() = %q", got)
	}
	if Errors(nil).Err() != nil {
		t.Error("empty Errors.Err() is not nil")
	}
}

func TestDecodeFileNameAndSorting(t *testing.T) {
	src := "zz: 1\nserver: {port: x, hots: y}\naa: 2\n"
	errs := Decode(parse(t, src), &Config{}, Options{File: "h.yaml"})
	want := "h.yaml:1:1: unknown key \"zz\" in config\n" +
		"h.yaml:2:16: cannot use \"x\" as an integer for \"server.port\"\n" +
		"h.yaml:2:19: unknown key \"hots\" in server; did you mean \"host\"?\n" +
		"h.yaml:3:1: unknown key \"aa\" in config"
	if errs.Error() != want {
		t.Errorf("got:\n%s\nwant:\n%s", errs.Error(), want)
	}
	var err error = errs.Err()
	var es Errors
	if !errors.As(err, &es) || len(es) != 4 {
		t.Errorf("errors.As: %v", err)
	}
}

func TestDecodeTargets(t *testing.T) {
	root := parse(t, "server: {host: h}\nlimits: {a: 1}\n")

	// A pointer to a nil pointer is allocated.
	var p *Config
	sameMessages(t, Decode(root, &p, Options{}), nil)
	if p == nil || p.Server.Host != "h" {
		t.Errorf("p = %+v", p)
	}

	// A map at the top level, with Ignore.
	var m map[string]any
	sameMessages(t, Decode(root, &m, Options{Ignore: []string{"limits"}}), nil)
	if !reflect.DeepEqual(m, map[string]any{"server": map[string]any{"host": "h"}}) {
		t.Errorf("m = %#v", m)
	}

	// any at the top level, from a DocumentNode.
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("a: [1, two]\n"), &doc); err != nil {
		t.Fatal(err)
	}
	var a any
	sameMessages(t, Decode(&doc, &a, Options{}), nil)
	if !reflect.DeepEqual(a, map[string]any{"a": []any{1, "two"}}) {
		t.Errorf("a = %#v", a)
	}

	// A yaml.Node value is copied.
	var holder struct {
		Server yaml.Node `yaml:"server"`
	}
	sameMessages(t, Decode(root, &holder, Options{AllowUnknown: true}), nil)
	if holder.Server.Kind != yaml.MappingNode || holder.Server.Line != 1 || holder.Server.Column != 9 {
		t.Errorf("node = %#v", holder.Server)
	}

	// Nothing to decode.
	if errs := Decode(nil, &a, Options{}); errs != nil {
		t.Errorf("nil node: %v", errs)
	}
	if errs := Decode(&yaml.Node{Kind: yaml.DocumentNode}, &a, Options{}); errs != nil {
		t.Errorf("empty document: %v", errs)
	}
}

func TestDecodeMisuse(t *testing.T) {
	root := parse(t, "a: 1\n")
	var cfg Config
	sameMessages(t, Decode(root, cfg, Options{}), []string{`1:1: yamlx: Decode needs a non-nil pointer, got yamlx.Config`})
	sameMessages(t, Decode(root, (*Config)(nil), Options{}), []string{`1:1: yamlx: Decode needs a non-nil pointer, got *yamlx.Config`})

	var badInline struct {
		M map[string]int `yaml:",inline"`
		A int            `yaml:"a"`
	}
	sameMessages(t, Decode(root, &badInline, Options{}), []string{
		"1:1: yamlx: field M of struct { M map[string]int \"yaml:\\\",inline\\\"\"; A int \"yaml:\\\"a\\\"\" } is \",inline\" but not a struct",
	})

	var unsupported struct {
		C chan int       `yaml:"a"`
		M map[int]string `yaml:"b"`
	}
	sameMessages(t, Decode(parse(t, "a: 1\nb: {1: x}\n"), &unsupported, Options{}), []string{
		`1:4: yamlx: cannot decode into Go type chan int for "a"`,
		`2:4: yamlx: cannot decode into Go type map[int]string for "b"`,
	})
}

// upper implements yaml.Unmarshaler.
type upper string

func (u *upper) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	if s == "" {
		return errors.New("empty")
	}
	*u = upper(strings.ToUpper(s))
	return nil
}

func TestYAMLUnmarshaler(t *testing.T) {
	var v struct {
		A upper `yaml:"a"`
		B upper `yaml:"b"`
	}
	sameMessages(t, Decode(parse(t, "a: x\nb: ''\n"), &v, Options{}), []string{`2:4: cannot use "" for "b": empty`})
	if v.A != "X" {
		t.Errorf("a = %q", v.A)
	}
}

func TestInlineUnexportedEmbedded(t *testing.T) {
	type inner struct {
		X int `yaml:"x"`
	}
	var v struct {
		inner `yaml:",inline"`
		Y     int `yaml:"y"`
	}
	sameMessages(t, Decode(parse(t, "x: 1\ny: 2\n"), &v, Options{}), nil)
	if v.X != 1 || v.Y != 2 {
		t.Errorf("v = %+v", v)
	}
}

func TestHookReceivesResolvedNode(t *testing.T) {
	var v struct {
		Heat *Celsius  `yaml:"heat"`
		List []Celsius `yaml:"list"`
	}
	sameMessages(t, Decode(parse(t, "t: &t 5C\nheat: *t\nlist: [1C, '2.5C', bad]\n"), &v, Options{AllowUnknown: true}), []string{
		`3:20: temperature "bad" needs a C suffix`,
	})
	if v.Heat == nil || *v.Heat != 5 || len(v.List) != 3 || v.List[1] != 2.5 {
		t.Errorf("v = %+v", v)
	}
}

func TestConcurrentDecode(t *testing.T) {
	root := parse(t, "server: {host: h, port: x}\ncollectors: [{name: a}]\n")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			var cfg Config
			if errs := Decode(root, &cfg, Options{}); len(errs) != 1 {
				t.Errorf("errors = %v", errs)
			}
			_ = Sub(root, []string{"server"})
		})
	}
	wg.Wait()
}

func TestExpand(t *testing.T) {
	lookup := env(map[string]string{"A": "1", "E": "", "LONG_NAME_2": "x"})
	tests := []struct {
		in, want string
		problems []string
	}{
		{"plain", "plain", nil},
		{"${A}", "1", nil},
		{"x${A}y${LONG_NAME_2}z", "x1yxz", nil},
		{"${E}", "", nil},
		{"${E:-d}", "d", nil},
		{"${U:-d}", "d", nil},
		{"${A:-d}", "1", nil},
		{"${U:-}", "", nil},
		{"${U:-a b:c}", "a b:c", nil},
		{"$$", "$", nil},
		{"$${A}", "${A}", nil},
		{"$$$${A}", "$${A}", nil},
		{"$$${A}", "$1", nil},
		{"cost: 5$", "cost: 5$", nil},
		{"^a$b", "^a$b", nil},
		{"$A", "$A", nil},
		{"${U}", "", []string{`environment variable "U" is not set`}},
		{"${U}${V}", "", []string{`environment variable "U" is not set`, `environment variable "V" is not set`}},
		{"${}", "", []string{`invalid environment variable reference "${}"; use ${NAME} or ${NAME:-default}`}},
		{"${A", "", []string{`unterminated "${" in value; write "$$" for a literal "$"`}},
	}
	for _, tt := range tests {
		got, problems := expand(tt.in, lookup)
		if got != tt.want || !reflect.DeepEqual(problems, tt.problems) {
			t.Errorf("expand(%q) = %q, %q; want %q, %q", tt.in, got, problems, tt.want, tt.problems)
		}
	}
}

func TestSuggest(t *testing.T) {
	cands := []string{"schedule", "url", "max_attempts", "timeout", "name"}
	tests := map[string]string{
		"shedule":      "schedule",
		"SCHEDULE":     "schedule",
		"max-attempts": "max_attempts",
		"Max-Attempts": "max_attempts",
		"ulr":          "url",
		"timeuot":      "timeout",
		"nmae":         "name",
		"x":            "",
		"completely":   "",
		"ur":           "url",
	}
	for in, want := range tests {
		if got := suggest(in, cands); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
	for _, tt := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"a", "", 1}, {"kitten", "sitting", 3}, {"día", "dia", 1}} {
		if got := levenshtein(tt.a, tt.b); got != tt.d {
			t.Errorf("levenshtein(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.d)
		}
	}
	for in, want := range map[string]string{
		"CollectorConfig": "collector config", "HTTPServer": "http server",
		"Config": "config", "": "", "kind": "kind", "TLSConf": "tls conf",
	} {
		if got := typeLabel(in); got != want {
			t.Errorf("typeLabel(%q) = %q, want %q", in, got, want)
		}
	}
}
