package eafloods

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/internal/yamlx"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		env     func(e *collectors.Env)
		options string
		url     string // the URL polled; "" when New fails
		err     string // "" for success
	}{
		{name: "defaults", url: DefaultURL},
		{name: "configured url", env: func(e *collectors.Env) {
			e.URL = "https://environment.data.gov.uk/flood-monitoring/id/floods?county=Somerset"
		},
			url: "https://environment.data.gov.uk/flood-monitoring/id/floods?county=Somerset"},
		{name: "min_severity", options: "min_severity: 3\n", url: DefaultURL + "?min-severity=3"},
		{name: "min_severity with a query", options: "min_severity: 2\n",
			env: func(e *collectors.Env) { e.URL = DefaultURL + "?lat=54.0&long=-1.1&dist=20" },
			url: DefaultURL + "?dist=20&lat=54.0&long=-1.1&min-severity=2"},
		{name: "min_severity 4", options: "min_severity: 4\n", url: DefaultURL + "?min-severity=4"},
		{name: "min_severity 0", options: "min_severity: 0\n", err: "min_severity: 0 is not a severity level 1 to 4"},
		{name: "min_severity 5", options: "min_severity: 5\n", err: "min_severity: 5 is not a severity level 1 to 4"},
		{name: "min_severity not a number", options: "min_severity: severe\n", err: "min_severity"},
		{name: "min_severity twice", options: "min_severity: 3\n", env: func(e *collectors.Env) { e.URL = DefaultURL + "?min-severity=2" },
			err: "the url already has a min-severity parameter"},
		{name: "no name", env: func(e *collectors.Env) { e.Info.Name = "" }, err: "name is empty"},
		{name: "relative url", env: func(e *collectors.Env) { e.URL = "/id/floods" }, err: "not an absolute http(s) URL"},
		{name: "ftp url", env: func(e *collectors.Env) { e.URL = "ftp://environment.data.gov.uk/id/floods" }, err: "not an absolute http(s) URL"},
		{name: "unknown option", options: "minseverity: 3\n", err: `unknown key "minseverity"`},
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
			eq(t, "url", c.(*collector).url, tt.url)
		})
	}
}

func TestRegistered(t *testing.T) {
	k, ok := collectors.Lookup(kindName)
	if !ok {
		t.Fatal(`kind "eafloods" is not registered`)
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
			Name     string `yaml:"name"`
			Kind     string `yaml:"kind"`
			Schedule string `yaml:"schedule"`
			URL      string `yaml:"url"`
		}
		if errs := yamlx.Decode(node, &common, yamlx.Options{AllowUnknown: true}); errs != nil {
			t.Fatal(errs)
		}
		eq(t, "kind", common.Kind, "eafloods")
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
	eq(t, "sample url", build(t, string(sample)).url, DefaultURL)

	// Turn the commented options on: every line after the marker, "# " removed.
	before, after, ok := strings.Cut(string(sample), "# The eafloods kind's own options, with their defaults:\n")
	if !ok {
		t.Fatal("sample.yaml lost its options marker")
	}
	var lines []string
	for _, l := range strings.Split(after, "\n") {
		lines = append(lines, strings.TrimPrefix(l, "# "))
	}
	eq(t, "sample url with options", build(t, before+strings.Join(lines, "\n")).url, DefaultURL+"?min-severity=4")
}
