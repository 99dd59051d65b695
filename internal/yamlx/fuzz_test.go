package yamlx

import (
	"testing"
)

func FuzzDecode(f *testing.F) {
	seeds := []string{
		"",
		"server: {host: h, port: 80, timeout: 30s, tls: {cert: c}}\n",
		"collectors:\n  - name: a\n    schedule: x\n    retries: 3\n    labels: {a: b}\n",
		"server:\n  port: ${PORT}\n  host: ${NOPE:-x}\n  timeout: $$\n",
		"d: &d {host: x}\nserver: {<<: *d, port: 1}\n",
		"extra: &x [*x]\n",
		"server: &s\n  <<: *s\n",
		"a: &a [x, x]\nb: &b [*a, *a]\nextra: [*b, *b]\n",
		"heat: 12C\nraw: {a: 1}\nlimits: {a: 1, a: 2}\n",
		"extra: {? [a] : 1, 1: 2, ~: 3}\n",
		"a: 1\n b: 2\n",
		"\t- x\n",
		"big: 99999999999999999999\nsmall: 1e40\nratio: .nan\n",
		"server: {ip: '::1'}\nnames: [a, ~, 3]\n",
		"<<: {debug: true}\n",
		"!!map &a *a",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	lookup := env(testEnv())
	f.Fuzz(func(t *testing.T, data []byte) {
		node, errs := Load("fuzz.yaml", data)
		for _, e := range errs {
			if e.Msg == "" || e.Line < 1 || e.Col < 1 || e.File != "fuzz.yaml" {
				t.Fatalf("bad Load error %#v", e)
			}
		}
		if node == nil {
			return
		}
		var cfg Config
		check(t, Decode(node, &cfg, Options{File: "fuzz.yaml", LookupEnv: lookup}))
		var rest struct {
			Server  Server `yaml:"server"`
			Unknown any    `yaml:"unknown"`
		}
		check(t, Decode(node, &cfg, Options{AllowUnknown: true, LookupEnv: lookup}))
		check(t, Decode(Sub(node, KeysOf(&cfg)), &rest, Options{LookupEnv: lookup}))
		var a any
		check(t, Decode(node, &a, Options{LookupEnv: lookup}))
	})
}

// check verifies the invariants of a Decode result: sorted, each error
// with a message.
func check(t *testing.T, errs Errors) {
	t.Helper()
	for i, e := range errs {
		if e == nil || e.Msg == "" {
			t.Fatalf("empty error in %v", errs)
		}
		if i > 0 && (errs[i-1].Line > e.Line || errs[i-1].Line == e.Line && errs[i-1].Col > e.Col) {
			t.Fatalf("errors not sorted: %v", errs)
		}
	}
	_ = errs.Error()
}
