package gdacs

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/internal/yamlx"
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
			eq(t, "format", m.format, formatAuto)
			eq(t, "snapshot", m.snapshot, true)
			eq(t, "expires_after", m.expiresAfter, 168*time.Hour)
			eq(t, "radius_km", m.radiusKm, 0.0)
			eq(t, "bbox_polygon", m.bboxPolygon, false)
		}},
		{name: "every option", options: "format: GeoJSON\nsnapshot: false\nexpires_after: 48h\nradius_km: 25\nbbox_polygon: true\n",
			check: func(t *testing.T, m mapper) {
				eq(t, "format", m.format, formatGeoJSON)
				eq(t, "snapshot", m.snapshot, false)
				eq(t, "expires_after", m.expiresAfter, 48*time.Hour)
				eq(t, "radius_km", m.radiusKm, 25.0)
				eq(t, "bbox_polygon", m.bboxPolygon, true)
			}},
		{name: "no expiry", options: "expires_after: 0s\n", check: func(t *testing.T, m mapper) { eq(t, "expires_after", m.expiresAfter, time.Duration(0)) }},
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
			c, err := New(env, yamlDecode(tt.options, &calls))
			eq(t, "decode calls", calls, 1)
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
	eq(t, "default url", newTestCollector(t, "", "", nil).url, DefaultURL)
	const u = "https://www.gdacs.org/gdacsapi/api/events/geteventlist/EVENTS4APP"
	eq(t, "configured url", newTestCollector(t, u, "", nil).url, u)
}

func TestRegistered(t *testing.T) {
	k, ok := collectors.Lookup(kindName)
	if !ok {
		t.Fatal(`kind "gdacs" is not registered`)
	}
	eq(t, "DefaultSchedule", k.DefaultSchedule, "@every 10m")
	eq(t, "Snapshot", k.Snapshot, true)
	eq(t, "Accept", k.Accept, "application/rss+xml, application/xml;q=0.9, application/geo+json;q=0.8, application/json;q=0.8")
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
// again with its commented options turned on: they must be the defaults.
func TestSample(t *testing.T) {
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
		eq(t, "kind", common.Kind, "gdacs")
		eq(t, "url", common.URL, DefaultURL)
		if _, err := collectors.ParseSchedule(common.Schedule); err != nil {
			t.Error(err)
		}
		env := collectors.Env{Info: collectors.Info{Name: common.Name, Kind: common.Kind}, URL: common.URL}
		c, err := New(env, func(v any) error {
			return yamlx.Decode(yamlx.Sub(node, commonKeys), v, yamlx.Options{File: "sample.yaml"}).Err()
		})
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
