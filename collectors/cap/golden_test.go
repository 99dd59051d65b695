package cap

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// update is the -update flag of the shared harness (one flag per test
// binary): rewrite testdata/<case>/expected.json from the parser's output.
var update = golden.Update

// goldenCase is what a testdata/<case>/ must give, asserted explicitly
// beside the golden file, which only guards against unreviewed change.
type goldenCase struct {
	err     bool // the case has an expected.err instead of expected.json
	fetched int
	dropped map[string]int
	items   int
	check   func(t *testing.T, items []collectors.Item)
}

var goldenCases = map[string]goldenCase{
	"nws-flash-flood-watch-cap11": {fetched: 1, items: 1, check: func(t *testing.T, items []collectors.Item) {
		it := items[0]
		wantItem(t, it, "test:w-nws.webmaster@noaa.gov,NOAA-NWS-ALERTS-MT20100830100700TFXFlashFloodWatchTFX20100830180000MT/en-US",
			collectors.IntentActive, alert.HazardFlood, alert.SeveritySevere, "en-US")
		a := it.Alert
		wantEq(t, "event", a.Event, "Flash Flood Watch")
		wantEq(t, "status", a.Status, alert.StatusActual)
		wantEq(t, "urgency", a.Urgency, alert.UrgencyExpected)
		wantEq(t, "certainty", a.Certainty, alert.CertaintyPossible)
		wantEq(t, "sent", a.Sent.Format("2006-01-02T15:04:05Z07:00"), "2010-08-30T04:07:00-06:00")
		wantEq(t, "expires", rfc3339(a.Expires), "2010-08-30T12:00:00-06:00")
		wantEq(t, "senderName", a.SenderName, "NWS GreatFalls (Central Montana)")
		wantEq(t, "SAME", strings.Join(a.EventCodes["SAME"], ","), "FFA")
		wantEq(t, "VTEC", strings.HasPrefix(a.Parameters["VTEC"][0], "/O.CON.KTFX.FF.A.0003."), true)
		wantEq(t, "empty WMOHEADER left out", a.Parameters["WMOHEADER"] == nil, true)
		wantEq(t, "UGC", strings.Join(a.Areas[0].Geocodes["UGC"], ","), "MTZ014")
		wantEq(t, "FIPS6", strings.Join(a.Areas[0].Geocodes["FIPS6"], ","), "030049")
		wantEq(t, "geometry", a.Geometry == nil, true)
	}},
	"nws-ipaws-update-hurricane": {fetched: 1, dropped: map[string]int{"unmapped": 1}},
	"nws-ipaws-update-events-option": {fetched: 1, items: 1, check: func(t *testing.T, items []collectors.Item) {
		it := items[0]
		// Four references share the earliest sent (10:32): the smallest identifier wins.
		wantItem(t, it, "test:w-nws.webmaster@noaa.gov,NWS-IDP-PROD-4410291-3675935/en-US",
			collectors.IntentActive, alert.HazardFlood, alert.SeverityExtreme, "en-US")
		a := it.Alert
		wantEq(t, "sender", a.Sender, "w-nws.webmaster@noaa.gov")
		wantEq(t, "onset", rfc3339(a.Onset), "2020-08-26T04:14:10-05:00")
		wantEq(t, "polygons", len(a.Areas[0].Polygons), 2)
		wantEq(t, "first point [lon, lat]", a.Areas[0].Polygons[0][0], [2]float64{-92.619, 30.094})
		wantEq(t, "geometry", a.Geometry.Type, "MultiPolygon")
		wantEq(t, "geometry polygons", len(a.Geometry.Polygons), 2)
		wantEq(t, "BLOCKCHANNEL", strings.Join(a.Parameters["BLOCKCHANNEL"], ","), "EAS,NWEM,CMAS")
		wantEq(t, "no references parameter", a.Parameters["references"] == nil && a.References == nil, true)
	}},
	"canada-update-allclear": {fetched: 1, dropped: map[string]int{"unmapped": 1}},
	"canada-update-allclear-events-option": {fetched: 1, items: 1, check: func(t *testing.T, items []collectors.Item) {
		it := items[0]
		wantItem(t, it, "test:cap@ec.gc.ca,2.49.0.1.124.a3f342a4.2012/en-CA",
			collectors.IntentCancel, alert.HazardFlood, alert.SeverityMinor, "en-CA")
		a := it.Alert
		wantEq(t, "sent (-00:00 is UTC)", a.Sent.Format("2006-01-02T15:04:05Z07:00"), "2012-05-02T23:21:04Z")
		wantEq(t, "first point [lon, lat]", a.Areas[0].Polygons[0][0], [2]float64{-82.9314, 42.3481})
		wantEq(t, "geocodes", len(a.Areas[0].Geocodes["profile:CAP-CP:Location:0.3"]), 9)
		wantEq(t, "geometry", a.Geometry.Type, "Polygon")
	}},
	"meteoalarm-france-update-allclear": {fetched: 2, dropped: map[string]int{"unmapped": 2}},
	"meteoalarm-france-update-allclear-events-option": {fetched: 2, items: 1, dropped: map[string]int{"unmapped": 1}, check: func(t *testing.T, items []collectors.Item) {
		it := items[0]
		wantItem(t, it, "test:vigilance@meteo.fr,2.49.0.0.250.0.FR.20221206160108.315028/fr-FR",
			collectors.IntentCancel, alert.HazardHeat, alert.SeverityModerate, "fr-FR")
		wantEq(t, "sent", it.Alert.Sent.Format("2006-01-02T15:04:05Z07:00"), "2022-12-07T06:01:26+01:00")
		wantEq(t, "onset", rfc3339(it.Alert.Onset), "2022-12-07T06:00:00+01:00")
		wantEq(t, "awareness_type", strings.Join(it.Alert.Parameters["awareness_type"], ","), "9; avalanches")
	}},
	"cap11-prefixed-namespace": {fetched: 1, items: 1, check: func(t *testing.T, items []collectors.Item) {
		it := items[0]
		wantItem(t, it, "test:hydro@example.org,HW-TEST-CAP11-0001/en-US",
			collectors.IntentActive, alert.HazardFlood, alert.SeveritySevere, "en-US")
		wantEq(t, "event (not the decoy)", it.Alert.Event, "River Flood Warning")
		wantEq(t, "expires", rfc3339(it.Alert.Expires), "2024-03-11T08:00:00+01:00")
		wantEq(t, "NUTS3", strings.Join(it.Alert.Areas[0].Geocodes["NUTS3"], ","), "DEA1B")
	}},
	"prefix-bound-to-other-namespace": {err: true},
	"no-namespace-excessive-heat": {fetched: 1, items: 1, check: func(t *testing.T, items []collectors.Item) {
		it := items[0]
		wantItem(t, it, "test:w-nws.webmaster@noaa.gov,urn:oid:2.49.0.1.840.0.hazardwire-test-heat.001.1/en-US",
			collectors.IntentActive, alert.HazardHeat, alert.SeveritySevere, "en-US")
		a := it.Alert
		wantEq(t, "effective", rfc3339(a.Effective), "2023-07-14T15:02:00-05:00")
		wantEq(t, "ends from eventEndingTime", rfc3339(a.Ends), "2023-07-16T20:00:00-05:00")
		wantEq(t, "first point [lon, lat]", a.Areas[0].Polygons[0][0], [2]float64{-95.80, 29.95})
		wantEq(t, "geometry", a.Geometry.Type, "Polygon")
	}},
	"cancel-without-info": {fetched: 1, dropped: map[string]int{"unmapped": 1}},
	"cancel-with-info": {fetched: 1, items: 1, check: func(t *testing.T, items []collectors.Item) {
		wantItem(t, items[0], "test:hydro@example.org,HW-TEST-ALERT-0001/en-GB",
			collectors.IntentCancel, alert.HazardFlood, alert.SeverityMinor, "en-GB")
	}},
	"update-two-references": {fetched: 1, items: 1, check: func(t *testing.T, items []collectors.Item) {
		// STORY-A (01:00Z, listed last) is earlier than STORY-B (02:00Z).
		wantItem(t, items[0], "test:met@example.org,STORY-A/en-US",
			collectors.IntentActive, alert.HazardFlood, alert.SeverityExtreme, "en-US")
		wantEq(t, "sender", items[0].Alert.Sender, "met@example.org")
	}},
	"allclear-hochwasser-de": {fetched: 1, items: 1, check: func(t *testing.T, items []collectors.Item) {
		wantItem(t, items[0], "test:hochwasser@example.de,2.49.0.0.276.0.DE.HW.20240601.0001/de-DE",
			collectors.IntentCancel, alert.HazardFlood, alert.SeverityMinor, "de-DE")
		wantEq(t, "sent", items[0].Alert.Sent.Format("2006-01-02T15:04:05Z07:00"), "2024-06-03T18:00:00+02:00")
	}},
	"unmapped-event": {fetched: 3, dropped: map[string]int{"unmapped": 3}},
	"circle-area-ko": {fetched: 1, items: 1, check: func(t *testing.T, items []collectors.Item) {
		it := items[0]
		wantItem(t, it, "test:test-warnings@example.kr,HW-TEST-KR-RAIN-0001/ko-KR",
			collectors.IntentActive, alert.HazardFlood, alert.SeveritySevere, "ko-KR")
		a := it.Alert
		wantEq(t, "event", a.Event, "호우경보")
		wantEq(t, "circle", a.Areas[0].Circles, []alert.Circle{{Lon: 126.978, Lat: 37.5665, RadiusKm: 10}})
		wantEq(t, "geometry", a.Geometry.Type, "Polygon")
		wantEq(t, "circle ring points", len(a.Geometry.Polygons[0][0]), 33)
		wantEq(t, "expires", rfc3339(a.Expires), "2024-07-10T18:00:00+09:00")
	}},
	"unclosed-polygon": {fetched: 1, items: 1, check: func(t *testing.T, items []collectors.Item) {
		wantItem(t, items[0], "test:w-nws.webmaster@noaa.gov,HW-TEST-UNCLOSED-0001/en-US",
			collectors.IntentActive, alert.HazardFlood, alert.SeverityMinor, "en-US")
		ring := items[0].Alert.Areas[0].Polygons[0]
		wantEq(t, "ring closed by the parser", len(ring), 5)
		wantEq(t, "first point", ring[0], [2]float64{-77.30, 38.90})
		wantEq(t, "last point", ring[4], ring[0])
	}},
	"bad-polygon": {fetched: 3, items: 1, dropped: map[string]int{"invalid": 2}, check: func(t *testing.T, items []collectors.Item) {
		wantItem(t, items[0], "test:w-nws.webmaster@noaa.gov,HW-TEST-BADPOLY-0001/es-US",
			collectors.IntentActive, alert.HazardFlood, alert.SeveritySevere, "es-US")
	}},
	"malformed-xml": {err: true},
	"invalid-utf8":  {err: true},
	"latin1-encoding": {fetched: 1, items: 1, check: func(t *testing.T, items []collectors.Item) {
		wantItem(t, items[0], "test:hydro@example.at,HW-TEST-LATIN1-0001/de-AT",
			collectors.IntentActive, alert.HazardFlood, alert.SeverityExtreme, "de-AT")
		wantEq(t, "event", items[0].Alert.Event, "Überschwemmung")
		wantEq(t, "description", items[0].Alert.Description, "Pegelstände über dem hundertjährlichen Hochwasser.")
	}},
	"ack-message": {},
	"meteoalarm-flood-awareness": {fetched: 2, items: 2, check: func(t *testing.T, items []collectors.Item) {
		wantItem(t, items[0], "test:vigilance@meteo.fr,2.49.0.0.250.0.FR.20240117060126.000001/fr-FR",
			collectors.IntentActive, alert.HazardFlood, alert.SeveritySevere, "fr-FR")
		wantItem(t, items[1], "test:vigilance@meteo.fr,2.49.0.0.250.0.FR.20240117060126.000001/en-GB",
			collectors.IntentActive, alert.HazardFlood, alert.SeveritySevere, "en-GB")
		wantEq(t, "onset", rfc3339(items[1].Alert.Onset), "2024-01-17T16:00:00+01:00")
	}},
	"keywords-off-heat-awareness": {fetched: 2, items: 1, dropped: map[string]int{"unmapped": 1}, check: func(t *testing.T, items []collectors.Item) {
		wantItem(t, items[0], "test:heat@example.de,2.49.0.0.276.0.DWD.HEAT.0001/en-GB",
			collectors.IntentActive, alert.HazardHeat, alert.SeverityModerate, "en-GB")
	}},
	"events-none-wins": {fetched: 2, items: 1, dropped: map[string]int{"unmapped": 1}, check: func(t *testing.T, items []collectors.Item) {
		wantEq(t, "event", items[0].Alert.Event, "Flash Flood Watch")
	}},
	"two-infos-same-language": {fetched: 2, items: 1, check: func(t *testing.T, items []collectors.Item) {
		wantItem(t, items[0], "test:hydro@example.org,HW-TEST-TWOINFO-0001/en-GB",
			collectors.IntentActive, alert.HazardFlood, alert.SeveritySevere, "en-GB")
		wantEq(t, "onset", rfc3339(items[0].Alert.Onset), "2024-10-02T00:00:00Z")
	}},
	"bad-time":   {fetched: 2, dropped: map[string]int{"invalid": 2}},
	"bad-header": {fetched: 2, dropped: map[string]int{"invalid": 1, "unmapped": 1}},
	"korean-heat": {fetched: 1, items: 1, check: func(t *testing.T, items []collectors.Item) {
		wantItem(t, items[0], "test:test-warnings@example.kr,HW-TEST-KR-HEAT-0001/ko-KR",
			collectors.IntentActive, alert.HazardHeat, alert.SeveritySevere, "ko-KR")
		wantEq(t, "effective", rfc3339(items[0].Alert.Effective), "2024-08-05T11:00:00+09:00")
		wantEq(t, "first point [lon, lat]", items[0].Alert.Areas[0].Polygons[0][0], [2]float64{128.45, 35.95})
	}},
}

// TestGolden maps every testdata/<case>/input.xml (with its options.yaml)
// and compares the items with expected.json, after asserting the key facts.
func TestGolden(t *testing.T) {
	dirs := caseDirs(t)
	for name := range goldenCases {
		if !slices.Contains(dirs, name) {
			t.Errorf("case %q has no testdata folder", name)
		}
	}
	for _, name := range dirs {
		t.Run(name, func(t *testing.T) {
			tc, ok := goldenCases[name]
			if !ok {
				t.Fatalf("testdata/%s has no entry in goldenCases: every case needs explicit assertions", name)
			}
			dir := filepath.Join("testdata", name)
			input := readFile(t, filepath.Join(dir, "input.xml"))
			opts, _ := os.ReadFile(filepath.Join(dir, "options.yaml"))
			m := newMapper(t, string(opts))
			res, err := m.documentResult(input)
			if tc.err {
				want := strings.TrimSpace(string(readFile(t, filepath.Join(dir, "expected.err"))))
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("err = %v, want one containing %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			wantEq(t, "Fetched", res.Fetched, tc.fetched)
			wantEq(t, "Dropped", mustJSON(t, res.Dropped), mustJSON(t, nilIfEmpty(tc.dropped)))
			wantEq(t, "Snapshot", res.Snapshot, true)
			if len(res.Items) != tc.items {
				t.Fatalf("got %d items, want %d: %s", len(res.Items), tc.items, mustJSON(t, res.Items))
			}
			for _, it := range res.Items {
				if err := it.Alert.Validate(); err != nil {
					t.Errorf("item %s does not validate: %v", it.Alert.Key, err)
				}
				wantEq(t, "source", it.Alert.Source, "test")
				wantEq(t, "sourceKind", it.Alert.SourceKind, "cap")
			}
			if tc.check != nil {
				tc.check(t, res.Items)
			}
			compareGolden(t, filepath.Join(dir, "expected.json"), res.Items)
		})
	}
}

func compareGolden(t *testing.T, path string, items []collectors.Item) {
	t.Helper()
	if items == nil {
		items = []collectors.Item{}
	}
	got := []byte(mustJSON(t, items) + "\n")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want := readFile(t, path)
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the parser's output (review, then go test -run TestGolden -update):\n%s", path, got)
	}
}

// caseDirs lists the golden case folders: every folder of testdata except
// index (index feeds) and fuzz (the fuzzer's corpus).
func caseDirs(t *testing.T) []string {
	t.Helper()
	ents, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range ents {
		if e.IsDir() && e.Name() != "index" && e.Name() != "fuzz" {
			dirs = append(dirs, e.Name())
		}
	}
	return dirs
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func nilIfEmpty(m map[string]int) map[string]int {
	if len(m) == 0 {
		return nil
	}
	return m
}

func wantItem(t *testing.T, it collectors.Item, key string, intent collectors.Intent, hz alert.Hazard, sev alert.Severity, lang string) {
	t.Helper()
	wantEq(t, "key", it.Alert.Key, key)
	wantEq(t, "intent", it.Intent, intent)
	wantEq(t, "hazard", it.Alert.Hazard, hz)
	wantEq(t, "severity", it.Alert.Severity, sev)
	wantEq(t, "language", it.Alert.Language, lang)
}

func wantEq[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
		t.Errorf("%s = %s, want %s", what, g, w)
	}
}
