package nws

import (
	"encoding/json"
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
	hazard   alert.Hazard
	severity alert.Severity
	geometry string   // GeoJSON type, or "null"
	ugc      []string // UGC geocodes of all areas, in order
	sent     string   // as written in the alert JSON: the source's offset kept
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

const story = "nws:w-nws.webmaster@noaa.gov,"

var floodWatchUGC = []string{"ORZ001", "ORZ006", "WAZ039", "WAZ022", "ORZ005", "ORZ004", "WAZ020", "WAZ021", "ORZ002", "ORZ003", "WAZ040"}

// cases holds the facts of every folder in testdata; a folder without facts
// fails the test.
var cases = map[string]facts{
	"alerts-active-zone-flood-watch": {fetched: 1, items: []item{
		{"nws:KPQR.FA.A.0004", collectors.IntentActive, alert.HazardFlood, alert.SeveritySevere, "null", floodWatchUGC, "2019-12-20T13:34:00-08:00"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[0].Alert
		golden.Eq(t, "ends", golden.RFC3339(a.Ends), "2019-12-22T10:00:00-08:00")
		golden.Eq(t, "expires", golden.RFC3339(a.Expires), "2019-12-21T05:30:00-08:00")
		golden.Eq(t, "status", a.Status, alert.StatusActual)
		golden.Eq(t, "urgency", a.Urgency, alert.UrgencyFuture)
		golden.Eq(t, "certainty", a.Certainty, alert.CertaintyPossible)
		golden.Eq(t, "event", a.Event, "Flood Watch")
		golden.Eq(t, "headline", a.Headline, "Flood Watch issued December 20 at 1:34PM PST until December 22 at 10:00AM PST by NWS Portland OR")
		golden.Eq(t, "senderName", a.SenderName, "NWS Portland OR")
		golden.Eq(t, "sender", a.Sender, "w-nws.webmaster@noaa.gov")
		golden.Eq(t, "language", a.Language, "en-US")
		golden.Eq(t, "eventCodes", golden.JSON(t, a.EventCodes), golden.JSON(t, map[string][]string{"VTEC": {"/O.CON.KPQR.FA.A.0004.000000T0000Z-191222T1800Z/"}}))
		golden.Eq(t, "parameters.BLOCKCHANNEL", strings.Join(a.Parameters["BLOCKCHANNEL"], ","), "CMAS,EAS,NWEM")
		golden.Eq(t, "areas", len(a.Areas), 1)
		golden.Eq(t, "SAME geocodes", len(a.Areas[0].Geocodes["SAME"]), 16)
		if !strings.HasPrefix(a.Areas[0].Description, "North Oregon Coast; Greater Portland Metro Area;") {
			t.Errorf("area description = %q, want areaDesc", a.Areas[0].Description)
		}
		if !strings.Contains(golden.JSON(t, a), `"geometry": null`) {
			t.Error("zone product: want geometry null in the JSON")
		}
	}},
	"alerts-heat-advisory-update": {fetched: 1, items: []item{
		{"nws:KCHS.HT.Y.0006", collectors.IntentActive, alert.HazardHeat, alert.SeverityModerate, "null",
			[]string{"GAZ138", "GAZ115", "GAZ137", "GAZ139", "GAZ117", "GAZ114", "GAZ116", "GAZ101", "GAZ100", "GAZ141", "GAZ118", "GAZ099", "GAZ140", "GAZ119"},
			"2019-08-14T07:20:00-04:00"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[0].Alert
		golden.Eq(t, "onset", golden.RFC3339(a.Onset), "2019-08-14T11:00:00-04:00")
		golden.Eq(t, "ends", golden.RFC3339(a.Ends), "2019-08-14T18:00:00-04:00")
		golden.Eq(t, "event", a.Event, "Heat Advisory")
		if !strings.HasPrefix(a.Instruction, "If you must be outdoors") {
			t.Errorf("instruction = %q", a.Instruction)
		}
	}},
	"extreme-heat-warning-xh": {fetched: 1, items: []item{
		{"nws:KPSR.XH.W.0002", collectors.IntentActive, alert.HazardHeat, alert.SeverityExtreme, "null", []string{"AZZ537", "AZZ538", "AZZ539"}, "2025-07-16T10:54:00-07:00"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[0].Alert
		golden.Eq(t, "event", a.Event, "Extreme Heat Warning")
		golden.Eq(t, "eventCodes", golden.JSON(t, a.EventCodes), golden.JSON(t, map[string][]string{
			"SAME": {"NWS"}, "NationalWeatherService": {"XHW"}, "VTEC": {"/O.NEW.KPSR.XH.W.0002.250717T1700Z-250719T0300Z/"}}))
		golden.Eq(t, "web", a.Web, "http://www.weather.gov")
		golden.Eq(t, "ends", golden.RFC3339(a.Ends), "2025-07-18T20:00:00-07:00")
	}},
	"excessive-heat-warning-eh": {fetched: 1, items: []item{
		{"nws:KVEF.EH.W.0004", collectors.IntentActive, alert.HazardHeat, alert.SeverityExtreme, "null", []string{"NVZ020", "NVZ023"}, "2024-07-06T02:12:00-07:00"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		golden.Eq(t, "instruction (null)", res.Items[0].Alert.Instruction, "")
		golden.Eq(t, "urgency", res.Items[0].Alert.Urgency, alert.UrgencyImmediate)
	}},
	"flash-flood-warning-polygon": {fetched: 1, items: []item{
		{"nws:KTFX.FF.W.0007", collectors.IntentActive, alert.HazardFlood, alert.SeveritySevere, "Polygon", []string{"MTC013"}, "2025-06-21T16:42:00-06:00"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[0].Alert
		ring := a.Areas[0].Polygons[0]
		golden.Eq(t, "first position [lon, lat]", ring[0], [2]float64{-111.42, 47.61})
		golden.Eq(t, "ring length", len(ring), 5)
		geo, _ := json.Marshal(a.Geometry)
		if !strings.HasPrefix(string(geo), `{"type":"Polygon","coordinates":[[[-111.42,47.61],[-111.18,47.64],`) {
			t.Errorf("geometry JSON = %s, want a Polygon of [lon, lat] positions", geo)
		}
		golden.Eq(t, "geometry = area polygons", golden.JSON(t, a.Geometry.OuterRings()), golden.JSON(t, a.Areas[0].Polygons))
		golden.Eq(t, "headline (null: NWSheadline)", a.Headline, "FLASH FLOOD WARNING FOR CASCADE COUNTY UNTIL 745 PM MDT")
		golden.Eq(t, "flashFloodDamageThreat", strings.Join(a.Parameters["flashFloodDamageThreat"], ","), "CONSIDERABLE")
	}},
	"upgrade-advisory-to-warning": {fetched: 1, items: []item{
		{"nws:KBOU.FA.Y.0012", collectors.IntentCancel, alert.HazardFlood, alert.SeveritySevere, "MultiPolygon", []string{"COC013"}, "2025-07-08T14:51:00-06:00"},
		{"nws:KBOU.FF.W.0005", collectors.IntentActive, alert.HazardFlood, alert.SeveritySevere, "MultiPolygon", []string{"COC013"}, "2025-07-08T14:51:00-06:00"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		golden.Eq(t, "cancel's VTEC", strings.Join(res.Items[0].Alert.EventCodes["VTEC"], " "), "/O.UPG.KBOU.FA.Y.0012.000000T0000Z-250708T2215Z/")
		golden.Eq(t, "new's VTEC", strings.Join(res.Items[1].Alert.EventCodes["VTEC"], " "), "/O.NEW.KBOU.FF.W.0005.250708T2051Z-250708T2345Z/")
		golden.Eq(t, "cancel's event (the upgraded product)", res.Items[0].Alert.Event, "Flood Advisory")
		golden.Eq(t, "new's event", res.Items[1].Alert.Event, "Flash Flood Warning")
		golden.Eq(t, "polygons", len(res.Items[1].Alert.Geometry.Polygons), 2)
		// The two items share no maps or slices.
		res.Items[0].Alert.Parameters["VTEC"][0] = "changed"
		res.Items[0].Alert.Areas[0].Geocodes["UGC"][0] = "changed"
		res.Items[0].Alert.Areas[0].Polygons[0][0] = [2]float64{0, 0}
		b := res.Items[1].Alert
		if b.Parameters["VTEC"][0] == "changed" || b.Areas[0].Geocodes["UGC"][0] == "changed" || b.Areas[0].Polygons[0][0] == [2]float64{0, 0} {
			t.Error("items of one feature share maps or slices")
		}
	}},
	"cancel-can": {fetched: 1, items: []item{
		{"nws:KPQR.FA.A.0004", collectors.IntentCancel, alert.HazardFlood, alert.SeverityMinor, "null", floodWatchUGC, "2019-12-21T09:12:00-08:00"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		golden.Eq(t, "ends (null)", golden.RFC3339(res.Items[0].Alert.Ends), "<nil>")
		golden.Eq(t, "urgency", res.Items[0].Alert.Urgency, alert.UrgencyPast)
	}},
	"expire-exp": {fetched: 1, items: []item{
		{"nws:KCHS.HT.Y.0006", collectors.IntentExpire, alert.HazardHeat, alert.SeverityMinor, "null",
			[]string{"GAZ138", "GAZ115", "GAZ137", "GAZ139", "GAZ117", "GAZ114", "GAZ116", "GAZ101", "GAZ100", "GAZ141", "GAZ118", "GAZ099", "GAZ140", "GAZ119"},
			"2019-08-14T17:47:00-04:00"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		golden.Eq(t, "ends", golden.RFC3339(res.Items[0].Alert.Ends), "2019-08-14T18:00:00-04:00")
	}},
	"message-type-cancel": {fetched: 2, items: []item{
		{"nws:KILN.FL.W.0031", collectors.IntentCancel, alert.HazardFlood, alert.SeverityMinor, "null", []string{"OHC061", "KYC117"}, "2025-04-05T11:02:00-04:00"},
		{story + "urn:oid:2.49.0.1.840.0.0000222200002222000022220000222200002222.001.1", collectors.IntentCancel, alert.HazardFlood, alert.SeverityMinor, "null",
			[]string{"KYZ045", "KYZ046", "KYZ047"}, "2025-04-05T10:20:00-04:00"},
	}},
	"unmapped-events": {fetched: 4, dropped: map[string]int{collectors.DropUnmapped: 3}, items: []item{
		{story + "urn:oid:2.49.0.1.840.0.4444dddd4444dddd4444dddd4444dddd4444dddd.001.1", collectors.IntentActive, alert.HazardFlood, alert.SeverityMinor, "null",
			[]string{"GAC051"}, "2025-03-01T09:00:00-05:00"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		golden.Eq(t, "event as sent", res.Items[0].Alert.Event, "flood  advisory")
		golden.Eq(t, "eventCodes (none)", len(res.Items[0].Alert.EventCodes), 0)
	}},
	"river-flood-warning-hvtec": {fetched: 1, items: []item{
		{"nws:KPQR.FL.W.0034", collectors.IntentActive, alert.HazardFlood, alert.SeverityModerate, "Polygon", []string{"WAC011", "ORC051"}, "2019-12-21T08:47:00-08:00"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[0].Alert
		golden.Eq(t, "eventCodes.VTEC", strings.Join(a.EventCodes["VTEC"], " "), "/O.EXT.KPQR.FL.W.0034.000000T0000Z-191223T1200Z/")
		golden.Eq(t, "parameters.VTEC (as sent)", len(a.Parameters["VTEC"]), 2)
	}},
	"bad-time": {fetched: 2, dropped: map[string]int{collectors.DropInvalid: 1}, items: []item{
		{"nws:KPQR.FA.A.0004", collectors.IntentActive, alert.HazardFlood, alert.SeveritySevere, "null", floodWatchUGC, "2019-12-20T13:34:00-08:00"},
	}, check: problemMentions("sent", "2019-12-20 13:34")},
	"bad-geometry": {fetched: 2, dropped: map[string]int{collectors.DropInvalid: 1}, items: []item{
		{"nws:KPQR.FA.A.0004", collectors.IntentActive, alert.HazardFlood, alert.SeveritySevere, "null", floodWatchUGC, "2019-12-20T13:34:00-08:00"},
	}, check: problemMentions("KPQR.FA.W.0101", "not closed")},
	"same-event-latest-sent": {fetched: 2, items: []item{
		{"nws:KPQR.FA.A.0004", collectors.IntentActive, alert.HazardFlood, alert.SeveritySevere, "null", floodWatchUGC, "2019-12-20T13:34:00-08:00"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		golden.Eq(t, "ends of the latest", golden.RFC3339(res.Items[0].Alert.Ends), "2019-12-22T10:00:00-08:00")
	}},
	"product-segments": {fetched: 4, items: []item{
		{"nws:KCHS.HT.Y.0006", collectors.IntentActive, alert.HazardHeat, alert.SeverityModerate, "null", []string{"GAZ137", "GAZ138", "GAZ114", "GAZ115"}, "2019-08-14T07:20:00-04:00"},
		{"nws:KCHS.FL.W.0021", collectors.IntentActive, alert.HazardFlood, alert.SeverityModerate, "null", []string{"GAC103"}, "2019-08-14T07:20:00-04:00"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[0].Alert
		golden.Eq(t, "expires (latest segment)", golden.RFC3339(a.Expires), "2019-08-14T16:30:00-04:00")
		golden.Eq(t, "ends (latest segment)", golden.RFC3339(a.Ends), "2019-08-14T19:00:00-04:00")
		golden.Eq(t, "VTEC (most severe segment)", strings.Join(a.EventCodes["VTEC"], " "), "/O.CON.KCHS.HT.Y.0006.190814T1500Z-190814T2200Z/")
		golden.Eq(t, "areas", len(a.Areas), 2)
	}},
	"events-option": {fetched: 3, dropped: map[string]int{collectors.DropUnmapped: 1}, items: []item{
		{"nws:KCHS.SS.A.1004", collectors.IntentCancel, alert.HazardFlood, alert.SeverityExtreme, "null", []string{"GAZ119"}, "2024-08-06T05:00:00-04:00"},
		{"nws:KCHS.SS.W.1004", collectors.IntentActive, alert.HazardFlood, alert.SeverityExtreme, "null", []string{"GAZ119"}, "2024-08-06T05:00:00-04:00"},
		{story + "urn:oid:2.49.0.1.840.0.8888bbbb8888bbbb8888bbbb8888bbbb8888bbbb.001.1", collectors.IntentActive, alert.HazardHeat, alert.SeverityModerate, "null",
			[]string{"GAZ138", "GAZ115", "GAZ137", "GAZ139", "GAZ117", "GAZ114", "GAZ116", "GAZ101", "GAZ100", "GAZ141", "GAZ118", "GAZ099", "GAZ140", "GAZ119"},
			"2019-08-14T07:20:00-04:00"},
	}},
	"empty-collection": {fetched: 0},
	"problem-json":     {err: `status 400, title "Bad Request", detail "Parameter \"area\" is invalid`},
	"malformed-json":   {err: "malformed JSON"},
	"invalid-utf8":     {err: "not valid UTF-8"},
	"json-ld":          {err: "JSON-LD"},
	"single-feature":   {err: `not a GeoJSON FeatureCollection (type "Feature")`},
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
	golden.CheckCounts(t, res, golden.Counts{Snapshot: true, Fetched: f.fetched, Dropped: f.dropped, Items: len(f.items)})
	for i, w := range f.items {
		it := res.Items[i]
		a := it.Alert
		got := item{key: a.Key, intent: it.Intent, hazard: a.Hazard, severity: a.Severity,
			geometry: "null", ugc: ugcOf(a), sent: golden.RFC3339(&a.Sent)}
		if a.Geometry != nil {
			got.geometry = a.Geometry.Type
		}
		if golden.JSON(t, got.ugc) != golden.JSON(t, w.ugc) || got.key != w.key || got.intent != w.intent || got.hazard != w.hazard ||
			got.severity != w.severity || got.geometry != w.geometry || got.sent != w.sent {
			t.Errorf("item %d = %+v\nwant %+v", i, got, w)
		}
		golden.Eq(t, "source", a.Source, "nws")
		golden.Eq(t, "sourceKind", a.SourceKind, "nws")
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

func ugcOf(a alert.Alert) []string {
	var out []string
	for _, ar := range a.Areas {
		out = append(out, ar.Geocodes["UGC"]...)
	}
	return out
}

// problemMentions checks that the parse problems mention every one of subs.
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
