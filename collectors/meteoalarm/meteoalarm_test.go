package meteoalarm

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/capdoc"
	"github.com/hazardwire/hazardwire/internal/yamlx"
)

const franceURL = "https://feeds.meteoalarm.org/feeds/meteoalarm-legacy-atom-france"

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		env     func(e *collectors.Env)
		options string
		err     string // "" for success
		check   func(t *testing.T, c *collector)
	}{
		{name: "defaults", check: func(t *testing.T, c *collector) {
			wantEq(t, "maxDocs, rainAsFlood, url", []any{c.maxDocs, c.mapper.rainAsFlood, c.url}, []any{200, false, franceURL})
		}},
		{name: "options", options: "rain_as_flood: true\nmax_documents: 50\n", check: func(t *testing.T, c *collector) {
			wantEq(t, "maxDocs, rainAsFlood", []any{c.maxDocs, c.mapper.rainAsFlood}, []any{50, true})
		}},
		{name: "no name", env: func(e *collectors.Env) { e.Info.Name = "" }, err: "collector name is empty"},
		{name: "no url", env: func(e *collectors.Env) { e.URL = "" }, err: "url is required"},
		{name: "relative url", env: func(e *collectors.Env) { e.URL = "/feeds/x" }, err: "not an absolute http(s) URL"},
		{name: "ftp url", env: func(e *collectors.Env) { e.URL = "ftp://feeds.meteoalarm.org/x" }, err: "not an absolute http(s) URL"},
		{name: "url secret redacted", env: func(e *collectors.Env) { e.URL = "feeds?token=hunter2hunter2" }, err: "token=REDACTED"},
		{name: "negative max_documents", options: "max_documents: -1\n", err: "max_documents -1 is negative"},
		{name: "rain_as_flood not a bool", options: "rain_as_flood: sometimes\n", err: "rain_as_flood"},
		{name: "unknown option", options: "rain_is_flood: true\n", err: `unknown key "rain_is_flood"`},
		{name: "options not a mapping", options: "- rain_as_flood\n", err: "must be a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := collectors.Env{Info: collectors.Info{Name: "meteoalarm-france", Kind: kindName}, URL: franceURL}
			if tt.env != nil {
				tt.env(&env)
			}
			calls := 0
			c, err := New(env, yamlDecode(tt.options, &calls))
			wantEq(t, "decode calls", calls, 1)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("New error = %v, want %q", err, tt.err)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("error shows the secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if tt.check != nil {
				tt.check(t, c.(*collector))
			}
		})
	}
}

func TestRegistered(t *testing.T) {
	k, ok := collectors.Lookup(kindName)
	if !ok {
		t.Fatalf("kind %q is not registered", kindName)
	}
	wantEq(t, "Accept", k.Accept, "application/atom+xml, application/cap+xml;q=0.9, application/xml;q=0.8, */*;q=0.5")
	wantEq(t, "Snapshot", k.Snapshot, true)
	wantEq(t, "DefaultSchedule", k.DefaultSchedule, "@every 5m")
	if _, err := collectors.ParseSchedule(k.DefaultSchedule); err != nil {
		t.Error(err)
	}
	if !bytes.Equal(k.Sample, sample) || len(sample) == 0 {
		t.Error("Sample is not the embedded sample.yaml")
	}
}

// commonKeys are the collector keys the daemon reads itself.
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
		wantEq(t, "kind, url", []string{common.Kind, common.URL}, []string{kindName, franceURL})
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

	before, after, ok := strings.Cut(string(sample), "# The meteoalarm kind's own options, with their defaults:\n")
	if !ok {
		t.Fatal("sample.yaml lost its options marker")
	}
	var lines []string
	for _, l := range strings.Split(after, "\n") {
		lines = append(lines, strings.TrimPrefix(l, "# "))
	}
	c := build(t, before+strings.Join(lines, "\n"))
	wantEq(t, "sample defaults", []any{c.maxDocs, c.mapper.rainAsFlood}, []any{200, false})
}

func TestAwarenessType(t *testing.T) {
	for v, want := range map[string]int{
		"5; high-temperature": 5, "5;HIGH-TEMPERATURE": 5, " 12 ; Flooding ": 12, "13; rain-flood": 13,
		"10; Rain": 10, "1; wind": 1, "2; Snow-Ice": 2, "flooding": 12, "; High Temperature": 5,
		"High_Temperature": 5, "rain flood": 13, "": -1, "heat": -1, "x; flooding": 12, "-5; rain": 10,
	} {
		if got := awarenessType(v); got != want {
			t.Errorf("awarenessType(%q) = %d, want %d", v, got, want)
		}
	}
}

func TestHazardOf(t *testing.T) {
	info := func(pairs ...string) *capdoc.Info {
		in := &capdoc.Info{}
		for i := 0; i+1 < len(pairs); i += 2 {
			in.Parameters = append(in.Parameters, capdoc.Pair{Name: pairs[i], Value: pairs[i+1]})
		}
		return in
	}
	tests := []struct {
		name string
		in   *capdoc.Info
		rain bool
		want alert.Hazard
		typ  int
	}{
		{"heat", info("awareness_type", "5; high-temperature"), false, heat, 5},
		{"flood", info("awareness_type", "12; flooding"), false, flood, 12},
		{"rain-flood", info("AWARENESS_TYPE", "13; rain-flood"), false, flood, 13},
		{"rain, default", info("awareness_type", "10; rain"), false, "", 0},
		{"rain, opted in", info("awareness_type", "10; rain"), true, flood, 10},
		{"11 is not flood", info("awareness_type", "11; unused"), false, "", 0},
		{"wind", info("awareness_type", "1; wind"), false, "", 0},
		{"no type", info("awareness_level", "3; orange; Severe"), false, "", 0},
		{"both hazards", info("awareness_type", "5; high-temperature", "awareness_type", "12; flooding"), false, "", 0},
		{"two flood types: the first", info("awareness_type", "13; rain-flood", "awareness_type", "12; flooding"), false, flood, 13},
		{"as an event code", &capdoc.Info{EventCodes: []capdoc.Pair{{Name: "awareness_type", Value: "5; high-temperature"}}}, false, heat, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mapper{rainAsFlood: tt.rain}
			h, typ, ok := m.hazardOf(tt.in)
			if ok != (tt.want != "") || h != tt.want || typ != tt.typ {
				t.Errorf("hazardOf = %q, %d, %v; want %q, %d", h, typ, ok, tt.want, tt.typ)
			}
		})
	}
}

func TestAwarenessLevel(t *testing.T) {
	for v, want := range map[string]int{
		"2; yellow; Moderate": 2, "3;Orange;Severe": 3, "4; red; Extreme": 4, "1; green; Minor": 1,
		"orange": 3, "; RED ;": 4, "5; purple": 0, "": 0, "0; yellow": 2, "x": 0,
	} {
		in := &capdoc.Info{Parameters: []capdoc.Pair{{Name: "awareness_level", Value: v}}}
		if got := awarenessLevel(in); got != want {
			t.Errorf("awarenessLevel(%q) = %d, want %d", v, got, want)
		}
	}
}
