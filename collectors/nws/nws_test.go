package nws

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/internal/yamlx"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		env     func(e *collectors.Env)
		options string
		err     string // "" for success
	}{
		{name: "defaults"},
		{name: "no user agent", env: func(e *collectors.Env) { e.Info.UserAgent = "" },
			err: `user_agent is required by api.weather.gov (an app name and a contact, e.g. "hazardwire (ops@example.org)")`},
		{name: "blank user agent", env: func(e *collectors.Env) { e.Info.UserAgent = "  " }, err: "user_agent is required"},
		{name: "no name", env: func(e *collectors.Env) { e.Info.Name = "" }, err: "name is empty"},
		{name: "relative url", env: func(e *collectors.Env) { e.URL = "/alerts/active" }, err: "not an absolute http(s) URL"},
		{name: "ftp url", env: func(e *collectors.Env) { e.URL = "ftp://api.weather.gov/alerts" }, err: "not an absolute http(s) URL"},
		{name: "events", options: "events:\n  Storm Surge Warning: flood\n  Heat Advisory: heat\n"},
		{name: "events, unknown hazard", options: "events:\n  Storm Surge Warning: surge\n", err: `"Storm Surge Warning" maps to "surge", want flood or heat`},
		{name: "events, empty name", options: "events:\n  \" \": flood\n", err: "empty event name"},
		{name: "events, built-in name moved", options: "events:\n  heat advisory: flood\n", err: `"heat advisory" is already mapped to heat`},
		{name: "events, two spellings", options: "events:\n  Storm Surge Warning: flood\n  STORM SURGE WARNING: heat\n", err: "given twice"},
		{name: "unknown option", options: "event:\n  Storm Surge Warning: flood\n", err: `unknown key "event"`},
		{name: "options not a mapping", options: "- events\n", err: "must be a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := testEnv("", nil)
			if tt.env != nil {
				tt.env(&env)
			}
			calls := 0
			c, err := New(env, yamlDecode(tt.options, &calls))
			eq(t, "decode calls", calls, 1)
			if tt.err == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if c == nil {
					t.Fatal("New returned no collector")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("New error = %v, want %q", err, tt.err)
			}
		})
	}
}

func TestNewURL(t *testing.T) {
	eq(t, "default url", newTestCollector(t, "", "", nil).url, DefaultURL)
	const u = "https://api.weather.gov/alerts/active?status=actual&area=OR"
	eq(t, "configured url", newTestCollector(t, u, "", nil).url, u)
}

func TestEventsOption(t *testing.T) {
	c := newTestCollector(t, "", "events:\n  \"Storm  Surge WARNING\": flood\n  Special Weather Statement: heat\n", nil)
	for name, want := range map[string]alert.Hazard{
		"storm surge warning": alert.HazardFlood, "Special Weather Statement": alert.HazardHeat, "Flood Watch": alert.HazardFlood,
	} {
		h, ok := c.mapper.hazardOf(name)
		if !ok || h != want {
			t.Errorf("hazardOf(%q) = %q, %v; want %q", name, h, ok, want)
		}
	}
	if _, ok := newTestCollector(t, "", "", nil).mapper.hazardOf("Storm Surge Warning"); ok {
		t.Error("the events option of one collector leaked into another")
	}
}

func TestRegistered(t *testing.T) {
	k, ok := collectors.Lookup("nws")
	if !ok {
		t.Fatal(`kind "nws" is not registered`)
	}
	eq(t, "DefaultSchedule", k.DefaultSchedule, "@every 1m")
	eq(t, "Snapshot", k.Snapshot, true)
	if !bytes.Equal(k.Sample, sample) || len(sample) == 0 {
		t.Error("Sample is not the embedded sample.yaml")
	}
	if _, err := collectors.ParseSchedule(k.DefaultSchedule); err != nil {
		t.Error(err)
	}
}

// commonKeys are the collector keys the daemon reads itself; the kind's
// decode sees the rest.
var commonKeys = []string{"name", "kind", "schedule", "url", "timeout", "jitter", "grace", "user_agent", "max_body"}

// TestSample builds a collector from sample.yaml as the daemon would, then
// again with its commented options turned on.
func TestSample(t *testing.T) {
	build := func(t *testing.T, src string) *collector {
		t.Helper()
		node, errs := yamlx.Load("sample.yaml", []byte(src))
		if errs != nil {
			t.Fatal(errs)
		}
		var common struct {
			Name      string `yaml:"name"`
			Kind      string `yaml:"kind"`
			Schedule  string `yaml:"schedule"`
			URL       string `yaml:"url"`
			UserAgent string `yaml:"user_agent"`
		}
		if errs := yamlx.Decode(node, &common, yamlx.Options{AllowUnknown: true}); errs != nil {
			t.Fatal(errs)
		}
		eq(t, "kind", common.Kind, "nws")
		eq(t, "url", common.URL, "https://api.weather.gov/alerts/active?status=actual")
		eq(t, "user_agent", common.UserAgent, "hazardwire (ops@example.org)")
		if _, err := collectors.ParseSchedule(common.Schedule); err != nil {
			t.Error(err)
		}
		env := collectors.Env{Info: collectors.Info{Name: common.Name, Kind: common.Kind, UserAgent: common.UserAgent}, URL: common.URL}
		c, err := New(env, func(v any) error {
			return yamlx.Decode(yamlx.Sub(node, commonKeys), v, yamlx.Options{File: "sample.yaml"}).Err()
		})
		if err != nil {
			t.Fatalf("New from sample: %v", err)
		}
		return c.(*collector)
	}
	build(t, string(sample))

	// Turn the commented options on: every line after the marker, "# " removed.
	before, after, ok := strings.Cut(string(sample), "# The nws kind's own options:\n")
	if !ok {
		t.Fatal("sample.yaml lost its options marker")
	}
	var lines []string
	for _, l := range strings.Split(after, "\n") {
		lines = append(lines, strings.TrimPrefix(l, "# "))
	}
	c := build(t, before+strings.Join(lines, "\n"))
	if h, ok := c.mapper.hazardOf("Storm Surge Warning"); !ok || h != alert.HazardFlood {
		t.Errorf("sample's events option not applied: %q, %v", h, ok)
	}
}
