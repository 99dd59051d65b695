package exporters

import (
	"testing"

	"github.com/hazardwire/hazardwire/alert"
)

func ring(pts ...[2]float64) *alert.Geometry {
	return &alert.Geometry{Type: "Polygon", Polygons: [][][][2]float64{{pts}}}
}

// TestRegionGeometry: the region rule on the shapes that a plain planar test
// gets wrong.
func TestRegionGeometry(t *testing.T) {
	// A square across the antimeridian east of Fiji, as a CAP polygon gives it.
	across := ring([2]float64{179.5, -17}, [2]float64{-179.5, -17}, [2]float64{-179.5, -18}, [2]float64{179.5, -18}, [2]float64{179.5, -17})
	// A CAP circle of 30 km centred 10 km west of the antimeridian: its
	// drawn ring crosses it.
	circle := alert.GeometryOf([]alert.Area{{Circles: []alert.Circle{{Lon: 179.9, Lat: -17.8, RadiusKm: 30}}}})
	southernAfrica := Region{BBox: []float64{20, -19, 30, -16}}
	// Seoul with a hole cut out around Yeouido.
	holed := Region{GeoJSON: `{"type":"Polygon","coordinates":[
		[[126.8,37.4],[127.2,37.4],[127.2,37.7],[126.8,37.7],[126.8,37.4]],
		[[126.9,37.5],[126.95,37.5],[126.95,37.54],[126.9,37.54],[126.9,37.5]]]}`}
	tests := []struct {
		name   string
		region Region
		g      *alert.Geometry
		want   bool
	}{
		{"across the antimeridian, region far away", southernAfrica, across, false},
		{"across the antimeridian, region west of it", Region{BBox: []float64{179, -19, 180, -16}}, across, true},
		{"across the antimeridian, region east of it", Region{BBox: []float64{-180, -19, -179, -16}}, across, true},
		{"across the antimeridian, region cut in two (RFC 7946)", Region{GeoJSON: `{"type":"MultiPolygon","coordinates":[
			[[[177,-20],[180,-20],[180,-15],[177,-15],[177,-20]]],
			[[[-180,-20],[-178,-20],[-178,-15],[-180,-15],[-180,-20]]]]}`}, across, true},
		{"circle across the antimeridian, region far away", southernAfrica, circle, false},
		{"circle across the antimeridian, region east of it", Region{BBox: []float64{-179.9, -19, -179.5, -17}}, circle, true},
		{"alert inside a hole of the region", holed, ring([2]float64{126.91, 37.51}, [2]float64{126.94, 37.51}, [2]float64{126.94, 37.53}, [2]float64{126.91, 37.53}, [2]float64{126.91, 37.51}), false},
		{"alert across the edge of a hole", holed, ring([2]float64{126.91, 37.51}, [2]float64{126.97, 37.51}, [2]float64{126.97, 37.53}, [2]float64{126.91, 37.53}, [2]float64{126.91, 37.51}), true},
		{"alert touching the edge of a hole", holed, ring([2]float64{126.91, 37.51}, [2]float64{126.95, 37.51}, [2]float64{126.95, 37.53}, [2]float64{126.91, 37.53}, [2]float64{126.91, 37.51}), true},
		{"alert around the hole", holed, ring([2]float64{126.85, 37.45}, [2]float64{127, 37.45}, [2]float64{127, 37.6}, [2]float64{126.85, 37.6}, [2]float64{126.85, 37.45}), true},
		{"region inside the alert", Region{BBox: []float64{126.95, 37.52, 127.0, 37.55}}, seoul, true},
		{"alert touching the region at a corner", Region{BBox: []float64{127.1, 37.6, 127.2, 37.7}}, seoul, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.region.compile(); err != nil {
				t.Fatal(err)
			}
			if got := tt.region.Intersects(tt.g); got != tt.want {
				t.Fatalf("Intersects = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestRegionRejected: a region that could only match nothing, or not what
// was meant, is an error at load rather than a partner silently starved.
func TestRegionRejected(t *testing.T) {
	for name, r := range map[string]Region{
		"bbox in [lat, lon] order":    {BBox: []float64{33, 124.5, 38.7, 131}},
		"bbox latitude out of range":  {BBox: []float64{124.5, -95, 131, 38.7}},
		"polygon in [lat, lon] order": {GeoJSON: `{"type":"Polygon","coordinates":[[[37.5,126.9],[37.5,127.1],[37.6,127.1],[37.5,126.9]]]}`},
		"polygon longitude too large": {GeoJSON: `{"type":"Polygon","coordinates":[[[190,10],[200,10],[200,20],[190,10]]]}`},
		"empty multipolygon":          {GeoJSON: `{"type":"MultiPolygon","coordinates":[]}`},
		"hole too short":              {GeoJSON: `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]],[[0.1,0.1],[0.2,0.1]]]}`},
	} {
		if err := r.compile(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
