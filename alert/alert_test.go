package alert_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/alert"
)

func TestMakeIDSplitIDRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		key     string
		version int
	}{
		{"nws:KPQR.FA.A.0004", 1},
		{"kma:108/heat-warning", 12},
		// A CAP identifier may itself hold '#': the version is after the last one.
		{"cap:w-nws.webmaster@noaa.gov,urn:oid:2.49#a/en-US", 3},
		{"k#2", 1},
	} {
		id := alert.MakeID(tc.key, tc.version)
		if want := tc.key + "#" + itoa(tc.version); id != want {
			t.Errorf("MakeID(%q, %d) = %q, want %q", tc.key, tc.version, id, want)
		}
		key, v, ok := alert.SplitID(id)
		if !ok || key != tc.key || v != tc.version {
			t.Errorf("SplitID(%q) = %q, %d, %v; want %q, %d, true", id, key, v, ok, tc.key, tc.version)
		}
	}
}

func TestSplitIDRejectsBadIDs(t *testing.T) {
	for _, id := range []string{
		"",
		"no-hash",
		"k#",
		"k#0",
		"k#-1",
		"k#x",
		"k#1.5",
		"k#01",                   // not what MakeID makes
		"k#+1",                   // idem
		"k# 1",                   // idem
		"#1",                     // empty key
		"k#1#",                   // version after the last '#' is empty
		"k#99999999999999999999", // overflows int
	} {
		if key, v, ok := alert.SplitID(id); ok {
			t.Errorf("SplitID(%q) = %q, %d, true; want not ok", id, key, v)
		}
	}
}

func TestMakeKey(t *testing.T) {
	if got := alert.MakeKey("nws", "KPQR.FA.A.0004"); got != "nws:KPQR.FA.A.0004" {
		t.Fatalf("MakeKey = %q", got)
	}
}

func TestEndAndEffectiveTime(t *testing.T) {
	sent := ts("2024-08-01T10:00:00+09:00")
	early, late := ts("2024-08-01T12:00:00+09:00"), ts("2024-08-01T18:00:00+09:00")
	for _, tc := range []struct {
		name          string
		expires, ends *time.Time
		want          time.Time
	}{
		{"neither", nil, nil, time.Time{}},
		{"expires only", &early, nil, early},
		{"ends only", nil, &late, late},
		{"ends later", &early, &late, late},
		{"expires later", &late, &early, late},
	} {
		a := alert.Alert{Sent: sent, Expires: tc.expires, Ends: tc.ends}
		if got := a.End(); !got.Equal(tc.want) {
			t.Errorf("%s: End() = %v, want %v", tc.name, got, tc.want)
		}
	}
	a := alert.Alert{Sent: sent}
	if got := a.EffectiveTime(); !got.Equal(sent) {
		t.Errorf("EffectiveTime() without effective = %v, want sent %v", got, sent)
	}
	a.Effective = &early
	if got := a.EffectiveTime(); !got.Equal(early) {
		t.Errorf("EffectiveTime() = %v, want %v", got, early)
	}
}

// hashBase is an alert with every material field set, for ContentHash tests.
func hashBase() alert.Alert {
	return alert.Alert{
		ID: "nws:KPQR.FL.W.0034#1", Key: "nws:KPQR.FL.W.0034", Version: 1,
		Change: alert.ChangeNew, State: alert.StateActive,
		Source: "nws-or", SourceKind: "nws", Hazard: alert.HazardFlood, Event: "Flood Warning",
		EventCodes: map[string][]string{"SAME": {"FLW"}, "VTEC": {"/O.NEW.KPQR.FL.W.0034.191221T0200Z-191223T1200Z/"}},
		Status:     alert.StatusActual, Severity: alert.SeveritySevere, Urgency: alert.UrgencyExpected,
		Certainty: alert.CertaintyLikely,
		Sent:      ts("2019-12-20T18:00:00-08:00"),
		Onset:     tp("2019-12-20T18:00:00-08:00"), Expires: tp("2019-12-21T06:00:00-08:00"),
		Ends:     tp("2019-12-23T04:00:00-08:00"),
		Headline: "Flood Warning issued", Description: "The river will rise.", Instruction: "Move to higher ground.",
		Language: "en-US", Sender: "w-nws.webmaster@noaa.gov", SenderName: "NWS Portland OR",
		Web: "https://www.weather.gov",
		Areas: []alert.Area{{
			Description: "Lane, OR",
			Geocodes:    map[string][]string{"SAME": {"041039"}, "UGC": {"ORC039", "ORZ008"}},
			Polygons:    [][][2]float64{{{-123.1, 44.1}, {-123.0, 44.1}, {-123.0, 44.2}, {-123.1, 44.1}}},
			Circles:     []alert.Circle{{Lon: -123.05, Lat: 44.15, RadiusKm: 3}},
		}},
		Parameters: map[string][]string{"NWSheadline": {"FLOOD WARNING"}},
		References: []string{"nws:KPQR.FL.W.0034#0"},
	}
}

func TestContentHashChangesWithMaterialFields(t *testing.T) {
	base := hashBase()
	h0 := base.ContentHash()
	if len(h0) != 32 {
		t.Fatalf("hash %q: want 32 hex digits", h0)
	}
	for _, tc := range []struct {
		name   string
		change func(a *alert.Alert)
	}{
		{"severity", func(a *alert.Alert) { a.Severity = alert.SeverityExtreme }},
		{"urgency", func(a *alert.Alert) { a.Urgency = alert.UrgencyImmediate }},
		{"certainty", func(a *alert.Alert) { a.Certainty = alert.CertaintyObserved }},
		{"status", func(a *alert.Alert) { a.Status = alert.StatusTest }},
		{"event", func(a *alert.Alert) { a.Event = "Flash Flood Warning" }},
		{"hazard", func(a *alert.Alert) { a.Hazard = alert.HazardHeat }},
		{"effective differs from sent", func(a *alert.Alert) { a.Effective = tp("2019-12-20T20:00:00-08:00") }},
		{"onset", func(a *alert.Alert) { a.Onset = tp("2019-12-20T19:00:00-08:00") }},
		{"onset removed", func(a *alert.Alert) { a.Onset = nil }},
		{"expires", func(a *alert.Alert) { a.Expires = tp("2019-12-21T07:00:00-08:00") }},
		{"ends", func(a *alert.Alert) { a.Ends = tp("2019-12-23T05:00:00-08:00") }},
		{"ends removed", func(a *alert.Alert) { a.Ends = nil }},
		{"headline", func(a *alert.Alert) { a.Headline += "!" }},
		{"description", func(a *alert.Alert) { a.Description += " Fast." }},
		{"instruction", func(a *alert.Alert) { a.Instruction = "" }},
		{"area description", func(a *alert.Alert) { a.Areas[0].Description = "Linn, OR" }},
		{"area geocode", func(a *alert.Alert) { a.Areas[0].Geocodes["UGC"] = []string{"ORC039"} }},
		{"area polygon", func(a *alert.Alert) { a.Areas[0].Polygons[0][1] = [2]float64{-123.0, 44.11} }},
		{"area circle", func(a *alert.Alert) { a.Areas[0].Circles[0].RadiusKm = 4 }},
		{"area added", func(a *alert.Alert) { a.Areas = append(a.Areas, alert.Area{Description: "Linn, OR"}) }},
		{"areas removed", func(a *alert.Alert) { a.Areas = nil }},
	} {
		a := hashBase()
		tc.change(&a)
		if a.ContentHash() == h0 {
			t.Errorf("%s: hash did not change", tc.name)
		}
	}
}

func TestContentHashIgnoresNonMaterialFields(t *testing.T) {
	base := hashBase()
	h0 := base.ContentHash()
	for _, tc := range []struct {
		name   string
		change func(a *alert.Alert)
	}{
		{"nothing", func(a *alert.Alert) {}},
		{"sent alone", func(a *alert.Alert) { a.Sent = a.Sent.Add(30 * time.Minute) }},
		{"effective equal to sent", func(a *alert.Alert) { e := a.Sent; a.Effective = &e }},
		{"effective equal to sent, in another zone", func(a *alert.Alert) { e := a.Sent.UTC(); a.Effective = &e }},
		{"re-sent with effective equal to the new sent", func(a *alert.Alert) {
			a.Sent = a.Sent.Add(time.Hour)
			e := a.Sent
			a.Effective = &e
		}},
		{"source", func(a *alert.Alert) { a.Source, a.SourceKind = "other", "cap" }},
		{"id", func(a *alert.Alert) { a.ID = "x#9" }},
		{"key", func(a *alert.Alert) { a.Key = "other:key" }},
		{"version", func(a *alert.Alert) { a.Version = 7 }},
		{"change", func(a *alert.Alert) { a.Change = alert.ChangeUpdate }},
		{"state", func(a *alert.Alert) { a.State = alert.StateEnded }},
		{"references", func(a *alert.Alert) { a.References = append(a.References, "nws:x#1") }},
		{"parameters", func(a *alert.Alert) { a.Parameters = map[string][]string{"p": {"q"}} }},
		{"web", func(a *alert.Alert) { a.Web = "https://example.test/other" }},
		{"language, sender, senderName", func(a *alert.Alert) { a.Language, a.Sender, a.SenderName = "es-US", "s", "n" }},
		{"derived", func(a *alert.Alert) { a.Derived = true }},
		{"geometry", func(a *alert.Alert) { a.Geometry = alert.GeometryOf(a.Areas) }},
		// A P-VTEC string changes its action code (NEW, CON, EXT) with every
		// NWS re-issue; a CON with nothing else changed is not an update.
		{"event codes (VTEC action)", func(a *alert.Alert) {
			a.EventCodes = map[string][]string{"SAME": {"FLW"}, "VTEC": {"/O.CON.KPQR.FL.W.0034.000000T0000Z-191223T1200Z/"}}
		}},
		{"every time in another zone", func(a *alert.Alert) {
			seoul := time.FixedZone("KST", 9*3600)
			for _, p := range []**time.Time{&a.Onset, &a.Expires, &a.Ends} {
				v := (*p).In(seoul)
				*p = &v
			}
			a.Sent = a.Sent.In(seoul)
		}},
	} {
		a := hashBase()
		tc.change(&a)
		if got := a.ContentHash(); got != h0 {
			t.Errorf("%s: hash changed", tc.name)
		}
	}
}

func TestContentHashEffectiveInAnotherZone(t *testing.T) {
	a, b := hashBase(), hashBase()
	a.Effective = tp("2019-12-20T20:00:00-08:00")
	b.Effective = tp("2019-12-21T04:00:00Z")
	if a.ContentHash() != b.ContentHash() {
		t.Fatal("same effective instant in another zone changed the hash")
	}
}

func TestContentHashStable(t *testing.T) {
	// Maps are hashed through encoding/json, which sorts keys: the hash must not
	// depend on map iteration order.
	hash := func() string { a := hashBase(); return a.ContentHash() }
	want := hash()
	for range 50 {
		if got := hash(); got != want {
			t.Fatalf("hash %s, then %s", want, got)
		}
	}
}

// TestContentHashKeepsOldValue pins the hash that versions before areas held
// rings computed for this alert, its rings then GeoJSON polygons of one ring
// each. The lifecycle keeps hashes in its state records: had the material
// bytes changed with the type, every alert in force would look changed after
// an upgrade, and go to every partner again as an update.
func TestContentHashKeepsOldValue(t *testing.T) {
	a := alert.Alert{
		Source: "kma-heat", SourceKind: "kma", Hazard: alert.HazardFlood, Event: "홍수경보",
		Status: alert.StatusActual, Severity: alert.SeveritySevere, Urgency: alert.UrgencyImmediate,
		Certainty: alert.CertaintyObserved,
		Sent:      ts("2024-07-10T05:00:00+09:00"),
		Expires:   tp("2024-07-10T17:00:00+09:00"),
		Headline:  "한강 홍수경보", Description: "수위 상승", Instruction: "대피하십시오",
		Areas: []alert.Area{
			{
				Description: "서울 영등포구",
				Geocodes:    map[string][]string{"KMA": {"L1100400"}},
				Polygons: [][][2]float64{
					{{126.95, 37.517}, {126.95, 37.53}, {126.98, 37.53}, {126.95, 37.517}},
					{{126.9, 37.5}, {126.91, 37.5}, {126.91, 37.51}, {126.9, 37.51}, {126.9, 37.5}},
				},
				Circles: []alert.Circle{{Lon: 126.96, Lat: 37.52, RadiusKm: 1.5}},
			},
			{
				Description: "경기 고양시",
				Polygons:    [][][2]float64{{{126.8, 37.6}, {126.85, 37.6}, {126.85, 37.65}, {126.8, 37.6}}},
				Circles:     []alert.Circle{{Lon: 126.83, Lat: 37.62, RadiusKm: 0}, {Lon: -0.000001, Lat: 1e-7, RadiusKm: 25}},
			},
		},
	}
	const want = "58d08227537679f31d9093035a76d5a0" // computed with four-level polygons (31dc921)
	if got := a.ContentHash(); got != want {
		t.Fatalf("ContentHash = %s, want %s: hashes stored by earlier versions no longer match", got, want)
	}
}

func TestClone(t *testing.T) {
	a := hashBase()
	a.Geometry = alert.GeometryOf(a.Areas)
	c := a.Clone()
	c.Areas[0].Geocodes["UGC"][0] = "changed"
	c.Areas[0].Polygons[0][0] = [2]float64{0, 0}
	c.EventCodes["SAME"][0] = "changed"
	c.References[0] = "changed"
	c.Geometry.Polygons[0][0][0] = [2]float64{0, 0}
	*c.Expires = time.Time{}
	if !jsonEqual(t, a, hashBase(), "geometry") {
		t.Fatal("changing the clone changed the original")
	}
	if a.Geometry.Polygons[0][0][0] == ([2]float64{0, 0}) {
		t.Fatal("changing the clone's geometry changed the original's")
	}
	d, e := hashBase().Clone(), hashBase()
	if d.ContentHash() != e.ContentHash() {
		t.Fatal("clone has another content hash")
	}
}

// fullAlert sets every field, as the lifecycle publishes it.
func fullAlert() alert.Alert {
	kst := time.FixedZone("KST", 9*3600)
	at := func(h int) *time.Time { t := time.Date(2024, 8, 1, h, 0, 0, 0, kst); return &t }
	area := alert.Area{
		Description: "서울 동남권",
		Geocodes:    map[string][]string{"KMA": {"L1100200"}},
		Polygons:    [][][2]float64{{{127.0, 37.5}, {127.1, 37.5}, {127.1, 37.6}, {127.0, 37.5}}},
		Circles:     []alert.Circle{{Lon: 127.05, Lat: 37.55, RadiusKm: 2.5}},
	}
	return alert.Alert{
		ID: "kma:L1100200/heat-warning#2", Key: "kma:L1100200/heat-warning", Version: 2,
		Change: alert.ChangeUpdate, State: alert.StateActive,
		Source: "kma-heat", SourceKind: "kma", Hazard: alert.HazardHeat, Event: "폭염경보",
		EventCodes: map[string][]string{"warnVar": {"6"}},
		Status:     alert.StatusActual, Severity: alert.SeveritySevere, Urgency: alert.UrgencyExpected,
		Certainty: alert.CertaintyLikely,
		Sent:      *at(10), Effective: at(11), Onset: at(12),
		Expires:  func() *time.Time { t := time.Date(2024, 8, 2, 3, 0, 0, 0, time.UTC); return &t }(),
		Ends:     at(20),
		Headline: "폭염경보 발표", Description: "최고 체감온도 35도 이상", Instruction: "야외 활동 자제",
		Language: "ko-KR", Sender: "kma.go.kr", SenderName: "기상청", Web: "https://www.weather.go.kr/w/special-report",
		Areas:      []alert.Area{area},
		Geometry:   &alert.Geometry{Type: "Polygon", Polygons: [][][][2]float64{area.Polygons}},
		Parameters: map[string][]string{"tmFc": {"202408011000"}},
		References: []string{"kma:L1100200/heat-warning#1"},
		Derived:    false,
	}
}

// The field names, their order and the time offsets are a contract with
// partners (DESIGN.md §3).
const fullAlertJSON = `{
  "id": "kma:L1100200/heat-warning#2",
  "key": "kma:L1100200/heat-warning",
  "version": 2,
  "change": "update",
  "state": "active",
  "source": "kma-heat",
  "sourceKind": "kma",
  "hazard": "heat",
  "event": "폭염경보",
  "eventCodes": {"warnVar": ["6"]},
  "status": "actual",
  "severity": "severe",
  "urgency": "expected",
  "certainty": "likely",
  "sent": "2024-08-01T10:00:00+09:00",
  "effective": "2024-08-01T11:00:00+09:00",
  "onset": "2024-08-01T12:00:00+09:00",
  "expires": "2024-08-02T03:00:00Z",
  "ends": "2024-08-01T20:00:00+09:00",
  "headline": "폭염경보 발표",
  "description": "최고 체감온도 35도 이상",
  "instruction": "야외 활동 자제",
  "language": "ko-KR",
  "sender": "kma.go.kr",
  "senderName": "기상청",
  "web": "https://www.weather.go.kr/w/special-report",
  "areas": [{
    "description": "서울 동남권",
    "geocodes": {"KMA": ["L1100200"]},
    "polygons": [[[127, 37.5], [127.1, 37.5], [127.1, 37.6], [127, 37.5]]],
    "circles": [{"lon": 127.05, "lat": 37.55, "radiusKm": 2.5}]
  }],
  "geometry": {"type": "Polygon", "coordinates": [[[127, 37.5], [127.1, 37.5], [127.1, 37.6], [127, 37.5]]]},
  "parameters": {"tmFc": ["202408011000"]},
  "references": ["kma:L1100200/heat-warning#1"],
  "derived": false
}`

func TestAlertJSONGolden(t *testing.T) {
	got, err := json.Marshal(fullAlert())
	if err != nil {
		t.Fatal(err)
	}
	want := compact(t, fullAlertJSON)
	if !bytes.Equal(got, want) {
		t.Fatalf("alert JSON:\n got %s\nwant %s", got, want)
	}
	// And back: decoding the golden and encoding again gives the same bytes.
	var a alert.Alert
	if err := json.Unmarshal(want, &a); err != nil {
		t.Fatal(err)
	}
	again, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, want) {
		t.Fatalf("round trip:\n got %s\nwant %s", again, want)
	}
	if _, off := a.Sent.Zone(); off != 9*3600 {
		t.Fatalf("decoded sent has offset %d, want +09:00", off)
	}
}

func TestAlertJSONOmitsAbsentFields(t *testing.T) {
	a := alert.Alert{
		Key: "eafloods:061WAF23Upton", Source: "ea", SourceKind: "eafloods", Hazard: alert.HazardFlood,
		Event: "Flood Alert", Status: alert.StatusActual, Severity: alert.SeverityMinor,
		Urgency: alert.UrgencyUnknown, Certainty: alert.CertaintyUnknown,
		Sent: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), Derived: true,
	}
	got, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	want := compact(t, `{"id":"","key":"eafloods:061WAF23Upton","version":0,"change":"","state":"",
		"source":"ea","sourceKind":"eafloods","hazard":"flood","event":"Flood Alert","status":"actual",
		"severity":"minor","urgency":"unknown","certainty":"unknown","sent":"2024-01-02T03:04:05Z",
		"geometry":null,"derived":true}`)
	if !bytes.Equal(got, want) {
		t.Fatalf("alert JSON:\n got %s\nwant %s", got, want)
	}
}

func TestAlertJSONGeometryNullDecodes(t *testing.T) {
	var a alert.Alert
	if err := json.Unmarshal([]byte(`{"key":"k","geometry":null}`), &a); err != nil {
		t.Fatal(err)
	}
	if a.Geometry != nil {
		t.Fatalf("geometry %+v, want nil", a.Geometry)
	}
	if err := json.Unmarshal([]byte(`{"key":"k","geometry":{"type":"Point","coordinates":[1,2]}}`), &a); err == nil {
		t.Fatal("a Point geometry decoded without error")
	}
}

// TestAreaPolygonsJSON: an area's polygons are written as the contract's
// list of rings, three levels of arrays, and read both so and as the
// polygons of rings (four levels) that earlier versions wrote in records
// and stream messages, of which the outer ring of each is kept.
func TestAreaPolygonsJSON(t *testing.T) {
	r1 := [][2]float64{{126.95, 37.517}, {126.95, 37.53}, {126.98, 37.53}, {126.95, 37.517}}
	r2 := [][2]float64{{0, 0}, {10, 0}, {10, 10}, {0, 0}}
	a := alert.Alert{Key: "k", Areas: []alert.Area{{Description: "d", Polygons: [][][2]float64{r1, r2}}}}
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	want := `"polygons":[[[126.95,37.517],[126.95,37.53],[126.98,37.53],[126.95,37.517]],[[0,0],[10,0],[10,10],[0,0]]]`
	if !strings.Contains(string(b), want) {
		t.Fatalf("alert JSON %s\ndoes not hold %s", b, want)
	}
	if fast, err := a.AppendJSON(nil); err != nil || !bytes.Equal(fast, b) {
		t.Fatalf("AppendJSON = %s, %v; want %s", fast, err, b)
	}

	for _, tc := range []struct {
		name, polygons string
		want           [][][2]float64
	}{
		{"rings", `[[[126.95,37.517],[126.95,37.53],[126.98,37.53],[126.95,37.517]],[[0,0],[10,0],[10,10],[0,0]]]`, [][][2]float64{r1, r2}},
		{"old polygons", `[[[[126.95,37.517],[126.95,37.53],[126.98,37.53],[126.95,37.517]]],[[[0,0],[10,0],[10,10],[0,0]]]]`, [][][2]float64{r1, r2}},
		{"old polygons with a hole", `[[[[0,0],[10,0],[10,10],[0,0]],[[1,1],[2,1],[2,2],[1,1]]], [ [ [ 126.95, 37.517 ], [126.95,37.53],[126.98,37.53],[126.95,37.517]]]]`, [][][2]float64{r2, r1}},
		{"old polygon without rings", `[[[[0,0],[10,0],[10,10],[0,0]]],[]]`, [][][2]float64{r2, nil}},
		{"empty", `[]`, [][][2]float64{}},
		{"null", `null`, nil},
	} {
		var got alert.Alert
		in := `{"key":"k","areas":[{"description":"d","geocodes":{"UGC":["ORC039"]},"polygons":` + tc.polygons + `,"circles":[{"lon":1,"lat":2,"radiusKm":3}]}],"geometry":null}`
		if err := json.Unmarshal([]byte(in), &got); err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		ar := got.Areas[0]
		if ar.Description != "d" || ar.Geocodes["UGC"][0] != "ORC039" || len(ar.Circles) != 1 || ar.Circles[0].RadiusKm != 3 {
			t.Errorf("%s: area decoded as %+v", tc.name, ar)
		}
		if !reflect.DeepEqual(ar.Polygons, tc.want) {
			t.Errorf("%s: polygons decoded as %v, want %v", tc.name, ar.Polygons, tc.want)
		}
	}

	for _, polygons := range []string{
		`[[126.95,37.517],[126.95,37.53]]`,                  // one ring: two levels
		`[[[[[0,0],[10,0],[10,10],[0,0]]]]]`,                // five levels
		`[[[0,0],[1,1],[0,0]],[[[0,0],[1,1],[1,0],[0,0]]]]`, // a ring, then a polygon
		`[[["0","0"]]]`,
		`{"type":"Polygon"}`,
		`"x"`,
	} {
		var got alert.Alert
		in := `{"key":"k","areas":[{"description":"d","polygons":` + polygons + `}]}`
		if err := json.Unmarshal([]byte(in), &got); err == nil {
			t.Errorf("polygons %s decoded as %v, want an error", polygons, got.Areas[0].Polygons)
		}
	}
}

// TestAlertDecodesOldRecord: an alert as the previous version stored and
// published it (four-level polygons) decodes, and encodes again as the
// contract says, with the geometry unchanged.
func TestAlertDecodesOldRecord(t *testing.T) {
	old := strings.Replace(compactString(t, fullAlertJSON),
		`"polygons":[[[127,37.5],[127.1,37.5],[127.1,37.6],[127,37.5]]]`,
		`"polygons":[[[[127,37.5],[127.1,37.5],[127.1,37.6],[127,37.5]]]]`, 1)
	if old == compactString(t, fullAlertJSON) {
		t.Fatal("golden has no polygons to make old")
	}
	var a alert.Alert
	if err := json.Unmarshal([]byte(old), &a); err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if want := compact(t, fullAlertJSON); !bytes.Equal(got, want) {
		t.Fatalf("old record re-encoded:\n got %s\nwant %s", got, want)
	}
	if want := fullAlert(); a.ContentHash() != want.ContentHash() {
		t.Fatalf("old record hashes to %s, want %s", a.ContentHash(), want.ContentHash())
	}
}

func compactString(t *testing.T, s string) string { t.Helper(); return string(compact(t, s)) }

func TestAlertJSONKeepsFractionalSeconds(t *testing.T) {
	a := alert.Alert{Sent: ts("2024-08-01T10:00:00.123+09:00")}
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"sent":"2024-08-01T10:00:00.123+09:00"`) {
		t.Fatalf("sent not kept with its offset and fraction: %s", b)
	}
}

// helpers

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func tp(s string) *time.Time { t := ts(s); return &t }

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func compact(t *testing.T, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(s)); err != nil {
		t.Fatalf("golden is not JSON: %v", err)
	}
	return buf.Bytes()
}

// jsonEqual compares a and b as JSON, ignoring the named top-level fields.
func jsonEqual(t *testing.T, a, b alert.Alert, ignore ...string) bool {
	t.Helper()
	dec := func(v alert.Alert) map[string]any {
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		for _, k := range ignore {
			delete(m, k)
		}
		return m
	}
	x, _ := json.Marshal(dec(a))
	y, _ := json.Marshal(dec(b))
	return bytes.Equal(x, y)
}

// TestCloneIsFaithful: a clone of an alert with every field set marshals to
// the same JSON, and shares no parameter lists with it.
func TestCloneIsFaithful(t *testing.T) {
	a := fullAlert()
	c := a.Clone()
	want, _ := json.Marshal(a)
	got, _ := json.Marshal(c)
	if string(got) != string(want) {
		t.Fatalf("clone marshals to\n%s\nwant\n%s", got, want)
	}
	for k := range c.Parameters {
		c.Parameters[k][0] = "changed"
	}
	if again, _ := json.Marshal(a); string(again) != string(want) {
		t.Error("changing the clone's parameters changed the original")
	}
}
