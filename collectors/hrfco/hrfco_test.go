package hrfco

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/internal/yamlx"
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
			if strings.Contains(err.Error(), testKey) || strings.Contains(err.Error(), "efgh") {
				t.Errorf("error %q quotes the key", err)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	c := newTestCollector(t, "", "", nil)
	eq(t, "base", c.base, DefaultURL)
	eq(t, "mode", c.mode, ModeForecasts)
	eq(t, "hysteresis (mm)", c.mapper.hysteresis, int64(100))
	eq(t, "info_refresh", c.refresh, time.Hour)
	eq(t, "max_age", c.mapper.maxAge, 3*time.Hour)
	eq(t, "stations filter", c.mapper.stations == nil, true)
	eq(t, "endpoint", c.endpoint(pathForecasts), "https://api.hrfco.go.kr/"+testKey+"/fldfct/list.json")
	eq(t, "shown", c.shown(pathLevels), "https://api.hrfco.go.kr/REDACTED/waterlevel/list/10M.json")
	c = newTestCollector(t, "http://proxy.example/hrfco/", "mode: both\nhysteresis: 0.25\n", nil)
	eq(t, "base without trailing slash", c.endpoint(pathInfo), "http://proxy.example/hrfco/"+testKey+"/waterlevel/info.json")
	eq(t, "hysteresis 0.25 (mm)", c.mapper.hysteresis, int64(250))
	eq(t, "mode both", c.wants(ModeForecasts) && c.wants(ModeLevels), true)
}

func TestRegistered(t *testing.T) {
	k, ok := collectors.Lookup("hrfco")
	if !ok {
		t.Fatal(`kind "hrfco" is not registered`)
	}
	eq(t, "DefaultSchedule", k.DefaultSchedule, "@every 5m")
	eq(t, "Snapshot", k.Snapshot, true)
	eq(t, "Accept", k.Accept, "application/json")
	if !bytes.Equal(k.Sample, sample) || len(sample) == 0 {
		t.Error("Sample is not the embedded sample.yaml")
	}
	if _, err := collectors.ParseSchedule(k.DefaultSchedule); err != nil {
		t.Error(err)
	}
}

// commonKeys are the collector keys the daemon reads itself.
var commonKeys = []string{"name", "kind", "schedule", "url", "timeout", "jitter", "grace", "user_agent", "max_body"}

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
		node, errs := yamlx.Load("sample.yaml", []byte(src))
		if errs != nil {
			t.Fatal(errs)
		}
		var common struct {
			Name     string `yaml:"name"`
			Kind     string `yaml:"kind"`
			Schedule string `yaml:"schedule"`
			URL      string `yaml:"url"`
		}
		if errs := yamlx.Decode(node, &common, yamlx.Options{AllowUnknown: true}); errs != nil {
			t.Fatal(errs)
		}
		eq(t, "kind", common.Kind, "hrfco")
		eq(t, "url", common.URL, "https://api.hrfco.go.kr")
		if _, err := collectors.ParseSchedule(common.Schedule); err != nil {
			t.Error(err)
		}
		env := collectors.Env{Info: collectors.Info{Name: common.Name, Kind: common.Kind}, URL: common.URL}
		c, err := New(env, func(v any) error {
			return yamlx.Decode(yamlx.Sub(node, commonKeys), v, yamlx.Options{File: "sample.yaml", LookupEnv: lookup}).Err()
		})
		if err != nil {
			t.Fatalf("New from sample: %v", err)
		}
		return c.(*collector)
	}
	c := build(t, string(sample))
	eq(t, "key from the environment", c.key, testKey)

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
	eq(t, "mode", c.mode, ModeForecasts)
	eq(t, "hysteresis", c.mapper.hysteresis, int64(100))
	eq(t, "info_refresh", c.refresh, defaultInfoRefresh)
	eq(t, "max_age", c.mapper.maxAge, defaultMaxAge)
}
