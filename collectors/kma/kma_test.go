package kma

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
	"github.com/hazardwire/hazardwire/collectors/internal/kmacode"
)

// keyForms are the forms of testKey that must never show in an error.
var keyForms = []string{testKey, url.QueryEscape(testKey), url.PathEscape(testKey), "Xk9+test", "Xk9%2Btest"}

func noKey(t *testing.T, what, s string) {
	t.Helper()
	for _, k := range keyForms {
		if strings.Contains(s, k) {
			t.Errorf("%s holds the service key (%q): %s", what, k, s)
		}
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		env     func(e *collectors.Env)
		options string // withKey adds the key unless it sets service_key
		err     string // "" for success
	}{
		{name: "defaults"},
		{name: "every option", options: "lookback: 144h\nnum_of_rows: 10000\nmax_pages: 100\nstn_id: \"108\"\narea_code: L1100200\n" +
			"fetch_text: true\nheavy_rain_flood: false\nkinds:\n  열대야: heat\n"},
		{name: "no key", options: "service_key: \"\"\n", err: "service_key is required"},
		{name: "key from an unset variable", options: "service_key: ${KMA_TEST_UNSET_VARIABLE}\n", err: `"KMA_TEST_UNSET_VARIABLE" is not set`},
		{name: "key from an empty variable", options: "service_key: ${KMA_TEST_UNSET_VARIABLE:-}\n", err: "service_key is required"},
		{name: "bad encoding", options: "service_key: \"" + testKey + "%zz\"\n", err: "not valid URL encoding"},
		{name: "white space inside", options: "service_key: \"Xk9+test KEY\"\n", err: "white space"},
		{name: "no name", env: func(e *collectors.Env) { e.Info.Name = "" }, err: "name is empty"},
		{name: "key in url", env: func(e *collectors.Env) { e.URL = DefaultURL + "?serviceKey=" + url.QueryEscape(testKey) }, err: "must not carry serviceKey"},
		{name: "key in url, other case", env: func(e *collectors.Env) { e.URL = DefaultURL + "?ServiceKey=" + testKey }, err: "must not carry serviceKey"},
		{name: "relative url", env: func(e *collectors.Env) { e.URL = "/1360000/WthrWrnInfoService/getPwnCd" }, err: "not an absolute http(s) URL"},
		{name: "other operation", env: func(e *collectors.Env) { e.URL = "https://apis.data.go.kr/1360000/WthrWrnInfoService/getPwnStatus" },
			err: "does not name the getPwnCd operation"},
		{name: "lookback zero", options: "lookback: 0\n", err: "lookback 0s is outside [1h, 144h0m0s]"},
		{name: "lookback too long", options: "lookback: 145h\n", err: "lookback 145h0m0s is outside"},
		{name: "num_of_rows zero", options: "num_of_rows: 0\n", err: "num_of_rows 0 is outside [1, 10000]"},
		{name: "num_of_rows too many", options: "num_of_rows: 10001\n", err: "num_of_rows 10001"},
		{name: "max_pages zero", options: "max_pages: 0\n", err: "max_pages 0"},
		{name: "station", options: "stn_id: seoul\n", err: `stn_id "seoul" is not a station number`},
		{name: "area", options: "area_code: l11\n", err: `area_code "l11" is not a warning zone code`},
		{name: "kinds, unknown kind", options: "kinds:\n  홍수: flood\n", err: `kinds: "홍수" is not a KMA warning kind`},
		{name: "kinds, heavy rain", options: "kinds:\n  호우: heat\n", err: "set by heavy_rain_flood"},
		{name: "unknown option", options: "servicekey: x\n", err: `unknown key "servicekey"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := testEnv("", nil)
			if tt.env != nil {
				tt.env(&env)
			}
			calls := 0
			c, err := New(env, golden.Decode(withKey(tt.options), &calls))
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
			noKey(t, "New error", err.Error())
		})
	}
}

func TestNewDefaults(t *testing.T) {
	c := newTestCollector(t, "", "", nil, time.Time{})
	golden.Eq(t, "url", c.pwnURL.String(), DefaultURL)
	golden.Eq(t, "text url", c.textURL.String(), "https://apis.data.go.kr/1360000/WthrWrnInfoService/getWthrWrnMsg")
	golden.Eq(t, "lookback", c.lookback, 72*time.Hour)
	golden.Eq(t, "num_of_rows", c.rows, 1000)
	golden.Eq(t, "max_pages", c.maxPages, 5)
	golden.Eq(t, "stn_id (not sent)", c.stnID, "")
	golden.Eq(t, "text station", c.textStn, "108")
	golden.Eq(t, "fetch_text", c.fetchText, false)
	if h, ok := c.mapper.classifier.Hazard(kmacode.HeavyRain); !ok || h != alert.HazardFlood {
		t.Errorf("호우 = %q, %v; want flood by default", h, ok)
	}
	if _, ok := c.mapper.classifier.Hazard(kmacode.TropicalNight); ok {
		t.Error("열대야 maps without the kinds option")
	}
}

// TestServiceKeyForms: the key given decoded or URL-encoded (as the portal
// shows both) goes out encoded exactly once.
func TestServiceKeyForms(t *testing.T) {
	want := ""
	for _, form := range []string{testKey, url.QueryEscape(testKey), " " + url.QueryEscape(testKey) + " "} {
		c := newTestCollector(t, "", "service_key: \""+form+"\"\n", nil, time.Time{})
		u := c.pageURL(c.pwnURL, url.Values{"fromTmFc": {"20260924"}}, 1)
		if want == "" {
			want = u
		}
		golden.Eq(t, "URL for key form "+form, u, want)
		parsed, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		golden.Eq(t, "serviceKey as the server reads it", parsed.Query().Get("serviceKey"), testKey)
		if !strings.HasSuffix(u, "&serviceKey="+url.QueryEscape(testKey)) || strings.Contains(u, "%252B") {
			t.Errorf("key not encoded exactly once: %s", u)
		}
	}
}

func TestWindowKST(t *testing.T) {
	// 20:00 UTC on the 26th is 05:00 KST on the 27th: the window ends on
	// the KST date, whatever the host's zone.
	now := time.Date(2026, 9, 26, 20, 0, 0, 0, time.UTC)
	from, to := window(now, 72*time.Hour)
	golden.Eq(t, "fromTmFc", from, "20260924")
	golden.Eq(t, "toTmFc", to, "20260927")
	from, to = window(now.In(time.FixedZone("PDT", -7*3600)), time.Hour)
	golden.Eq(t, "fromTmFc (1h)", from, "20260927")
	golden.Eq(t, "toTmFc (1h)", to, "20260927")
}

func TestRegistered(t *testing.T) {
	k := golden.Registered(t, "kma", sample)
	golden.Eq(t, "DefaultSchedule", k.DefaultSchedule, "@every 2m")
	golden.Eq(t, "Snapshot", k.Snapshot, false)
	golden.Eq(t, "Accept", k.Accept, "application/json")
}

// TestSample builds a collector from sample.yaml as the daemon would, with
// KMA_SERVICE_KEY set, then again with its commented options turned on.
func TestSample(t *testing.T) {
	lookup := func(name string) (string, bool) {
		if name == "KMA_SERVICE_KEY" {
			return url.QueryEscape(testKey), true
		}
		return "", false
	}
	build := func(t *testing.T, src string) *collector {
		t.Helper()
		c, err := New(golden.Sample(t, src, "kma", DefaultURL, lookup))
		if err != nil {
			t.Fatalf("New from sample: %v", err)
		}
		return c.(*collector)
	}
	c := build(t, string(sample))
	golden.Eq(t, "key from ${KMA_SERVICE_KEY}, decoded", c.key, testKey)

	before, after, ok := strings.Cut(string(sample), "# The kma kind's own options")
	if !ok {
		t.Fatal("sample.yaml lost its options marker")
	}
	_, after, _ = strings.Cut(after, "\n")
	var lines []string
	for _, l := range strings.Split(after, "\n") {
		lines = append(lines, strings.TrimPrefix(l, "# "))
	}
	c = build(t, before+strings.Join(lines, "\n"))
	golden.Eq(t, "fetch_text", c.fetchText, true)
	golden.Eq(t, "stn_id", c.stnID, "108")
	if h, ok := c.mapper.classifier.Hazard(kmacode.TropicalNight); !ok || h != alert.HazardHeat {
		t.Errorf("sample's kinds option not applied: %q, %v", h, ok)
	}
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
