package yamlx

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// Types shared by the tests.

type tlsConf struct {
	Cert     string `yaml:"cert"`
	Insecure bool   `yaml:"insecure"`
}

type Server struct {
	Host    string        `yaml:"host"`
	Port    uint16        `yaml:"port"`
	Timeout time.Duration `yaml:"timeout"`
	TLS     *tlsConf      `yaml:"tls"`
	IP      netip.Addr    `yaml:"ip"`
}

type Common struct {
	Name     string `yaml:"name"`
	Schedule string `yaml:"schedule"`
}

type CollectorConfig struct {
	Common  `yaml:",inline"`
	URL     string            `yaml:"url"`
	Retries int8              `yaml:"retries"`
	Labels  map[string]string `yaml:"labels"`
}

// Celsius decodes itself from "12.5C" through the Unmarshaler hook.
type Celsius float64

func (c *Celsius) UnmarshalYAMLNode(n *yaml.Node, decode func(*yaml.Node, any) Errors) Errors {
	var s string
	if errs := decode(n, &s); errs != nil {
		return errs
	}
	num, ok := strings.CutSuffix(s, "C")
	if !ok {
		return Errors{{Msg: fmt.Sprintf("temperature %q needs a C suffix", s)}}
	}
	var f float64
	if _, err := fmt.Sscan(num, &f); err != nil {
		return Errors{{Line: n.Line, Col: n.Column, Msg: "bad temperature " + fmt.Sprintf("%q", s)}}
	}
	*c = Celsius(f)
	return nil
}

type Config struct {
	Server     Server            `yaml:"server"`
	Collectors []CollectorConfig `yaml:"collectors"`
	Ratio      float64           `yaml:"ratio"`
	Small      float32           `yaml:"small"`
	Debug      bool              `yaml:"debug"`
	Count      int               `yaml:"count"`
	Big        int64             `yaml:"big"`
	Extra      any               `yaml:"extra"`
	Raw        *yaml.Node        `yaml:"raw"`
	Limits     map[string]int    `yaml:"limits"`
	Heat       Celsius           `yaml:"heat"`
	MaxTries   int               `yaml:"max_attempts"`
	Names      []string          `yaml:"names"`
	Skipped    string            `yaml:"-"`
	NoTag      string
}

// env returns a LookupEnv backed by m.
func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// testEnv is the environment most tests run with.
func testEnv() map[string]string {
	return map[string]string{
		"HOST":  "example.org",
		"PORT":  "8080",
		"EMPTY": "",
		"BAD":   "abc",
		"SECS":  "45s",
		"YES":   "true",
	}
}

// parse loads src, failing the test on syntax errors.
func parse(t *testing.T, src string) *yaml.Node {
	t.Helper()
	n, errs := Load("", []byte(src))
	if errs != nil {
		t.Fatalf("Load: %v", errs)
	}
	return n
}

// messages renders errs as "line:col: msg" strings.
func messages(errs Errors) []string {
	var out []string
	for _, e := range errs {
		out = append(out, fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg))
	}
	return out
}

// sameMessages compares errs with want, reporting the difference.
func sameMessages(t *testing.T, errs Errors, want []string) {
	t.Helper()
	got := messages(errs)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(want, "\n      "))
	}
	var err error = errs.Err()
	if (err == nil) != (len(want) == 0) {
		t.Errorf("Err() = %v with %d wanted errors", err, len(want))
	}
	var es Errors
	if err != nil && !errors.As(err, &es) {
		t.Errorf("Err() is not an Errors")
	}
}
