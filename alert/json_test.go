package alert

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sameAsEncodingJSON fails t unless AppendJSON writes exactly what
// json.Marshal writes for a, and appendMaterial what json.Marshal writes for
// its material with the areas' rings wrapped as polygons (legacyMaterial), and
// they fail exactly where it fails.
func sameAsEncodingJSON(t *testing.T, a *Alert) {
	t.Helper()
	want, wantErr := json.Marshal(a)
	got, err := a.AppendJSON(nil)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("AppendJSON error %v, json.Marshal error %v", err, wantErr)
	}
	if wantErr == nil && !bytes.Equal(got, want) {
		t.Fatalf("AppendJSON differs from json.Marshal\n got: %s\nwant: %s", got, want)
	}
	m := material{
		Hazard: a.Hazard, Event: a.Event, Status: a.Status,
		Severity: a.Severity, Urgency: a.Urgency, Certainty: a.Certainty,
		Effective: materialEffective(a), Onset: utc(a.Onset), Expires: utc(a.Expires), Ends: utc(a.Ends),
		Headline: a.Headline, Description: a.Description, Instruction: a.Instruction, Areas: a.Areas,
	}
	wantM, wantErr := json.Marshal(legacyMaterial(m))
	gotM, err := appendMaterial(nil, &m)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("appendMaterial error %v, json.Marshal error %v", err, wantErr)
	}
	if wantErr == nil && !bytes.Equal(gotM, wantM) {
		t.Fatalf("appendMaterial differs from json.Marshal\n got: %s\nwant: %s", gotM, wantM)
	}
}

// legacyMaterial is m as the material struct was before areas held rings,
// when an area's polygons were GeoJSON polygons: each ring becomes a
// polygon of that one ring. appendMaterial must write what json.Marshal
// writes for it, so that hashes stored by those versions stay valid.
func legacyMaterial(m material) any {
	type legacyArea struct {
		Description string              `json:"description"`
		Geocodes    map[string][]string `json:"geocodes,omitempty"`
		Polygons    [][][][2]float64    `json:"polygons,omitempty"`
		Circles     []Circle            `json:"circles,omitempty"`
	}
	type legacy struct {
		Hazard      Hazard       `json:"h"`
		Event       string       `json:"e"`
		Status      Status       `json:"st"`
		Severity    Severity     `json:"sv"`
		Urgency     Urgency      `json:"u"`
		Certainty   Certainty    `json:"c"`
		Effective   *time.Time   `json:"ef,omitempty"`
		Onset       *time.Time   `json:"on,omitempty"`
		Expires     *time.Time   `json:"ex,omitempty"`
		Ends        *time.Time   `json:"en,omitempty"`
		Headline    string       `json:"hl,omitempty"`
		Description string       `json:"d,omitempty"`
		Instruction string       `json:"i,omitempty"`
		Areas       []legacyArea `json:"a,omitempty"`
	}
	l := legacy{m.Hazard, m.Event, m.Status, m.Severity, m.Urgency, m.Certainty,
		m.Effective, m.Onset, m.Expires, m.Ends, m.Headline, m.Description, m.Instruction, nil}
	for _, ar := range m.Areas {
		la := legacyArea{Description: ar.Description, Geocodes: ar.Geocodes, Circles: ar.Circles}
		for _, r := range ar.Polygons {
			la.Polygons = append(la.Polygons, [][][2]float64{r})
		}
		l.Areas = append(l.Areas, la)
	}
	return l
}

// TestAppendJSONGolden checks every alert the collectors' golden files
// expect: real agency text, geocodes, polygons and time zones.
func TestAppendJSONGolden(t *testing.T) {
	files, err := filepath.Glob("../collectors/*/testdata/*/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 100 {
		t.Fatalf("found %d golden files, want the collectors' 100 or more", len(files))
	}
	var n int
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var items []struct{ Alert Alert }
		if err := json.Unmarshal(b, &items); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for i := range items {
			t.Run(f, func(t *testing.T) { sameAsEncodingJSON(t, &items[i].Alert) })
			n++
		}
	}
	t.Logf("%d alerts from %d golden files", n, len(files))
}

// TestAppendJSONEdges checks what real payloads rarely hold: every escape,
// float formats at both exponent cutoffs, nil and empty collections, and
// the values json.Marshal refuses.
func TestAppendJSONEdges(t *testing.T) {
	t0 := time.Date(2026, 7, 1, 9, 30, 0, 123456789, time.FixedZone("KST", 9*3600))
	tooLate := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := map[string]Alert{
		"zero":    {},
		"escapes": {ID: "a\"b\\c\b\f\n\r\t\x00\x1f\x7f<>&", Headline: "bad \xff\xfe utf8 \u2028\u2029 한국어 🌊", Event: "\xe2\x80"},
		"floats": {Areas: []Area{{Polygons: [][][2]float64{{{1e-7, -1e-6}, {1e21, 9.99e20}, {0, math.Copysign(0, -1)}, {126.97812345678, -37.1}}},
			Circles: []Circle{{Lon: 5e-324, Lat: math.MaxFloat64, RadiusKm: 1.5}}}}},
		"nil inside":    {Areas: []Area{{Polygons: [][][2]float64{nil, {}}}}, Geometry: &Geometry{Type: "Polygon", Polygons: [][][][2]float64{nil}}},
		"empty colls":   {EventCodes: map[string][]string{}, Parameters: map[string][]string{"b": {}, "a": nil, "": {"x"}}, References: []string{}, Areas: []Area{}},
		"map order":     {EventCodes: map[string][]string{"z": {"1"}, "Z": {"2"}, "é": {"3"}, "a<": {"4"}, "10": nil, "9": {"5"}}},
		"multi nil":     {Geometry: &Geometry{Type: "MultiPolygon"}},
		"multi":         {Geometry: &Geometry{Type: "MultiPolygon", Polygons: [][][][2]float64{{{{1, 2}, {3, 4}, {1, 2}}}, {}}}},
		"times":         {Sent: t0, Effective: &t0, Onset: &time.Time{}, Expires: ptr(t0.UTC()), Ends: ptr(t0.In(time.FixedZone("odd", -(3*3600 + 30*60))))},
		"all lifecycle": {ID: "k#2", Key: "k", Version: 2, Change: ChangeUpdate, State: StateActive, Derived: true, References: []string{"k#1"}},
		// json.Marshal refuses these; so must AppendJSON.
		"nan":         {Areas: []Area{{Circles: []Circle{{Lon: math.NaN()}}}}},
		"inf":         {Geometry: &Geometry{Type: "Polygon", Polygons: [][][][2]float64{{{{math.Inf(1), 0}}}}}},
		"year 10000":  {Sent: tooLate},
		"late expiry": {Expires: &tooLate},
		"bad type":    {Geometry: &Geometry{Type: "Point"}},
		"two polys":   {Geometry: &Geometry{Type: "Polygon", Polygons: make([][][][2]float64, 2)}},
	}
	for name, a := range cases {
		t.Run(name, func(t *testing.T) { sameAsEncodingJSON(t, &a) })
	}
}

func ptr[T any](v T) *T { return &v }

// TestAppendJSONRandom checks alerts built at random from awkward parts.
func TestAppendJSONRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		a := randomAlert(r)
		t.Run("", func(t *testing.T) {
			t.Logf("alert %d", i)
			sameAsEncodingJSON(t, &a)
		})
	}
}

// FuzzAppendJSON checks AppendJSON against json.Marshal on fuzzed text and
// numbers.
func FuzzAppendJSON(f *testing.F) {
	f.Add("Flood Warning", "a<b>&\"\\\n", 126.9, 37.5, int64(0))
	f.Add("\xff\u2028", "", 1e-7, 1e21, int64(-62135596800))
	f.Fuzz(func(t *testing.T, s1, s2 string, x, y float64, unix int64) {
		ts := time.Unix(unix, int64(len(s1))).In(time.FixedZone("", int(unix%50000)))
		a := Alert{Event: s1, Headline: s2, Description: s1 + s2, Sent: ts, Expires: &ts,
			EventCodes: map[string][]string{s1: {s2}, s2: nil},
			Areas:      []Area{{Description: s2, Polygons: [][][2]float64{{{x, y}, {y, x}}}, Circles: []Circle{{Lon: x, Lat: y, RadiusKm: x * y}}}},
			Geometry:   &Geometry{Type: "Polygon", Polygons: [][][][2]float64{{{{x, y}}}}}}
		sameAsEncodingJSON(t, &a)
	})
}

// randomAlert builds an alert from awkward strings, floats and times, with
// collections nil, empty or full.
func randomAlert(r *rand.Rand) Alert {
	str := func() string {
		parts := []string{"", "Flood", " ", "<", ">", "&", "\"", "\\", "\n", "\t", "\x00", "\x1f", "\x7f", "é", "한", "🌊", "\u2028", "\u2029", "\xff", "\xe2\x80", "/"}
		var b strings.Builder
		for range r.IntN(6) {
			b.WriteString(parts[r.IntN(len(parts))])
		}
		return b.String()
	}
	float := func() float64 {
		exp := []float64{1e-9, 1e-7, 1e-6, 1, 1e3, 1e20, 1e21, 1e22}[r.IntN(8)]
		f := (r.Float64()*2 - 1) * exp
		if r.IntN(10) == 0 {
			f = math.Trunc(f)
		}
		return f
	}
	tm := func() *time.Time {
		if r.IntN(3) == 0 {
			return nil
		}
		t := time.Unix(r.Int64N(4e9)-1e9, r.Int64N(1e9)*int64(r.IntN(2))).In(time.FixedZone("", (r.IntN(57)-28)*900))
		return &t
	}
	codes := func() map[string][]string {
		switch r.IntN(3) {
		case 0:
			return nil
		case 1:
			return map[string][]string{}
		}
		m := map[string][]string{}
		for range r.IntN(20) {
			var vs []string
			if r.IntN(4) > 0 {
				vs = []string{}
				for range r.IntN(3) {
					vs = append(vs, str())
				}
			}
			m[str()] = vs
		}
		return m
	}
	polys := func() [][][][2]float64 {
		if r.IntN(3) == 0 {
			return nil
		}
		ps := make([][][][2]float64, r.IntN(3))
		for i := range ps {
			ps[i] = make([][][2]float64, r.IntN(3))
			for j := range ps[i] {
				for range r.IntN(5) {
					ps[i][j] = append(ps[i][j], [2]float64{float(), float()})
				}
			}
		}
		return ps
	}
	rings := func() [][][2]float64 {
		if r.IntN(3) == 0 {
			return nil
		}
		rs := make([][][2]float64, r.IntN(4))
		for i := range rs {
			if r.IntN(5) == 0 {
				continue // a nil ring
			}
			rs[i] = [][2]float64{}
			for range r.IntN(5) {
				rs[i] = append(rs[i], [2]float64{float(), float()})
			}
		}
		return rs
	}
	a := Alert{ID: str(), Key: str(), Version: r.IntN(1000) - 10, Change: Change(str()), State: State(str()),
		Source: str(), SourceKind: str(), Hazard: Hazard(str()), Event: str(), EventCodes: codes(),
		Status: Status(str()), Severity: Severity(str()), Urgency: Urgency(str()), Certainty: Certainty(str()),
		Effective: tm(), Onset: tm(), Expires: tm(), Ends: tm(),
		Headline: str(), Description: str(), Instruction: str(), Language: str(), Sender: str(), SenderName: str(), Web: str(),
		Parameters: codes(), Derived: r.IntN(2) == 0}
	if s := tm(); s != nil {
		a.Sent = *s
	}
	for range r.IntN(4) {
		a.References = append(a.References, str())
	}
	for range r.IntN(4) {
		area := Area{Description: str(), Geocodes: codes(), Polygons: rings()}
		for range r.IntN(3) {
			area.Circles = append(area.Circles, Circle{Lon: float(), Lat: float(), RadiusKm: float()})
		}
		a.Areas = append(a.Areas, area)
	}
	switch r.IntN(4) {
	case 1:
		a.Geometry = &Geometry{Type: "Polygon", Polygons: polys()}
	case 2:
		a.Geometry = &Geometry{Type: "MultiPolygon", Polygons: polys()}
	case 3:
		a.Geometry = GeometryOf(a.Areas)
	}
	return a
}

// BenchmarkEncode compares AppendJSON with json.Marshal, and ContentHash, on
// the golden alerts (ns/op is per alert).
func BenchmarkEncode(b *testing.B) {
	files, _ := filepath.Glob("../collectors/*/testdata/*/expected.json")
	var alerts []Alert
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		var items []struct{ Alert Alert }
		if err := json.Unmarshal(data, &items); err != nil {
			b.Fatal(err)
		}
		for _, it := range items {
			alerts = append(alerts, it.Alert)
		}
	}
	var size int64
	for i := range alerts {
		out, _ := json.Marshal(&alerts[i])
		size += int64(len(out))
	}
	b.Run("json.Marshal", func(b *testing.B) {
		b.SetBytes(size / int64(len(alerts)))
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := json.Marshal(&alerts[i%len(alerts)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("AppendJSON", func(b *testing.B) {
		b.SetBytes(size / int64(len(alerts)))
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := alerts[i%len(alerts)].AppendJSON(nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ContentHash", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			alerts[i%len(alerts)].ContentHash()
		}
	})
}

// TestGeocodesAlwaysThere: an area without geocodes has "geocodes":{} (the
// contract gives the field no "?"), in AppendJSON and json.Marshal alike;
// the material hashed leaves it out, as it always has.
func TestGeocodesAlwaysThere(t *testing.T) {
	a := Alert{Key: "k", Sent: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), Areas: []Area{{Description: "somewhere"}}}
	got, err := a.AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(got, []byte(`{"description":"somewhere","geocodes":{}}`)) {
		t.Errorf("AppendJSON: %s", got)
	}
	want, err := json.Marshal(&a)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("json.Marshal differs (%v):\n got %s\nwant %s", err, want, got)
	}
	var back Alert
	if err := json.Unmarshal(got, &back); err != nil || len(back.Areas) != 1 || len(back.Areas[0].Geocodes) != 0 {
		t.Errorf("decoded %+v, %v", back.Areas, err)
	}
	m, _ := appendMaterial(nil, &material{Areas: a.Areas})
	if bytes.Contains(m, []byte("geocodes")) {
		t.Errorf("material has geocodes: %s", m)
	}
}
