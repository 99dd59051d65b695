package cap

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/feedtest"
)

func TestNew(t *testing.T) {
	srv := feedtest.NewServer(t)
	client := collectors.NewClient(collectors.ClientOptions{})
	fetcher := client.NewFetcher(collectors.FetchOptions{})
	env := func(name, url string) collectors.Env {
		return collectors.Env{Info: collectors.Info{Name: name, Kind: "cap"}, URL: url, Fetcher: fetcher}
	}
	for _, tc := range []struct {
		name    string
		env     collectors.Env
		options string
		wantErr string // "" for success
	}{
		{"defaults", env("c", srv.URL+"/index"), "", ""},
		{"all options", env("c", srv.URL+"/index"), "max_documents: 5\nkeywords: false\nevents:\n  Flood Watch: FLOOD\n  Heat Burst: none\n", ""},
		{"no url", env("c", ""), "", "url is required"},
		{"not http", env("c", "ftp://example.org/cap.xml"), "", "not an absolute http(s) URL"},
		{"relative url", env("c", "/cap.xml"), "", "not an absolute http(s) URL"},
		{"no name", env("", srv.URL), "", "collector name is empty"},
		{"negative max_documents", env("c", srv.URL), "max_documents: -1", "max_documents -1 is negative"},
		{"bad hazard", env("c", srv.URL), "events:\n  Flood Watch: rain\n", `maps to "rain", want flood, heat or none`},
		{"empty event name", env("c", srv.URL), "events:\n  \" \": flood\n", "empty event name"},
		{"conflicting event names", env("c", srv.URL), "events:\n  Flood Watch: flood\n  FLOOD WATCH: heat\n", "given twice"},
		{"unknown key", env("c", srv.URL), "max_document: 3", "field max_document not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			c, err := New(tc.env, yamlDecode(tc.options, &calls))
			wantEq(t, "decode calls", calls, 1)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if c == nil {
				t.Fatal("New returned a nil collector")
			}
		})
	}
	wantEq(t, "New does no I/O", srv.Total(), 0)
}

func TestNewDefaultsAndOptions(t *testing.T) {
	c := newCollector(t, "https://example.test/index", "", nil)
	wantEq(t, "default max_documents", c.maxDocs, 200)
	wantEq(t, "default keywords", c.mapper.keywords, true)
	wantEq(t, "source", c.mapper.source, "test")

	c = newCollector(t, "https://example.test/index", "max_documents: 7\nkeywords: false\nevents:\n  ' Flood Watch ': Heat\n  Storm: none\n", nil)
	wantEq(t, "max_documents", c.maxDocs, 7)
	wantEq(t, "keywords", c.mapper.keywords, false)
	wantEq(t, "events", len(c.mapper.events), 2)
	if r := c.mapper.events["flood watch"]; r.hazard != alert.HazardHeat || r.none {
		t.Errorf("events[flood watch] = %+v, want heat", r)
	}
	if r := c.mapper.events["storm"]; !r.none {
		t.Errorf("events[storm] = %+v, want none", r)
	}
}

func TestNewPassesDecodeErrorOn(t *testing.T) {
	boom := errors.New("config.yaml:7:3: boom")
	_, err := New(collectors.Env{Info: collectors.Info{Name: "c"}, URL: "https://example.test/"}, func(any) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the decoder's error", err)
	}
}

func TestCollectWithoutFetcher(t *testing.T) {
	c, err := New(collectors.Env{Info: collectors.Info{Name: "c"}, URL: "https://example.test/"}, yamlDecode("", nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Collect(t.Context()); err == nil || !strings.Contains(err.Error(), "no fetcher") {
		t.Fatalf("err = %v, want a missing-fetcher error", err)
	}
}

func TestRegistered(t *testing.T) {
	k, ok := collectors.Lookup("cap")
	if !ok {
		t.Fatal(`kind "cap" is not registered`)
	}
	wantEq(t, "name", k.Name, "cap")
	wantEq(t, "schedule", k.DefaultSchedule, "@every 2m")
	wantEq(t, "snapshot", k.Snapshot, true)
	wantEq(t, "sample", bytes.Equal(k.Sample, sample) && len(sample) > 0, true)
	if k.New == nil {
		t.Fatal("no factory")
	}
}

// The sample is one collectors entry: a mapping with the common keys, and
// the options it shows in comments decode strictly and build a collector.
func TestSample(t *testing.T) {
	var entry struct {
		Name      string `yaml:"name"`
		Kind      string `yaml:"kind"`
		Schedule  string `yaml:"schedule"`
		URL       string `yaml:"url"`
		UserAgent string `yaml:"user_agent"`
		Options   `yaml:",inline"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(sample))
	dec.KnownFields(true)
	if err := dec.Decode(&entry); err != nil {
		t.Fatalf("sample.yaml is not one strict collectors entry: %v", err)
	}
	wantEq(t, "kind", entry.Kind, "cap")
	if !regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`).MatchString(entry.Name) {
		t.Errorf("name %q is not a valid collector name", entry.Name)
	}
	if !strings.HasPrefix(entry.URL, "https://") {
		t.Errorf("url %q is not https", entry.URL)
	}

	// Uncomment the documented options and build a collector with them.
	_, commented, ok := strings.Cut(string(sample), "own options, with their defaults:\n")
	if !ok {
		t.Fatal("sample.yaml lost its commented options")
	}
	var opts strings.Builder
	for line := range strings.Lines(commented) {
		opts.WriteString(strings.TrimPrefix(line, "# "))
	}
	env := collectors.Env{Info: collectors.Info{Name: entry.Name}, URL: entry.URL}
	calls := 0
	c, err := New(env, yamlDecode(opts.String(), &calls))
	if err != nil {
		t.Fatalf("the sample's commented options do not build a collector: %v\n%s", err, opts.String())
	}
	col := c.(*collector)
	wantEq(t, "documented max_documents is the default", col.maxDocs, defaultMaxDocuments)
	wantEq(t, "documented events", len(col.mapper.events), 2)

	readme := string(readFile(t, "README.md"))
	if !strings.Contains(readme, "```yaml\n"+string(sample)+"```") {
		t.Error("README.md's sample is not sample.yaml")
	}
}
