package kmacode

import (
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/alert"
)

func TestKindOfVar(t *testing.T) {
	for v, want := range map[int]Kind{1: Wind, 2: HeavyRain, 5: StormSurge, 6: HighSeas, 7: Typhoon, 12: Heat, 13: TropicalNight} {
		if k, ok := KindOfVar(v); !ok || k != want {
			t.Errorf("KindOfVar(%d) = %q, %v; want %q", v, k, ok, want)
		}
	}
	for _, v := range []int{0, 10, 11, 14, -1} {
		if k, ok := KindOfVar(v); ok {
			t.Errorf("KindOfVar(%d) = %q, want none", v, k)
		}
	}
}

func TestKindOfHub(t *testing.T) {
	for in, want := range map[string]Kind{
		"H": Heat, "h": Heat, " R ": HeavyRain, "W": Wind, "O": StormSurge, "N": Tsunami, "F": Fog,
		"폭염": Heat, "호우": HeavyRain, " 호우 ": HeavyRain, "폭염특보": Heat, "해일": StormSurge, "폭풍해일": StormSurge,
		"지진해일": Tsunami, "열대야": TropicalNight, "안개": Fog,
	} {
		if k, ok := KindOfHub(in); !ok || k != want {
			t.Errorf("KindOfHub(%q) = %q, %v; want %q", in, k, ok, want)
		}
	}
	for _, in := range []string{"", "X", "HR", "홍수", "폭", "12"} {
		if k, ok := KindOfHub(in); ok {
			t.Errorf("KindOfHub(%q) = %q, want none", in, k)
		}
	}
	// Every letter is distinct, so that a letter names one kind.
	seen := map[string]Kind{}
	for _, k := range allKinds() {
		l := k.Letter()
		if prev, dup := seen[l]; dup && l != "" {
			t.Errorf("letter %q of %q and %q", l, prev, k)
		}
		seen[l] = k
	}
}

func TestLevels(t *testing.T) {
	for in, want := range map[string]Level{
		"1": Preliminary, "예비": Preliminary, "예비특보": Preliminary, "2": Advisory, "주의": Advisory, "주의보": Advisory,
		"3": Warning, "경보": Warning, " 경 보 ": Warning, "중대경보": Severe,
	} {
		if l, ok := LevelOfHub(in); !ok || l != want {
			t.Errorf("LevelOfHub(%q) = %v, %v; want %v", in, l, ok, want)
		}
	}
	for _, in := range []string{"", "0", "4", "특보", "warning"} {
		if _, ok := LevelOfHub(in); ok {
			t.Errorf("LevelOfHub(%q) read a level", in)
		}
	}
	for n, want := range map[int]Level{0: Advisory, 1: Warning, 2: Severe} {
		if l, ok := LevelOfStress(n); !ok || l != want {
			t.Errorf("LevelOfStress(%d) = %v, %v", n, l, ok)
		}
	}
	if _, ok := LevelOfStress(3); ok {
		t.Error("LevelOfStress(3) read a level")
	}
	for l, want := range map[Level]alert.Severity{Preliminary: alert.SeverityMinor, Advisory: alert.SeverityModerate,
		Warning: alert.SeveritySevere, Severe: alert.SeverityExtreme, LevelUnknown: alert.SeverityUnknown} {
		if got := l.Severity(); got != want {
			t.Errorf("%v.Severity() = %q, want %q", l, got, want)
		}
	}
	for _, c := range []struct {
		k    Kind
		l    Level
		want string
	}{{Heat, Advisory, "폭염주의보"}, {HeavyRain, Warning, "호우경보"}, {Heat, Severe, "폭염중대경보"},
		{HeavyRain, Preliminary, "호우예비특보"}, {Heat, LevelUnknown, "폭염특보"}} {
		if got := EventName(c.k, c.l); got != c.want {
			t.Errorf("EventName(%q, %v) = %q, want %q", c.k, c.l, got, c.want)
		}
	}
	if u, c := Preliminary.Timing(false); u != alert.UrgencyFuture || c != alert.CertaintyPossible {
		t.Errorf("preliminary timing = %q, %q", u, c)
	}
	if u, c := Warning.Timing(true); u != alert.UrgencyPast || c != alert.CertaintyObserved {
		t.Errorf("lifted timing = %q, %q", u, c)
	}
	if u, c := Advisory.Timing(false); u != alert.UrgencyExpected || c != alert.CertaintyLikely {
		t.Errorf("in-force timing = %q, %q", u, c)
	}
}

func TestClassifier(t *testing.T) {
	c, err := NewClassifier(true, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[Kind]alert.Hazard{Heat: alert.HazardHeat, HeavyRain: alert.HazardFlood}
	for _, k := range allKinds() {
		h, ok := c.Hazard(k)
		if w, mapped := want[k]; ok != mapped || h != w {
			t.Errorf("Hazard(%q) = %q, %v; want %q", k, h, ok, w)
		}
	}
	off, err := NewClassifier(false, map[string]string{"열대야": "heat", " 폭풍해일 ": "FLOOD"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := off.Hazard(HeavyRain); ok {
		t.Error("heavy rain maps with heavyRainFlood off")
	}
	if h, _ := off.Hazard(TropicalNight); h != alert.HazardHeat {
		t.Errorf("열대야 = %q", h)
	}
	if h, _ := off.Hazard(StormSurge); h != alert.HazardFlood {
		t.Errorf("폭풍해일 = %q", h)
	}
	for extra, msg := range map[string]string{
		"홍수": `"홍수" is not a KMA warning kind`, "폭염": "always heat", "호우": "heavy_rain_flood", "대설": `maps to "snow"`,
	} {
		v := "flood"
		if extra == "대설" {
			v = "snow"
		}
		if _, err := NewClassifier(true, map[string]string{extra: v}); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("NewClassifier(%q) error = %v, want %q", extra, err, msg)
		}
	}
}

func TestParseTime(t *testing.T) {
	got, err := ParseTime("202609261200")
	if err != nil {
		t.Fatal(err)
	}
	if s := got.Format(time.RFC3339); s != "2026-09-26T12:00:00+09:00" {
		t.Errorf("ParseTime = %s, want KST +09:00", s)
	}
	if !got.Equal(time.Date(2026, 9, 26, 3, 0, 0, 0, time.UTC)) {
		t.Errorf("ParseTime instant = %s", got.UTC())
	}
	for _, bad := range []string{"20260926", "2026092612000", "202613261200", "2026-09-26T12", "abcdefghijkl"} {
		if _, err := ParseTime(bad); err == nil {
			t.Errorf("ParseTime(%q) succeeded", bad)
		}
	}
	for _, unset := range []string{"", "0", " 0 ", "-"} {
		if tm, err := ParseOptionalTime(unset); err != nil || !tm.IsZero() {
			t.Errorf("ParseOptionalTime(%q) = %v, %v", unset, tm, err)
		}
	}
	if _, err := ParseOptionalTime("12"); err == nil {
		t.Error("ParseOptionalTime(12) succeeded")
	}
	if n, err := ParseInt(" 12 "); err != nil || n != 12 {
		t.Errorf("ParseInt = %d, %v", n, err)
	}
	if _, err := ParseInt("1.5"); err == nil {
		t.Error("ParseInt(1.5) succeeded")
	}
	if got := CleanText("\r\n a\r\nb\rc \r\n"); got != "a\nb\nc" {
		t.Errorf("CleanText = %q", got)
	}
}

func TestCheckZone(t *testing.T) {
	for _, ok := range []string{"L1090500", "S1131000", "L1060100", ""} {
		if err := CheckZone(ok); err != nil {
			t.Errorf("CheckZone(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"L10/0300", "L1 090500", "L1090500\n", "L1090500.", "강원"} {
		if CheckZone(bad) == nil {
			t.Errorf("CheckZone(%q) takes it", bad)
		}
	}
}
