package yamlx

import (
	"reflect"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestLoadSyntaxErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"value indented too far", "a: 1\n b: 2\n",
			[]string{`2:2: syntax error: mapping values are not allowed in this context (a value containing ": " must be quoted, or the line is indented too far)`}},
		{"colon in plain value on line 1", "key: value: other\n",
			[]string{`1:1: syntax error: mapping values are not allowed in this context (a value containing ": " must be quoted, or the line is indented too far)`}},
		{"tab indentation", "a: 1\nb:\n\t- x\n",
			[]string{`3:1: syntax error: found character that cannot start any token (tabs cannot be used for indentation; use spaces)`}},
		{"at sign", "a: 1\nx: @foo\n",
			[]string{`2:4: syntax error: found character that cannot start any token (a value starting with @ or ` + "`" + ` must be quoted)`}},
		{"unclosed bracket", "a: 1\nb: [1, 2\nc: 3\n",
			[]string{`2:4: syntax error: did not find expected ',' or ']' (is a bracket left open or a comma missing?)`}},
		{"unclosed quote", "a: \"abc\nb: 2\n",
			[]string{`2:5: syntax error: found unexpected end of stream (is a quote or a bracket left open?)`}},
		{"missing colon", "a: 1\nb\nc: 2\n",
			[]string{`2:1: syntax error: could not find expected ':' (a key is missing its ':', or a value goes on over a line that is not indented)`}},
		{"bad dedent", "a:\n  b: 1\n c: 2\n",
			[]string{`3:2: syntax error: did not find expected key (check the indentation: keys of one mapping must start in the same column)`}},
		{"indented first key", "  a: 1\nb: 2\n",
			[]string{`2:1: syntax error: did not find expected <document start> (check the indentation: keys of one mapping must start in the same column)`}},
		{"control character", "a: 1\nb: x\x01y\n",
			[]string{`2:5: syntax error: control characters are not allowed`}},
		{"invalid utf-8", "a: 1\nb: é\xff\n",
			[]string{`2:5: syntax error: invalid leading UTF-8 octet`}},
		{"unknown anchor", "a: 1\nb: [x, *nope]\n",
			[]string{`2:8: syntax error: unknown anchor 'nope' referenced (define it with &nope before using *nope)`}},
		{"top level sequence", "- a\n- b\n",
			[]string{`1:1: the top level must be a mapping of keys to values, not a sequence`}},
		{"top level scalar", "hello\n",
			[]string{`1:1: the top level must be a mapping of keys to values, not "hello"`}},
		{"second document", "a: 1\n---\nb: 2\n",
			[]string{`2:1: a second YAML document is not supported; put all settings in one document`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs := Load("", []byte(tt.src))
			sameMessages(t, errs, tt.want)
		})
	}
}

func TestLoadEmpty(t *testing.T) {
	for _, src := range []string{"", "# nothing\n", "---\n...\n", "~\n", "null\n"} {
		n, errs := Load("c.yaml", []byte(src))
		if errs != nil || n == nil || n.Kind != yaml.MappingNode || len(n.Content) != 0 {
			t.Errorf("%q: node %#v, errors %v", src, n, errs)
		}
		var cfg Config
		if errs := Decode(n, &cfg, Options{}); errs != nil {
			t.Errorf("%q: decode: %v", src, errs)
		}
	}
}

func TestLoadFileName(t *testing.T) {
	_, errs := Load("conf/hazardwire.yaml", []byte("a: [\n"))
	if len(errs) != 1 || errs[0].File != "conf/hazardwire.yaml" {
		t.Fatalf("errors = %v", errs)
	}
	if got := errs.Error(); got[:len("conf/hazardwire.yaml:")] != "conf/hazardwire.yaml:" {
		t.Errorf("Error() = %q", got)
	}
}

func TestLoadReturnsFirstDocumentBesideLaterErrors(t *testing.T) {
	n, errs := Load("", []byte("debug: 5\n---\nb: [\n"))
	if n == nil || len(errs) != 1 {
		t.Fatalf("node %v errors %v", n, errs)
	}
	var cfg Config
	derrs := Decode(n, &cfg, Options{})
	all := append(errs, derrs...)
	sortErrors(all)
	sameMessages(t, all, []string{
		`1:8: cannot use "5" as a boolean for "debug"; use true or false`,
		`3:5: syntax error: did not find expected node content`,
	})
}

func TestSub(t *testing.T) {
	src := `
base: &base {url: http://b, retries: 2}
collector:
  name: nws
  shedule: "* * * * *"
  <<: *base
  url: http://x
  labels: {a: b}
  colour: red
  name: again
`
	root := parse(t, src)
	var c struct {
		Collector *yaml.Node `yaml:"collector"`
	}
	sameMessages(t, Decode(root, &c, Options{Ignore: []string{"base"}}), nil)

	// Common fields first, leaving the rest for the kind.
	var common Common
	commonErrs := Decode(c.Collector, &common, Options{AllowUnknown: true})
	sameMessages(t, commonErrs, []string{`10:3: duplicate key "name"; first given at 4:3`})
	if common.Name != "nws" {
		t.Errorf("common = %+v", common)
	}

	// The rest, strictly: unknown keys reported once, where they are.
	type kind struct {
		URL     string            `yaml:"url"`
		Retries int               `yaml:"retries"`
		Labels  map[string]string `yaml:"labels"`
	}
	rest := Sub(c.Collector, KeysOf(&common))
	var k kind
	sameMessages(t, Decode(rest, &k, Options{}), []string{
		`5:3: unknown key "shedule" in kind`,
		`9:3: unknown key "colour" in kind`,
	})
	want := kind{URL: "http://x", Retries: 2, Labels: map[string]string{"a": "b"}}
	if !reflect.DeepEqual(k, want) {
		t.Errorf("kind = %+v", k)
	}
	// Passing the common keys as Ignore makes them did-you-mean candidates.
	errs := Decode(rest, &k, Options{Ignore: KeysOf(common)})
	sameMessages(t, errs, []string{
		`5:3: unknown key "shedule" in kind; did you mean "schedule"?`,
		`9:3: unknown key "colour" in kind`,
	})

	// Sub keeps positions and does not change its input.
	if rest.Line != 4 || rest.Column != 3 || len(c.Collector.Content) != 14 {
		t.Errorf("rest at %d:%d, input has %d nodes", rest.Line, rest.Column, len(c.Collector.Content))
	}
	if s := Sub(nil, nil); s.Kind != yaml.MappingNode || len(s.Content) != 0 {
		t.Errorf("Sub(nil) = %#v", s)
	}
	if s := Sub(&yaml.Node{Kind: yaml.ScalarNode, Value: "x", Line: 3, Column: 4}, nil); len(s.Content) != 0 || s.Line != 3 {
		t.Errorf("Sub(scalar) = %#v", s)
	}
}

func TestKeysOf(t *testing.T) {
	got := KeysOf(&CollectorConfig{})
	want := []string{"url", "retries", "labels", "name", "schedule"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("KeysOf = %v, want %v", got, want)
	}
	if KeysOf(3) != nil || KeysOf(nil) != nil {
		t.Error("KeysOf of a non-struct is not nil")
	}
}
