package gdacs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors/internal/jsonlit"
)

// collection is the top level of an event API answer: a GeoJSON
// FeatureCollection, or an ASP.NET error document.
type collection struct {
	Type     string             `json:"type"`
	Features *[]json.RawMessage `json:"features"`
	// An error document's fields (RFC 7807 problem details, or Web API's
	// {"Message": ...}); encoding/json matches names in any case.
	Title   flexString      `json:"title"`
	Detail  flexString      `json:"detail"`
	Message flexString      `json:"message"`
	Status  flexString      `json:"status"`
	TraceID flexString      `json:"traceId"`
	Errors  json.RawMessage `json:"errors"`
}

// feature is one GeoJSON feature of the collection.
type feature struct {
	BBox       json.RawMessage `json:"bbox"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties json.RawMessage `json:"properties"`
}

// properties are the event fields GDACS puts in a feature (FORMATS.md §10).
// Every scalar is a flexString: the API sends ids as numbers, iscurrent as
// the string "true", and some fields as null.
type properties struct {
	EventType   flexString `json:"eventtype"`
	EventID     flexString `json:"eventid"`
	EpisodeID   flexString `json:"episodeid"`
	EventName   flexString `json:"eventname"`
	Glide       flexString `json:"glide"`
	Name        flexString `json:"name"`
	Description flexString `json:"description"`
	URL         *struct {
		Geometry flexString `json:"geometry"`
		Report   flexString `json:"report"`
		Details  flexString `json:"details"`
	} `json:"url"`
	AlertLevel        flexString `json:"alertlevel"`
	AlertScore        flexString `json:"alertscore"`
	EpisodeAlertLevel flexString `json:"episodealertlevel"`
	EpisodeAlertScore flexString `json:"episodealertscore"`
	IsTemporary       flexString `json:"istemporary"`
	IsCurrent         flexString `json:"iscurrent"`
	Country           flexString `json:"country"`
	FromDate          flexString `json:"fromdate"`
	ToDate            flexString `json:"todate"`
	DateModified      flexString `json:"datemodified"`
	ISO3              flexString `json:"iso3"`
	Source            flexString `json:"source"`
	SourceID          flexString `json:"sourceid"`
	AffectedCountries []struct {
		ISO3        flexString `json:"iso3"`
		CountryName flexString `json:"countryname"`
	} `json:"affectedcountries"`
	SeverityData *struct {
		Severity     flexString `json:"severity"`
		SeverityText flexString `json:"severitytext"`
		SeverityUnit flexString `json:"severityunit"`
	} `json:"severitydata"`
}

// flexString reads a JSON string, number or boolean as its text, and null
// as "".
type flexString string

// UnmarshalJSON reads a scalar; an object or array is an error.
func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		return errors.New("empty value")
	case b[0] == '"':
		s, ok := jsonlit.String(b)
		if !ok {
			if err := json.Unmarshal(b, &s); err != nil {
				return err
			}
		}
		*f = flexString(s)
	case bytes.Equal(b, []byte("null")):
		*f = ""
	case b[0] == '{' || b[0] == '[':
		return errors.New("want a string, number or boolean")
	default: // a number, true or false: json has checked its syntax
		*f = flexString(b)
	}
	return nil
}

func (f flexString) String() string { return strings.TrimSpace(string(f)) }

// readGeoJSON reads the features of a FeatureCollection.
func readGeoJSON(body []byte) ([]event, error) {
	var top collection
	if err := json.Unmarshal(body, &top); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, fmt.Errorf("malformed JSON at byte %d: %w", syn.Offset, err)
		}
		return nil, fmt.Errorf("not a GeoJSON FeatureCollection: %w", err)
	}
	if top.Type != "FeatureCollection" {
		if msg := top.errorMessage(); msg != "" {
			return nil, errors.New(msg)
		}
		return nil, fmt.Errorf("not a GeoJSON FeatureCollection (type %q)", top.Type)
	}
	if top.Features == nil {
		return nil, errors.New("FeatureCollection without a features array")
	}
	events := make([]event, 0, len(*top.Features))
	for _, raw := range *top.Features {
		events = append(events, geoJSONEvent(raw))
	}
	return events, nil
}

// errorMessage describes an error document, or returns "" when top is not
// one.
func (c *collection) errorMessage() string {
	var parts []string
	for _, p := range []struct {
		name string
		v    flexString
	}{{"status", c.Status}, {"title", c.Title}, {"detail", c.Detail}, {"message", c.Message}, {"traceId", c.TraceID}} {
		if p.v.String() != "" {
			parts = append(parts, fmt.Sprintf("%s %q", p.name, p.v.String()))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	if len(c.Errors) > 0 && !bytes.Equal(c.Errors, []byte("null")) {
		e := string(c.Errors)
		if len(e) > 200 {
			e = e[:200] + "…"
		}
		parts = append(parts, "errors "+strings.ToValidUTF8(e, "?"))
	}
	return "the GDACS API answered with an error: " + strings.Join(parts, ", ")
}

// geoJSONEvent reads one feature. A feature that does not read keeps the
// error, and its event type when that much reads, so that what is not a
// flood is still counted as unmapped.
func geoJSONEvent(raw json.RawMessage) event {
	var f feature
	var p properties
	err := json.Unmarshal(raw, &f)
	if err == nil {
		if len(f.Properties) == 0 || bytes.Equal(f.Properties, []byte("null")) {
			err = errors.New("feature has no properties")
		} else {
			if err = json.Unmarshal(f.Properties, &p); err != nil {
				err = fmt.Errorf("properties: %w", err)
			}
		}
	}
	if err != nil {
		var typ struct {
			Properties struct {
				EventType flexString `json:"eventtype"`
			} `json:"properties"`
		}
		_ = json.Unmarshal(raw, &typ)
		return event{eventType: typ.Properties.EventType.String(), readErr: err}
	}
	e := event{
		eventType:   p.EventType.String(),
		eventID:     p.EventID.String(),
		episodeID:   p.EpisodeID.String(),
		alertLevel:  p.AlertLevel.String(),
		current:     p.IsCurrent.String(),
		headline:    p.Name.String(),
		description: p.Description.String(),
		country:     p.Country.String(),
		fromDate:    p.FromDate.String(),
		toDate:      p.ToDate.String(),
		sent:        p.DateModified.String(),
		glide:       p.Glide.String(),
	}
	var iso, names []string
	for _, c := range p.AffectedCountries {
		iso = append(iso, c.ISO3.String())
		if n := c.CountryName.String(); n != "" {
			names = append(names, n)
		}
	}
	e.iso3 = isoCodes(append(iso, p.ISO3.String())...)
	if e.country == "" {
		e.country = strings.Join(names, ", ")
	}
	for _, kv := range [][2]string{
		{"eventid", e.eventID}, {"episodeid", e.episodeID}, {"alertlevel", e.alertLevel}, {"alertscore", p.AlertScore.String()},
		{"episodealertlevel", p.EpisodeAlertLevel.String()}, {"episodealertscore", p.EpisodeAlertScore.String()},
		{"eventname", p.EventName.String()}, {"iscurrent", e.current}, {"istemporary", p.IsTemporary.String()},
		{"glide", e.glide}, {"source", p.Source.String()}, {"sourceid", p.SourceID.String()},
	} {
		e.param(kv[0], kv[1])
	}
	if s := p.SeverityData; s != nil {
		e.param("severity", s.Severity.String())
		e.param("severitytext", s.SeverityText.String())
		e.param("severityunit", s.SeverityUnit.String())
	}
	if u := p.URL; u != nil {
		e.web = u.Report.String()
		e.param("geometryurl", u.Geometry.String())
		e.param("detailsurl", u.Details.String())
	}
	if b, ok := geoJSONBBox(f.BBox); ok {
		e.bbox = &b
		e.bboxParam(b)
	}
	e.point, e.polygons, e.readErr = readGeometry(f.Geometry)
	return e
}

// geoJSONBBox reads a GeoJSON bbox, 2D or 3D, into [minLon, minLat, maxLon,
// maxLat]. A box that does not read is left out: it is only a parameter.
func geoJSONBBox(raw json.RawMessage) ([4]float64, bool) {
	var b [4]float64
	var v []float64
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return b, false
	}
	switch len(v) {
	case 4:
		b = [4]float64{v[0], v[1], v[2], v[3]}
	case 6:
		b = [4]float64{v[0], v[1], v[3], v[4]}
	default:
		return b, false
	}
	return b, checkBBox(b) == nil
}

// readGeometry reads a feature's geometry: a Point (the event's centre, as
// GDACS sends it), or a Polygon or MultiPolygon, of which it returns the
// outer ring of each polygon (an area keeps no holes: alert.Area.Polygons);
// null is no geometry.
func readGeometry(raw json.RawMessage) (*alert.Circle, [][][2]float64, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil, nil
	}
	var g struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		return nil, nil, fmt.Errorf("geometry: %w", err)
	}
	switch g.Type {
	case "Point":
		var c []float64
		if err := json.Unmarshal(g.Coordinates, &c); err != nil || len(c) < 2 {
			return nil, nil, fmt.Errorf("geometry: Point coordinates %s are not [lon, lat]", strconv.Quote(shorten(g.Coordinates)))
		}
		p, err := newPoint(c[0], c[1])
		return p, nil, err
	case "Polygon", "MultiPolygon":
		var geo alert.Geometry
		if err := json.Unmarshal(raw, &geo); err != nil {
			return nil, nil, fmt.Errorf("geometry: %w", err)
		}
		if len(geo.Polygons) == 0 {
			return nil, nil, errors.New("geometry: no polygon")
		}
		return nil, geo.OuterRings(), nil // rings are checked by Alert.Validate
	}
	return nil, nil, fmt.Errorf("geometry type %q is not Point, Polygon or MultiPolygon", g.Type)
}

func shorten(b []byte) string {
	s := strings.ToValidUTF8(string(b), "?")
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return s
}
