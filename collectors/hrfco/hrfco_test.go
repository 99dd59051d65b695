package hrfco

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

func TestNew(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte(testKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	key := "service_key: " + testKey + "\n"
	tests := []struct {
		name    string
		env     func(e *collectors.Env)
		options string
		err     string // "" for success
	}{
		{name: "defaults", options: key},
		{name: "no key", err: "service_key is required"},
		{name: "blank key", options: "service_key: \"  \"\n", err: "service_key is required"},
		{name: "short key", options: "service_key: abc\n", err: "at least 8 characters"},
		{name: "key with a slash", options: "service_key: abcd/efgh/ijkl\n", err: "without spaces or /?#"},
		{name: "key file", options: "service_key_file: " + keyFile + "\n"},
		{name: "key and key file", options: key + "service_key_file: " + keyFile + "\n", err: "not both"},
		{name: "missing key file", options: "service_key_file: " + keyFile + ".absent\n", err: "service_key_file:"},
		{name: "no name", options: key, env: func(e *collectors.Env) { e.Info.Name = "" }, err: "name is empty"},
		{name: "relative url", options: key, env: func(e *collectors.Env) { e.URL = "/api" }, err: "want the API's base"},
		{name: "url with query", options: key, env: func(e *collectors.Env) { e.URL = "https://api.hrfco.go.kr/?x=1" }, err: "without query"},
		{name: "mode levels", options: key + "mode: levels\n"},
		{name: "mode both", options: key + "mode: both\n"},
		{name: "bad mode", options: key + "mode: all\n", err: `mode "all": want forecasts, levels or both`},
		{name: "negative hysteresis", options: key + "hysteresis: -0.1\n", err: "hysteresis -0.1: want metres from 0 to 5"},
		{name: "NaN hysteresis", options: key + "hysteresis: .nan\n", err: "hysteresis NaN"},
		{name: "zero hysteresis", options: key + "hysteresis: 0\n"},
		{name: "short info_refresh", options: key + "info_refresh: 1m\n", err: "info_refresh 1m0s: want at least 10m0s"},
		{name: "short max_age", options: key + "max_age: 5m\n", err: "max_age 5m0s: want at least 10m0s"},
		{name: "stations with forecasts", options: key + "stations: [\"1018683\"]\n", err: "stations applies to water levels"},
		{name: "stations with levels", options: key + "mode: levels\nstations: [\"1018683\"]\n"},
		{name: "empty station", options: key + "mode: levels\nstations: [\" \"]\n", err: "empty station code"},
		{name: "unknown option", options: key + "hysterisis: 0.2\n", err: `unknown key "hysterisis"`},
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
			if strings.Contains(err.Error(), testKey) || strings.Contains(err.Error(), "efgh") {
				t.Errorf("error %q quotes the key", err)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	c := newTestCollector(t, "", "", nil)
	golden.Eq(t, "base", c.base, DefaultURL)
	golden.Eq(t, "mode", c.mode, ModeForecasts)
	golden.Eq(t, "hysteresis (mm)", c.mapper.hysteresis, int64(100))
	golden.Eq(t, "info_refresh", c.refresh, time.Hour)
	golden.Eq(t, "max_age", c.mapper.maxAge, 3*time.Hour)
	golden.Eq(t, "stations filter", c.mapper.stations == nil, true)
	golden.Eq(t, "endpoint", c.endpoint(pathForecasts), "https://api.hrfco.go.kr/"+testKey+"/fldfct/list.json")
	golden.Eq(t, "shown", c.shown(pathLevels), "https://api.hrfco.go.kr/REDACTED/waterlevel/list/10M.json")
	c = newTestCollector(t, "http://proxy.example/hrfco/", "mode: both\nhysteresis: 0.25\n", nil)
	golden.Eq(t, "base without trailing slash", c.endpoint(pathInfo), "http://proxy.example/hrfco/"+testKey+"/waterlevel/info.json")
	golden.Eq(t, "hysteresis 0.25 (mm)", c.mapper.hysteresis, int64(250))
	golden.Eq(t, "mode both", c.wants(ModeForecasts) && c.wants(ModeLevels), true)
}

func TestRegistered(t *testing.T) {
	k := golden.Registered(t, "hrfco", sample)
	golden.Eq(t, "DefaultSchedule", k.DefaultSchedule, "@every 5m")
	golden.Eq(t, "Snapshot", k.Snapshot, true)
	golden.Eq(t, "Accept", k.Accept, "application/json")
}

// TestSample builds a collector from sample.yaml as the daemon would, with
// ${HRFCO_SERVICE_KEY} set, then again with its commented options turned on.
func TestSample(t *testing.T) {
	lookup := func(name string) (string, bool) {
		if name == "HRFCO_SERVICE_KEY" {
			return testKey, true
		}
		return "", false
	}
	build := func(t *testing.T, src string) *collector {
		t.Helper()
		c, err := New(golden.Sample(t, src, "hrfco", "https://api.hrfco.go.kr", lookup))
		if err != nil {
			t.Fatalf("New from sample: %v", err)
		}
		return c.(*collector)
	}
	c := build(t, string(sample))
	golden.Eq(t, "key from the environment", c.key, testKey)

	before, after, ok := strings.Cut(string(sample), "# The hrfco kind's own options, with their defaults:\n")
	if !ok {
		t.Fatal("sample.yaml lost its options marker")
	}
	var lines []string
	for _, l := range strings.Split(after, "\n") {
		lines = append(lines, strings.TrimPrefix(l, "# "))
	}
	c = build(t, before+strings.Join(lines, "\n"))
	// The commented values are the defaults.
	golden.Eq(t, "mode", c.mode, ModeForecasts)
	golden.Eq(t, "hysteresis", c.mapper.hysteresis, int64(100))
	golden.Eq(t, "info_refresh", c.refresh, defaultInfoRefresh)
	golden.Eq(t, "max_age", c.mapper.maxAge, defaultMaxAge)
}

// TestServiceKeyFile: service_key_file, read beside the config.
func TestServiceKeyFile(t *testing.T) {
	c := golden.SecretFile(t, "service_key", testKey, func(dir, options string) (collectors.Collector, error) {
		env := testEnv("", nil)
		env.Dir = dir
		return New(env, golden.Decode(options, nil))
	})
	golden.Eq(t, "key", c.(*collector).key, testKey)
}
