package eafloods

import (
	"strings"
	"testing"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
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
			golden.Eq(t, "url", c.(*collector).url, tt.url)
		})
	}
}

func TestRegistered(t *testing.T) {
	k := golden.Registered(t, kindName, sample)
	golden.Eq(t, "DefaultSchedule", k.DefaultSchedule, "@every 5m")
	golden.Eq(t, "Snapshot", k.Snapshot, true)
	golden.Eq(t, "Accept", k.Accept, "application/json")
}

// TestSample builds a collector from sample.yaml as the daemon would, then
// again with its commented options turned on.
func TestSample(t *testing.T) {
	build := func(t *testing.T, src string) *collector {
		t.Helper()
		c, err := New(golden.Sample(t, src, "eafloods", DefaultURL, nil))
		if err != nil {
			t.Fatalf("New from sample: %v", err)
		}
		return c.(*collector)
	}
	golden.Eq(t, "sample url", build(t, string(sample)).url, DefaultURL)

	// Turn the commented options on: every line after the marker, "# " removed.
	before, after, ok := strings.Cut(string(sample), "# The eafloods kind's own options, with their defaults:\n")
	if !ok {
		t.Fatal("sample.yaml lost its options marker")
	}
	var lines []string
	for _, l := range strings.Split(after, "\n") {
		lines = append(lines, strings.TrimPrefix(l, "# "))
	}
	golden.Eq(t, "sample url with options", build(t, before+strings.Join(lines, "\n")).url, DefaultURL+"?min-severity=4")
}
