package hrfco

import (
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

func TestParseTime(t *testing.T) {
	tests := []struct{ in, want string }{
		// Without an offset, every form is KST (+09:00).
		{"202307151400", "2023-07-15T14:00:00+09:00"},
		{"20230715140030", "2023-07-15T14:00:30+09:00"},
		{"2023-07-15 14:00", "2023-07-15T14:00:00+09:00"},
		{" 2023-07-15 14:00:05 ", "2023-07-15T14:00:05+09:00"},
		{"2023-07-15T14:00", "2023-07-15T14:00:00+09:00"},
		{"2023/07/15 14:00", "2023-07-15T14:00:00+09:00"},
		{"2023.07.15 14:00", "2023-07-15T14:00:00+09:00"},
		// An explicit offset is kept.
		{"2023-07-15T05:00:00Z", "2023-07-15T05:00:00Z"},
		{"2023-07-15T14:00:00+09:00", "2023-07-15T14:00:00+09:00"},
	}
	for _, tt := range tests {
		got, err := parseTime(str(tt.in))
		if err != nil {
			t.Errorf("parseTime(%q): %v", tt.in, err)
			continue
		}
		golden.Eq(t, "parseTime("+tt.in+")", got.Format(time.RFC3339), tt.want)
	}
	got, _ := parseTime("202307151400")
	golden.Eq(t, "KST instant", got.UTC().Format(time.RFC3339), "2023-07-15T05:00:00Z")
	_, offset := got.Zone()
	golden.Eq(t, "offset seconds", offset, 9*3600)
	for _, bad := range []string{"", "2023071514", "15/07/2023 14:00", "202313151400", "오늘"} {
		if _, err := parseTime(str(bad)); err == nil {
			t.Errorf("parseTime(%q) succeeded", bad)
		}
	}
	if p, err := optionalTime(""); p != nil || err != nil {
		t.Errorf("optionalTime(\"\") = %v, %v", p, err)
	}
}

func TestParseDMS(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
		err  bool
	}{
		{"127-05-55", 127 + 5.0/60 + 55.0/3600, true, false},
		{" 37-30-00 ", 37.5, true, false},
		{"127-5-5", 127 + 5.0/60 + 5.0/3600, true, false},
		{"126-57-28.5", 126 + 57.0/60 + 28.5/3600, true, false},
		{"127.0986", 127.0986, true, false},
		{"", 0, false, false},
		{"127-60-00", 0, false, true},
		{"127-05-60", 0, false, true},
		{"127.5-05-00", 0, false, true},
		{"127-05", 0, false, true},
		{"-127-05-55", 0, false, true},
		{"NaN", 0, false, true},
		{"1e2", 0, false, true},
		{"127-05-5x", 0, false, true},
		{"400", 0, false, true},
		{"1.2.3", 0, false, true},
	}
	for _, tt := range tests {
		got, ok, err := parseDMS(str(tt.in))
		if (err != nil) != tt.err || ok != tt.ok || (ok && round6(got) != round6(tt.want)) {
			t.Errorf("parseDMS(%q) = %v, %v, %v; want %v, %v, error %v", tt.in, got, ok, err, tt.want, tt.ok, tt.err)
		}
	}
	p, ok, err := position("37-30-55", "126-57-28")
	if err != nil || !ok || p.Lat != 37.515278 || p.Lon != 126.957778 {
		t.Errorf("position = %+v, %v, %v", p, ok, err)
	}
	if _, ok, err := position("", "126-57-28"); ok || err != nil {
		t.Errorf("position without lat: ok %v, err %v", ok, err)
	}
	if _, _, err := position("127-05-55", "37-30-55"); err == nil {
		t.Error("a swapped pair (lat 127) passed silently")
	}
	if _, _, err := position("95-00-00", "127-00-00"); err == nil {
		t.Error("lat 95 accepted")
	}
}

func TestNumber(t *testing.T) {
	for in, want := range map[string]float64{"4.50": 4.5, " -0.12 ": -0.12, "12": 12, "1e2": 100} {
		v, ok, err := number(str(in))
		if err != nil || !ok || v != want {
			t.Errorf("number(%q) = %v, %v, %v", in, v, ok, err)
		}
	}
	if _, ok, err := number(""); ok || err != nil {
		t.Errorf("number(\"\"): ok %v, err %v", ok, err)
	}
	for _, bad := range []string{"NaN", "Inf", "-Inf", "1e400", "4,5", "높음", "0x10", "2e9"} {
		if _, _, err := number(str(bad)); err == nil {
			t.Errorf("number(%q) succeeded", bad)
		}
	}
	golden.Eq(t, "mm(4.505)", mm(4.505), int64(4505))
	golden.Eq(t, "mm(-0.0125)", mm(-0.0125), int64(-13))
}

func TestClassify(t *testing.T) {
	tests := []struct {
		kind     string
		ok       bool
		severity alert.Severity
		intent   collectors.Intent
	}{
		{"홍수주의보", true, alert.SeverityModerate, collectors.IntentActive},
		{"홍수경보", true, alert.SeveritySevere, collectors.IntentActive},
		{"홍수주의보 발령", true, alert.SeverityModerate, collectors.IntentActive},
		{" 홍수 경보 ", true, alert.SeveritySevere, collectors.IntentActive},
		{"홍수주의보 해제", true, alert.SeverityModerate, collectors.IntentCancel},
		{"홍수경보해제", true, alert.SeveritySevere, collectors.IntentCancel},
		{"해제", true, alert.SeverityModerate, collectors.IntentCancel},
		{"경보", true, alert.SeveritySevere, collectors.IntentActive},
		{"홍수정보", false, "", ""},
		{"호우경보", false, "", ""},
		{"홍수경보→홍수주의보", false, "", ""},
		{"", false, "", ""},
		{"발령", false, "", ""},
	}
	for _, tt := range tests {
		r, ok := classify(tt.kind)
		if ok != tt.ok || r.severity != tt.severity || r.intent != tt.intent {
			t.Errorf("classify(%q) = %+v, %v; want %v %v, %v", tt.kind, r, ok, tt.severity, tt.intent, tt.ok)
		}
	}
}

// testStation has thresholds 4, 5, 6, 7 m (관심, 주의, 경계, 심각).
func testStation() station {
	return station{code: "1019630", name: "고양시(행주대교)", level: [4]int64{4000, 5000, 6000, 7000}, set: [4]bool{true, true, true, true}}
}

func TestNextStage(t *testing.T) {
	st := testStation()
	partial := station{level: [4]int64{0, 5000, 0, 7000}, set: [4]bool{false, true, false, true}}
	tests := []struct {
		name string
		st   *station
		was  int
		wl   int64
		want int
	}{
		{"below all", &st, 0, 3999, 0},
		{"at 관심", &st, 0, 4000, 1},
		{"at 주의 exactly", &st, 0, 5000, 2},
		{"straight to 심각", &st, 0, 9000, 4},
		{"rises past two stages at once", &st, 1, 6500, 3},
		{"just below 경계, was 경계: held", &st, 3, 5999, 3},
		{"at 경계 - hysteresis, was 경계: held", &st, 3, 5900, 3},
		{"below 경계 - hysteresis: drops to 주의", &st, 3, 5899, 2},
		{"below 경계 band but, from 심각, held at 주의", &st, 4, 4950, 2},
		{"falls far: 관심 band only", &st, 4, 3950, 1},
		{"falls below every band", &st, 4, 3899, 0},
		{"just below 경계, was 주의: not reached", &st, 2, 5999, 2},
		{"was 0, in the band: not reached", &st, 0, 3950, 0},
		{"missing thresholds: 주의", &partial, 0, 6000, 2},
		{"missing thresholds: 심각", &partial, 0, 7000, 4},
		{"missing thresholds: held at 심각", &partial, 4, 6950, 4},
		{"missing thresholds: below 관심 unset", &partial, 2, 4000, 0},
	}
	for _, tt := range tests {
		golden.Eq(t, tt.name, nextStage(tt.was, tt.wl, tt.st, 100), tt.want)
	}
	golden.Eq(t, "no hysteresis: drops at once", nextStage(3, 5999, &st, 0), 2)
}

// TestHysteresisSequence runs a level hovering at a threshold through
// successive runs: the stage changes only when it crosses the band, and the
// since time stays while the stage does.
func TestHysteresisSequence(t *testing.T) {
	m := newTestCollector(t, "", "mode: levels\n", nil).mapper
	stations := map[string]station{"1019630": testStation()}
	type step struct {
		at, wl   string
		severity alert.Severity // "" for no item
		since    string
	}
	steps := []step{
		{"202307151400", "5.95", alert.SeverityModerate, "2023-07-15T14:00:00+09:00"},
		{"202307151410", "6.00", alert.SeveritySevere, "2023-07-15T14:10:00+09:00"},
		{"202307151420", "5.97", alert.SeveritySevere, "2023-07-15T14:10:00+09:00"},
		{"202307151430", "6.02", alert.SeveritySevere, "2023-07-15T14:10:00+09:00"},
		{"202307151440", "5.90", alert.SeveritySevere, "2023-07-15T14:10:00+09:00"},
		{"202307151450", "5.89", alert.SeverityModerate, "2023-07-15T14:50:00+09:00"},
		{"202307151500", "5.99", alert.SeverityModerate, "2023-07-15T14:50:00+09:00"},
		{"202307151510", "3.85", "", ""},
		{"202307151520", "3.95", "", ""},
		{"202307151530", "4.00", alert.SeverityMinor, "2023-07-15T15:30:00+09:00"},
	}
	var state map[string]stageState
	for _, s := range steps {
		raws, err := rows([]byte(`{"content":[{"wlobscd":"1019630","ymdhm":"`+s.at+`","wl":"`+s.wl+`"}]}`), "", "")
		if err != nil {
			t.Fatal(err)
		}
		now, _ := parseTime(str(s.at))
		res, next, problems := m.levels(raws, stations, state, now.Add(5*time.Minute))
		if len(problems) > 0 {
			t.Fatalf("%s: %v", s.at, problems)
		}
		state = next
		if s.severity == "" {
			if len(res.Items) != 0 {
				t.Errorf("%s wl %s: items %s, want none", s.at, s.wl, golden.JSON(t, res.Items))
			}
			if _, kept := state["1019630"]; kept {
				t.Errorf("%s: a station below every threshold is kept in the state", s.at)
			}
			continue
		}
		if len(res.Items) != 1 {
			t.Fatalf("%s wl %s: %d items, want 1", s.at, s.wl, len(res.Items))
		}
		a := res.Items[0].Alert
		golden.Eq(t, s.at+" wl "+s.wl+" severity", a.Severity, s.severity)
		golden.Eq(t, s.at+" since", strings.Join(a.Parameters["hrfco_stage_since"], ""), s.since)
		golden.Eq(t, s.at+" sent", golden.RFC3339(&a.Sent), now.Format(time.RFC3339))
	}
}

// TestLevelsContentStable checks that two readings at one stage make the same
// material content (one version), and a stage change does not.
func TestLevelsContentStable(t *testing.T) {
	m := newTestCollector(t, "", "mode: levels\n", nil).mapper
	stations := map[string]station{"1019630": testStation()}
	hash := func(wl string, prev map[string]stageState) (string, map[string]stageState) {
		raws, _ := rows([]byte(`{"content":[{"wlobscd":"1019630","ymdhm":"202307151450","wl":"`+wl+`"}]}`), "", "")
		res, next, _ := m.levels(raws, stations, prev, testNow)
		if len(res.Items) != 1 {
			t.Fatalf("wl %s: %d items", wl, len(res.Items))
		}
		return res.Items[0].Alert.ContentHash(), next
	}
	h1, s := hash("5.10", nil)
	h2, s := hash("5.80", s)
	h3, _ := hash("6.10", s)
	golden.Eq(t, "same stage, other level: same content", h1, h2)
	if h2 == h3 {
		t.Error("a stage change left the content unchanged")
	}
}

// TestStartHidesKey: the start of a body shown in an error never holds the
// key, nor a part of it cut at the end.
func TestStartHidesKey(t *testing.T) {
	for pad := range 70 {
		body := strings.Repeat("x", pad) + testKey + " tail"
		got := start([]byte(body), testKey)
		if strings.Contains(got, testKey[:8]) {
			t.Fatalf("start(%d x + key) = %q shows the key", pad, got)
		}
	}
}
