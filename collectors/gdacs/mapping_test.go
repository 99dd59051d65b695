package gdacs

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
	"github.com/hazardwire/hazardwire/internal/lifecycle"
)

func TestParseTime(t *testing.T) {
	tests := []struct {
		in, want string // want "" for an error
	}{
		{"Tue, 14 Mar 2023 12:00:00 GMT", "2023-03-14T12:00:00Z"},
		{"Tue, 14 Mar 2023 12:00:00 UTC", "2023-03-14T12:00:00Z"},
		{"Tue, 14 Mar 2023 12:00:00 gmt", "2023-03-14T12:00:00Z"},
		{"Tue, 4 Mar 2023 12:00:00 GMT", "2023-03-04T12:00:00Z"},
		{"14 Mar 2023 12:00:00 GMT", "2023-03-14T12:00:00Z"},
		{"Tue, 14 Mar 2023 12:00:00 +0000", "2023-03-14T12:00:00Z"},
		{"Tue, 14 Mar 2023 13:00:00 +0100", "2023-03-14T13:00:00+01:00"},
		{"  Tue, 14 Mar 2023 12:00:00 GMT \n", "2023-03-14T12:00:00Z"},
		// The event API's ISO dates have no offset: GDACS works in UTC.
		{"2015-01-05T00:00:00", "2015-01-05T00:00:00Z"},
		{"2026-10-04T20:27:25.123", "2026-10-04T20:27:25.123Z"},
		{"2015-01-05 00:00:00", "2015-01-05T00:00:00Z"},
		{"2015-01-05", "2015-01-05T00:00:00Z"},
		{"2015-01-05T00:00:00Z", "2015-01-05T00:00:00Z"},
		{"2015-01-05T09:00:00+09:00", "2015-01-05T09:00:00+09:00"},
		// Zone names Go would silently read as UTC are refused.
		{"Tue, 14 Mar 2023 12:00:00 CET", ""},
		{"Tue, 14 Mar 2023 12:00:00 EST", ""},
		{"Tue, 14 Mar 2023 12:00:00", ""},
		{"14/03/2023", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := parseTime(tt.in)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("parseTime(%q) = %s, want an error", tt.in, got.Format(time.RFC3339Nano))
		case tt.want != "" && err != nil:
			t.Errorf("parseTime(%q): %v", tt.in, err)
		case tt.want != "" && got.Format(time.RFC3339Nano) != tt.want:
			t.Errorf("parseTime(%q) = %s, want %s", tt.in, got.Format(time.RFC3339Nano), tt.want)
		}
	}
}

func TestSeverityOf(t *testing.T) {
	for level, want := range map[string]alert.Severity{
		"Green": alert.SeverityMinor, "green": alert.SeverityMinor, "GREEN": alert.SeverityMinor,
		"Orange": alert.SeverityModerate, "ORANGE": alert.SeverityModerate, " orange ": alert.SeverityModerate,
		"Red": alert.SeveritySevere, "RED": alert.SeveritySevere, "rEd": alert.SeveritySevere,
		"": alert.SeverityUnknown, "Yellow": alert.SeverityUnknown, "3": alert.SeverityUnknown,
	} {
		golden.Eq(t, fmt.Sprintf("severityOf(%q)", level), severityOf(level), want)
	}
}

// episode returns the one item of a one-flood RSS body built from the
// options-radius-bbox input, with the replacements made (old, new pairs).
func episode(t *testing.T, m *mapper, replace ...string) collectors.Item {
	t.Helper()
	body := string(caseInput(t, "options-radius-bbox"))
	for i := 0; i < len(replace); i += 2 {
		if !strings.Contains(body, replace[i]) {
			t.Fatalf("input has no %q", replace[i])
		}
		body = strings.ReplaceAll(body, replace[i], replace[i+1])
	}
	res, problems, err := m.parse([]byte(body), "application/rss+xml; charset=utf-8")
	if err != nil || len(res.Items) != 1 {
		t.Fatalf("parse: %v, %v, %d items", err, problems, len(res.Items))
	}
	return res.Items[0]
}

// nextEpisode is what changes between two episodes that say the same thing:
// ids, version, scores and the time it was sent.
var nextEpisode = []string{
	"<gdacs:episodeid>3<", "<gdacs:episodeid>4<",
	"<gdacs:version>3<", "<gdacs:version>4<",
	"<gdacs:alertscore>2<", "<gdacs:alertscore>2.1<",
	"<gdacs:episodealertscore>1<", "<gdacs:episodealertscore>1.5<",
	"_3_tn.png", "_4_tn.png",
	"<pubDate>Tue, 14 Mar 2023 12:00:00 GMT<", "<pubDate>Wed, 15 Mar 2023 06:00:00 GMT<",
}

// TestEpisodeContentHash: a new episode changes the content hash only
// through real fields (level, dates, text), never through its ids.
func TestEpisodeContentHash(t *testing.T) {
	m := &newTestCollector(t, "", "", nil).mapper
	base := episode(t, m)
	same := episode(t, m, nextEpisode...)
	golden.Eq(t, "key", same.Alert.Key, base.Alert.Key)
	golden.Eq(t, "episodeid", same.Alert.Parameters["episodeid"][0], "4")
	golden.Eq(t, "identical episode: hash", same.Alert.ContentHash(), base.Alert.ContentHash())

	for name, change := range map[string][]string{
		"todate":      {"<gdacs:todate>Tue, 14 Mar 2023 12:00:00 GMT<", "<gdacs:todate>Wed, 15 Mar 2023 06:00:00 GMT<"},
		"fromdate":    {"<gdacs:fromdate>Mon, 06 Mar 2023 00:00:00 GMT<", "<gdacs:fromdate>Sun, 05 Mar 2023 00:00:00 GMT<"},
		"alertlevel":  {"<gdacs:alertlevel>orange<", "<gdacs:alertlevel>Red<"},
		"description": {"19000 displaced", "25000 displaced"},
		"country":     {"<gdacs:iso3>MWI<", "<gdacs:iso3>MWI,MOZ<"},
		"point":       {"<geo:lat>-15.78<", "<geo:lat>-16.2<"},
	} {
		changed := episode(t, m, append(slices.Clone(nextEpisode), change...)...)
		if changed.Alert.ContentHash() == base.Alert.ContentHash() {
			t.Errorf("a new episode with another %s has the same content hash", name)
		}
	}
	// The level in any case is the same level.
	upper := episode(t, m, append(slices.Clone(nextEpisode), "<gdacs:alertlevel>orange<", "<gdacs:alertlevel>ORANGE<")...)
	golden.Eq(t, "ORANGE vs orange: hash", upper.Alert.ContentHash(), base.Alert.ContentHash())
}

// TestLifecycleEpisodes runs episodes of one event through the lifecycle's
// own decisions: an identical episode publishes nothing, a changed one is an
// update, iscurrent=false ends it.
func TestLifecycleEpisodes(t *testing.T) {
	m := &newTestCollector(t, "", "", nil).mapper
	now := time.Date(2023, 3, 15, 8, 0, 0, 0, time.UTC)
	step := func(prev *lifecycle.Record, it collectors.Item, want alert.Change) *lifecycle.Record {
		t.Helper()
		d := lifecycle.Decide(prev, it, now)
		got := alert.Change("none")
		if d.Publish != nil {
			got = d.Publish.Change
		}
		if got != want {
			t.Fatalf("change = %s (%s), want %s", got, d.Why, want)
		}
		if d.Record == nil {
			return prev
		}
		return d.Record
	}
	rec := step(nil, episode(t, m), alert.ChangeNew)
	rec = step(rec, episode(t, m, nextEpisode...), "none")
	rec = step(rec, episode(t, m, append(slices.Clone(nextEpisode),
		"<gdacs:todate>Tue, 14 Mar 2023 12:00:00 GMT<", "<gdacs:todate>Wed, 15 Mar 2023 06:00:00 GMT<")...), alert.ChangeUpdate)
	golden.Eq(t, "version", rec.Version, 2)
	ended := episode(t, m, "<gdacs:iscurrent>true<", "<gdacs:iscurrent>false<",
		"<pubDate>Tue, 14 Mar 2023 12:00:00 GMT<", "<pubDate>Wed, 15 Mar 2023 07:00:00 GMT<")
	golden.Eq(t, "intent", ended.Intent, collectors.IntentExpire)
	rec = step(rec, ended, alert.ChangeExpire)
	golden.Eq(t, "active", rec.Active, false)
}

// TestPageLimit: a list of 100 features may have been cut by the API, so it
// is not taken as the whole set (nothing it lacks may be expired).
func TestPageLimit(t *testing.T) {
	m := &newTestCollector(t, "", "", nil).mapper
	body := func(n int) []byte {
		var fs []string
		for i := range n {
			fs = append(fs, fmt.Sprintf(`{"type":"Feature","geometry":{"type":"Point","coordinates":[35,-16]},"properties":`+
				`{"eventtype":"FL","eventid":%d,"episodeid":1,"alertlevel":"Green","fromdate":"2023-03-13T00:00:00","todate":"2023-03-14T00:00:00"}}`, 1000+i))
		}
		return []byte(`{"type":"FeatureCollection","features":[` + strings.Join(fs, ",") + `]}`)
	}
	for n, want := range map[int]bool{99: true, 100: false, 0: true} {
		res, _, err := m.parse(body(n), "application/json")
		if err != nil {
			t.Fatal(err)
		}
		golden.Eq(t, fmt.Sprintf("%d features: items", n), len(res.Items), n)
		golden.Eq(t, fmt.Sprintf("%d features: Snapshot", n), res.Snapshot, want)
	}
	off := &newTestCollector(t, "", "snapshot: false\n", nil).mapper
	res, _, _ := off.parse(body(3), "")
	golden.Eq(t, "snapshot: false", res.Snapshot, false)
}

// TestCSVMatchesGeoJSON ties the hand-made GeoJSON of the geojson-csv-floods
// case to the real rows it was built from: every CSV column that the event
// API also sends has the same value in the feature.
func TestCSVMatchesGeoJSON(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "floods-normalized-rows.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(l, "#") && l != "" {
			lines = append(lines, l)
		}
	}
	rows, err := csv.NewReader(strings.NewReader(strings.Join(lines, "\n"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []struct {
			Geometry struct {
				Coordinates []float64 `json:"coordinates"`
			} `json:"geometry"`
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(caseInput(t, "geojson-csv-floods"), &fc); err != nil {
		t.Fatal(err)
	}
	head, rows := rows[0], rows[1:]
	if len(rows) != len(fc.Features) || len(rows) == 0 {
		t.Fatalf("%d rows, %d features", len(rows), len(fc.Features))
	}
	col := func(row []string, name string) string {
		for i, h := range head {
			if h == name {
				return row[i]
			}
		}
		t.Fatalf("no column %q", name)
		return ""
	}
	for i, row := range rows {
		p := fc.Features[i].Properties
		for _, name := range []string{"country", "iso3", "alertlevel", "fromdate", "todate"} {
			golden.Eq(t, fmt.Sprintf("row %d %s", i, name), fmt.Sprint(p[name]), col(row, name))
		}
		for _, name := range []string{"eventid", "alertscore"} {
			golden.Eq(t, fmt.Sprintf("row %d %s", i, name), fmt.Sprint(p[name]), col(row, name))
		}
		urls := p["url"].(map[string]any)
		golden.Eq(t, fmt.Sprintf("row %d report_url", i), urls["report"].(string), col(row, "report_url"))
		golden.Eq(t, fmt.Sprintf("row %d geometry_url", i), urls["geometry"].(string), col(row, "geometry_url"))
		golden.Eq(t, fmt.Sprintf("row %d details_url", i), urls["details"].(string), col(row, "details_url"))
		c := fc.Features[i].Geometry.Coordinates
		want := fmt.Sprintf("{'type': 'Point', 'coordinates': [%s, %s]}", strconv.FormatFloat(c[0], 'f', -1, 64), strconv.FormatFloat(c[1], 'f', -1, 64))
		golden.Eq(t, fmt.Sprintf("row %d geometry", i), want, col(row, "geometry"))
		if !strings.Contains(col(row, "geometry_url"), fmt.Sprintf("episodeid=%v&", p["episodeid"])) &&
			!strings.HasSuffix(col(row, "geometry_url"), fmt.Sprintf("episodeid=%v", p["episodeid"])) {
			t.Errorf("row %d: episodeid %v is not the one in geometry_url", i, p["episodeid"])
		}
	}
}

// TestReadGeometryKeepsOuterRings: a Polygon or MultiPolygon geometry gives
// the outer ring of each polygon, as alert.Area.Polygons holds them.
func TestReadGeometryKeepsOuterRings(t *testing.T) {
	outer := [][2]float64{{33.5, -17.1}, {36.2, -17.1}, {36.2, -14.2}, {33.5, -17.1}}
	second := [][2]float64{{40, -10}, {41, -10}, {41, -9}, {40, -10}}
	for _, tc := range []struct {
		geometry string
		want     [][][2]float64
	}{
		{`{"type":"Polygon","coordinates":[[[33.5,-17.1],[36.2,-17.1],[36.2,-14.2],[33.5,-17.1]],[[34,-16],[35,-16],[35,-15],[34,-16]]]}`,
			[][][2]float64{outer}},
		{`{"type":"MultiPolygon","coordinates":[[[[33.5,-17.1],[36.2,-17.1],[36.2,-14.2],[33.5,-17.1]],[[34,-16],[35,-16],[35,-15],[34,-16]]],[[[40,-10],[41,-10],[41,-9],[40,-10]]]]}`,
			[][][2]float64{outer, second}},
	} {
		point, rings, err := readGeometry(json.RawMessage(tc.geometry))
		if err != nil || point != nil {
			t.Fatalf("%s: point %v, error %v", tc.geometry, point, err)
		}
		golden.Eq(t, tc.geometry, golden.JSON(t, rings), golden.JSON(t, tc.want))
	}
}

// A flood event the feed still lists but that cannot be read (here a date
// in an unknown form) is dropped as invalid, and its key is named
// unreadable: it did not leave the snapshot, so the lifecycle must keep its
// last state rather than expire it. One that is no longer current keeps
// nothing alive and is not named.
func TestUnreadableEventKeepsItsKey(t *testing.T) {
	in := string(caseInput(t, "rss-flood-current"))
	bad := strings.Replace(in, "<gdacs:todate>Tue, 14 Mar 2023 12:00:00 GMT</gdacs:todate>", "<gdacs:todate>14/03/2023</gdacs:todate>", 1)
	if bad == in {
		t.Fatal("the test input changed")
	}
	m := newTestCollector(t, "", "", nil).mapper
	res, _, err := m.parse([]byte(bad), "")
	if err != nil {
		t.Fatal(err)
	}
	golden.Eq(t, "invalid", res.Dropped[collectors.DropInvalid], 1)
	golden.Eq(t, "unreadable", fmt.Sprint(res.Unreadable), "[gdacs:FL1102983]")

	ended := strings.Replace(bad, "<gdacs:iscurrent>true</gdacs:iscurrent>", "<gdacs:iscurrent>false</gdacs:iscurrent>", 1)
	res, _, err = m.parse([]byte(ended), "")
	if err != nil {
		t.Fatal(err)
	}
	golden.Eq(t, "unreadable (not current)", fmt.Sprint(res.Unreadable), "[]")
}
