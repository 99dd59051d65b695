package heatindex

import (
	"bytes"
	"errors"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
)

var update = flag.Bool("update", false, "rewrite the golden files (expected.json, expected.err) in testdata")

// item is what every golden case asserts about each item, beside the file.
type item struct {
	key      string
	severity alert.Severity
	event    string
	value    string // parameters.apparentTemperatureC or heatIndexF
	sent     string // as written in the alert JSON: the offset kept
}

// facts are the key facts of a golden case, asserted explicitly so that a
// regenerated golden file cannot hide a regression in them.
type facts struct {
	input   string // a verbatim capture in testdata; "" for <case>/input.json
	now     string // the collector's clock
	err     string // the error must contain this; "" when the case parses
	fetched int
	dropped map[string]int
	items   []item
	check   func(t *testing.T, res collectors.Result, problems []error)
}

const (
	kmaNow      = "2025-08-02T16:00:00+09:00"
	kmaModerate = "폭염주의보 기준 도달 (derived)"
	kmaSevere   = "폭염경보 기준 도달 (derived)"
)

var cases = map[string]facts{
	"observations-kma": {now: kmaNow, fetched: 14, dropped: map[string]int{collectors.DropInvalid: 4}, items: []item{
		// A UTC time keeps its Z, and falls on its KST day (14:00 KST).
		{"heat:108", alert.SeveritySevere, kmaSevere, "35", "2025-08-02T05:00:00Z"},
		// 2025-07-31T15:30Z is 00:30 KST on 1 August: the pair of days holds.
		{"heat:133", alert.SeverityModerate, kmaModerate, "34.5", "2025-08-02T15:00:00+09:00"},
		{"heat:159", alert.SeverityModerate, kmaModerate, "33.2", "2025-08-02T15:00:00+09:00"},
	}, check: func(t *testing.T, res collectors.Result, problems []error) {
		a := res.Items[0].Alert
		eq(t, "days", strings.Join(a.Parameters["days"], " "), "2025-08-01 2025-08-02")
		// "2025-08-01 15:00" has no offset: KST, so it counts for 1 August.
		eq(t, "dailyMaxC", strings.Join(a.Parameters["dailyMaxC"], " "), "2025-08-01=35.4 2025-08-02=35")
		eq(t, "temperatureC of the latest", a.Parameters["temperatureC"][0], "34.5")
		eq(t, "area", a.Areas[0].Description, "서울")
		eq(t, "geocode", strings.Join(a.Areas[0].Geocodes["station"], ","), "108")
		eq(t, "circle", mustJSON(t, a.Areas[0].Circles), mustJSON(t, []alert.Circle{{Lon: 126.9658, Lat: 37.5714}}))
		eq(t, "language", a.Language, "ko-KR")
		eq(t, "certainty", a.Certainty, alert.CertaintyObserved)
		eq(t, "urgency", a.Urgency, alert.UrgencyImmediate)
		eq(t, "threshold", a.Parameters["threshold"][0], "35")
		eq(t, "a station id given as a number", res.Items[2].Alert.Areas[0].Geocodes["station"][0], "159")
		all := strings.Join(errorsText(problems), "\n")
		for _, s := range []string{"no rh", `"yesterday"`, "-999 °C is out of range", "no station"} {
			if !strings.Contains(all, s) {
				t.Errorf("problems %q do not mention %q", all, s)
			}
		}
	}},
	"observations-nws": {now: "2025-07-16T16:00:00-07:00", fetched: 6, items: []item{
		{"heat:KLAS", alert.SeverityModerate, "Heat Index Extreme Caution (derived)", "93.8", "2025-07-16T22:56:00Z"},
		// The latest observation counts, not the day's peak (137 °F at 14:51).
		{"heat:KPHX", alert.SeveritySevere, "Heat Index Danger (derived)", "118.3", "2025-07-16T15:51:00-07:00"},
		{"heat:KSEA", alert.SeverityMinor, "Heat Index Caution (derived)", "83.3", "2025-07-16T15:53:00-07:00"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[1].Alert
		eq(t, "language", a.Language, "en-US")
		eq(t, "temperatureC", a.Parameters["temperatureC"][0], "37.8")
		eq(t, "threshold °F", a.Parameters["threshold"][0], "103")
		eq(t, "headline", a.Headline, "Heat Index Danger (derived) at Phoenix Sky Harbor")
		eq(t, "configured name", res.Items[2].Alert.Areas[0].Description, "Seattle")
		eq(t, "no position, no geometry", res.Items[0].Alert.Geometry == nil, true)
	}},
	"forecast-nws": {now: "2025-07-16T05:00:00-07:00", fetched: 3, items: []item{
		// The peak from now on, not the 02:00 hour already past.
		{"heat:KPHX", alert.SeverityExtreme, "Heat Index Extreme Danger (derived)", "137.4", "2025-07-16T04:00:00-07:00"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[0].Alert
		eq(t, "certainty", a.Certainty, alert.CertaintyPossible)
		eq(t, "urgency", a.Urgency, alert.UrgencyExpected)
		eq(t, "time of the peak", a.Parameters["time"][0], "2025-07-16T15:00:00-07:00")
		eq(t, "input", a.Parameters["input"][0], "forecast")
	}},
	"forecast-kma": {now: "2025-08-01T05:30:00+09:00", fetched: 5, dropped: map[string]int{collectors.DropInvalid: 1}, items: []item{
		// Sent is the issue time: baseDate/baseTime without offset, read as KST.
		{"heat:60,127", alert.SeverityModerate, kmaModerate, "34.5", "2025-08-01T05:00:00+09:00"},
	}, check: func(t *testing.T, res collectors.Result, problems []error) {
		a := res.Items[0].Alert
		eq(t, "certainty", a.Certainty, alert.CertaintyPossible)
		eq(t, "days", strings.Join(a.Parameters["days"], " "), "2025-08-01 2025-08-02")
		eq(t, "dailyMaxC", strings.Join(a.Parameters["dailyMaxC"], " "), "2025-08-01=35 2025-08-02=34.5 2025-08-03=31.4")
		eq(t, "area", a.Areas[0].Description, "서울 종로구")
		eq(t, "geocode", strings.Join(a.Areas[0].Geocodes["KMA_GRID"], ","), "60,127")
		if len(problems) != 1 || !strings.Contains(problems[0].Error(), "grid 60,127 at 202508030600") {
			t.Errorf("problems = %v", problems)
		}
	}},
	"ncst-memory": {now: "2025-08-02T14:45:00+09:00", fetched: 1, items: []item{
		{"heat:60,127", alert.SeveritySevere, kmaSevere, "35", "2025-08-02T14:00:00+09:00"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[0].Alert
		eq(t, "dailyMaxC (yesterday from memory)", strings.Join(a.Parameters["dailyMaxC"], " "), "2025-08-01=35.3 2025-08-02=35")
		eq(t, "temperatureC", a.Parameters["temperatureC"][0], "34.5")
		eq(t, "relativeHumidity", a.Parameters["relativeHumidity"][0], "60")
		eq(t, "geometry", a.Geometry.Type, "Polygon")
	}},
	"ncst-real": {input: "getUltraSrtNcst.json", now: "2020-09-05T08:50:00+09:00", fetched: 1},
	"vilage-real": {input: "getVilageFcst.json", now: "2022-02-12T05:30:00+09:00", fetched: 1, dropped: map[string]int{collectors.DropInvalid: 1},
		check: func(t *testing.T, _ collectors.Result, problems []error) {
			if len(problems) != 1 || !strings.Contains(problems[0].Error(), "needs both a temperature") {
				t.Errorf("problems = %v", problems)
			}
		}},
	"error-err-30":    {input: "error-err-30.json", err: `data.go.kr error "30": SERVICE_KEY_IS_NOT_REGISTERED_ERROR (등록되지 않은 서비스키)`},
	"error-err-99":    {input: "error-err-99.json", err: `data.go.kr resultCode "99": 최대 조회 기간은 오늘 기준으로 6일 전까지입니다.`},
	"xml-error":       {err: `data.go.kr error "30": SERVICE ERROR (SERVICE_KEY_IS_NOT_REGISTERED_ERROR)`},
	"nodata-03":       {err: `data.go.kr resultCode "03": NO_DATA`},
	"malformed-json":  {err: "malformed JSON at byte"},
	"invalid-utf8":    {err: "not valid UTF-8"},
	"not-a-heat-feed": {err: "neither an observations list"},
	"format-mismatch": {input: "getUltraSrtNcst.json", err: "a data.go.kr answer, but format: observations"},
}

func TestGolden(t *testing.T) {
	dirs, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, d := range dirs {
		if d.IsDir() {
			seen[d.Name()] = true
		}
	}
	for _, name := range slices.Sorted(maps.Keys(seen)) {
		t.Run(name, func(t *testing.T) {
			f, ok := cases[name]
			if !ok {
				t.Fatalf("testdata/%s has no facts in cases", name)
			}
			now := time.Date(2025, 8, 1, 0, 0, 0, 0, alert.KST)
			if f.now != "" {
				now = mustTime(t, f.now)
			}
			c := newTestCollector(t, testURL, caseOptions(t, name), nil, now)
			// A prior document is a run before this one, for the memory.
			if prior, err := os.ReadFile(filepath.Join("testdata", name, "prior.json")); err == nil {
				if _, _, err := runOnce(c, prior); err != nil {
					t.Fatalf("prior: %v", err)
				}
			} else if !errors.Is(err, os.ErrNotExist) {
				t.Fatal(err)
			}
			res, problems, err := runOnce(c, caseInput(t, name, f.input))
			golden(t, name, res, err)
			checkFacts(t, f, res, problems, err)
		})
	}
	for _, name := range slices.Sorted(maps.Keys(cases)) {
		if !seen[name] {
			t.Errorf("cases[%q] has no folder in testdata", name)
		}
	}
}

// golden compares the items, or the error, with the case's golden file.
func golden(t *testing.T, name string, res collectors.Result, err error) {
	t.Helper()
	file, got := "expected.json", []byte(mustJSON(t, res.Items)+"\n")
	if res.Items == nil {
		got = []byte("[]\n")
	}
	if err != nil {
		file, got = "expected.err", []byte(err.Error()+"\n")
	}
	path := filepath.Join("testdata", name, file)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		other := map[string]string{"expected.json": "expected.err", "expected.err": "expected.json"}[file]
		_ = os.Remove(filepath.Join("testdata", name, other))
		return
	}
	want, rerr := os.ReadFile(path)
	if rerr != nil {
		t.Fatalf("%v (run go test -update to write it)", rerr)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test -update and review the diff)\ngot:\n%s", path, got)
	}
}

func checkFacts(t *testing.T, f facts, res collectors.Result, problems []error, err error) {
	t.Helper()
	if f.err != "" {
		if err == nil || !strings.Contains(err.Error(), f.err) {
			t.Fatalf("error = %v, want one containing %q", err, f.err)
		}
		return
	}
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	eq(t, "Snapshot", res.Snapshot, true)
	eq(t, "Fetched", res.Fetched, f.fetched)
	eq(t, "Dropped", mustJSON(t, res.Dropped), mustJSON(t, f.dropped))
	if len(res.Items) != len(f.items) {
		t.Fatalf("%d items, want %d: %s", len(res.Items), len(f.items), mustJSON(t, res.Items))
	}
	for i, w := range f.items {
		a := res.Items[i].Alert
		v := a.Parameters["apparentTemperatureC"]
		if v == nil {
			v = a.Parameters["heatIndexF"]
		}
		got := item{key: a.Key, severity: a.Severity, event: a.Event, value: strings.Join(v, ","), sent: a.Sent.Format(time.RFC3339)}
		if got != w {
			t.Errorf("item %d = %+v\nwant %+v", i, got, w)
		}
		eq(t, "intent", res.Items[i].Intent, collectors.IntentActive)
		eq(t, "source", a.Source, "heat")
		eq(t, "sourceKind", a.SourceKind, "heatindex")
		eq(t, "hazard", a.Hazard, alert.HazardHeat)
		eq(t, "status", a.Status, alert.StatusActual)
		eq(t, "derived", a.Derived, true)
		if a.ID != "" || a.Version != 0 || a.Change != "" || a.State != "" || a.References != nil {
			t.Errorf("item %d: lifecycle fields set: %+v", i, a)
		}
		if err := a.Validate(); err != nil {
			t.Errorf("item %d does not validate: %v", i, err)
		}
	}
	if f.check != nil {
		f.check(t, res, problems)
	}
}

func errorsText(errs []error) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}
