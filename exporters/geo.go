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

	polys [][][][2]float64 // polygons (outer ring, then holes), built by compile
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
		r.polys = [][][][2]float64{{{{w, s}, {e, s}, {e, n}, {w, n}, {w, s}}}}
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
			if len(p) == 0 {
				return errors.New("region.geojson: a polygon needs a ring of at least 4 positions")
			}
			for _, ring := range p {
				if len(ring) < 4 {
					return errors.New("region.geojson: a polygon needs a ring of at least 4 positions, and so does each of its holes")
				}
				for _, pos := range ring {
					if err := checkLonLat(pos[0], pos[1]); err != nil {
						return fmt.Errorf("region.geojson: %w", err)
					}
				}
			}
			r.polys = append(r.polys, p)
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

// Intersects reports whether any polygon of g touches the region. The
// alert's holes are ignored: an alert over a lake inside the region still
// concerns it; the region's holes are not (an alert wholly inside one is out).
//
// The region is read as GeoJSON (RFC 7946) reads it: flat in lon and lat, a
// region across the antimeridian cut in two. An alert's ring is not: one whose
// longitude jumps by more than 180° between two positions crosses the
// antimeridian (a CAP polygon there, or a circle drawn near it), so it is
// unwrapped into one piece and tested on both sides.
func (r *Region) Intersects(g *alert.Geometry) bool {
	for _, a := range g.Polygons {
		if len(a) == 0 || len(a[0]) == 0 {
			continue
		}
		ring := unwrap(a[0])
		for _, shift := range []float64{0, -360, 360} {
			if shift != 0 && !crossesBy(ring, shift) {
				continue
			}
			moved := ring
			if shift != 0 {
				moved = shifted(ring, shift)
			}
			for _, p := range r.polys {
				if polygonTouches(moved, p) {
					return true
				}
			}
		}
	}
	return false
}

// unwrap returns r with its longitudes made continuous (each within 180° of
// the one before), or r itself when no step crosses the antimeridian. A ring
// that does not come back to its start once unwrapped (around a pole) is
// left as it is.
func unwrap(r [][2]float64) [][2]float64 {
	var out [][2]float64
	offset := 0.0
	for i := 1; i < len(r); i++ {
		switch d := r[i][0] - r[i-1][0]; {
		case d > 180:
			offset -= 360
		case d < -180:
			offset += 360
		default:
			if out == nil {
				continue
			}
		}
		if out == nil {
			out = append(make([][2]float64, 0, len(r)), r[:i]...)
		}
		out = append(out, [2]float64{r[i][0] + offset, r[i][1]})
	}
	if out == nil || offset != 0 {
		return r
	}
	return out
}

// crossesBy reports whether the unwrapped ring r reaches past the
// antimeridian on the side that a shift moves back into [-180, 180].
func crossesBy(r [][2]float64, shift float64) bool {
	b := bounds(r)
	return (shift < 0 && b[2] > 180) || (shift > 0 && b[0] < -180)
}

func shifted(r [][2]float64, dlon float64) [][2]float64 {
	out := make([][2]float64, len(r))
	for i, p := range r {
		out[i] = [2]float64{p[0] + dlon, p[1]}
	}
	return out
}

// polygonTouches reports whether ring a overlaps or touches polygon p (its
// outer ring less its holes): it touches the outer ring and lies strictly
// inside none of the holes.
func polygonTouches(a [][2]float64, p [][][2]float64) bool {
	if !ringsIntersect(a, p[0]) {
		return false
	}
	for _, hole := range p[1:] {
		if strictlyInside(a, hole) {
			return false
		}
	}
	return true
}

// strictlyInside reports whether ring a lies inside ring h without touching
// its boundary.
func strictlyInside(a, h [][2]float64) bool {
	if !inRing(a[0], h) {
		return false
	}
	for i := 0; i+1 < len(a); i++ {
		for j := 0; j+1 < len(h); j++ {
			if segmentsIntersect(a[i], a[i+1], h[j], h[j+1]) {
				return false
			}
		}
	}
	return true
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
