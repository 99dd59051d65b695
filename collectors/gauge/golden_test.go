package gauge

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
	level    string // parameters.level
	sent     string // as written in the alert JSON: the source's offset kept
	geometry string // GeoJSON type, or "null"
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
	usgsCapture = "nwis-iv-gage-height.json"
	usgsNow     = "2019-02-17T15:00:00-05:00"
	eaNow       = "2015-12-10T17:00:00Z"
	minorEvent  = "River level above minor flood stage (derived)"
)

var cases = map[string]facts{
	"usgs-minor": {input: usgsCapture, now: usgsNow, fetched: 1, items: []item{
		{"gauges:01541000", alert.SeverityMinor, minorEvent, "6.54", "2019-02-17T14:30:00-05:00", "Polygon"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[0].Alert
		golden.Eq(t, "intent", res.Items[0].Intent, collectors.IntentActive)
		golden.Eq(t, "area", a.Areas[0].Description, "West Branch Susquehanna River at Bower, PA")
		golden.Eq(t, "geocode", strings.Join(a.Areas[0].Geocodes["USGS_SITE"], ","), "01541000")
		golden.Eq(t, "circle", golden.JSON(t, a.Areas[0].Circles), golden.JSON(t, []alert.Circle{{Lon: -78.6769726, Lat: 40.89700655}}))
		golden.Eq(t, "time (as sent)", a.Parameters["time"][0], "2019-02-17T14:30:00.000-05:00")
		golden.Eq(t, "unit", a.Parameters["unit"][0], "ft")
		golden.Eq(t, "threshold", a.Parameters["threshold"][0], "6.5")
		golden.Eq(t, "thresholds", strings.Join(a.Parameters["thresholds"], " "), "minor=6.5 moderate=7")
		golden.Eq(t, "qualifiers", strings.Join(a.Parameters["qualifiers"], ","), "P")
		golden.Eq(t, "eventCodes", strings.Join(a.EventCodes["USGS_PARAMETER"], ","), "00065")
		golden.Eq(t, "derived", a.Derived, true)
		golden.Eq(t, "status", a.Status, alert.StatusActual)
		golden.Eq(t, "urgency", a.Urgency, alert.UrgencyImmediate)
		golden.Eq(t, "certainty", a.Certainty, alert.CertaintyObserved)
		golden.Eq(t, "language", a.Language, "en-US")
		golden.Eq(t, "web", a.Web, "https://waterdata.usgs.gov/monitoring-location/01541000/")
		golden.Eq(t, "expires (none: snapshot)", a.Expires == nil && a.Ends == nil, true)
	}},
	"usgs-below":    {input: usgsCapture, now: usgsNow, fetched: 1},
	"stale-reading": {input: usgsCapture, now: "2019-02-17T20:31:00-05:00", fetched: 1},
	"usgs-series-mix": {now: usgsNow, fetched: 4, dropped: map[string]int{collectors.DropUnmapped: 2, collectors.DropInvalid: 1}, items: []item{
		{"gauges:01541000", alert.SeverityModerate, "River level above moderate flood stage (derived)", "12.3", "2019-02-17T14:15:00-05:00", "Polygon"},
	}, check: problemMentions("01541300", "no point with a value")},
	"usgs-gap-latest": {now: usgsNow, fetched: 1, items: []item{
		{"gauges:01541000", alert.SeveritySevere, "River level above major flood stage (derived)", "14.2", "2019-02-17T14:15:00-05:00", "Polygon"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[0].Alert
		golden.Eq(t, "configured name", a.Areas[0].Description, "Bower gauge")
		golden.Eq(t, "configured circle", golden.JSON(t, a.Areas[0].Circles), golden.JSON(t, []alert.Circle{{Lon: -78.68, Lat: 40.9}}))
		golden.Eq(t, "hysteresis", a.Parameters["hysteresis"][0], "0.25")
		golden.Eq(t, "thresholds", strings.Join(a.Parameters["thresholds"], " "), "minor=10.5 moderate=12 major=14 extreme=18")
	}},
	"usgs-naive-time": {now: usgsNow, fetched: 1, dropped: map[string]int{collectors.DropInvalid: 1},
		check: problemMentions("01541000", "want RFC 3339 with an offset")},
	"ea-station": {input: "id-station.json", now: "2015-12-07T11:00:00Z", fetched: 1, items: []item{
		{"gauges:690142", alert.SeverityMinor, minorEvent, "0.233", "2015-12-07T10:15:00Z", "Polygon"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[0].Alert
		golden.Eq(t, "area", a.Areas[0].Description, "Little Bridge")
		golden.Eq(t, "geocode", strings.Join(a.Areas[0].Geocodes["EA_STATION"], ","), "690142")
		golden.Eq(t, "circle", golden.JSON(t, a.Areas[0].Circles), golden.JSON(t, []alert.Circle{{Lon: -2.331538, Lat: 53.684084}}))
		golden.Eq(t, "web", a.Web, "https://check-for-flooding.service.gov.uk/station/5082")
		golden.Eq(t, "language", a.Language, "en-GB")
		golden.Eq(t, "unit", a.Parameters["unit"][0], "m")
		golden.Eq(t, "measure", strings.Join(a.EventCodes["EA_MEASURE"], ","), "690142-level-stage-i-15_min-m")
		golden.Eq(t, "thresholdSource", a.Parameters["thresholdSource"][0], "config")
	}},
	"ea-station-published": {now: "2015-12-07T11:00:00Z", fetched: 1, items: []item{
		{"gauges:690142", alert.SeverityMinor, "River level above typical range (derived)", "0.412", "2015-12-07T10:30:00Z", "Polygon"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[0].Alert
		golden.Eq(t, "thresholdSource", a.Parameters["thresholdSource"][0], "published")
		golden.Eq(t, "thresholds", strings.Join(a.Parameters["thresholds"], " "), "minor=0.339 moderate=1")
		if !strings.Contains(a.Description, "published by the Environment Agency") {
			t.Errorf("description %q does not name the published level", a.Description)
		}
	}},
	"ea-readings": {input: "measure-readings.json", now: eaNow, fetched: 1, items: []item{
		{"gauges:690140", alert.SeverityMinor, minorEvent, "0.754", "2015-12-10T16:00:00Z", "null"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[0].Alert
		golden.Eq(t, "area", a.Areas[0].Description, "Helmshore")
		golden.Eq(t, "no circle without coordinates", len(a.Areas[0].Circles), 0)
		if !strings.Contains(golden.JSON(t, a), `"geometry": null`) {
			t.Error("want geometry null in the JSON")
		}
	}},
	"ea-readings-mixed": {now: eaNow, fetched: 7, dropped: map[string]int{collectors.DropUnmapped: 3, collectors.DropInvalid: 2}, items: []item{
		{"gauges:690140", alert.SeverityModerate, "River level above moderate flood stage (derived)", "0.81", "2015-12-10T16:00:00Z", "null"},
		{"gauges:710102", alert.SeverityMinor, minorEvent, "1.5", "2015-12-10T15:45:00Z", "Polygon"},
	}, check: func(t *testing.T, res collectors.Result, problems []error) {
		golden.Eq(t, "stage measure chosen", res.Items[0].Alert.EventCodes["EA_MEASURE"][0], "690140-level-stage-i-15_min-m")
		golden.Eq(t, "measure given as an object", res.Items[1].Alert.EventCodes["EA_MEASURE"][0], "710102-level-stage-i-15_min-m")
		all := golden.JSON(t, golden.ErrorsText(problems))
		for _, s := range []string{"L1931", "not a number", "531160", "want RFC 3339 with an offset"} {
			if !strings.Contains(all, s) {
				t.Errorf("problems %s do not mention %q", all, s)
			}
		}
	}},
	"ea-station-list": {now: "2015-12-07T11:00:00Z", fetched: 3, dropped: map[string]int{collectors.DropUnmapped: 1}, items: []item{
		{"gauges:690142", alert.SeverityMinor, minorEvent, "0.5", "2015-12-07T10:15:00Z", "Polygon"},
	}},
	"malformed-json":     {err: "malformed JSON at byte"},
	"invalid-utf8":       {err: "not valid UTF-8"},
	"not-a-gauge-feed":   {err: "neither a USGS WaterML-JSON document (value.timeSeries) nor an EA flood-monitoring document (items)"},
	"usgs-no-timeseries": {err: "USGS document without value.timeSeries"},
	"format-mismatch":    {err: "not a USGS WaterML-JSON document: no value.timeSeries (format: usgs)"},
}

func TestGolden(t *testing.T) {
	golden.Suite[facts]{Cases: cases}.Run(t, func(t *testing.T, gc golden.Case, f facts) {
		res, problems, err := casePayload(t, gc.Name, f).Parse()
		gc.Compare(t, res, err)
		checkFacts(t, f, res, problems, err)
	})
}

// casePayload is golden case name made ready to run once: the collector
// built with the case's options and clock, the input read.
func casePayload(t testing.TB, name string, f facts) golden.Payload {
	t.Helper()
	gc := golden.At(name)
	now := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	if f.now != "" {
		now = golden.Time(t, f.now)
	}
	c := newTestCollector(t, testURL, string(gc.Read(t, "options.yaml")), nil, now)
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
		got := item{key: a.Key, severity: a.Severity, event: a.Event, level: strings.Join(a.Parameters["level"], ","),
			sent: a.Sent.Format(time.RFC3339), geometry: "null"}
		if a.Geometry != nil {
			got.geometry = a.Geometry.Type
		}
		if got != w {
			t.Errorf("item %d = %+v\nwant %+v", i, got, w)
		}
		golden.Eq(t, "intent", res.Items[i].Intent, collectors.IntentActive)
		golden.Eq(t, "source", a.Source, "gauges")
		golden.Eq(t, "sourceKind", a.SourceKind, "gauge")
		golden.Eq(t, "hazard", a.Hazard, alert.HazardFlood)
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

// problemMentions checks that one parse problem mentions every one of subs.
func problemMentions(subs ...string) func(t *testing.T, res collectors.Result, problems []error) {
	return func(t *testing.T, _ collectors.Result, problems []error) {
		t.Helper()
		if len(problems) != 1 {
			t.Fatalf("problems = %v, want one", problems)
		}
		for _, s := range subs {
			if !strings.Contains(problems[0].Error(), s) {
				t.Errorf("problem %q does not mention %q", problems[0], s)
			}
		}
	}
}
