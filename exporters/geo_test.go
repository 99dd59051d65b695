package exporters

import "testing"

// TestRegionRejected: a region that could only match nothing, or not what
// was meant, is an error at load rather than a partner silently starved.
func TestRegionRejected(t *testing.T) {
	for name, r := range map[string]Region{
		"bbox in [lat, lon] order":    {BBox: []float64{33, 124.5, 38.7, 131}},
		"bbox latitude out of range":  {BBox: []float64{124.5, -95, 131, 38.7}},
		"polygon in [lat, lon] order": {GeoJSON: `{"type":"Polygon","coordinates":[[[37.5,126.9],[37.5,127.1],[37.6,127.1],[37.5,126.9]]]}`},
		"polygon longitude too large": {GeoJSON: `{"type":"Polygon","coordinates":[[[190,10],[200,10],[200,20],[190,10]]]}`},
		"empty multipolygon":          {GeoJSON: `{"type":"MultiPolygon","coordinates":[]}`},
	} {
		if err := r.compile(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
