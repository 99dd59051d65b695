package heatindex

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// observation is one element of the documented format, for sequences.
func observation(station, at string, tempC, rh float64) map[string]any {
	return map[string]any{"station": station, "name": "서울", "time": at, "temp_c": tempC, "rh": rh}
}

func docOf(t *testing.T, obs ...map[string]any) []byte {
	t.Helper()
	if obs == nil {
		obs = []map[string]any{}
	}
	b, err := json.Marshal(map[string]any{"observations": obs})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// run sets c's clock to now and runs doc through it.
func run(t *testing.T, c *collector, now string, doc []byte) collectors.Result {
	t.Helper()
	at := golden.Time(t, now)
	c.now = func() time.Time { return at }
	res, problems, err := runOnce(c, doc)
	if err != nil || len(problems) != 0 {
		t.Fatalf("run at %s: %v %v", now, err, problems)
	}
	return res
}

func severityOf(res collectors.Result) alert.Severity {
	if len(res.Items) == 0 {
		return ""
	}
	return res.Items[0].Alert.Severity
}

// TestKMATwoDayRule replays hourly observations of one station over five KST
// days: no alert on the first hot day alone; one once two consecutive days
// reach it; held through the following day while it is observed; down a
// level, then gone, as the pairs of days roll past midnight (KST).
func TestKMATwoDayRule(t *testing.T) {
	c := newTestCollector(t, testURL, "", nil, time.Time{})
	steps := []struct {
		now, at    string
		tempC, rh  float64
		want       alert.Severity
		wantReason string
	}{
		{"2025-08-01T15:10:00+09:00", "2025-08-01T15:00:00+09:00", 35, 58, "", "one hot day is not two"},
		{"2025-08-02T14:10:00+09:00", "2025-08-02T14:00:00+09:00", 34.5, 60, alert.SeveritySevere, "35.3 and 35.0: 경보 level"},
		{"2025-08-02T16:10:00+09:00", "2025-08-02T16:00:00+09:00", 33, 55, alert.SeveritySevere, "a cooler hour does not lower the day's maximum"},
		// 00:40 KST on the 3rd is still 15:40 UTC on the 2nd.
		{"2025-08-02T15:40:00Z", "2025-08-02T15:30:00Z", 28, 80, alert.SeveritySevere, "after midnight KST, the pair 1–2 holds through the 3rd"},
		{"2025-08-03T15:10:00+09:00", "2025-08-03T15:00:00+09:00", 33, 55, alert.SeveritySevere, "the 3rd reaches only 33, the pair 1–2 still holds"},
		{"2025-08-04T00:40:00+09:00", "2025-08-04T00:30:00+09:00", 27, 80, alert.SeverityModerate, "pair 2–3 (33.0): 주의보 level"},
		{"2025-08-05T10:10:00+09:00", "2025-08-05T10:00:00+09:00", 26, 70, "", "no two hot days ending yesterday or later: absent, never a cancel"},
	}
	for i, s := range steps {
		res := run(t, c, s.now, docOf(t, observation("108", s.at, s.tempC, s.rh)))
		if got := severityOf(res); got != s.want {
			t.Errorf("step %d (%s): severity %q, want %q", i, s.wantReason, got, s.want)
		}
		for _, it := range res.Items {
			golden.Eq(t, "intent", it.Intent, collectors.IntentActive)
			golden.Eq(t, "sent is the latest observation", it.Alert.Sent.Format(time.RFC3339), s.at)
		}
	}
	c.mu.Lock()
	golden.Eq(t, "days kept (two before today and today)", len(c.memory["108"].days), 3)
	c.mu.Unlock()
}

// TestKMARestart: the memory is per process. After a restart, one hour of
// today is not enough; a feed that covers both days rebuilds the alert.
func TestKMARestart(t *testing.T) {
	now := "2025-08-02T15:10:00+09:00"
	today := observation("108", "2025-08-02T15:00:00+09:00", 35, 58)
	yesterday := observation("108", "2025-08-01T15:00:00+09:00", 35, 58)
	c := newTestCollector(t, testURL, "", nil, time.Time{})
	golden.Eq(t, "after a restart, today alone", severityOf(run(t, c, now, docOf(t, today))), alert.Severity(""))
	c = newTestCollector(t, testURL, "", nil, time.Time{})
	golden.Eq(t, "a feed with both days", severityOf(run(t, c, now, docOf(t, yesterday, today))), alert.SeveritySevere)
}

// TestForecastStandsAlone: a revised forecast replaces the last one; an
// earlier, hotter forecast is not remembered as if it had been observed.
func TestForecastStandsAlone(t *testing.T) {
	c := newTestCollector(t, testURL, "input: forecast\n", nil, time.Time{})
	now := "2025-08-01T05:30:00+09:00"
	hot := docOf(t, observation("108", "2025-08-01T15:00:00+09:00", 35, 58), observation("108", "2025-08-02T15:00:00+09:00", 35, 58))
	cool := docOf(t, observation("108", "2025-08-01T15:00:00+09:00", 31, 58), observation("108", "2025-08-02T15:00:00+09:00", 31, 58))
	res := run(t, c, now, hot)
	golden.Eq(t, "hot forecast", severityOf(res), alert.SeveritySevere)
	golden.Eq(t, "forecast certainty", res.Items[0].Alert.Certainty, alert.CertaintyPossible)
	golden.Eq(t, "sent without an issue time: now", res.Items[0].Alert.Sent.Format(time.RFC3339), now)
	golden.Eq(t, "revised forecast", severityOf(run(t, c, now, cool)), alert.Severity(""))
}

// TestHysteresis: a daily maximum hovering at a threshold does not flap; the
// NWS formula gets the °C hysteresis in °F.
func TestHysteresis(t *testing.T) {
	kma, _ := thresholdsOf(formulaKMA, nil)
	tests := []struct {
		v    float64
		prev int
		want int
	}{
		{32.9, levelNone, levelNone},
		{33.0, levelNone, levelModerate},
		{32.6, levelModerate, levelModerate},
		{32.5, levelModerate, levelModerate},
		{32.4, levelModerate, levelNone},
		{34.6, levelSevere, levelSevere},
		{34.4, levelSevere, levelModerate},
		{38.2, levelNone, levelExtreme},
		{30, levelExtreme, levelNone},
		{31, 99, levelNone},
	}
	for _, tt := range tests {
		if got := kma.classify(tt.v, tt.prev, 0.5); got != tt.want {
			t.Errorf("classify(%v, %d) = %d, want %d", tt.v, tt.prev, got, tt.want)
		}
	}
	c := newTestCollector(t, testURL, "formula: nws\nhysteresis: 1\n", nil, time.Time{})
	golden.Eq(t, "nws hysteresis °F", c.cfg.hysteresis, 1.8)
	golden.Eq(t, "kma hysteresis °C", newTestCollector(t, testURL, "", nil, time.Time{}).cfg.hysteresis, 0.5)
	nws := c.cfg.limits
	golden.Eq(t, "nws at 103", nws.classify(103, levelModerate, 1.8), levelSevere)
	golden.Eq(t, "nws within 1.8 °F", nws.classify(101.3, levelSevere, 1.8), levelSevere)
	golden.Eq(t, "nws below the band", nws.classify(101.1, levelSevere, 1.8), levelModerate)
}

// TestNWSSequence: a station's heat index goes up and down with its latest
// observation, with hysteresis, and is absent when no observation is recent.
func TestNWSSequence(t *testing.T) {
	c := newTestCollector(t, testURL, "formula: nws\n", nil, time.Time{})
	ob := func(at string, tempF, rh float64) []byte {
		return docOf(t, map[string]any{"station": "KPHX", "time": at, "temp_f": tempF, "rh": rh})
	}
	steps := []struct {
		at     string
		tempF  float64
		rh     float64
		want   alert.Severity
		reason string
	}{
		{"2025-07-16T11:00:00-07:00", 95, 50, alert.SeveritySevere, "HI 105.2"},
		{"2025-07-16T12:00:00-07:00", 94, 50, alert.SeveritySevere, "HI 102.9: within 0.9 °F of 103"},
		{"2025-07-16T12:30:00-07:00", 94, 49, alert.SeveritySevere, "HI 102.3: still within"},
		{"2025-07-16T13:00:00-07:00", 92, 50, alert.SeverityModerate, "HI 98.5"},
		{"2025-07-16T14:00:00-07:00", 70, 50, "", "HI 69.5"},
	}
	for i, s := range steps {
		got := severityOf(run(t, c, s.at, ob(s.at, s.tempF, s.rh)))
		if got != s.want {
			t.Errorf("step %d (%s, HI %.1f): %q, want %q", i, s.reason, heatIndexF(s.tempF, s.rh), got, s.want)
		}
	}
	// The last observation is from 14:00; at 17:01 it is too old to count.
	run(t, c, "2025-07-16T15:00:00-07:00", ob("2025-07-16T14:00:00-07:00", 100, 50))
	golden.Eq(t, "stale", severityOf(run(t, c, "2025-07-16T17:01:00-07:00", docOf(t))), alert.Severity(""))
}

// TestKSTWithoutOffset: times without an offset are KST by default, and in
// time_zone when it is set; times with one keep it.
func TestKSTWithoutOffset(t *testing.T) {
	for _, tt := range []struct{ zone, in, want string }{
		{"", "2025-08-02 15:00", "2025-08-02T15:00:00+09:00"},
		{"", "202508021500", "2025-08-02T15:00:00+09:00"},
		{"", "2025-08-02T15:00:00-05:00", "2025-08-02T15:00:00-05:00"},
		{"UTC", "2025-08-02T15:00", "2025-08-02T15:00:00Z"},
		{"+07:00", "2025-08-02T15:00:00", "2025-08-02T15:00:00+07:00"},
	} {
		opts := "formula: nws\nthresholds: {minor: 0}\n"
		if tt.zone != "" {
			opts += fmt.Sprintf("time_zone: %q\n", tt.zone)
		}
		c := newTestCollector(t, testURL, opts, nil, golden.Time(t, "2025-08-02T16:00:00+09:00"))
		c.cfg.maxAge = 0
		res, _, err := runOnce(c, docOf(t, map[string]any{"station": "1", "time": tt.in, "temp_c": 20, "rh": 50}))
		if err != nil || len(res.Items) != 1 {
			t.Fatalf("%s: %v, %d items", tt.in, err, len(res.Items))
		}
		golden.Eq(t, tt.zone+" "+tt.in, res.Items[0].Alert.Sent.Format(time.RFC3339), tt.want)
	}
}
