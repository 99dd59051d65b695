package gdacs

import (
	"strings"
	"testing"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// item is what every golden case asserts about each item, beside the file.
type item struct {
	key        string
	intent     collectors.Intent
	severity   alert.Severity
	alertlevel string // parameters.alertlevel, as sent
	episode    string // parameters.episodeid
	sent       string // as written in the alert JSON: the source's offset kept
	onset      string
	expires    string
	geometry   string   // GeoJSON type, or "null"
	iso3       []string // geocodes.ISO3 of the area
}

// facts are the key facts of a golden case, asserted explicitly so that a
// regenerated golden file cannot hide a regression in them.
type facts struct {
	err      string // the error must contain this; "" when the case parses
	fetched  int
	dropped  map[string]int
	snapshot bool
	items    []item
	// check asserts anything else the case is about.
	check func(t *testing.T, res collectors.Result, problems []error)
}

var (
	active = collectors.IntentActive
	expire = collectors.IntentExpire
)

// cases holds the facts of every case in testdata; a case without facts
// fails the test.
var cases = map[string]facts{
	// Verbatim captures.
	"rss-tropical-cyclone": {fetched: 1, snapshot: true, dropped: map[string]int{collectors.DropUnmapped: 1}},
	"rss-archive-2016": {fetched: 4, snapshot: true, dropped: map[string]int{collectors.DropUnmapped: 1}, items: []item{
		{"gdacs:FL4339", active, alert.SeverityModerate, "Orange", "1", "2016-03-25T23:59:59Z", "2016-03-12T00:00:00Z", "2016-04-01T23:59:59Z", "Polygon", nil},
		{"gdacs:FL4315", active, alert.SeverityModerate, "Orange", "2", "2016-01-29T23:59:59Z", "2015-12-01T00:00:00Z", "2016-02-05T23:59:59Z", "Polygon", nil},
		{"gdacs:FL4317", active, alert.SeverityModerate, "Orange", "2", "2016-01-06T23:59:59Z", "2015-12-01T00:00:00Z", "2016-01-13T23:59:59Z", "Polygon", nil},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[0].Alert
		golden.Eq(t, "event", a.Event, "Flood")
		golden.Eq(t, "headline", a.Headline, "Orange flood alert in Pakistan")
		golden.Eq(t, "description", a.Description, "On 12/03/2016, a flood started in Pakistan, lasting until 25/03/2016 (last update). The flood caused 121 killed and 2400 displaced .")
		golden.Eq(t, "web", a.Web, "http://www.gdacs.org/report.aspx?eventtype=FL&eventid=4339")
		golden.Eq(t, "area", a.Areas[0].Description, "Pakistan")
		golden.Eq(t, "circle", golden.JSON(t, a.Areas[0].Circles), golden.JSON(t, []alert.Circle{{Lon: 71.779, Lat: 33.054, RadiusKm: 0}}))
		golden.Eq(t, "eventCodes", golden.JSON(t, a.EventCodes), golden.JSON(t, map[string][]string{"GDACS": {"FL"}, "GLIDE": {"FL-2016-000021-PAK"}}))
		golden.Eq(t, "population", strings.Join(a.Parameters["populationtext"], "|"), "121 killed and 2400 displaced")
		golden.Eq(t, "no iscurrent in 2016: urgency", a.Urgency, alert.UrgencyImmediate)
		golden.Eq(t, "language", a.Language, "en")
		// Kenya's glide is GDACS's "0" placeholder: a parameter, not a code.
		k := res.Items[2].Alert
		golden.Eq(t, "Kenya eventCodes", golden.JSON(t, k.EventCodes), golden.JSON(t, map[string][]string{"GDACS": {"FL"}}))
		golden.Eq(t, "Kenya glide parameter", strings.Join(k.Parameters["glide"], "|"), "0")
	}},

	// Hand-made RSS (testdata/SOURCES.md).
	"rss-flood-current": {fetched: 6, snapshot: true, dropped: map[string]int{collectors.DropUnmapped: 2}, items: []item{
		{"gdacs:FL1102983", active, alert.SeverityModerate, "orange", "3", "2023-03-14T12:00:00Z", "2023-03-06T00:00:00Z", "2023-03-21T12:00:00Z", "Polygon", []string{"MWI"}},
		{"gdacs:FL1102990", active, alert.SeveritySevere, "RED", "1", "2023-03-14T13:00:00+01:00", "2023-03-10T00:00:00Z", "2023-03-22T00:00:00Z", "Polygon", []string{"MOZ"}},
		{"gdacs:FL1102801", expire, alert.SeverityMinor, "Green", "2", "2023-03-01T06:00:00Z", "2023-02-20T00:00:00Z", "2023-03-08T06:00:00Z", "Polygon", []string{"BRA"}},
		{"gdacs:FL1102995", active, alert.SeverityUnknown, "", "1", "2023-03-14T09:00:00Z", "2023-03-14T00:00:00Z", "2023-03-21T09:00:00Z", "null", []string{"PER"}},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[0].Alert
		golden.Eq(t, "episodealertlevel", strings.Join(a.Parameters["episodealertlevel"], "|"), "Green")
		golden.Eq(t, "bbox (GeoJSON order)", strings.Join(a.Parameters["bbox"], ","), "33.5,-17.1,36.2,-14.2")
		golden.Eq(t, "bbox_polygon off: only the circle", len(a.Areas[0].Polygons), 0)
		golden.Eq(t, "vulnerability", strings.Join(a.Parameters["vulnerability"], "|")+"/"+strings.Join(a.Parameters["vulnerabilitytext"], "|"), "2/Medium")
		golden.Eq(t, "urgency", a.Urgency, alert.UrgencyImmediate)
		golden.Eq(t, "certainty", a.Certainty, alert.CertaintyLikely)
		golden.Eq(t, "status", a.Status, alert.StatusActual)
		golden.Eq(t, "effective (unset: defaults to sent)", golden.RFC3339(a.Effective), "<nil>")
		golden.Eq(t, "ends", golden.RFC3339(a.Ends), "<nil>")
		// georss:point alone gives the circle ("lat lon").
		golden.Eq(t, "georss circle", golden.JSON(t, res.Items[1].Alert.Areas[0].Circles), golden.JSON(t, []alert.Circle{{Lon: 36.9, Lat: -17.5}}))
		golden.Eq(t, "not current: urgency", res.Items[2].Alert.Urgency, alert.UrgencyPast)
		golden.Eq(t, "lower-case eventtype code", strings.Join(res.Items[3].Alert.EventCodes["GDACS"], ""), "FL")
	}},
	"rss-episodes": {fetched: 3, snapshot: true, items: []item{
		{"gdacs:FL1102983", active, alert.SeveritySevere, "Red", "10", "2023-03-14T12:00:00Z", "2023-03-06T00:00:00Z", "2023-03-21T12:00:00Z", "Polygon", []string{"MWI"}},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		// Episode 8 writes its id "01102983": the same event, and older.
		golden.Eq(t, "HTML entity read", res.Items[0].Alert.Description, "On 06/03/2023, a flood started in Malawi, lasting until 14/03/2023 (last\u00a0update).")
	}},
	"rss-invalid-items": {fetched: 10, snapshot: true, dropped: map[string]int{collectors.DropInvalid: 7, collectors.DropUnmapped: 1}, items: []item{
		{"gdacs:FL1102983", active, alert.SeverityModerate, "Orange", "3", "2023-03-14T12:00:00Z", "2023-03-06T00:00:00Z", "2023-03-21T12:00:00Z", "Polygon", []string{"MWI"}},
		{"gdacs:FL1102991", active, alert.SeverityModerate, "Orange", "3", "2023-03-14T12:00:00Z", "2023-03-06T00:00:00Z", "2023-03-21T12:00:00Z", "Polygon", []string{"MWI"}},
	}, check: func(t *testing.T, res collectors.Result, problems []error) {
		mentions(t, problems, `eventid "" is not a number`, `eventid "FL1102984" is not a number`,
			`fromdate: time "Mon, 06 Mar 2023 00:00:00 CET"`, "lat 123, lon 35 is outside bounds",
			`iscurrent "maybe"`, "item 6: no eventtype", "no date")
		// A malformed bbox is left out; the item stands.
		golden.Eq(t, "malformed bbox", len(res.Items[1].Alert.Parameters["bbox"]), 0)
		golden.Eq(t, "georss circle", golden.JSON(t, res.Items[1].Alert.Areas[0].Circles), golden.JSON(t, []alert.Circle{{Lon: 35.2, Lat: -15.9}}))
	}},
	"rss-empty-channel": {snapshot: true},
	"options-radius-bbox": {fetched: 1, snapshot: true, items: []item{
		{"gdacs:FL1102983", active, alert.SeverityModerate, "orange", "3", "2023-03-14T12:00:00Z", "2023-03-06T00:00:00Z", "<nil>", "MultiPolygon", []string{"MWI"}},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		ar := res.Items[0].Alert.Areas[0]
		golden.Eq(t, "radius", ar.Circles[0].RadiusKm, 50.0)
		golden.Eq(t, "bbox polygon", golden.JSON(t, ar.Polygons), golden.JSON(t, [][][2]float64{{{33.5, -17.1}, {36.2, -17.1}, {36.2, -14.2}, {33.5, -14.2}, {33.5, -17.1}}}))
		golden.Eq(t, "geometry polygons", len(res.Items[0].Alert.Geometry.Polygons), 2)
	}},
	"rss-no-channel":       {err: "RSS document without a channel"},
	"rss-malformed":        {err: "malformed XML"},
	"html-error-page":      {err: "not an RSS document (root element <html>)"},
	"invalid-utf8":         {err: "not valid UTF-8"},
	"latin1-declared":      {err: `encoding "ISO-8859-1" is not supported`},
	"format-rss-json-body": {err: "format is rss, but the body looks like geojson"},

	// GeoJSON built from the columns of floods-normalized-rows.csv.
	"geojson-csv-floods": {fetched: 3, snapshot: true, items: []item{
		{"gdacs:FL4224", active, alert.SeverityMinor, "Green", "2", "2015-02-09T23:59:59Z", "2015-01-05T00:00:00Z", "2015-02-16T23:59:59Z", "Polygon", []string{"MDG"}},
		{"gdacs:FL4219", active, alert.SeverityModerate, "Orange", "4", "2015-02-09T23:59:59Z", "2015-01-01T00:00:00Z", "2015-02-16T23:59:59Z", "Polygon", []string{"MWI"}},
		{"gdacs:FL4215", active, alert.SeveritySevere, "RED", "4", "2015-01-01T23:59:59Z", "2014-12-20T00:00:00Z", "2015-01-08T23:59:59Z", "Polygon", []string{"LKA"}},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[0].Alert
		golden.Eq(t, "circle [lon, lat]", golden.JSON(t, a.Areas[0].Circles), golden.JSON(t, []alert.Circle{{Lon: 45.921, Lat: -19.668}}))
		golden.Eq(t, "web", a.Web, "https://www.gdacs.org/report.aspx?eventid=4224&episodeid=2&eventtype=FL")
		golden.Eq(t, "detailsurl", strings.Join(a.Parameters["detailsurl"], ""), "https://www.gdacs.org/gdacsapi/api/events/geteventdata?eventtype=FL&eventid=4224")
		golden.Eq(t, "area", a.Areas[0].Description, "Madagascar")
	}},
	// GeoJSON in the event API's full shape.
	"geojson-events4app": {fetched: 6, snapshot: true, dropped: map[string]int{collectors.DropUnmapped: 3}, items: []item{
		{"gdacs:FL1103120", active, alert.SeverityModerate, "ORANGE", "4", "2023-03-14T12:41:07Z", "2023-03-06T00:00:00Z", "2023-03-21T12:00:00Z", "Polygon", []string{"MWI", "MOZ"}},
		{"gdacs:FL1102801", expire, alert.SeverityMinor, "Green", "2", "2023-03-02T08:00:00Z", "2023-02-20T00:00:00Z", "2023-03-08T06:00:00Z", "Polygon", []string{"BRA"}},
		{"gdacs:FL1103200", active, alert.SeveritySevere, "red", "1", "2023-03-14T06:00:00+03:00", "2023-03-13T00:00:00Z", "2023-03-21T06:00:00+03:00", "null", []string{"KEN"}},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[0].Alert
		golden.Eq(t, "area", a.Areas[0].Description, "Malawi, Mozambique")
		golden.Eq(t, "headline", a.Headline, "Flood in Malawi, Mozambique")
		golden.Eq(t, "bbox", strings.Join(a.Parameters["bbox"], ","), "33.5,-17.8,37.2,-14.2")
		golden.Eq(t, "source", strings.Join(a.Parameters["source"], ""), "GLOFAS")
		golden.Eq(t, "severitytext", strings.Join(a.Parameters["severitytext"], ""), "Magnitude 0")
		golden.Eq(t, "GLIDE", strings.Join(a.EventCodes["GLIDE"], ""), "FL-2023-000034-MWI")
		k := res.Items[2].Alert
		golden.Eq(t, "area from affectedcountries", k.Areas[0].Description, "Kenya")
		golden.Eq(t, "boolean iscurrent", strings.Join(k.Parameters["iscurrent"], ""), "true")
		golden.Eq(t, "string eventid", k.Key, "gdacs:FL1103200")
		golden.Eq(t, "no glide", len(res.Items[1].Alert.EventCodes["GLIDE"]), 0)
	}},
	"geojson-invalid-features": {fetched: 7, snapshot: true, dropped: map[string]int{collectors.DropInvalid: 5, collectors.DropUnmapped: 1}, items: []item{
		{"gdacs:FL1103307", active, alert.SeverityModerate, "Orange", "2", "2023-03-14T01:02:03Z", "2023-03-13T00:00:00Z", "2023-03-21T00:00:00Z", "Polygon", []string{"MWI"}},
	}, check: func(t *testing.T, res collectors.Result, problems []error) {
		mentions(t, problems, `"LineString" is not Point, Polygon or MultiPolygon`, `fromdate: time "14/03/2023"`,
			"feature has no properties", "properties: ", "lat -16, lon 200 is outside bounds")
		golden.Eq(t, "sent with fraction", res.Items[0].Alert.Sent.Nanosecond(), 500000000)
		golden.Eq(t, "bad bbox left out", len(res.Items[0].Alert.Parameters["bbox"]), 0)
		golden.Eq(t, "polygon, no circle", len(res.Items[0].Alert.Areas[0].Circles), 0)
	}},
	"empty-body-geojson":     {snapshot: true},
	"empty-body-auto":        {err: "empty body"},
	"geojson-problem":        {err: `the GDACS API answered with an error: status "400", title "One or more validation errors occurred."`},
	"geojson-webapi-message": {err: `message "An error has occurred."`},
	"geojson-malformed":      {err: "malformed JSON at byte"},
	"geojson-array":          {err: "not a GeoJSON FeatureCollection"},
	"geojson-no-features":    {err: "FeatureCollection without a features array"},
}

func TestGolden(t *testing.T) {
	golden.Suite[facts]{Cases: cases, CaptureExt: ".xml"}.Run(t, func(t *testing.T, c golden.Case, f facts) {
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
	golden.CheckCounts(t, res, golden.Counts{Snapshot: f.snapshot, Fetched: f.fetched, Dropped: f.dropped, Items: len(f.items)})
	for i, w := range f.items {
		it := res.Items[i]
		a := it.Alert
		got := item{key: a.Key, intent: it.Intent, severity: a.Severity, alertlevel: strings.Join(a.Parameters["alertlevel"], "|"),
			episode: strings.Join(a.Parameters["episodeid"], "|"), sent: golden.RFC3339(&a.Sent), onset: golden.RFC3339(a.Onset),
			expires: golden.RFC3339(a.Expires), geometry: "null"}
		if a.Geometry != nil {
			got.geometry = a.Geometry.Type
		}
		if len(a.Areas) > 0 {
			got.iso3 = a.Areas[0].Geocodes["ISO3"]
		}
		if golden.JSON(t, got.iso3) != golden.JSON(t, w.iso3) || got.key != w.key || got.intent != w.intent || got.severity != w.severity ||
			got.alertlevel != w.alertlevel || got.episode != w.episode || got.sent != w.sent || got.onset != w.onset ||
			got.expires != w.expires || got.geometry != w.geometry {
			t.Errorf("item %d = %+v\nwant %+v", i, got, w)
		}
		golden.Eq(t, "source", a.Source, "gdacs")
		golden.Eq(t, "sourceKind", a.SourceKind, "gdacs")
		golden.Eq(t, "hazard", a.Hazard, alert.HazardFlood)
		golden.Eq(t, "language", a.Language, "en")
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

// mentions checks that the problems, in order, mention subs one each.
func mentions(t *testing.T, problems []error, subs ...string) {
	t.Helper()
	if len(problems) != len(subs) {
		t.Fatalf("problems = %q, want %d", problems, len(subs))
	}
	for i, s := range subs {
		if !strings.Contains(problems[i].Error(), s) {
			t.Errorf("problem %d %q does not mention %q", i, problems[i], s)
		}
	}
}
