package mois

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
		options string // YAML; the test key is prepended unless noKey
		noKey   bool
		err     string // "" for success
	}{
		{name: "defaults"},
		{name: "all options", options: "region: 서울특별시\nlookback_days: 2\npage_size: 500\nmax_pages: 5\nexpire_after: 12h\ntyphoon_as_flood: true\nkeywords: true\n"},
		{name: "lookback 0", options: "lookback_days: 0\n"},
		{name: "no key", noKey: true, err: "mois: service_key is required"},
		{name: "blank key", noKey: true, options: "service_key: \"  \"\n", err: "service_key is required"},
		{name: "no name", env: func(e *collectors.Env) { e.Info.Name = "" }, err: "name is empty"},
		{name: "relative url", env: func(e *collectors.Env) { e.URL = "/V2/api/DSSP-IF-00247" }, err: "not an absolute http(s) URL"},
		{name: "key in url", env: func(e *collectors.Env) { e.URL = DefaultURL + "?ServiceKey=" + testKey }, err: "carries serviceKey: set the service_key option"},
		{name: "lookback negative", options: "lookback_days: -1\n", err: "lookback_days -1 is not between 0 and 7"},
		{name: "lookback too long", options: "lookback_days: 8\n", err: "lookback_days 8 is not between 0 and 7"},
		{name: "page_size too big", options: "page_size: 1001\n", err: "page_size 1001 is not between 1 and 1000"},
		{name: "page_size negative", options: "page_size: -1\n", err: "page_size -1"},
		{name: "max_pages negative", options: "max_pages: -3\n", err: "max_pages -3 is not between 1 and 1000"},
		{name: "expire_after too short", options: "expire_after: 30s\n", err: "expire_after 30s is not between 1m and 168h0m0s"},
		{name: "expire_after negative", options: "expire_after: -1h\n", err: "expire_after -1h0m0s"},
		{name: "expire_after too long", options: "expire_after: 200h\n", err: "expire_after 200h0m0s"},
		{name: "unknown option", options: "typhoon: true\n", err: `unknown key "typhoon"`},
		{name: "options not a mapping", noKey: true, options: "- keywords\n", err: "must be a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := testEnv("", nil)
			if tt.env != nil {
				tt.env(&env)
			}
			src := tt.options
			if !tt.noKey {
				src = withKey(src)
			}
			calls := 0
			c, err := New(env, golden.Decode(src, &calls))
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
			for _, form := range keyForms(testKey) {
				if strings.Contains(err.Error(), form) {
					t.Errorf("error %q shows the key", err)
				}
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	c := newTestCollector(t, "", "", nil)
	golden.Eq(t, "url", c.url.String(), DefaultURL)
	golden.Eq(t, "lookback", c.lookback, 1)
	golden.Eq(t, "page size", c.pageSize, 1000)
	golden.Eq(t, "max pages", c.maxPages, 20)
	golden.Eq(t, "expire after", c.mapper.expireAfter, 24*time.Hour)
	golden.Eq(t, "typhoon", c.mapper.typhoon, false)
	golden.Eq(t, "keywords", c.mapper.keywords, false)
	golden.Eq(t, "key", c.key, testKey)
}

// TestServiceKeyEncoded: the portal's percent-encoded key form is sent
// decoded, so that the request does not encode it twice.
func TestServiceKeyEncoded(t *testing.T) {
	c, err := New(testEnv("", nil), golden.Decode("service_key: \"TESTKEY%2Bs3cr3t%2FXy%3D%3D\"\n", nil))
	if err != nil {
		t.Fatal(err)
	}
	mc := c.(*collector)
	golden.Eq(t, "key", mc.key, testKey)
	if !strings.HasSuffix(mc.pageURL("20260818", 1), "&serviceKey=TESTKEY%2Bs3cr3t%2FXy%3D%3D") {
		t.Errorf("page URL %q does not carry the key encoded once", mc.pageURL("20260818", 1))
	}
}

func TestPageURL(t *testing.T) {
	c := newTestCollector(t, "https://www.safetydata.go.kr/V2/api/DSSP-IF-00247?pageNo=9&extra=1", "region: 서울특별시 종로구\npage_size: 50\n", nil)
	got := c.pageURL("20260818", 3)
	want := "https://www.safetydata.go.kr/V2/api/DSSP-IF-00247?crtDt=20260818&extra=1&numOfRows=50&pageNo=3&returnType=json" +
		"&rgnNm=%EC%84%9C%EC%9A%B8%ED%8A%B9%EB%B3%84%EC%8B%9C+%EC%A2%85%EB%A1%9C%EA%B5%AC&serviceKey=TESTKEY%2Bs3cr3t%2FXy%3D%3D"
	golden.Eq(t, "page URL", got, want)
}

// TestDays: the days asked for are KST dates, today first; past days only
// while their messages can still be in force.
func TestDays(t *testing.T) {
	tests := []struct {
		name    string
		options string
		now     string
		want    string
	}{
		// 15:30 UTC is 00:30 KST the next day: a UTC date would ask for the wrong day.
		{"KST date after UTC midnight", "", "2026-08-18T15:30:00Z", "20260819 20260818"},
		{"KST date before UTC midnight", "", "2026-08-18T14:59:59Z", "20260818 20260817"},
		{"no lookback", "lookback_days: 0\n", "2026-08-18T03:00:00Z", "20260818"},
		{"two days", "lookback_days: 2\nexpire_after: 48h\n", "2026-08-18T03:00:00Z", "20260818 20260817 20260816"},
		{"two days, the older expired", "lookback_days: 2\n", "2026-08-18T03:00:00Z", "20260818 20260817"},
		{"yesterday's messages all expired", "expire_after: 6h\n", "2026-08-18T06:00:00+09:00", "20260818"},
		{"yesterday's last message still in force", "expire_after: 6h\n", "2026-08-18T05:59:59+09:00", "20260818 20260817"},
		{"older days expired, yesterday not", "lookback_days: 3\n", "2026-08-18T12:00:00+09:00", "20260818 20260817"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now, err := time.Parse(time.RFC3339, tt.now)
			if err != nil {
				t.Fatal(err)
			}
			c := newTestCollector(t, "", tt.options, nil)
			golden.Eq(t, "days", strings.Join(c.days(now), " "), tt.want)
		})
	}
}

func TestRegistered(t *testing.T) {
	k := golden.Registered(t, "mois", sample)
	golden.Eq(t, "DefaultSchedule", k.DefaultSchedule, "@every 2m")
	golden.Eq(t, "Snapshot", k.Snapshot, false)
	golden.Eq(t, "Accept", k.Accept, "application/json")
}

// TestSample builds a collector from sample.yaml as the daemon would, then
// again with its commented options turned on.
func TestSample(t *testing.T) {
	t.Setenv("MOIS_SERVICE_KEY", testKey)
	build := func(t *testing.T, src string) *collector {
		t.Helper()
		c, err := New(golden.Sample(t, src, "mois", DefaultURL, nil))
		if err != nil {
			t.Fatalf("New from sample: %v", err)
		}
		return c.(*collector)
	}
	c := build(t, string(sample))
	golden.Eq(t, "key from the environment", c.key, testKey)

	// Turn the commented options on: every line after the marker, "# " removed.
	before, after, ok := strings.Cut(string(sample), "# The mois kind's own options, with their defaults:\n")
	if !ok {
		t.Fatal("sample.yaml lost its options marker")
	}
	var lines []string
	for _, l := range strings.Split(after, "\n") {
		lines = append(lines, strings.TrimPrefix(l, "# "))
	}
	c = build(t, before+strings.Join(lines, "\n"))
	golden.Eq(t, "region", c.region, "서울특별시")
	golden.Eq(t, "lookback", c.lookback, 1)
	golden.Eq(t, "page size", c.pageSize, 1000)
	golden.Eq(t, "max pages", c.maxPages, 20)
	golden.Eq(t, "expire after", c.mapper.expireAfter, 24*time.Hour)
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
