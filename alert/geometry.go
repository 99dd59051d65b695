package alert

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Geometry is a GeoJSON Polygon or MultiPolygon in [lon, lat] order.
type Geometry struct {
	Type string
	// Polygons holds one polygon for a Polygon, several for a MultiPolygon.
	Polygons [][][][2]float64
}

// MarshalJSON writes the geometry as GeoJSON. It refuses a geometry it could
// only write as invalid GeoJSON (another type, or a Polygon that is not
// exactly one polygon) rather than hand partners something they cannot read.
func (g Geometry) MarshalJSON() ([]byte, error) {
	var coords any
	switch {
	case g.Type == "Polygon" && len(g.Polygons) == 1:
		coords = g.Polygons[0]
	case g.Type == "Polygon":
		return nil, fmt.Errorf("geometry Polygon has %d polygons, want 1", len(g.Polygons))
	case g.Type == "MultiPolygon":
		coords = g.Polygons
		if g.Polygons == nil {
			coords = [][][][2]float64{}
		}
	default:
		return nil, fmt.Errorf("geometry type %q is not Polygon or MultiPolygon", g.Type)
	}
	return json.Marshal(struct {
		Type        string `json:"type"`
		Coordinates any    `json:"coordinates"`
	}{g.Type, coords})
}

// UnmarshalJSON reads a GeoJSON Polygon or MultiPolygon.
func (g *Geometry) UnmarshalJSON(b []byte) error {
	var raw struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	switch raw.Type {
	case "Polygon":
		var p [][][2]float64
		if err := json.Unmarshal(raw.Coordinates, &p); err != nil {
			return fmt.Errorf("polygon coordinates: %w", err)
		}
		*g = Geometry{Type: raw.Type, Polygons: [][][][2]float64{p}}
	case "MultiPolygon":
		var mp [][][][2]float64
		if err := json.Unmarshal(raw.Coordinates, &mp); err != nil {
			return fmt.Errorf("multipolygon coordinates: %w", err)
		}
		*g = Geometry{Type: raw.Type, Polygons: mp}
	default:
		return fmt.Errorf("geometry type %q is not Polygon or MultiPolygon", raw.Type)
	}
	return nil
}

// OuterRings returns the outer ring of each polygon of g, as Area.Polygons
// holds them: holes are dropped, and a polygon without rings gives a nil
// ring (which Validate rejects). The rings are g's own, not copies.
func (g *Geometry) OuterRings() [][][2]float64 {
	return outerRings(g.Polygons)
}

func outerRings(polys [][][][2]float64) [][][2]float64 {
	if polys == nil {
		return nil
	}
	rings := make([][][2]float64, len(polys))
	for i, p := range polys {
		if len(p) > 0 {
			rings[i] = p[0]
		}
	}
	return rings
}

// areaJSON is Area as encoding/json reads it, but for its polygons.
type areaJSON struct {
	Description string              `json:"description"`
	Geocodes    map[string][]string `json:"geocodes,omitempty"`
	Polygons    areaPolygons        `json:"polygons,omitempty"`
	Circles     []Circle            `json:"circles,omitempty"`
}

// MarshalJSON writes an area as encoding/json would, but that an area
// without geocodes has "geocodes":{} rather than null: the contract makes
// the field always present. AppendJSON writes the same bytes.
func (a Area) MarshalJSON() ([]byte, error) {
	type plain Area // without this method
	p := plain(a)
	if p.Geocodes == nil {
		p.Geocodes = map[string][]string{}
	}
	return json.Marshal(p)
}

// UnmarshalJSON reads an area as encoding/json would, but that its polygons
// may also be GeoJSON polygons, lists of rings, as versions before the
// contract's list of rings wrote them (in records of the state store and
// messages of the stream): of those, the outer ring of each is kept.
func (a *Area) UnmarshalJSON(b []byte) error {
	raw := areaJSON{a.Description, a.Geocodes, a.Polygons, a.Circles}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*a = Area{Description: raw.Description, Geocodes: raw.Geocodes, Polygons: raw.Polygons, Circles: raw.Circles}
	return nil
}

// areaPolygons reads an area's polygons: a list of rings, or else a list of
// polygons of rings, of which it keeps the outer rings.
type areaPolygons [][][2]float64

func (p *areaPolygons) UnmarshalJSON(b []byte) error {
	var rings [][][2]float64
	err := json.Unmarshal(b, &rings)
	if err == nil {
		*p = rings
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	if !errors.As(err, &typeErr) {
		return err
	}
	var polys [][][][2]float64
	if json.Unmarshal(b, &polys) != nil {
		return err // neither shape: say what is wrong with it as rings
	}
	*p = outerRings(polys)
	return nil
}

// circleSegments is how many sides the polygon drawn for a circle has.
const circleSegments = 32

// GeometryOf returns the GeoJSON geometry covering every polygon and circle of
// areas: each ring of an area a polygon of one ring, and each circle one drawn
// with 32 sides. It is nil when the areas are known only by description and
// geocodes.
func GeometryOf(areas []Area) *Geometry {
	var polys [][][][2]float64
	for _, a := range areas {
		for _, r := range a.Polygons {
			polys = append(polys, [][][2]float64{r})
		}
		for _, c := range a.Circles {
			polys = append(polys, [][][2]float64{CircleRing(c, circleSegments)})
		}
	}
	switch len(polys) {
	case 0:
		return nil
	case 1:
		return &Geometry{Type: "Polygon", Polygons: polys}
	}
	return &Geometry{Type: "MultiPolygon", Polygons: polys}
}

// CircleRing approximates c by a closed ring of n sides on a sphere.
func CircleRing(c Circle, n int) [][2]float64 {
	const earthKm = 6371.0088
	r := c.RadiusKm
	if r <= 0 {
		r = 0.01 // a point: draw a 10 m circle so the geometry stays a valid polygon
	}
	lat1 := c.Lat * math.Pi / 180
	lon1 := c.Lon * math.Pi / 180
	d := r / earthKm
	ring := make([][2]float64, 0, n+1)
	for i := 0; i < n; i++ {
		brg := 2 * math.Pi * float64(i) / float64(n)
		lat2 := math.Asin(math.Sin(lat1)*math.Cos(d) + math.Cos(lat1)*math.Sin(d)*math.Cos(brg))
		lon2 := lon1 + math.Atan2(math.Sin(brg)*math.Sin(d)*math.Cos(lat1), math.Cos(d)-math.Sin(lat1)*math.Sin(lat2))
		ring = append(ring, [2]float64{round6(normLon(lon2 * 180 / math.Pi)), round6(lat2 * 180 / math.Pi)})
	}
	return append(ring, ring[0])
}

// normLon brings a longitude into [-180, 180] in constant time (a loop of
// ±360 steps never ends for huge or infinite values).
func normLon(lon float64) float64 {
	if math.IsNaN(lon) || math.IsInf(lon, 0) {
		return lon // Validate reports it
	}
	if lon >= -180 && lon <= 180 {
		return lon
	}
	return math.Remainder(lon, 360)
}

func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

// ParseCAPPolygon reads a CAP polygon: space-separated "lat,lon" pairs. It
// returns a GeoJSON ring in [lon, lat] order, closing it if the source did not.
func ParseCAPPolygon(s string) ([][2]float64, error) {
	fields := strings.Fields(s)
	ring := make([][2]float64, 0, len(fields)+1)
	for _, f := range fields {
		lat, lon, err := parseLatLon(f)
		if err != nil {
			return nil, fmt.Errorf("polygon point %q: %w", f, err)
		}
		ring = append(ring, [2]float64{lon, lat})
	}
	if len(ring) > 0 && ring[0] != ring[len(ring)-1] {
		ring = append(ring, ring[0])
	}
	if len(ring) < 4 {
		return nil, fmt.Errorf("polygon has %d points, want at least 4", len(ring))
	}
	return ring, nil
}

// ParseCAPCircle reads a CAP circle: "lat,lon radius" with the radius in km.
func ParseCAPCircle(s string) (Circle, error) {
	fields := strings.Fields(s)
	if len(fields) != 2 {
		return Circle{}, fmt.Errorf("circle %q: want \"lat,lon radius\"", s)
	}
	lat, lon, err := parseLatLon(fields[0])
	if err != nil {
		return Circle{}, fmt.Errorf("circle %q: %w", s, err)
	}
	r, err := strconv.ParseFloat(fields[1], 64)
	if err != nil || r < 0 || math.IsNaN(r) || math.IsInf(r, 0) {
		return Circle{}, fmt.Errorf("circle %q: bad radius", s)
	}
	return Circle{Lon: lon, Lat: lat, RadiusKm: r}, nil
}

func parseLatLon(s string) (lat, lon float64, err error) {
	a, b, ok := strings.Cut(s, ",")
	if !ok {
		return 0, 0, errors.New("want lat,lon")
	}
	lat, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
	lon, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
	if err1 != nil || err2 != nil {
		return 0, 0, errors.New("not a number")
	}
	if err := checkPosition(lon, lat); err != nil {
		return 0, 0, err
	}
	return lat, lon, nil
}
