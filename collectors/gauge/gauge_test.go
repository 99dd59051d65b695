package gauge

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

const oneStation = "stations:\n  \"01541000\":\n    minor: 10.5\n"

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		url     string
		options string
		err     string // "" for success
	}{
		{name: "minimal", options: oneStation},
		{name: "no url", url: "-", options: oneStation, err: "url is required"},
		{name: "relative url", url: "/nwis/iv", options: oneStation, err: "not an absolute http(s) URL"},
		{name: "url template", url: "https://environment.data.gov.uk/flood-monitoring/id/stations/{id}/readings?latest", options: oneStation},
		{name: "no stations", options: "", err: "stations: at least one station is required"},
		{name: "station without thresholds", options: "stations:\n  \"01541000\":\n    name: Bower\n", err: `stations: "01541000": no threshold`},
		{name: "thresholds out of order", options: "stations:\n  \"01541000\":\n    minor: 12\n    moderate: 11\n", err: "moderate (11) must be above minor (12)"},
		{name: "lat without lon", options: "stations:\n  \"01541000\":\n    minor: 1\n    lat: 40\n", err: "lat and lon go together"},
		{name: "lat out of range", options: "stations:\n  \"01541000\":\n    minor: 1\n    lat: 140\n    lon: 1\n", err: "outside [-90, 90]"},
		{name: "bad format", options: "format: wml\n" + oneStation, err: `format: "wml" is not usgs, ea or auto`},
		{name: "negative hysteresis", options: "hysteresis: -0.1\n" + oneStation, err: "hysteresis: -0.1"},
		{name: "hysteresis zero", options: "hysteresis: 0\n" + oneStation},
		{name: "negative max_age", options: "max_age: -1h\n" + oneStation, err: "max_age: -1h0m0s"},
		{name: "max_age off", options: "max_age: 0s\n" + oneStation},
		{name: "use_published without ea", options: "use_published: true\n" + oneStation, err: "use_published: needs format: ea"},
		{name: "use_published, no thresholds", options: "format: ea\nuse_published: true\nstations:\n  \"690142\": {}\n"},
		{name: "station_url without use_published", options: "station_url: https://example.org/{id}\n" + oneStation, err: "station_url: only used with use_published"},
		{name: "station_url without placeholder", options: "format: ea\nuse_published: true\nstation_url: https://example.org/st\n" + oneStation, err: "want {id}"},
		{name: "unknown option", options: "threshold: 1\n" + oneStation, err: `unknown key "threshold"`},
		{name: "unknown station key", options: "stations:\n  \"01541000\":\n    minr: 1\n", err: `unknown key "minr"`},
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
	c := newTestCollector(t, testURL, oneStation, nil, time.Time{})
	golden.Eq(t, "format", c.cfg.format, formatAuto)
	golden.Eq(t, "hysteresis", c.cfg.hysteresis, 0.1)
	golden.Eq(t, "max_age", c.cfg.maxAge, 6*time.Hour)
	golden.Eq(t, "parameter", c.cfg.parameter, "00065")
	ea := newTestCollector(t, "https://environment.data.gov.uk/flood-monitoring/data/readings?latest&parameter=level",
		"format: ea\nuse_published: true\nstations:\n  \"690142\": {}\n", nil, time.Time{})
	golden.Eq(t, "derived station_url", ea.stationURL, "https://environment.data.gov.uk/flood-monitoring/id/stations/{id}")
	golden.Eq(t, "station_url of another host", deriveStationURL("http://127.0.0.1:8080/readings"), "http://127.0.0.1:8080/id/stations/{id}")
}

func TestRegistered(t *testing.T) {
	k := golden.Registered(t, kindName, sample)
	golden.Eq(t, "Snapshot", k.Snapshot, true)
	golden.Eq(t, "Accept", k.Accept, "application/json")
}

// optionLine matches a commented top-level option of sample.yaml.
var optionLine = regexp.MustCompile(`^# [a-z_]+:`)

// TestSample builds a collector from sample.yaml as the daemon would, then
// again with its commented options turned on.
func TestSample(t *testing.T) {
	build := func(t *testing.T, src string) *collector {
		t.Helper()
		env, decode := golden.Sample(t, src, kindName, "", nil)
		if !strings.HasPrefix(env.URL, "https://waterservices.usgs.gov/nwis/iv/?format=json&sites=01541000") {
			t.Errorf("url = %q", env.URL)
		}
		c, err := New(env, decode)
		if err != nil {
			t.Fatalf("New from sample: %v", err)
		}
		return c.(*collector)
	}
	c := build(t, string(sample))
	golden.Eq(t, "sample major", c.cfg.stations["01541000"].limits.value[levelMajor], 14.0)

	// Turn the commented lines on: "#   " under stations, "# " at the top.
	// use_published needs format ea, so the USGS sample leaves it off.
	var lines []string
	for _, l := range strings.Split(string(sample), "\n") {
		switch {
		case strings.HasPrefix(l, "#   "):
			l = " " + l[1:]
		case optionLine.MatchString(l) && !strings.Contains(l, "use_published") && !strings.Contains(l, "station_url"):
			l = strings.TrimPrefix(l, "# ")
		}
		lines = append(lines, l)
	}
	c = build(t, strings.Join(lines, "\n"))
	golden.Eq(t, "sample extreme", c.cfg.stations["01541000"].limits.value[levelExtreme], 18.0)
	golden.Eq(t, "sample lat", *c.cfg.stations["01541000"].lat, 40.89700655)
	golden.Eq(t, "sample max_age", c.cfg.maxAge, 6*time.Hour)
}
