package nws

import (
	"strings"
	"testing"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
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
			c, err := New(env, golden.Decode(tt.options, &calls))
			golden.Eq(t, "decode calls", calls, 1)
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
	golden.Eq(t, "default url", newTestCollector(t, "", "", nil).url, DefaultURL)
	const u = "https://api.weather.gov/alerts/active?status=actual&area=OR"
	golden.Eq(t, "configured url", newTestCollector(t, u, "", nil).url, u)
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
	k := golden.Registered(t, "nws", sample)
	golden.Eq(t, "DefaultSchedule", k.DefaultSchedule, "@every 1m")
	golden.Eq(t, "Snapshot", k.Snapshot, true)
}

// TestSample builds a collector from sample.yaml as the daemon would, then
// again with its commented options turned on.
func TestSample(t *testing.T) {
	build := func(t *testing.T, src string) *collector {
		t.Helper()
		env, decode := golden.Sample(t, src, "nws", "https://api.weather.gov/alerts/active?status=actual", nil)
		golden.Eq(t, "user_agent", env.Info.UserAgent, "hazardwire (ops@example.org)")
		c, err := New(env, decode)
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
