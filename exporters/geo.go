package exporters

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/hazardwire/hazardwire/alert"
)

// Region is an area of interest: a bounding box or a GeoJSON Polygon or
// MultiPolygon, in [lon, lat] order.
type Region struct {
	// BBox is [west, south, east, north].
	BBox []float64 `yaml:"bbox" json:"bbox,omitempty"`
	// GeoJSON is a Polygon or MultiPolygon geometry, as JSON text or YAML.
	GeoJSON any `yaml:"geojson" json:"geojson,omitempty"`

	polys [][][2]float64 // outer rings, built by compile
}

// compile checks the region and prepares its rings.
func (r *Region) compile() error {
	switch {
	case len(r.BBox) > 0 && r.GeoJSON != nil:
		return errors.New("region: set bbox or geojson, not both")
	case len(r.BBox) > 0:
		if len(r.BBox) != 4 || r.BBox[0] > r.BBox[2] || r.BBox[1] > r.BBox[3] {
			return errors.New("region.bbox: want [west, south, east, north] with west <= east and south <= north")
		}
		if err := checkLonLat(r.BBox[0], r.BBox[1]); err != nil {
			return fmt.Errorf("region.bbox: %w", err)
		}
		if err := checkLonLat(r.BBox[2], r.BBox[3]); err != nil {
			return fmt.Errorf("region.bbox: %w", err)
		}
		w, s, e, n := r.BBox[0], r.BBox[1], r.BBox[2], r.BBox[3]
		r.polys = [][][2]float64{{{w, s}, {e, s}, {e, n}, {w, n}, {w, s}}}
	case r.GeoJSON != nil:
		raw, ok := r.GeoJSON.(string)
		var b []byte
		if ok {
			b = []byte(raw)
		} else {
			var err error
			if b, err = json.Marshal(r.GeoJSON); err != nil {
				return fmt.Errorf("region.geojson: %w", err)
			}
		}
		var g alert.Geometry
		if err := json.Unmarshal(b, &g); err != nil {
			return fmt.Errorf("region.geojson: %w", err)
		}
		if len(g.Polygons) == 0 {
			return errors.New("region.geojson: no polygon: it would match no alert")
		}
		for _, p := range g.Polygons {
			if len(p) == 0 || len(p[0]) < 4 {
				return errors.New("region.geojson: a polygon needs a ring of at least 4 positions")
			}
			for _, pos := range p[0] {
				if err := checkLonLat(pos[0], pos[1]); err != nil {
					return fmt.Errorf("region.geojson: %w", err)
				}
			}
			r.polys = append(r.polys, p[0])
		}
	}
	return nil
}

// checkLonLat rejects a position outside [lon, lat] bounds: most often a
// region written in [lat, lon] order, which would match nothing it meant.
func checkLonLat(lon, lat float64) error {
	if math.IsNaN(lon) || math.IsNaN(lat) || lon < -180 || lon > 180 || lat < -90 || lat > 90 {
		return fmt.Errorf("position [%g, %g] is outside [-180..180, -90..90]: positions are [lon, lat]", lon, lat)
	}
	return nil
}

// set reports whether the region constrains anything.
func (r *Region) set() bool { return len(r.BBox) > 0 || r.GeoJSON != nil }

// Intersects reports whether any polygon of g touches the region. Holes are
// ignored: an alert over a lake inside the region still concerns it.
func (r *Region) Intersects(g *alert.Geometry) bool {
	for _, a := range g.Polygons {
		if len(a) == 0 {
			continue
		}
		for _, b := range r.polys {
			if ringsIntersect(a[0], b) {
				return true
			}
		}
	}
	return false
}

// ringsIntersect reports whether two closed rings overlap or touch.
func ringsIntersect(a, b [][2]float64) bool {
	if !boxesOverlap(bounds(a), bounds(b)) {
		return false
	}
	if inRing(a[0], b) || inRing(b[0], a) {
		return true
	}
	for i := 0; i+1 < len(a); i++ {
		for j := 0; j+1 < len(b); j++ {
			if segmentsIntersect(a[i], a[i+1], b[j], b[j+1]) {
				return true
			}
		}
	}
	return false
}

func bounds(r [][2]float64) [4]float64 {
	b := [4]float64{r[0][0], r[0][1], r[0][0], r[0][1]}
	for _, p := range r[1:] {
		b[0], b[1] = min(b[0], p[0]), min(b[1], p[1])
		b[2], b[3] = max(b[2], p[0]), max(b[3], p[1])
	}
	return b
}

func boxesOverlap(a, b [4]float64) bool {
	return a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3]
}

// inRing is the even-odd ray test for point p in ring r.
func inRing(p [2]float64, r [][2]float64) bool {
	in := false
	for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
		a, b := r[i], r[j]
		if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0]-a[0])*(p[1]-a[1])/(b[1]-a[1])+a[0] {
			in = !in
		}
	}
	return in
}

func segmentsIntersect(p1, p2, p3, p4 [2]float64) bool {
	d1 := orient(p3, p4, p1)
	d2 := orient(p3, p4, p2)
	d3 := orient(p1, p2, p3)
	d4 := orient(p1, p2, p4)
	if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) {
		return true
	}
	return (d1 == 0 && onSegment(p3, p4, p1)) || (d2 == 0 && onSegment(p3, p4, p2)) ||
		(d3 == 0 && onSegment(p1, p2, p3)) || (d4 == 0 && onSegment(p1, p2, p4))
}

func orient(a, b, c [2]float64) float64 {
	return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
}

func onSegment(a, b, p [2]float64) bool {
	return min(a[0], b[0]) <= p[0] && p[0] <= max(a[0], b[0]) && min(a[1], b[1]) <= p[1] && p[1] <= max(a[1], b[1])
}
