package gdacs

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
)

// Constant content of every GDACS alert.
const (
	eventName  = "Flood" // GDACS's name of eventtype FL
	language   = "en"
	senderName = "Global Disaster Alert and Coordination System (GDACS)"
)

// event is one item of either format, as read, before it is mapped. Text
// fields are as sent (trimmed); dates are parsed only for flood events.
type event struct {
	eventType, eventID, episodeID string
	// alertLevel is the event's alert level (Green, Orange, Red, any case).
	alertLevel string
	// current is gdacs:iscurrent as sent; "" when the feed has none.
	current string

	headline, description, web string
	country                    string
	iso3                       []string
	glide                      string
	// fromDate, toDate and sent are the dates as sent; sent may be "".
	fromDate, toDate, sent string

	point    *alert.Circle  // the event's centre, radius not yet set
	polygons [][][2]float64 // the outer rings of a GeoJSON Polygon or MultiPolygon geometry
	bbox     *[4]float64    // minLon, minLat, maxLon, maxLat
	params   map[string][]string
	// readErr says why a field of the item could not be read: a flood
	// event with one is invalid.
	readErr error
}

// param records a native value under name, when it has one.
func (e *event) param(name, value string) {
	value = strings.TrimSpace(value)
	if value == "" {
		return
	}
	if e.params == nil {
		e.params = map[string][]string{}
	}
	e.params[name] = append(e.params[name], value)
}

// item maps a flood event to an item.
func (m *mapper) item(e *event) (collectors.Item, error) {
	if e.readErr != nil {
		return collectors.Item{}, e.readErr
	}
	key, err := m.key(e)
	if err != nil {
		return collectors.Item{}, err
	}
	from, to, sent, err := dates(e)
	if err != nil {
		return collectors.Item{}, err
	}
	current, err := parseCurrent(e.current)
	if err != nil {
		return collectors.Item{}, err
	}
	intent, urgency := collectors.IntentActive, alert.UrgencyImmediate
	if !current {
		intent, urgency = collectors.IntentExpire, alert.UrgencyPast
	}
	var expires *time.Time
	if to != nil && m.expiresAfter > 0 {
		x := to.Add(m.expiresAfter)
		expires = &x
	}
	areas := m.areas(e)
	a := alert.Alert{
		Key:         key,
		Source:      m.source,
		SourceKind:  kindName,
		Hazard:      alert.HazardFlood,
		Event:       eventName,
		EventCodes:  eventCodes(e),
		Status:      alert.StatusActual,
		Severity:    severityOf(e.alertLevel),
		Urgency:     urgency,
		Certainty:   alert.CertaintyLikely,
		Sent:        *sent,
		Onset:       from,
		Expires:     expires,
		Headline:    strings.TrimSpace(e.headline),
		Description: strings.TrimSpace(e.description),
		Language:    language,
		SenderName:  senderName,
		Web:         strings.TrimSpace(e.web),
		Areas:       areas,
		Geometry:    alert.GeometryOf(areas),
		Parameters:  e.params,
	}
	if err := a.Validate(); err != nil {
		return collectors.Item{}, err
	}
	return collectors.Item{Alert: a, Intent: intent}, nil
}

// key returns the key of a flood event. It takes the id's canonical decimal
// form, so that "01102983" and the number 1102983 are one event.
func (m *mapper) key(e *event) (string, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(e.eventID), 10, 64)
	if err != nil {
		return "", fmt.Errorf("eventid %q is not a number", e.eventID)
	}
	return alert.MakeKey(m.source, "FL"+strconv.FormatUint(n, 10)), nil
}

// unreadableKey returns the key of a flood event that could not be mapped,
// when it can be told and the event is not said to be over: the feed still
// serves it in force. An event no longer current keeps nothing alive.
func (m *mapper) unreadableKey(e *event) (string, bool) {
	key, err := m.key(e)
	if err != nil {
		return "", false
	}
	if current, err := parseCurrent(e.current); err == nil && !current {
		return "", false
	}
	return key, true
}

// dates reads an event's fromdate, todate and sent time. An item without
// its own sent time was sent when it was last brought up to date: its
// todate, else its fromdate; one without any date cannot be placed in time.
func dates(e *event) (from, to, sent *time.Time, err error) {
	var times [3]*time.Time
	for i, s := range []string{e.fromDate, e.toDate, e.sent} {
		if strings.TrimSpace(s) == "" {
			continue
		}
		t, err := parseTime(s)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %w", [...]string{"fromdate", "todate", "sent"}[i], err)
		}
		times[i] = &t
	}
	from, to, sent = times[0], times[1], cmp.Or(times[2], times[1], times[0])
	if sent == nil {
		return nil, nil, nil, errors.New("no date: neither sent, todate nor fromdate")
	}
	return from, to, sent, nil
}

// severityOf maps GDACS's alert level (FORMATS.md §10): Green → minor,
// Orange → moderate, Red → severe, in any case. GDACS has no level above
// Red, and a Red flood is not always CAP's "extraordinary threat to life".
func severityOf(level string) alert.Severity {
	switch strings.ToLower(strings.TrimSpace(level)) {
	case "green":
		return alert.SeverityMinor
	case "orange":
		return alert.SeverityModerate
	case "red":
		return alert.SeveritySevere
	}
	return alert.SeverityUnknown
}

// parseCurrent reads iscurrent ("true"/"false", any case). Feeds older than
// the field (2016 captures) do not send it: a listed event is current.
func parseCurrent(s string) (bool, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return true, nil
	}
	b, err := strconv.ParseBool(strings.ToLower(s))
	if err != nil {
		return false, fmt.Errorf("iscurrent %q is not true or false", s)
	}
	return b, nil
}

// eventCodes returns the GDACS event type and, when GDACS has one, the
// event's GLIDE number ("0" is GDACS's placeholder for none).
func eventCodes(e *event) map[string][]string {
	codes := map[string][]string{"GDACS": {strings.ToUpper(strings.TrimSpace(e.eventType))}}
	if g := strings.TrimSpace(e.glide); g != "" && g != "0" {
		codes["GLIDE"] = []string{g}
	}
	return codes
}

// areas returns the event's one area: the country as description, its ISO
// 3166 alpha-3 codes, a circle at its point, its geometry's polygons and,
// with bbox_polygon, its bounding box.
func (m *mapper) areas(e *event) []alert.Area {
	ar := alert.Area{Description: strings.TrimSpace(e.country), Polygons: e.polygons}
	if len(e.iso3) > 0 {
		ar.Geocodes = map[string][]string{"ISO3": e.iso3}
	}
	if e.point != nil {
		ar.Circles = []alert.Circle{{Lon: e.point.Lon, Lat: e.point.Lat, RadiusKm: m.radiusKm}}
	}
	if m.bboxPolygon && e.bbox != nil {
		if ring, ok := bboxRing(*e.bbox); ok {
			ar.Polygons = append(ar.Polygons, ring)
		}
	}
	if ar.Description == "" && ar.Geocodes == nil && ar.Circles == nil && ar.Polygons == nil {
		return nil
	}
	return []alert.Area{ar}
}

// bboxRing draws a bounding box as a closed ring, counter-clockwise. A box
// of no area (a point event) or across the antimeridian is not drawn.
func bboxRing(b [4]float64) ([][2]float64, bool) {
	minLon, minLat, maxLon, maxLat := b[0], b[1], b[2], b[3]
	if !(minLon < maxLon) || !(minLat < maxLat) {
		return nil, false
	}
	return [][2]float64{{minLon, minLat}, {maxLon, minLat}, {maxLon, maxLat}, {minLon, maxLat}, {minLon, minLat}}, true
}

// checkBBox accepts a box within [lon, lat] bounds.
func checkBBox(b [4]float64) error {
	for i, v := range b {
		limit := 180.0
		if i%2 == 1 {
			limit = 90
		}
		if math.IsNaN(v) || math.IsInf(v, 0) || v < -limit || v > limit {
			return fmt.Errorf("bbox %v is outside [lon, lat] bounds", b)
		}
	}
	return nil
}

// bboxParam records a box as the parameter "bbox": four values in GeoJSON
// order (minLon, minLat, maxLon, maxLat), whatever order the feed used.
func (e *event) bboxParam(b [4]float64) {
	for _, v := range b {
		e.param("bbox", strconv.FormatFloat(v, 'f', -1, 64))
	}
}

// newPoint checks a position and returns it as a circle centre.
func newPoint(lon, lat float64) (*alert.Circle, error) {
	if math.IsNaN(lon) || math.IsNaN(lat) || lon < -180 || lon > 180 || lat < -90 || lat > 90 {
		return nil, fmt.Errorf("point lat %g, lon %g is outside bounds", lat, lon)
	}
	return &alert.Circle{Lon: lon, Lat: lat}, nil
}

// isoCodes splits a list of ISO 3166 alpha-3 codes (GDACS joins several with
// commas or semicolons) into upper-case codes, each once.
func isoCodes(lists ...string) []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range lists {
		for _, c := range strings.FieldsFunc(l, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '/' }) {
			c = strings.ToUpper(c)
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	return out
}

// timeLayouts are the date forms GDACS uses: RFC 822 in RSS (after
// normalizeZone), ISO 8601 with or without an offset in the event API.
var timeLayouts = []string{
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04 -0700",
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

// parseTime reads a GDACS date. GDACS works in UTC: RFC 822's GMT, UT or Z and
// ISO dates without an offset are UTC; a numeric offset is kept. Any other
// zone name is refused, since Go would read an unknown abbreviation as UTC.
func parseTime(s string) (time.Time, error) {
	t, err := alert.ParseTimeIn(normalizeZone(s), time.UTC, timeLayouts...)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q is not an RFC 822 date in GMT or an offset, nor ISO 8601", strings.TrimSpace(s))
	}
	return t, nil
}

// normalizeZone replaces a trailing RFC 822 UTC zone name by "+0000".
func normalizeZone(s string) string {
	s = strings.TrimSpace(s)
	for _, z := range []string{" GMT", " UTC", " UT", " Z"} {
		if len(s) > len(z) && strings.EqualFold(s[len(s)-len(z):], z) {
			return s[:len(s)-len(z)] + " +0000"
		}
	}
	return s
}
