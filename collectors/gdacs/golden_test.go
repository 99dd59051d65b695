package gdacs

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
		eq(t, "event", a.Event, "Flood")
		eq(t, "headline", a.Headline, "Orange flood alert in Pakistan")
		eq(t, "description", a.Description, "On 12/03/2016, a flood started in Pakistan, lasting until 25/03/2016 (last update). The flood caused 121 killed and 2400 displaced .")
		eq(t, "web", a.Web, "http://www.gdacs.org/report.aspx?eventtype=FL&eventid=4339")
		eq(t, "area", a.Areas[0].Description, "Pakistan")
		eq(t, "circle", mustJSON(t, a.Areas[0].Circles), mustJSON(t, []alert.Circle{{Lon: 71.779, Lat: 33.054, RadiusKm: 0}}))
		eq(t, "eventCodes", mustJSON(t, a.EventCodes), mustJSON(t, map[string][]string{"GDACS": {"FL"}, "GLIDE": {"FL-2016-000021-PAK"}}))
		eq(t, "population", strings.Join(a.Parameters["populationtext"], "|"), "121 killed and 2400 displaced")
		eq(t, "no iscurrent in 2016: urgency", a.Urgency, alert.UrgencyImmediate)
		eq(t, "language", a.Language, "en")
		// Kenya's glide is GDACS's "0" placeholder: a parameter, not a code.
		k := res.Items[2].Alert
		eq(t, "Kenya eventCodes", mustJSON(t, k.EventCodes), mustJSON(t, map[string][]string{"GDACS": {"FL"}}))
		eq(t, "Kenya glide parameter", strings.Join(k.Parameters["glide"], "|"), "0")
	}},

	// Hand-made RSS (testdata/SOURCES.md).
	"rss-flood-current": {fetched: 6, snapshot: true, dropped: map[string]int{collectors.DropUnmapped: 2}, items: []item{
		{"gdacs:FL1102983", active, alert.SeverityModerate, "orange", "3", "2023-03-14T12:00:00Z", "2023-03-06T00:00:00Z", "2023-03-21T12:00:00Z", "Polygon", []string{"MWI"}},
		{"gdacs:FL1102990", active, alert.SeveritySevere, "RED", "1", "2023-03-14T13:00:00+01:00", "2023-03-10T00:00:00Z", "2023-03-22T00:00:00Z", "Polygon", []string{"MOZ"}},
		{"gdacs:FL1102801", expire, alert.SeverityMinor, "Green", "2", "2023-03-01T06:00:00Z", "2023-02-20T00:00:00Z", "2023-03-08T06:00:00Z", "Polygon", []string{"BRA"}},
		{"gdacs:FL1102995", active, alert.SeverityUnknown, "", "1", "2023-03-14T09:00:00Z", "2023-03-14T00:00:00Z", "2023-03-21T09:00:00Z", "null", []string{"PER"}},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[0].Alert
		eq(t, "episodealertlevel", strings.Join(a.Parameters["episodealertlevel"], "|"), "Green")
		eq(t, "bbox (GeoJSON order)", strings.Join(a.Parameters["bbox"], ","), "33.5,-17.1,36.2,-14.2")
		eq(t, "bbox_polygon off: only the circle", len(a.Areas[0].Polygons), 0)
		eq(t, "vulnerability", strings.Join(a.Parameters["vulnerability"], "|")+"/"+strings.Join(a.Parameters["vulnerabilitytext"], "|"), "2/Medium")
		eq(t, "urgency", a.Urgency, alert.UrgencyImmediate)
		eq(t, "certainty", a.Certainty, alert.CertaintyLikely)
		eq(t, "status", a.Status, alert.StatusActual)
		eq(t, "effective (unset: defaults to sent)", rfc3339(a.Effective), "<nil>")
		eq(t, "ends", rfc3339(a.Ends), "<nil>")
		// georss:point alone gives the circle ("lat lon").
		eq(t, "georss circle", mustJSON(t, res.Items[1].Alert.Areas[0].Circles), mustJSON(t, []alert.Circle{{Lon: 36.9, Lat: -17.5}}))
		eq(t, "not current: urgency", res.Items[2].Alert.Urgency, alert.UrgencyPast)
		eq(t, "lower-case eventtype code", strings.Join(res.Items[3].Alert.EventCodes["GDACS"], ""), "FL")
	}},
	"rss-episodes": {fetched: 3, snapshot: true, items: []item{
		{"gdacs:FL1102983", active, alert.SeveritySevere, "Red", "10", "2023-03-14T12:00:00Z", "2023-03-06T00:00:00Z", "2023-03-21T12:00:00Z", "Polygon", []string{"MWI"}},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		// Episode 8 writes its id "01102983": the same event, and older.
		eq(t, "HTML entity read", res.Items[0].Alert.Description, "On 06/03/2023, a flood started in Malawi, lasting until 14/03/2023 (last\u00a0update).")
	}},
	"rss-invalid-items": {fetched: 10, snapshot: true, dropped: map[string]int{collectors.DropInvalid: 7, collectors.DropUnmapped: 1}, items: []item{
		{"gdacs:FL1102983", active, alert.SeverityModerate, "Orange", "3", "2023-03-14T12:00:00Z", "2023-03-06T00:00:00Z", "2023-03-21T12:00:00Z", "Polygon", []string{"MWI"}},
		{"gdacs:FL1102991", active, alert.SeverityModerate, "Orange", "3", "2023-03-14T12:00:00Z", "2023-03-06T00:00:00Z", "2023-03-21T12:00:00Z", "Polygon", []string{"MWI"}},
	}, check: func(t *testing.T, res collectors.Result, problems []error) {
		mentions(t, problems, `eventid "" is not a number`, `eventid "FL1102984" is not a number`,
			`fromdate: time "Mon, 06 Mar 2023 00:00:00 CET"`, "lat 123, lon 35 is outside bounds",
			`iscurrent "maybe"`, "item 6: no eventtype", "no date")
		// A malformed bbox is left out; the item stands.
		eq(t, "malformed bbox", len(res.Items[1].Alert.Parameters["bbox"]), 0)
		eq(t, "georss circle", mustJSON(t, res.Items[1].Alert.Areas[0].Circles), mustJSON(t, []alert.Circle{{Lon: 35.2, Lat: -15.9}}))
	}},
	"rss-empty-channel": {snapshot: true},
	"options-radius-bbox": {fetched: 1, snapshot: true, items: []item{
		{"gdacs:FL1102983", active, alert.SeverityModerate, "orange", "3", "2023-03-14T12:00:00Z", "2023-03-06T00:00:00Z", "<nil>", "MultiPolygon", []string{"MWI"}},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		ar := res.Items[0].Alert.Areas[0]
		eq(t, "radius", ar.Circles[0].RadiusKm, 50.0)
		eq(t, "bbox polygon", mustJSON(t, ar.Polygons), mustJSON(t, [][][][2]float64{{{{33.5, -17.1}, {36.2, -17.1}, {36.2, -14.2}, {33.5, -14.2}, {33.5, -17.1}}}}))
		eq(t, "geometry polygons", len(res.Items[0].Alert.Geometry.Polygons), 2)
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
		eq(t, "circle [lon, lat]", mustJSON(t, a.Areas[0].Circles), mustJSON(t, []alert.Circle{{Lon: 45.921, Lat: -19.668}}))
		eq(t, "web", a.Web, "https://www.gdacs.org/report.aspx?eventid=4224&episodeid=2&eventtype=FL")
		eq(t, "detailsurl", strings.Join(a.Parameters["detailsurl"], ""), "https://www.gdacs.org/gdacsapi/api/events/geteventdata?eventtype=FL&eventid=4224")
		eq(t, "area", a.Areas[0].Description, "Madagascar")
	}},
	// GeoJSON in the event API's full shape.
	"geojson-events4app": {fetched: 6, snapshot: true, dropped: map[string]int{collectors.DropUnmapped: 3}, items: []item{
		{"gdacs:FL1103120", active, alert.SeverityModerate, "ORANGE", "4", "2023-03-14T12:41:07Z", "2023-03-06T00:00:00Z", "2023-03-21T12:00:00Z", "Polygon", []string{"MWI", "MOZ"}},
		{"gdacs:FL1102801", expire, alert.SeverityMinor, "Green", "2", "2023-03-02T08:00:00Z", "2023-02-20T00:00:00Z", "2023-03-08T06:00:00Z", "Polygon", []string{"BRA"}},
		{"gdacs:FL1103200", active, alert.SeveritySevere, "red", "1", "2023-03-14T06:00:00+03:00", "2023-03-13T00:00:00Z", "2023-03-21T06:00:00+03:00", "null", []string{"KEN"}},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[0].Alert
		eq(t, "area", a.Areas[0].Description, "Malawi, Mozambique")
		eq(t, "headline", a.Headline, "Flood in Malawi, Mozambique")
		eq(t, "bbox", strings.Join(a.Parameters["bbox"], ","), "33.5,-17.8,37.2,-14.2")
		eq(t, "source", strings.Join(a.Parameters["source"], ""), "GLOFAS")
		eq(t, "severitytext", strings.Join(a.Parameters["severitytext"], ""), "Magnitude 0")
		eq(t, "GLIDE", strings.Join(a.EventCodes["GLIDE"], ""), "FL-2023-000034-MWI")
		k := res.Items[2].Alert
		eq(t, "area from affectedcountries", k.Areas[0].Description, "Kenya")
		eq(t, "boolean iscurrent", strings.Join(k.Parameters["iscurrent"], ""), "true")
		eq(t, "string eventid", k.Key, "gdacs:FL1103200")
		eq(t, "no glide", len(res.Items[1].Alert.EventCodes["GLIDE"]), 0)
	}},
	"geojson-invalid-features": {fetched: 7, snapshot: true, dropped: map[string]int{collectors.DropInvalid: 5, collectors.DropUnmapped: 1}, items: []item{
		{"gdacs:FL1103307", active, alert.SeverityModerate, "Orange", "2", "2023-03-14T01:02:03Z", "2023-03-13T00:00:00Z", "2023-03-21T00:00:00Z", "Polygon", []string{"MWI"}},
	}, check: func(t *testing.T, res collectors.Result, problems []error) {
		mentions(t, problems, `"LineString" is not Point, Polygon or MultiPolygon`, `fromdate: time "14/03/2023"`,
			"feature has no properties", "properties: ", "lat -16, lon 200 is outside bounds")
		eq(t, "sent with fraction", res.Items[0].Alert.Sent.Nanosecond(), 500000000)
		eq(t, "bad bbox left out", len(res.Items[0].Alert.Parameters["bbox"]), 0)
		eq(t, "polygon, no circle", len(res.Items[0].Alert.Areas[0].Circles), 0)
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
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	// A case is a folder, or a verbatim capture testdata/<case>.xml whose
	// folder holds only the golden file.
	seen := map[string]bool{}
	for _, d := range entries {
		if name, ok := strings.CutSuffix(d.Name(), ".xml"); ok && !d.IsDir() {
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
	eq(t, "Snapshot", res.Snapshot, f.snapshot)
	eq(t, "Fetched", res.Fetched, f.fetched)
	eq(t, "Dropped", mustJSON(t, res.Dropped), mustJSON(t, f.dropped))
	if len(res.Items) != len(f.items) {
		t.Fatalf("%d items, want %d: %s", len(res.Items), len(f.items), mustJSON(t, res.Items))
	}
	for i, w := range f.items {
		it := res.Items[i]
		a := it.Alert
		got := item{key: a.Key, intent: it.Intent, severity: a.Severity, alertlevel: strings.Join(a.Parameters["alertlevel"], "|"),
			episode: strings.Join(a.Parameters["episodeid"], "|"), sent: rfc3339(&a.Sent), onset: rfc3339(a.Onset),
			expires: rfc3339(a.Expires), geometry: "null"}
		if a.Geometry != nil {
			got.geometry = a.Geometry.Type
		}
		if len(a.Areas) > 0 {
			got.iso3 = a.Areas[0].Geocodes["ISO3"]
		}
		if mustJSON(t, got.iso3) != mustJSON(t, w.iso3) || got.key != w.key || got.intent != w.intent || got.severity != w.severity ||
			got.alertlevel != w.alertlevel || got.episode != w.episode || got.sent != w.sent || got.onset != w.onset ||
			got.expires != w.expires || got.geometry != w.geometry {
			t.Errorf("item %d = %+v\nwant %+v", i, got, w)
		}
		eq(t, "source", a.Source, "gdacs")
		eq(t, "sourceKind", a.SourceKind, "gdacs")
		eq(t, "hazard", a.Hazard, alert.HazardFlood)
		eq(t, "language", a.Language, "en")
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
