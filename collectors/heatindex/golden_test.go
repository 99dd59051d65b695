package heatindex

import (
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

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
		golden.Eq(t, "days", strings.Join(a.Parameters["days"], " "), "2025-08-01 2025-08-02")
		// "2025-08-01 15:00" has no offset: KST, so it counts for 1 August.
		golden.Eq(t, "dailyMaxC", strings.Join(a.Parameters["dailyMaxC"], " "), "2025-08-01=35.4 2025-08-02=35")
		golden.Eq(t, "temperatureC of the latest", a.Parameters["temperatureC"][0], "34.5")
		golden.Eq(t, "area", a.Areas[0].Description, "서울")
		golden.Eq(t, "geocode", strings.Join(a.Areas[0].Geocodes["station"], ","), "108")
		golden.Eq(t, "circle", golden.JSON(t, a.Areas[0].Circles), golden.JSON(t, []alert.Circle{{Lon: 126.9658, Lat: 37.5714}}))
		golden.Eq(t, "language", a.Language, "ko-KR")
		golden.Eq(t, "certainty", a.Certainty, alert.CertaintyObserved)
		golden.Eq(t, "urgency", a.Urgency, alert.UrgencyImmediate)
		golden.Eq(t, "threshold", a.Parameters["threshold"][0], "35")
		golden.Eq(t, "a station id given as a number", res.Items[2].Alert.Areas[0].Geocodes["station"][0], "159")
		all := strings.Join(golden.ErrorsText(problems), "\n")
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
		golden.Eq(t, "language", a.Language, "en-US")
		golden.Eq(t, "temperatureC", a.Parameters["temperatureC"][0], "37.8")
		golden.Eq(t, "threshold °F", a.Parameters["threshold"][0], "103")
		golden.Eq(t, "headline", a.Headline, "Heat Index Danger (derived) at Phoenix Sky Harbor")
		golden.Eq(t, "configured name", res.Items[2].Alert.Areas[0].Description, "Seattle")
		golden.Eq(t, "no position, no geometry", res.Items[0].Alert.Geometry == nil, true)
	}},
	"forecast-nws": {now: "2025-07-16T05:00:00-07:00", fetched: 3, items: []item{
		// The peak from now on, not the 02:00 hour already past.
		{"heat:KPHX", alert.SeverityExtreme, "Heat Index Extreme Danger (derived)", "137.4", "2025-07-16T04:00:00-07:00"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[0].Alert
		golden.Eq(t, "certainty", a.Certainty, alert.CertaintyPossible)
		golden.Eq(t, "urgency", a.Urgency, alert.UrgencyExpected)
		golden.Eq(t, "time of the peak", a.Parameters["time"][0], "2025-07-16T15:00:00-07:00")
		golden.Eq(t, "input", a.Parameters["input"][0], "forecast")
	}},
	"forecast-kma": {now: "2025-08-01T05:30:00+09:00", fetched: 5, dropped: map[string]int{collectors.DropInvalid: 1}, items: []item{
		// Sent is the issue time: baseDate/baseTime without offset, read as KST.
		{"heat:60,127", alert.SeverityModerate, kmaModerate, "34.5", "2025-08-01T05:00:00+09:00"},
	}, check: func(t *testing.T, res collectors.Result, problems []error) {
		a := res.Items[0].Alert
		golden.Eq(t, "certainty", a.Certainty, alert.CertaintyPossible)
		golden.Eq(t, "days", strings.Join(a.Parameters["days"], " "), "2025-08-01 2025-08-02")
		golden.Eq(t, "dailyMaxC", strings.Join(a.Parameters["dailyMaxC"], " "), "2025-08-01=35 2025-08-02=34.5 2025-08-03=31.4")
		golden.Eq(t, "area", a.Areas[0].Description, "서울 종로구")
		golden.Eq(t, "geocode", strings.Join(a.Areas[0].Geocodes["KMA_GRID"], ","), "60,127")
		if len(problems) != 1 || !strings.Contains(problems[0].Error(), "grid 60,127 at 202508030600") {
			t.Errorf("problems = %v", problems)
		}
	}},
	"ncst-memory": {now: "2025-08-02T14:45:00+09:00", fetched: 1, items: []item{
		{"heat:60,127", alert.SeveritySevere, kmaSevere, "35", "2025-08-02T14:00:00+09:00"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[0].Alert
		golden.Eq(t, "dailyMaxC (yesterday from memory)", strings.Join(a.Parameters["dailyMaxC"], " "), "2025-08-01=35.3 2025-08-02=35")
		golden.Eq(t, "temperatureC", a.Parameters["temperatureC"][0], "34.5")
		golden.Eq(t, "relativeHumidity", a.Parameters["relativeHumidity"][0], "60")
		golden.Eq(t, "geometry", a.Geometry.Type, "Polygon")
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
	golden.Suite[facts]{Cases: cases}.Run(t, func(t *testing.T, gc golden.Case, f facts) {
		res, problems, err := casePayload(t, gc.Name, f).Parse()
		gc.Compare(t, res, err)
		checkFacts(t, f, res, problems, err)
	})
}

// casePayload is golden case name made ready to run once: the collector
// built with the case's options and clock, its prior.json (a run before
// this one, for the memory) run, the input read.
func casePayload(t testing.TB, name string, f facts) golden.Payload {
	t.Helper()
	gc := golden.At(name)
	now := time.Date(2025, 8, 1, 0, 0, 0, 0, alert.KST)
	if f.now != "" {
		now = golden.Time(t, f.now)
	}
	c := newTestCollector(t, testURL, gc.Options(t), nil, now)
	if prior, ok := gc.ReadOptional(t, "prior.json"); ok {
		if _, _, err := runOnce(c, prior); err != nil {
			t.Fatalf("prior: %v", err)
		}
	}
	in := gc.InputOrCapture(t, f.input)
	return golden.Payload{Bytes: len(in), Parse: func() (collectors.Result, []error, error) { return runOnce(c, in) }}
}

func checkFacts(t *testing.T, f facts, res collectors.Result, problems []error, err error) {
	t.Helper()
	if golden.CheckErr(t, err, f.err) {
		return
	}
	golden.CheckCounts(t, res, golden.Counts{Snapshot: true, Fetched: f.fetched, Dropped: f.dropped, Items: len(f.items)})
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
		golden.Eq(t, "intent", res.Items[i].Intent, collectors.IntentActive)
		golden.Eq(t, "source", a.Source, "heat")
		golden.Eq(t, "sourceKind", a.SourceKind, "heatindex")
		golden.Eq(t, "hazard", a.Hazard, alert.HazardHeat)
		golden.Eq(t, "status", a.Status, alert.StatusActual)
		golden.Eq(t, "derived", a.Derived, true)
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
