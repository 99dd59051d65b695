package gauge

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

func limitsOf(minor, moderate, major, extreme float64) thresholds {
	var t thresholds
	for i, v := range []float64{0, minor, moderate, major, extreme} {
		if i > 0 && v != 0 {
			t.value[i], t.set[i], t.origin[i] = v, true, fromConfig
		}
	}
	return t
}

func TestClassify(t *testing.T) {
	nwsLike := limitsOf(10.5, 12, 14, 0)
	tests := []struct {
		name   string
		limits thresholds
		v      float64
		prev   int
		hyst   float64
		want   int
	}{
		{"below", nwsLike, 10.4, levelNone, 0.1, levelNone},
		{"at the threshold enters it", nwsLike, 10.5, levelNone, 0.1, levelMinor},
		{"rising skips levels", nwsLike, 14.2, levelNone, 0.1, levelMajor},
		{"just below, within hysteresis, stays", nwsLike, 10.41, levelMinor, 0.1, levelMinor},
		{"exactly threshold minus hysteresis stays", nwsLike, 10.5 - 0.1, levelMinor, 0.1, levelMinor},
		{"below threshold minus hysteresis leaves", nwsLike, 10.39, levelMinor, 0.1, levelNone},
		{"falling from major within its band", nwsLike, 13.95, levelMajor, 0.1, levelMajor},
		{"falling from major past its band lands in moderate", nwsLike, 13.5, levelMajor, 0.1, levelModerate},
		{"falling from major into moderate's band", nwsLike, 11.95, levelMajor, 0.1, levelModerate},
		{"falling from major to nothing", nwsLike, 3, levelMajor, 0.1, levelNone},
		{"no hysteresis", nwsLike, 11.99, levelModerate, 0, levelMinor},
		{"unset levels are skipped", limitsOf(0, 12, 0, 20), 25, levelNone, 0.1, levelExtreme},
		{"unset level between", limitsOf(0, 12, 0, 20), 19.95, levelExtreme, 0.1, levelExtreme},
		{"unset level between, falling", limitsOf(0, 12, 0, 20), 15, levelExtreme, 0.1, levelModerate},
		{"a previous level out of range is clamped", nwsLike, 13, 99, 0.1, levelModerate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.limits.classify(tt.v, tt.prev, tt.hyst); got != tt.want {
				t.Errorf("classify(%v, %d, %v) = %d, want %d", tt.v, tt.prev, tt.hyst, got, tt.want)
			}
		})
	}
}

func TestThresholdsCheckAndPublished(t *testing.T) {
	if err := limitsOf(10, 10, 0, 0).check(); err == nil || !strings.Contains(err.Error(), "moderate (10) must be above minor (10)") {
		t.Errorf("equal thresholds: %v", err)
	}
	if err := limitsOf(0, 12, 0, 11).check(); err == nil || !strings.Contains(err.Error(), "extreme (11) must be above moderate (12)") {
		t.Errorf("extreme below moderate: %v", err)
	}
	high := 0.339
	got := limitsOf(0, 1, 0, 0).withPublished(&high)
	golden.Eq(t, "published minor", got.set[levelMinor] && got.value[levelMinor] == 0.339 && got.origin[levelMinor] == fromPublished, true)
	golden.Eq(t, "configured minor wins", limitsOf(0.2, 1, 0, 0).withPublished(&high).value[levelMinor], 0.2)
	golden.Eq(t, "published minor above moderate is ignored", limitsOf(0, 0.3, 0, 0).withPublished(&high).set[levelMinor], false)
	golden.Eq(t, "nothing published", limitsOf(0, 1, 0, 0).withPublished(nil).set[levelMinor], false)
}

// usgsBody returns the real WaterML-JSON capture with its last point set to
// value at the given time, so that a sequence of polls can be replayed.
func usgsBody(t *testing.T, value, dateTime string) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(golden.Fixture(t, usgsCapture), &doc); err != nil {
		t.Fatal(err)
	}
	series := doc["value"].(map[string]any)["timeSeries"].([]any)[0].(map[string]any)
	points := series["values"].([]any)[0].(map[string]any)["value"].([]any)
	last := points[len(points)-1].(map[string]any)
	last["value"], last["dateTime"] = value, dateTime
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestHysteresisSequence replays polls of a level hovering at the
// thresholds: it must not flap, it must fall back through the levels, and a
// station back below every threshold is absent from the snapshot, never a
// cancel.
func TestHysteresisSequence(t *testing.T) {
	c := newTestCollector(t, testURL, "stations:\n  \"01541000\":\n    minor: 10.5\n    moderate: 12\n    major: 14\n", nil,
		golden.Time(t, "2019-02-17T18:00:00-05:00"))
	steps := []struct {
		value string
		want  alert.Severity // "" for no item
	}{
		{"10.49", ""},
		{"10.5", alert.SeverityMinor},
		{"10.45", alert.SeverityMinor}, // hovering under the threshold: no flap
		{"10.52", alert.SeverityMinor},
		{"10.41", alert.SeverityMinor},
		{"12.01", alert.SeverityModerate},
		{"11.95", alert.SeverityModerate},
		{"14.3", alert.SeveritySevere},
		{"13.95", alert.SeveritySevere},
		{"13.85", alert.SeverityModerate},
		{"10.3", ""},  // below minor − hysteresis: gone from the snapshot
		{"10.45", ""}, // within the band but from below: not entered
	}
	// After the capture's own points, so that each replaced one is the latest.
	start := golden.Time(t, "2019-02-17T14:30:00-05:00")
	for i, s := range steps {
		at := start.Add(time.Duration(i) * 15 * time.Minute)
		res, _, err := runOnce(c, usgsBody(t, s.value, at.Format("2006-01-02T15:04:05.000-07:00")))
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		golden.Eq(t, "Snapshot", res.Snapshot, true)
		if s.want == "" {
			if len(res.Items) != 0 {
				t.Errorf("step %d (%s): items %s, want none", i, s.value, golden.JSON(t, res.Items))
			}
			continue
		}
		if len(res.Items) != 1 {
			t.Fatalf("step %d (%s): %d items, want 1", i, s.value, len(res.Items))
		}
		it := res.Items[0]
		golden.Eq(t, "step severity", it.Alert.Severity, s.want)
		golden.Eq(t, "step intent", it.Intent, collectors.IntentActive)
		golden.Eq(t, "step key", it.Alert.Key, "gauges:01541000")
		golden.Eq(t, "step level", it.Alert.Parameters["level"][0], s.value)
		golden.Eq(t, "step sent", it.Alert.Sent.Format(time.RFC3339), at.Format(time.RFC3339))
	}
}

// TestMaterialContentStable: readings that change only the level within one
// category must give the same content hash (no update per poll), while a new
// category must change it.
func TestMaterialContentStable(t *testing.T) {
	c := newTestCollector(t, testURL, "stations:\n  \"01541000\":\n    minor: 10.5\n    moderate: 12\n", nil,
		golden.Time(t, "2019-02-17T15:00:00-05:00"))
	hash := func(value, at string) string {
		t.Helper()
		res, _, err := runOnce(c, usgsBody(t, value, at))
		if err != nil || len(res.Items) != 1 {
			t.Fatalf("%s: %v, %d items", value, err, len(res.Items))
		}
		return res.Items[0].Alert.ContentHash()
	}
	h1 := hash("10.6", "2019-02-17T14:30:00.000-05:00")
	h2 := hash("11.2", "2019-02-17T14:45:00.000-05:00")
	h3 := hash("12.2", "2019-02-17T15:00:00.000-05:00")
	golden.Eq(t, "same category, new reading: same hash", h1, h2)
	if h2 == h3 {
		t.Error("a new category did not change the content hash")
	}
}

// TestStateForgetsAbsentStations: a station missing from a complete run
// loses its level, so it re-enters from scratch; a partial run keeps it.
func TestStateForgetsAbsentStations(t *testing.T) {
	c := newTestCollector(t, testURL, "stations:\n  \"01541000\":\n    minor: 10.5\n", nil, golden.Time(t, "2019-02-17T15:00:00-05:00"))
	if res, _, _ := runOnce(c, usgsBody(t, "10.6", "2019-02-17T14:30:00.000-05:00")); len(res.Items) != 1 {
		t.Fatal("want the station in minor")
	}
	empty := newParsed()
	c.mu.Lock()
	c.evaluate(empty, c.now(), false)
	golden.Eq(t, "partial run keeps the level", c.levels["01541000"], levelMinor)
	c.evaluate(empty, c.now(), true)
	golden.Eq(t, "complete run forgets it", c.levels["01541000"], levelNone)
	c.mu.Unlock()
	if res, _, _ := runOnce(c, usgsBody(t, "10.45", "2019-02-17T14:45:00.000-05:00")); len(res.Items) != 0 {
		t.Error("a forgotten station re-entered through the hysteresis band")
	}
}
