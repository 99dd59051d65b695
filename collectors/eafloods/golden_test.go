package eafloods

import (
	"bytes"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
)

var update = flag.Bool("update", false, "rewrite the golden files (expected.json, expected.err) in testdata")

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
		eq(t, "headline", a.Headline, "Flood Alert – Upper River Ouse")
		if !strings.HasPrefix(a.Description, "This flood alert remains in force due to high levels on the River Ouse.") {
			t.Errorf("description = %q, want the message", a.Description)
		}
		eq(t, "effective", rfc3339(a.Effective), "2015-11-29T11:06:00Z")
		eq(t, "expires (none in the feed)", rfc3339(a.Expires), "<nil>")
		eq(t, "ends (none in the feed)", rfc3339(a.Ends), "<nil>")
		eq(t, "urgency", a.Urgency, alert.UrgencyExpected)
		eq(t, "certainty", a.Certainty, alert.CertaintyPossible)
		eq(t, "language", a.Language, "en-GB")
		eq(t, "senderName", a.SenderName, "Environment Agency")
		eq(t, "web", a.Web, "https://check-for-flooding.service.gov.uk/target-area/122WAF946")
		eq(t, "eventCodes", mustJSON(t, a.EventCodes), mustJSON(t, map[string][]string{"severityLevel": {"3"}}))
		eq(t, "areas", mustJSON(t, a.Areas), mustJSON(t, []alert.Area{{Description: "Upper River Ouse",
			Geocodes: map[string][]string{"EA_FLOOD_AREA": {"122WAF946"}}}}))
		if a.Geometry != nil {
			t.Errorf("geometry = %+v, want null (polygons are not fetched)", a.Geometry)
		}
		eq(t, "parameters", mustJSON(t, a.Parameters), mustJSON(t, map[string][]string{
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
		eq(t, "Flood Warning urgency", res.Items[2].Alert.Urgency, alert.UrgencyImmediate)
		eq(t, "Flood Warning certainty", res.Items[2].Alert.Certainty, alert.CertaintyLikely)
	}},
	"id-floods-single-expanded-area": {fetched: 1, items: []item{
		{"ea:031WAF114", active, alert.SeverityModerate, "Flood Alert", "2015-12-10T09:14:00Z", "2015-11-28T16:12:00Z"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[0].Alert
		eq(t, "county", strings.Join(a.Parameters["county"], "|"), "Shropshire")
		eq(t, "riverOrSea", strings.Join(a.Parameters["riverOrSea"], "|"), "River Severn, River Vyrnwy")
		eq(t, "area", a.Areas[0].Description, "Severn Vyrnwy Confluence")
		if !strings.Contains(a.Description, "\n\nAt 8:30 am today;\n") {
			t.Errorf("description lost its line breaks: %q", a.Description)
		}
	}},
	"cancel-level-4": {fetched: 3, items: []item{ouse, nidd,
		{"ea:122FWF723", cancel, alert.SeverityMinor, "Warning no Longer in Force", "2015-12-11T09:30:00Z", "2015-12-11T09:30:00Z"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[2].Alert
		eq(t, "urgency", a.Urgency, alert.UrgencyPast)
		eq(t, "certainty", a.Certainty, alert.CertaintyObserved)
		eq(t, "severityLevel", strings.Join(a.EventCodes["severityLevel"], ""), "4")
		eq(t, "geocode", strings.Join(a.Areas[0].Geocodes["EA_FLOOD_AREA"], ""), "122FWF723")
		eq(t, "headline", a.Headline, "Warning no Longer in Force – River Ouse at Naburn Lock")
	}},
	"time-zones": {fetched: 3, items: []item{
		{"ea:122WAF946", active, alert.SeverityModerate, "Flood Alert", "2026-08-27T16:09:00Z", "2026-08-27T15:00:00Z"},
		{"ea:122WAF933", active, alert.SeverityModerate, "Flood Alert", "2026-08-27T17:09:00+01:00", "2026-08-27T16:00:00+01:00"},
		{"ea:122FWF723", active, alert.SeveritySevere, "Flood Warning", "2026-08-27T16:09:22Z", "2026-08-27T16:09:00Z"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		eq(t, "timeRaised (+01:00 kept)", strings.Join(res.Items[1].Alert.Parameters["timeRaised"], ""), "2026-08-27T17:09:22+01:00")
		eq(t, "timeRaised (naive, fraction dropped to seconds)", strings.Join(res.Items[2].Alert.Parameters["timeRaised"], ""), "2026-08-27T16:09:22Z")
		if !res.Items[0].Alert.Sent.Equal(res.Items[1].Alert.Sent) {
			t.Error("16:09Z and 17:09+01:00 are one instant")
		}
	}},
	"tolerant-fields": {fetched: 3, items: []item{ouse, nidd, naburn}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a, b, c := res.Items[0].Alert, res.Items[1].Alert, res.Items[2].Alert
		eq(t, "isTidal from a string", strings.Join(a.Parameters["isTidal"], ""), "true")
		eq(t, "floodArea as a URL", strings.Join(a.Parameters["floodArea"], ""), "http://environment.data.gov.uk/flood-monitoring/id/floodAreas/122WAF946")
		eq(t, "no county without an area object", len(a.Parameters["county"]), 0)
		eq(t, "area from a list: the one of the warning's code", strings.Join(b.Parameters["county"], "|"), "North Yorkshire, City of York")
		eq(t, "isTidal null", len(c.Parameters["isTidal"]), 0)
		eq(t, "eaAreaName null", len(c.Parameters["eaAreaName"]), 0)
		eq(t, "inline polygon not read", len(c.Parameters["polygon"]), 0)
		eq(t, "severityLevel from \" 2 \"", strings.Join(c.EventCodes["severityLevel"], ""), "2")
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
		eq(t, "sender without meta", res.Items[0].Alert.SenderName, "Environment Agency")
		eq(t, "event from the level", res.Items[1].Alert.Headline, "Flood Alert – The Lower River Nidd")
		eq(t, "area named by its code", res.Items[2].Alert.Areas[0].Description, "122FWF723")
		eq(t, "headline without an area name", res.Items[2].Alert.Headline, "Flood Warning")
	}},
	"newer-shape": {fetched: 2, items: []item{
		{"ea:034WAF428", active, alert.SeverityModerate, "Flood alert", "2026-08-27T16:09:00Z", "2026-08-27T16:09:00Z"},
		{"ea:034WAB424", cancel, alert.SeverityMinor, "Warning no longer in force", "2025-01-04T10:28:00Z", "2025-01-04T10:28:00Z"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[0].Alert
		eq(t, "eaRegionName as sent", strings.Join(a.Parameters["eaRegionName"], ""), "No longer used")
		eq(t, "@id by area code", strings.Join(a.Parameters["@id"], ""), "http://environment.data.gov.uk/flood-monitoring/id/floods/034WAF428")
		eq(t, "timeRaised", strings.Join(a.Parameters["timeRaised"], ""), "2026-08-27T16:09:22Z")
		eq(t, "empty message", res.Items[1].Alert.Description, "")
	}},
	"empty-items":    {fetched: 0},
	"no-items":       {err: `not a flood-monitoring list: no "items"`},
	"items-null":     {err: "items is null, want a list or an object"},
	"malformed-json": {err: "malformed JSON"},
	"not-an-object":  {err: "not a flood-monitoring JSON object"},
	"invalid-utf8":   {err: "not valid UTF-8"},
}

func TestGolden(t *testing.T) {
	dirs, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	// A case is a folder, or a verbatim capture testdata/<case>.json whose
	// folder holds only the golden file.
	seen := map[string]bool{}
	for _, d := range dirs {
		if name, ok := strings.CutSuffix(d.Name(), ".json"); ok && !d.IsDir() {
			seen[name] = true
		} else if d.IsDir() {
			seen[d.Name()] = true
		}
	}
	for _, name := range slices.Sorted(maps.Keys(seen)) {
		t.Run(name, func(t *testing.T) {
			f, ok := cases[name]
			if !ok {
				t.Fatalf("testdata/%s has no facts in cases", name)
			}
			res, problems, err := runCase(t, name)
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
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
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
	for _, p := range problems {
		t.Logf("problem: %v", p)
	}
	eq(t, "Snapshot", res.Snapshot, true)
	eq(t, "Fetched", res.Fetched, f.fetched)
	eq(t, "Dropped", mustJSON(t, res.Dropped), mustJSON(t, f.dropped))
	if len(res.Items) != len(f.items) {
		t.Fatalf("%d items, want %d: %s", len(res.Items), len(f.items), mustJSON(t, res.Items))
	}
	for i, w := range f.items {
		it := res.Items[i]
		a := it.Alert
		got := item{key: a.Key, intent: it.Intent, severity: a.Severity, event: a.Event, sent: rfc3339(&a.Sent), onset: rfc3339(a.Onset)}
		if got != w {
			t.Errorf("item %d = %+v\nwant %+v", i, got, w)
		}
		eq(t, "hazard", a.Hazard, alert.HazardFlood)
		eq(t, "status", a.Status, alert.StatusActual)
		eq(t, "source", a.Source, "ea")
		eq(t, "sourceKind", a.SourceKind, "eafloods")
		eq(t, "language", a.Language, "en-GB")
		eq(t, "effective = onset", rfc3339(a.Effective), rfc3339(a.Onset))
		eq(t, "attribution", len(a.Parameters["attribution"]), 1)
		native := strings.TrimPrefix(a.Key, "ea:")
		eq(t, "geocode = key", strings.Join(a.Areas[0].Geocodes["EA_FLOOD_AREA"], ","), native)
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
