package gdacs

import (
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		env     func(e *collectors.Env)
		options string
		err     string // "" for success
		check   func(t *testing.T, m mapper)
	}{
		{name: "defaults", check: func(t *testing.T, m mapper) {
			golden.Eq(t, "format", m.format, formatAuto)
			golden.Eq(t, "snapshot", m.snapshot, true)
			golden.Eq(t, "expires_after", m.expiresAfter, 168*time.Hour)
			golden.Eq(t, "radius_km", m.radiusKm, 0.0)
			golden.Eq(t, "bbox_polygon", m.bboxPolygon, false)
		}},
		{name: "every option", options: "format: GeoJSON\nsnapshot: false\nexpires_after: 48h\nradius_km: 25\nbbox_polygon: true\n",
			check: func(t *testing.T, m mapper) {
				golden.Eq(t, "format", m.format, formatGeoJSON)
				golden.Eq(t, "snapshot", m.snapshot, false)
				golden.Eq(t, "expires_after", m.expiresAfter, 48*time.Hour)
				golden.Eq(t, "radius_km", m.radiusKm, 25.0)
				golden.Eq(t, "bbox_polygon", m.bboxPolygon, true)
			}},
		{name: "no expiry", options: "expires_after: 0s\n", check: func(t *testing.T, m mapper) { golden.Eq(t, "expires_after", m.expiresAfter, time.Duration(0)) }},
		{name: "unknown format", options: "format: atom\n", err: `gdacs: format "atom" is not auto, rss or geojson`},
		{name: "negative expiry", options: "expires_after: -1h\n", err: "gdacs: expires_after -1h0m0s is negative"},
		{name: "negative radius", options: "radius_km: -1\n", err: "gdacs: radius_km -1 is not between 0 and 20000"},
		{name: "huge radius", options: "radius_km: 1e9\n", err: "radius_km 1e+09 is not between 0 and 20000"},
		{name: "unknown option", options: "radius: 5\n", err: `unknown key "radius"`},
		{name: "bad duration", options: "expires_after: 7d\n", err: "expires_after"},
		{name: "no name", env: func(e *collectors.Env) { e.Info.Name = "" }, err: "name is empty"},
		{name: "relative url", env: func(e *collectors.Env) { e.URL = "/xml/rss.xml" }, err: `gdacs: url "/xml/rss.xml" is not an absolute http(s) URL`},
		{name: "ftp url", env: func(e *collectors.Env) { e.URL = "ftp://www.gdacs.org/xml/rss.xml" }, err: "not an absolute http(s) URL"},
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
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("New error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if tt.check != nil {
				tt.check(t, c.(*collector).mapper)
			}
		})
	}
}

func TestNewURL(t *testing.T) {
	golden.Eq(t, "default url", newTestCollector(t, "", "", nil).url, DefaultURL)
	const u = "https://www.gdacs.org/gdacsapi/api/events/geteventlist/EVENTS4APP"
	golden.Eq(t, "configured url", newTestCollector(t, u, "", nil).url, u)
}

func TestRegistered(t *testing.T) {
	k := golden.Registered(t, kindName, sample)
	golden.Eq(t, "DefaultSchedule", k.DefaultSchedule, "@every 10m")
	golden.Eq(t, "Snapshot", k.Snapshot, true)
	golden.Eq(t, "Accept", k.Accept, "application/rss+xml, application/xml;q=0.9, application/geo+json;q=0.8, application/json;q=0.8")
}

// TestSample builds a collector from sample.yaml as the daemon would, then
// again with its commented options turned on: they must be the defaults.
func TestSample(t *testing.T) {
	build := func(t *testing.T, src string) *collector {
		t.Helper()
		c, err := New(golden.Sample(t, src, "gdacs", DefaultURL, nil))
		if err != nil {
			t.Fatalf("New from sample: %v", err)
		}
		return c.(*collector)
	}
	plain := build(t, string(sample))

	before, after, ok := strings.Cut(string(sample), "# The gdacs kind's own options, with their defaults:\n")
	if !ok {
		t.Fatal("sample.yaml lost its options marker")
	}
	var lines []string
	for _, l := range strings.Split(after, "\n") {
		lines = append(lines, strings.TrimPrefix(l, "# "))
	}
	on := build(t, before+strings.Join(lines, "\n"))
	if on.mapper != plain.mapper {
		t.Errorf("the sample's commented options are not the defaults: %+v, want %+v", on.mapper, plain.mapper)
	}
}
