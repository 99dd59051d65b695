package eafloods

import (
	"strings"
	"testing"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// item is what every golden case asserts about each item, beside the file.
type item struct {
	key      string
	intent   collectors.Intent
	severity alert.Severity
	event    string
	sent     string // as written in the alert JSON: the source's offset kept, naive times as Z
	onset    string
}

// facts are the key facts of a golden case, asserted explicitly so that a
// regenerated golden file cannot hide a regression in them.
type facts struct {
	err     string // the error must contain this; "" when the case parses
	fetched int
	dropped map[string]int
	items   []item
	// check asserts anything else the case is about.
	check func(t *testing.T, res collectors.Result, problems []error)
}

const (
	active = collectors.IntentActive
	cancel = collectors.IntentCancel
)

var ouse = item{"ea:122WAF946", active, alert.SeverityModerate, "Flood Alert", "2015-12-10T14:14:00Z", "2015-11-29T11:06:00Z"}
var nidd = item{"ea:122WAF933", active, alert.SeverityModerate, "Flood Alert", "2015-12-10T12:09:00Z", "2015-11-29T11:18:00Z"}
var naburn = item{"ea:122FWF723", active, alert.SeveritySevere, "Flood Warning", "2015-12-10T14:22:00Z", "2015-11-29T20:04:00Z"}

// cases holds the facts of every case in testdata; a case without facts
// fails the test.
var cases = map[string]facts{
	"id-floods": {fetched: 3, items: []item{ouse, nidd, naburn}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[0].Alert
		golden.Eq(t, "headline", a.Headline, "Flood Alert – Upper River Ouse")
		if !strings.HasPrefix(a.Description, "This flood alert remains in force due to high levels on the River Ouse.") {
			t.Errorf("description = %q, want the message", a.Description)
		}
		golden.Eq(t, "effective", golden.RFC3339(a.Effective), "2015-11-29T11:06:00Z")
		golden.Eq(t, "expires (none in the feed)", golden.RFC3339(a.Expires), "<nil>")
		golden.Eq(t, "ends (none in the feed)", golden.RFC3339(a.Ends), "<nil>")
		golden.Eq(t, "urgency", a.Urgency, alert.UrgencyExpected)
		golden.Eq(t, "certainty", a.Certainty, alert.CertaintyPossible)
		golden.Eq(t, "language", a.Language, "en-GB")
		golden.Eq(t, "senderName", a.SenderName, "Environment Agency")
		golden.Eq(t, "web", a.Web, "https://check-for-flooding.service.gov.uk/target-area/122WAF946")
		golden.Eq(t, "eventCodes", golden.JSON(t, a.EventCodes), golden.JSON(t, map[string][]string{"severityLevel": {"3"}}))
		golden.Eq(t, "areas", golden.JSON(t, a.Areas), golden.JSON(t, []alert.Area{{Description: "Upper River Ouse",
			Geocodes: map[string][]string{"EA_FLOOD_AREA": {"122WAF946"}}}}))
		if a.Geometry != nil {
			t.Errorf("geometry = %+v, want null (polygons are not fetched)", a.Geometry)
		}
		golden.Eq(t, "parameters", golden.JSON(t, a.Parameters), golden.JSON(t, map[string][]string{
			"attribution":  {"This uses Environment Agency flood and river level data from the real-time data API (Beta)"},
			"licence":      {"Open Government Licence v3.0"},
			"@id":          {"http://environment.data.gov.uk/flood-monitoring/id/floods/93487"},
			"eaAreaName":   {"Yorkshire"},
			"eaRegionName": {"North East"},
			"isTidal":      {"false"},
			"timeRaised":   {"2015-12-10T14:14:00Z"},
			"county":       {"North Yorkshire, City of York"},
			"riverOrSea":   {"River Ouse, Burdyke, Holgate Beck, Blue Beck, River Foss, The Fleet"},
			"floodArea":    {"http://environment.data.gov.uk/flood-monitoring/id/floodAreas/122WAF946"},
			"polygon":      {"http://environment.data.gov.uk/flood-monitoring/id/floodAreas/122WAF946/polygon"},
		}))
		golden.Eq(t, "Flood Warning urgency", res.Items[2].Alert.Urgency, alert.UrgencyImmediate)
		golden.Eq(t, "Flood Warning certainty", res.Items[2].Alert.Certainty, alert.CertaintyLikely)
	}},
	"id-floods-single-expanded-area": {fetched: 1, items: []item{
		{"ea:031WAF114", active, alert.SeverityModerate, "Flood Alert", "2015-12-10T09:14:00Z", "2015-11-28T16:12:00Z"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[0].Alert
		golden.Eq(t, "county", strings.Join(a.Parameters["county"], "|"), "Shropshire")
		golden.Eq(t, "riverOrSea", strings.Join(a.Parameters["riverOrSea"], "|"), "River Severn, River Vyrnwy")
		golden.Eq(t, "area", a.Areas[0].Description, "Severn Vyrnwy Confluence")
		if !strings.Contains(a.Description, "\n\nAt 8:30 am today;\n") {
			t.Errorf("description lost its line breaks: %q", a.Description)
		}
	}},
	"cancel-level-4": {fetched: 3, items: []item{ouse, nidd,
		{"ea:122FWF723", cancel, alert.SeverityMinor, "Warning no Longer in Force", "2015-12-11T09:30:00Z", "2015-12-11T09:30:00Z"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[2].Alert
		golden.Eq(t, "urgency", a.Urgency, alert.UrgencyPast)
		golden.Eq(t, "certainty", a.Certainty, alert.CertaintyObserved)
		golden.Eq(t, "severityLevel", strings.Join(a.EventCodes["severityLevel"], ""), "4")
		golden.Eq(t, "geocode", strings.Join(a.Areas[0].Geocodes["EA_FLOOD_AREA"], ""), "122FWF723")
		golden.Eq(t, "headline", a.Headline, "Warning no Longer in Force – River Ouse at Naburn Lock")
	}},
	"time-zones": {fetched: 3, items: []item{
		{"ea:122WAF946", active, alert.SeverityModerate, "Flood Alert", "2026-08-27T16:09:00Z", "2026-08-27T15:00:00Z"},
		{"ea:122WAF933", active, alert.SeverityModerate, "Flood Alert", "2026-08-27T17:09:00+01:00", "2026-08-27T16:00:00+01:00"},
		{"ea:122FWF723", active, alert.SeveritySevere, "Flood Warning", "2026-08-27T16:09:22Z", "2026-08-27T16:09:00Z"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		golden.Eq(t, "timeRaised (+01:00 kept)", strings.Join(res.Items[1].Alert.Parameters["timeRaised"], ""), "2026-08-27T17:09:22+01:00")
		golden.Eq(t, "timeRaised (naive, fraction dropped to seconds)", strings.Join(res.Items[2].Alert.Parameters["timeRaised"], ""), "2026-08-27T16:09:22Z")
		if !res.Items[0].Alert.Sent.Equal(res.Items[1].Alert.Sent) {
			t.Error("16:09Z and 17:09+01:00 are one instant")
		}
	}},
	"tolerant-fields": {fetched: 3, items: []item{ouse, nidd, naburn}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a, b, c := res.Items[0].Alert, res.Items[1].Alert, res.Items[2].Alert
		golden.Eq(t, "isTidal from a string", strings.Join(a.Parameters["isTidal"], ""), "true")
		golden.Eq(t, "floodArea as a URL", strings.Join(a.Parameters["floodArea"], ""), "http://environment.data.gov.uk/flood-monitoring/id/floodAreas/122WAF946")
		golden.Eq(t, "no county without an area object", len(a.Parameters["county"]), 0)
		golden.Eq(t, "area from a list: the one of the warning's code", strings.Join(b.Parameters["county"], "|"), "North Yorkshire, City of York")
		golden.Eq(t, "isTidal null", len(c.Parameters["isTidal"]), 0)
		golden.Eq(t, "eaAreaName null", len(c.Parameters["eaAreaName"]), 0)
		golden.Eq(t, "inline polygon not read", len(c.Parameters["polygon"]), 0)
		golden.Eq(t, "severityLevel from \" 2 \"", strings.Join(c.EventCodes["severityLevel"], ""), "2")
	}},
	"missing-level": {fetched: 3, dropped: map[string]int{collectors.DropInvalid: 1}, items: []item{
		{"ea:122WAF946", active, alert.SeverityModerate, "Flood alert", "2015-12-10T14:14:00Z", "2015-11-29T11:06:00Z"},
		{"ea:122FWF723", active, alert.SeverityExtreme, "severe  flood warning", "2015-12-10T14:22:00Z", "2015-11-29T20:04:00Z"},
	}, check: problemsMention([]string{`"122WAF933"`, `severity "Flood Watch" is not a level's name`})},
	"bad-items": {fetched: 7, dropped: map[string]int{collectors.DropInvalid: 6}, items: []item{ouse},
		check: problemsMention(
			[]string{"item 1", "no floodAreaID"},
			[]string{"item 2", `"122FWF723"`, "timeMessageChanged", "10/12/2015 14:14"},
			[]string{"item 3", `severityLevel "7" is not a level 1 to 4`},
			[]string{"item 4", "want a string, got an object"},
			[]string{"item 5", `"122FWF726"`, "no sent time"},
			[]string{"item 6", "cannot unmarshal string"},
		)},
	"duplicate-area": {fetched: 4, items: []item{
		{"ea:122WAF946", active, alert.SeveritySevere, "Flood Warning", "2015-12-10T16:00:00Z", "2015-12-10T16:00:00Z"},
		naburn,
	}},
	"fallbacks": {fetched: 3, items: []item{ouse,
		{"ea:122WAF933", active, alert.SeverityModerate, "Flood Alert", "2015-12-10T12:09:00Z", "2015-11-29T11:18:00Z"},
		naburn,
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		golden.Eq(t, "sender without meta", res.Items[0].Alert.SenderName, "Environment Agency")
		golden.Eq(t, "event from the level", res.Items[1].Alert.Headline, "Flood Alert – The Lower River Nidd")
		golden.Eq(t, "area named by its code", res.Items[2].Alert.Areas[0].Description, "122FWF723")
		golden.Eq(t, "headline without an area name", res.Items[2].Alert.Headline, "Flood Warning")
	}},
	"newer-shape": {fetched: 2, items: []item{
		{"ea:034WAF428", active, alert.SeverityModerate, "Flood alert", "2026-08-27T16:09:00Z", "2026-08-27T16:09:00Z"},
		{"ea:034WAB424", cancel, alert.SeverityMinor, "Warning no longer in force", "2025-01-04T10:28:00Z", "2025-01-04T10:28:00Z"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[0].Alert
		golden.Eq(t, "eaRegionName as sent", strings.Join(a.Parameters["eaRegionName"], ""), "No longer used")
		golden.Eq(t, "@id by area code", strings.Join(a.Parameters["@id"], ""), "http://environment.data.gov.uk/flood-monitoring/id/floods/034WAF428")
		golden.Eq(t, "timeRaised", strings.Join(a.Parameters["timeRaised"], ""), "2026-08-27T16:09:22Z")
		golden.Eq(t, "empty message", res.Items[1].Alert.Description, "")
	}},
	"empty-items":    {fetched: 0},
	"no-items":       {err: `not a flood-monitoring list: no "items"`},
	"items-null":     {err: "items is null, want a list or an object"},
	"malformed-json": {err: "malformed JSON"},
	"not-an-object":  {err: "not a flood-monitoring JSON object"},
	"invalid-utf8":   {err: "not valid UTF-8"},
}

func TestGolden(t *testing.T) {
	golden.Suite[facts]{Cases: cases, CaptureExt: ".json"}.Run(t, func(t *testing.T, c golden.Case, f facts) {
		res, problems, err := runCase(t, c.Name)
		c.Compare(t, res, err)
		checkFacts(t, f, res, problems, err)
	})
}

func checkFacts(t *testing.T, f facts, res collectors.Result, problems []error, err error) {
	t.Helper()
	if golden.CheckErr(t, err, f.err) {
		return
	}
	for _, p := range problems {
		t.Logf("problem: %v", p)
	}
	golden.CheckCounts(t, res, golden.Counts{Snapshot: true, Fetched: f.fetched, Dropped: f.dropped, Items: len(f.items)})
	for i, w := range f.items {
		it := res.Items[i]
		a := it.Alert
		got := item{key: a.Key, intent: it.Intent, severity: a.Severity, event: a.Event, sent: golden.RFC3339(&a.Sent), onset: golden.RFC3339(a.Onset)}
		if got != w {
			t.Errorf("item %d = %+v\nwant %+v", i, got, w)
		}
		golden.Eq(t, "hazard", a.Hazard, alert.HazardFlood)
		golden.Eq(t, "status", a.Status, alert.StatusActual)
		golden.Eq(t, "source", a.Source, "ea")
		golden.Eq(t, "sourceKind", a.SourceKind, "eafloods")
		golden.Eq(t, "language", a.Language, "en-GB")
		golden.Eq(t, "effective = onset", golden.RFC3339(a.Effective), golden.RFC3339(a.Onset))
		golden.Eq(t, "attribution", len(a.Parameters["attribution"]), 1)
		native := strings.TrimPrefix(a.Key, "ea:")
		golden.Eq(t, "geocode = key", strings.Join(a.Areas[0].Geocodes["EA_FLOOD_AREA"], ","), native)
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

// problemsMention checks that there is one parse problem per list of
// substrings, in order, and that each mentions all of its substrings.
func problemsMention(subs ...[]string) func(t *testing.T, res collectors.Result, problems []error) {
	return func(t *testing.T, _ collectors.Result, problems []error) {
		t.Helper()
		if len(problems) != len(subs) {
			t.Fatalf("problems = %v, want %d", problems, len(subs))
		}
		for i, ss := range subs {
			for _, s := range ss {
				if !strings.Contains(problems[i].Error(), s) {
					t.Errorf("problem %q does not mention %q", problems[i], s)
				}
			}
		}
	}
}
