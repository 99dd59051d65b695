package heatindex

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

const ncstURL = "https://apis.data.go.kr/1360000/VilageFcstInfoService_2.0/getUltraSrtNcst?dataType=JSON&base_date={base_date}&base_time={base_time}&nx={nx}&ny={ny}"

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		url     string
		options string
		err     string // "" for success
	}{
		{name: "defaults"},
		{name: "nws", options: "formula: nws\n"},
		{name: "no url", url: "-", err: "url is required"},
		{name: "relative url", url: "/obs.json", err: "not an absolute http(s) URL"},
		{name: "key in the url", url: "https://apis.data.go.kr/x?serviceKey=abc", err: "put the data.go.kr key in service_key"},
		{name: "bad formula", options: "formula: heatindex\n", err: `formula: "heatindex" is not kma or nws`},
		{name: "bad format", options: "format: csv\n", err: `format: "csv" is not observations, kma or auto`},
		{name: "bad input", options: "input: model\n", err: `input: "model" is not observation or forecast`},
		{name: "thresholds", options: "thresholds:\n  moderate: 32\n  severe: 34\n"},
		{name: "thresholds, unknown name", options: "thresholds:\n  warning: 35\n", err: `thresholds: "warning" is not minor, moderate, severe or extreme`},
		{name: "thresholds out of order", options: "thresholds:\n  moderate: 35\n  severe: 33\n", err: "severe (33) must be above moderate (35)"},
		{name: "thresholds empty", options: "thresholds: {}\n", err: "at least one of minor"},
		{name: "negative hysteresis", options: "hysteresis: -1\n", err: "hysteresis: -1"},
		{name: "negative max_age", options: "max_age: -1m\n", err: "max_age: -1m0s"},
		{name: "time zone", options: "time_zone: \"-05:00\"\n"},
		{name: "bad time zone", options: "time_zone: Europe/Paris\n", err: `time_zone: "Europe/Paris", want KST, UTC or an offset`},
		{name: "grid url without stations", url: ncstURL, err: "at least one station is required"},
		{name: "grid url with a station id", url: ncstURL, options: "stations:\n  \"108\": {}\n", err: `stations: "108": the url has {nx}/{ny}`},
		{name: "grid url", url: ncstURL, options: "stations:\n  \"60,127\": {name: 서울}\n"},
		{name: "lat without lon", options: "stations:\n  \"108\": {lat: 37}\n", err: "lat and lon go together"},
		{name: "service key with a stray %", options: "service_key: \"ab%zz\"\n", err: "service_key: it has a % that is not URL encoding"},
		{name: "unknown option", options: "formulas: kma\n", err: `unknown key "formulas"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := tt.url
			switch u {
			case "":
				u = testURL
			case "-":
				u = ""
			}
			calls := 0
			c, err := New(testEnv(u, nil), golden.Decode(tt.options, &calls))
			golden.Eq(t, "decode calls", calls, 1)
			if tt.err == "" {
				if err != nil || c == nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("New error = %v, want %q", err, tt.err)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	c := newTestCollector(t, testURL, "", nil, time.Time{})
	golden.Eq(t, "formula", c.cfg.formula, formulaKMA)
	golden.Eq(t, "format", c.cfg.format, formatAuto)
	golden.Eq(t, "forecast", c.cfg.forecast, false)
	golden.Eq(t, "kma moderate", c.cfg.limits.value[levelModerate], 33.0)
	golden.Eq(t, "kma minor unset", c.cfg.limits.set[levelMinor], false)
	golden.Eq(t, "time zone", c.cfg.loc.String(), "KST")
	nws := newTestCollector(t, testURL, "formula: nws\n", nil, time.Time{})
	golden.Eq(t, "nws caution", nws.cfg.limits.value[levelMinor], 80.0)
	golden.Eq(t, "nws extreme danger", nws.cfg.limits.value[levelExtreme], 125.0)
	fc := newTestCollector(t, "https://apis.data.go.kr/1360000/VilageFcstInfoService_2.0/getVilageFcst?nx=60&ny=127", "", nil, time.Time{})
	golden.Eq(t, "a forecast url is forecast input", fc.cfg.forecast, true)
}

func TestTargets(t *testing.T) {
	c := newTestCollector(t, ncstURL, "service_key: \"a+b/c==\"\nstations:\n  \"98,76\": {}\n  \"60,127\": {}\n", nil, time.Time{})
	got := c.targets(golden.Time(t, "2025-08-02T05:39:00Z")) // 14:39 KST: the 13:00 observation is the latest out
	want := []string{
		"https://apis.data.go.kr/1360000/VilageFcstInfoService_2.0/getUltraSrtNcst?dataType=JSON&base_date=20250802&base_time=1300&nx=60&ny=127&serviceKey=a%2Bb%2Fc%3D%3D",
		"https://apis.data.go.kr/1360000/VilageFcstInfoService_2.0/getUltraSrtNcst?dataType=JSON&base_date=20250802&base_time=1300&nx=98&ny=76&serviceKey=a%2Bb%2Fc%3D%3D",
	}
	golden.Eq(t, "targets", strings.Join(got, "\n"), strings.Join(want, "\n"))

	// The Encoding form of a key is used as it is, not escaped twice.
	enc := newTestCollector(t, testURL, "service_key: \"a%2Bb%2Fc%3D%3D\"\n", nil, time.Time{})
	golden.Eq(t, "encoded key", enc.targets(time.Now())[0], testURL+"?serviceKey=a%2Bb%2Fc%3D%3D")
}

func TestBaseTime(t *testing.T) {
	for _, tt := range []struct{ url, now, date, hm string }{
		{"getUltraSrtNcst", "2025-08-02T14:40:00+09:00", "20250802", "1400"},
		{"getUltraSrtNcst", "2025-08-02T14:39:00+09:00", "20250802", "1300"},
		{"getUltraSrtNcst", "2025-08-02T00:10:00+09:00", "20250801", "2300"},
		{"getUltraSrtFcst", "2025-08-02T14:45:00+09:00", "20250802", "1430"},
		{"getUltraSrtFcst", "2025-08-02T14:44:00+09:00", "20250802", "1330"},
		{"getVilageFcst", "2025-08-02T05:10:00+09:00", "20250802", "0500"},
		{"getVilageFcst", "2025-08-02T05:09:00+09:00", "20250802", "0200"},
		{"getVilageFcst", "2025-08-02T23:59:00+09:00", "20250802", "2300"},
		{"getVilageFcst", "2025-08-02T02:05:00+09:00", "20250801", "2300"},
		{"getVilageFcst", "2025-08-01T17:30:00Z", "20250802", "0200"}, // 02:30 KST
	} {
		date, hm := baseTime("https://apis.data.go.kr/x/"+tt.url, golden.Time(t, tt.now))
		if date != tt.date || hm != tt.hm {
			t.Errorf("baseTime(%s, %s) = %s %s, want %s %s", tt.url, tt.now, date, hm, tt.date, tt.hm)
		}
	}
}

func TestRegistered(t *testing.T) {
	k := golden.Registered(t, kindName, sample)
	golden.Eq(t, "Snapshot", k.Snapshot, true)
	golden.Eq(t, "Accept", k.Accept, "application/json")
}

// optionLine matches a commented top-level option of sample.yaml.
var optionLine = regexp.MustCompile(`^# [a-z_]+:`)

// TestSample builds a collector from sample.yaml as the daemon would (the key
// from the environment), then again with its commented options turned on.
func TestSample(t *testing.T) {
	const key = "sample-key+/=="
	lookup := func(name string) (string, bool) {
		if name == "DATA_GO_KR_SERVICE_KEY" {
			return key, true
		}
		return "", false
	}
	build := func(t *testing.T, src string) *collector {
		t.Helper()
		env, decode := golden.Sample(t, src, kindName, "", lookup)
		if !strings.HasPrefix(env.URL, "https://apis.data.go.kr/1360000/VilageFcstInfoService_2.0/getUltraSrtNcst?") {
			t.Errorf("url = %q", env.URL)
		}
		c, err := New(env, decode)
		if err != nil {
			t.Fatalf("New from sample: %v", err)
		}
		return c.(*collector)
	}
	c := build(t, string(sample))
	golden.Eq(t, "service key from the environment", c.cfg.serviceKey, "sample-key%2B%2F%3D%3D")
	golden.Eq(t, "requests", len(c.targets(time.Now())), 2)

	var lines []string
	for _, l := range strings.Split(string(sample), "\n") {
		switch {
		case strings.HasPrefix(l, "#   "):
			l = " " + l[1:]
		case optionLine.MatchString(l):
			l = strings.TrimPrefix(l, "# ")
		}
		lines = append(lines, l)
	}
	c = build(t, strings.Join(lines, "\n"))
	golden.Eq(t, "sample extreme", c.cfg.limits.value[levelExtreme], 38.0)
	golden.Eq(t, "sample lat", *c.cfg.stations["98,76"].Lat, 35.1064)
	golden.Eq(t, "sample max_age", c.cfg.maxAge, 3*time.Hour)
}

// TestServiceKeyFile: service_key_file, read beside the config.
func TestServiceKeyFile(t *testing.T) {
	const key = "heat+TEST/key=="
	c := golden.SecretFile(t, "service_key", key, func(dir, options string) (collectors.Collector, error) {
		env := testEnv(testURL, nil)
		env.Dir = dir
		return New(env, golden.Decode(options, nil))
	})
	golden.Eq(t, "key as sent", c.(*collector).cfg.serviceKey, url.QueryEscape(key))
}
