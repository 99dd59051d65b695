package alert_test

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/alert"
)

func TestParseCAPPolygon(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     [][2]float64
	}{
		{
			name: "closed, lat,lon to lon,lat",
			in:   "38.47,-120.14 38.34,-119.95 38.52,-119.74 38.62,-119.89 38.47,-120.14",
			want: [][2]float64{{-120.14, 38.47}, {-119.95, 38.34}, {-119.74, 38.52}, {-119.89, 38.62}, {-120.14, 38.47}},
		},
		{
			name: "closed by the parser",
			in:   "1,2 3,4 5,6",
			want: [][2]float64{{2, 1}, {4, 3}, {6, 5}, {2, 1}},
		},
		{
			name: "any whitespace between pairs",
			in:   "\n  -33.9,151.2\t-33.8,151.3\n-33.7,151.1 -33.9,151.2  ",
			want: [][2]float64{{151.2, -33.9}, {151.3, -33.8}, {151.1, -33.7}, {151.2, -33.9}},
		},
		{
			name: "bounds are inclusive",
			in:   "90,180 -90,-180 0,0",
			want: [][2]float64{{180, 90}, {-180, -90}, {0, 0}, {180, 90}},
		},
	} {
		got, err := alert.ParseCAPPolygon(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestParseCAPPolygonErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "0 points"},
		{"1,2", "1 points"},
		{"1,2 3,4", "3 points"},
		{"1,2 3,4 1,2", "3 points"},
		{"91,0 1,1 2,2 91,0", "outside"},
		{"-90.5,0 1,1 2,2", "outside"},
		{"0,180.01 1,1 2,2", "outside"},
		{"0,-181 1,1 2,2", "outside"},
		{"NaN,0 1,1 2,2", "not a finite number"},
		{"0,NaN 1,1 2,2", "not a finite number"},
		{"Inf,0 1,1 2,2", "not a finite number"},
		{"1;2 3,4 5,6", "want lat,lon"},
		{"a,b 3,4 5,6", "not a number"},
		{"1,2,3 3,4 5,6", "not a number"},
		{"1, 2 3,4 5,6", "not a number"},
	} {
		got, err := alert.ParseCAPPolygon(tc.in)
		if err == nil {
			t.Errorf("ParseCAPPolygon(%q) = %v, want an error", tc.in, got)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseCAPPolygon(%q): error %q does not say %q", tc.in, err, tc.want)
		}
	}
}

func TestParseCAPCircle(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want alert.Circle
	}{
		{"32.9525,-115.5527 0", alert.Circle{Lon: -115.5527, Lat: 32.9525, RadiusKm: 0}},
		{"37.55,127.05 2.5", alert.Circle{Lon: 127.05, Lat: 37.55, RadiusKm: 2.5}},
		{"  -1,-2\t10 ", alert.Circle{Lon: -2, Lat: -1, RadiusKm: 10}},
	} {
		got, err := alert.ParseCAPCircle(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseCAPCircle(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "1,2", "1,2 3 4", "1,2 -1", "1,2 x", "1,2 NaN", "1,2 Inf", "1,2 -0.5", "95,2 1", "1,200 1", "1 2 3", "x,2 1"} {
		if got, err := alert.ParseCAPCircle(in); err == nil {
			t.Errorf("ParseCAPCircle(%q) = %+v, want an error", in, got)
		}
	}
}

func TestGeometryOf(t *testing.T) {
	sq := func(x float64) [][2]float64 {
		return [][2]float64{{x, 0}, {x + 1, 0}, {x + 1, 1}, {x, 0}}
	}
	for _, tc := range []struct {
		name     string
		areas    []alert.Area
		wantType string
		wantN    int
	}{
		{"no areas", nil, "", 0},
		{"geocodes only", []alert.Area{{Description: "Lane", Geocodes: map[string][]string{"UGC": {"ORC039"}}}, {Description: "Linn"}}, "", 0},
		{"one polygon", []alert.Area{{Description: "a", Polygons: [][][2]float64{sq(0)}}}, "Polygon", 1},
		{"one circle", []alert.Area{{Description: "a", Circles: []alert.Circle{{Lon: 1, Lat: 2, RadiusKm: 3}}}}, "Polygon", 1},
		{"two polygons in one area", []alert.Area{{Polygons: [][][2]float64{sq(0), sq(5)}}}, "MultiPolygon", 2},
		{"polygons in two areas", []alert.Area{{Polygons: [][][2]float64{sq(0)}}, {Geocodes: map[string][]string{"x": {"y"}}}, {Polygons: [][][2]float64{sq(5)}}}, "MultiPolygon", 2},
		{"polygon and circle", []alert.Area{{Polygons: [][][2]float64{sq(0)}, Circles: []alert.Circle{{Lon: 1, Lat: 2, RadiusKm: 3}}}}, "MultiPolygon", 2},
	} {
		g := alert.GeometryOf(tc.areas)
		if tc.wantType == "" {
			if g != nil {
				t.Errorf("%s: got %+v, want nil", tc.name, g)
			}
			continue
		}
		if g == nil || g.Type != tc.wantType || len(g.Polygons) != tc.wantN {
			t.Errorf("%s: got %+v, want a %s of %d polygons", tc.name, g, tc.wantType, tc.wantN)
			continue
		}
		if _, err := json.Marshal(g); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// TestGeometryOfJSON: each ring of an area is a polygon of one ring in the
// geometry, which is what the geometry held when areas held polygons.
func TestGeometryOfJSON(t *testing.T) {
	sq := func(x float64) [][2]float64 {
		return [][2]float64{{x, 0}, {x + 1, 0}, {x + 1, 1}, {x, 0}}
	}
	for _, tc := range []struct {
		areas []alert.Area
		want  string
	}{
		{[]alert.Area{{Polygons: [][][2]float64{sq(0)}}},
			`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}`},
		{[]alert.Area{{Polygons: [][][2]float64{sq(0), sq(5)}}, {Polygons: [][][2]float64{sq(7)}}},
			`{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,0],[6,0],[6,1],[5,0]]],[[[7,0],[8,0],[8,1],[7,0]]]]}`},
	} {
		b, err := json.Marshal(alert.GeometryOf(tc.areas))
		if err != nil || string(b) != tc.want {
			t.Errorf("GeometryOf(%v) = %s, %v; want %s", tc.areas, b, err, tc.want)
		}
	}
}

func TestOuterRings(t *testing.T) {
	outer := [][2]float64{{0, 0}, {10, 0}, {10, 10}, {0, 0}}
	hole := [][2]float64{{1, 1}, {2, 1}, {2, 2}, {1, 1}}
	g := alert.Geometry{Type: "MultiPolygon", Polygons: [][][][2]float64{{outer, hole}, {}, {hole}}}
	got := g.OuterRings()
	if want := [][][2]float64{outer, nil, hole}; !reflect.DeepEqual(got, want) {
		t.Fatalf("OuterRings = %v, want %v", got, want)
	}
	if got := (&alert.Geometry{Type: "MultiPolygon"}).OuterRings(); got != nil {
		t.Fatalf("OuterRings of no polygons = %v, want nil", got)
	}
}

func TestGeometryOfCircle(t *testing.T) {
	for _, c := range []alert.Circle{
		{Lon: -115.5527, Lat: 32.9525, RadiusKm: 10},
		{Lon: 127.05, Lat: 37.55, RadiusKm: 2.5},
		{Lon: 24.9, Lat: 60.2, RadiusKm: 150},  // far north: longitude degrees are short
		{Lon: 0, Lat: 0, RadiusKm: 0},          // a point: drawn as a 10 m circle
		{Lon: 179.99, Lat: -16.5, RadiusKm: 5}, // crosses the antimeridian
	} {
		g := alert.GeometryOf([]alert.Area{{Circles: []alert.Circle{c}}})
		if g == nil || g.Type != "Polygon" || len(g.Polygons) != 1 || len(g.Polygons[0]) != 1 {
			t.Fatalf("circle %+v: geometry %+v, want a Polygon of one ring", c, g)
		}
		ring := g.Polygons[0][0]
		if len(ring) != 33 {
			t.Fatalf("circle %+v: ring of %d positions, want 33 (32 sides, closed)", c, len(ring))
		}
		if ring[0] != ring[32] {
			t.Fatalf("circle %+v: ring not closed: %v != %v", c, ring[0], ring[32])
		}
		want := c.RadiusKm
		if want == 0 {
			want = 0.01
		}
		for i, p := range ring {
			if p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90 {
				t.Fatalf("circle %+v: position %d %v out of bounds", c, i, p)
			}
			d := haversineKm(c.Lat, c.Lon, p[1], p[0])
			// Positions are rounded to 1e-6 degrees (~0.11 m).
			if math.Abs(d-want) > want*0.005+0.0002 {
				t.Fatalf("circle %+v: position %d %v is %.4f km from the centre, want %.4f", c, i, p, d, want)
			}
		}
	}
}

// haversineKm is the great-circle distance between two points, written out
// here so the test does not trust the code it checks.
func haversineKm(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371.0088
	rad := math.Pi / 180
	dLat, dLon := (lat2-lat1)*rad, (lon2-lon1)*rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * r * math.Asin(math.Sqrt(h))
}

func TestGeometryJSONRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		g    alert.Geometry
		json string
	}{
		{
			name: "Polygon",
			g:    alert.Geometry{Type: "Polygon", Polygons: [][][][2]float64{{{{1, 2}, {3, 4}, {5, 6}, {1, 2}}}}},
			json: `{"type":"Polygon","coordinates":[[[1,2],[3,4],[5,6],[1,2]]]}`,
		},
		{
			name: "Polygon with a hole",
			g: alert.Geometry{Type: "Polygon", Polygons: [][][][2]float64{{
				{{0, 0}, {10, 0}, {10, 10}, {0, 0}},
				{{1, 1}, {2, 1}, {2, 2}, {1, 1}},
			}}},
			json: `{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,0]],[[1,1],[2,1],[2,2],[1,1]]]}`,
		},
		{
			name: "MultiPolygon",
			g: alert.Geometry{Type: "MultiPolygon", Polygons: [][][][2]float64{
				{{{1, 2}, {3, 4}, {5, 6}, {1, 2}}},
				{{{-1.5, -2.5}, {-3, -4}, {-5, -6}, {-1.5, -2.5}}},
			}},
			json: `{"type":"MultiPolygon","coordinates":[[[[1,2],[3,4],[5,6],[1,2]]],[[[-1.5,-2.5],[-3,-4],[-5,-6],[-1.5,-2.5]]]]}`,
		},
	} {
		b, err := json.Marshal(tc.g)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if string(b) != tc.json {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, b, tc.json)
		}
		var back alert.Geometry
		if err := json.Unmarshal([]byte(tc.json), &back); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !reflect.DeepEqual(back, tc.g) {
			t.Errorf("%s: decoded %+v, want %+v", tc.name, back, tc.g)
		}
	}
}

func TestGeometryUnmarshalRejects(t *testing.T) {
	for _, in := range []string{
		`{"type":"Point","coordinates":[1,2]}`,
		`{"type":"LineString","coordinates":[[1,2],[3,4]]}`,
		`{"type":"polygon","coordinates":[[[1,2],[3,4],[5,6],[1,2]]]}`,
		`{"coordinates":[[[1,2],[3,4],[5,6],[1,2]]]}`,
		`{"type":"Polygon"}`,
		`{"type":"Polygon","coordinates":[[1,2],[3,4]]}`,
		`{"type":"MultiPolygon","coordinates":[[[1,2],[3,4],[5,6],[1,2]]]}`,
		`{"type":"Polygon","coordinates":"x"}`,
		`[]`,
		`"Polygon"`,
	} {
		var g alert.Geometry
		if err := json.Unmarshal([]byte(in), &g); err == nil {
			t.Errorf("%s decoded as %+v, want an error", in, g)
		}
	}
}

func TestGeometryMarshalRejectsInvalid(t *testing.T) {
	ring := [][][2]float64{{{1, 2}, {3, 4}, {5, 6}, {1, 2}}}
	for _, g := range []alert.Geometry{
		{},
		{Type: "Point", Polygons: [][][][2]float64{ring}},
		{Type: "Polygon"},
		{Type: "Polygon", Polygons: [][][][2]float64{ring, ring}},
	} {
		if b, err := json.Marshal(g); err == nil {
			t.Errorf("%+v encoded as %s, want an error", g, b)
		}
	}
}

// FuzzParseCAPPolygon checks that the CAP polygon parser never panics and that
// whatever it accepts is a closed GeoJSON ring of at least four in-bounds
// positions that encodes as JSON.
func FuzzParseCAPPolygon(f *testing.F) {
	for _, s := range []string{
		"38.47,-120.14 38.34,-119.95 38.52,-119.74 38.62,-119.89 38.47,-120.14",
		"1,2 3,4 5,6",
		"1,2 3,4",
		"",
		"NaN,0 1,1 2,2",
		"1e308,1e308 0,0 1,1",
		"0x1p-2,0 1,1 2,2",
		"1,,2 3,4 5,6 7,8",
		"90,180 -90,-180 0,0 90,180",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ring, err := alert.ParseCAPPolygon(s)
		if err != nil {
			if ring != nil {
				t.Fatalf("error %v with a ring %v", err, ring)
			}
			return
		}
		if len(ring) < 4 {
			t.Fatalf("ring of %d positions", len(ring))
		}
		if ring[0] != ring[len(ring)-1] {
			t.Fatalf("ring not closed: %v", ring)
		}
		for _, p := range ring {
			if !(p[0] >= -180 && p[0] <= 180 && p[1] >= -90 && p[1] <= 90) {
				t.Fatalf("position %v out of bounds", p)
			}
		}
		a := alert.Alert{Areas: []alert.Area{{Polygons: [][][2]float64{ring}}}}
		a.Geometry = alert.GeometryOf(a.Areas)
		if _, err := json.Marshal(a); err != nil {
			t.Fatalf("ring does not encode: %v", err)
		}
		_ = a.ContentHash()
	})
}

// TestCircleRingHugeLongitudeReturns: a circle at an absurd longitude must
// not hang the caller.
func TestCircleRingHugeLongitudeReturns(t *testing.T) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, lon := range []float64{1e300, -1e300, math.Inf(1), 540} {
			alert.CircleRing(alert.Circle{Lon: lon, Lat: 10, RadiusKm: 5}, 8)
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("CircleRing did not return")
	}
	if got := alert.CircleRing(alert.Circle{Lon: 540, Lat: 0, RadiusKm: 0.001}, 4)[0][0]; math.Abs(math.Abs(got)-180) > 0.01 {
		t.Errorf("longitude 540 drawn at %v, want ±180", got)
	}
}
