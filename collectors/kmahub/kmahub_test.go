package kmahub

import (
	"net/url"
	"strings"
	"testing"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
	"github.com/hazardwire/hazardwire/collectors/internal/kmacode"
)

func noKey(t *testing.T, what, s string) {
	t.Helper()
	if strings.Contains(s, testKey) || strings.Contains(s, "Zk9tesT") {
		t.Errorf("%s holds the key: %s", what, s)
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		env     func(e *collectors.Env)
		options string
		err     string
	}{
		{name: "defaults"},
		{name: "every option", options: "heavy_rain_flood: false\nkinds:\n  열대야: heat\n  폭풍해일: flood\n"},
		{name: "no key", options: "auth_key: \"\"\n", err: "auth_key is required"},
		{name: "key with a space", options: "auth_key: \"Zk9tesT KEY\"\n", err: "white space"},
		{name: "no name", env: func(e *collectors.Env) { e.Info.Name = "" }, err: "name is empty"},
		{name: "key in url", env: func(e *collectors.Env) { e.URL = DefaultURL + "?authkey=" + testKey }, err: "must not carry authKey"},
		{name: "relative url", env: func(e *collectors.Env) { e.URL = "wrn_now_data.php" }, err: "not an absolute http(s) URL"},
		{name: "kinds, unknown", options: "kinds:\n  홍수: flood\n", err: `"홍수" is not a KMA warning kind`},
		{name: "kinds, heat moved", options: "kinds:\n  폭염: flood\n", err: "always heat"},
		{name: "unknown option", options: "authkey: x\n", err: `unknown key "authkey"`},
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
				if err != nil || c == nil {
					t.Fatalf("New: %v", err)
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

func TestRequestURL(t *testing.T) {
	c := newTestCollector(t, "", "", nil)
	golden.Eq(t, "default", c.requestURL(), DefaultURL+"?disp=1&fe=f&help=0&authKey="+testKey)
	if h, ok := c.mapper.classifier.Hazard(kmacode.HeavyRain); !ok || h != alert.HazardFlood {
		t.Errorf("호우 = %q, %v; want flood by default", h, ok)
	}
	// The url's own parameters win; the key is encoded once.
	c = newTestCollector(t, DefaultURL+"?fe=e&tm=202608051000", "auth_key: \"a+b/c\"\n", nil)
	u, err := url.Parse(c.requestURL())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	golden.Eq(t, "fe", q.Get("fe"), "e")
	golden.Eq(t, "tm", q.Get("tm"), "202608051000")
	golden.Eq(t, "disp", q.Get("disp"), "1")
	golden.Eq(t, "authKey", q.Get("authKey"), "a+b/c")
}

func TestRegistered(t *testing.T) {
	k := golden.Registered(t, "kmahub", sample)
	golden.Eq(t, "DefaultSchedule", k.DefaultSchedule, "@every 2m")
	golden.Eq(t, "Snapshot", k.Snapshot, true)
	golden.Eq(t, "Accept", k.Accept, "text/plain")
}

// TestSample builds a collector from sample.yaml as the daemon would, with
// KMA_APIHUB_KEY set, then again with its commented options turned on.
func TestSample(t *testing.T) {
	lookup := func(name string) (string, bool) {
		if name == "KMA_APIHUB_KEY" {
			return testKey, true
		}
		return "", false
	}
	build := func(t *testing.T, src string) *collector {
		t.Helper()
		c, err := New(golden.Sample(t, src, "kmahub", DefaultURL, lookup))
		if err != nil {
			t.Fatalf("New from sample: %v", err)
		}
		return c.(*collector)
	}
	golden.Eq(t, "key from ${KMA_APIHUB_KEY}", build(t, string(sample)).key, testKey)
	before, after, ok := strings.Cut(string(sample), "# The kmahub kind's own options")
	if !ok {
		t.Fatal("sample.yaml lost its options marker")
	}
	_, after, _ = strings.Cut(after, "\n")
	var lines []string
	for _, l := range strings.Split(after, "\n") {
		lines = append(lines, strings.TrimPrefix(l, "# "))
	}
	c := build(t, before+strings.Join(lines, "\n"))
	if h, ok := c.mapper.classifier.Hazard(kmacode.TropicalNight); !ok || h != alert.HazardHeat {
		t.Errorf("sample's kinds option not applied: %q, %v", h, ok)
	}
}

func TestCommands(t *testing.T) {
	for cmd, lifts := range map[string]bool{"": false, "1": false, "2": false, "5": false, "6": false, "발표": false, "대치": false,
		"연장": false, "변경": false, "3": true, "4": true, "7": true, "해제": true, "대치해제": true, "변경 해제": true} {
		got, ok := commandLifts(cmd)
		if !ok || got != lifts {
			t.Errorf("commandLifts(%q) = %v, %v; want %v", cmd, got, ok, lifts)
		}
	}
	for _, cmd := range []string{"8", "취소", "x"} {
		if _, ok := commandLifts(cmd); ok {
			t.Errorf("commandLifts(%q) read a command", cmd)
		}
	}
}

// TestAuthKeyFile: auth_key_file, read beside the config.
func TestAuthKeyFile(t *testing.T) {
	c := golden.SecretFile(t, "auth_key", testKey, func(dir, options string) (collectors.Collector, error) {
		env := testEnv("", nil)
		env.Dir = dir
		return New(env, golden.Decode(options, nil))
	})
	golden.Eq(t, "key", c.(*collector).key, testKey)
}

// TestUnreadableInForce: a flood or heat line the table still lists in
// force, but that cannot be read, names its key in Result.Unreadable, so
// that its alert keeps its last good state instead of expiring after grace
// (the table is a snapshot), or being decided by a readable line that it
// outranks (a preliminary or lifted one). An unreadable lift, a kind that
// is neither flood nor heat, or a line without a zone names none.
func TestUnreadableInForce(t *testing.T) {
	table := strings.Join([]string{
		"#START7777",
		"L1100000, 서울특별시, L1100200, 서울동남권, 2026080510, 202608051000, 폭염, 경보, 발표, =",   // TM_FC cut short
		"L1100000, 서울특별시, L1100300, 서울서남권, 202608051000, 202608051000, R, 2, 정정발표, =", // a CMD added later
		"L1100000, 서울특별시, L1100400, 서울서북권, 2026080510, 202608051000, 폭염, 경보, 해제, =",   // an unreadable lift
		"L1100000, 서울특별시, L1100100, 서울동북권, 2026080510, 202608051000, 강풍, 주의, 발표, =",   // not flood or heat
		"L1100000, 서울특별시, L11/0100, 서울, 202608051000, 202608051000, 폭염, 주의, 발표, =",    // no usable zone
		"L1100000, 서울특별시, L1100500, 서울, 202608051000, 202608051000, 폭염, 주의, 발표, =",
		// 경기: a readable 예비특보 and lift beside an unreadable 경보 in force.
		"L1030000, 경기도, L1030100, 수원, 202608051000, 202608061000, 폭염, 예비, 발표, =",
		"L1030000, 경기도, L1030100, 수원, 2026080510, 202608051000, 폭염, 경보, 발표, =",
		"L1030000, 경기도, L1030200, 성남, 202608051000, 202608051000, 폭염, 주의, 해제, =",
		"L1030000, 경기도, L1030200, 성남, 2026080510, 202608051000, 폭염, 경보, 발표, =",
		// 용인: a readable line in force decides; the unreadable one beside it
		// changes nothing.
		"L1030000, 경기도, L1030300, 용인, 202608051000, 202608051000, 폭염, 주의, 발표, =",
		"L1030000, 경기도, L1030300, 용인, 2026080510, 202608051000, 폭염, 경보, 발표, =",
		"#7777END",
	}, "\n")
	c := newTestCollector(t, "", "", nil)
	res, _, err := c.mapper.parse([]byte(table), "text/plain")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, it := range res.Items {
		keys = append(keys, it.Alert.Key)
	}
	golden.Eq(t, "items", strings.Join(keys, " "), "kmahub:L1030300/H kmahub:L1100500/H")
	golden.Eq(t, "unreadable", strings.Join(res.Unreadable, " "),
		"kmahub:L1030100/H kmahub:L1030200/H kmahub:L1100200/H kmahub:L1100300/R")
}
