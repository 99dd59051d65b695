package capdoc

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
)

// Key returns the key of info block in for the configured source:
// "<source>:<story>/<language>".
func (h *Header) Key(source string, in *Info) string {
	return alert.MakeKey(source, h.Story+"/"+CanonicalLanguage(in.Language))
}

// Alert returns the alert of info block in, warning of hz, for the
// configured source of kind kind: every field the block and the header
// give, keyed "<source>:<story>/<language>". A kind adjusts what its
// profile says otherwise, then calls Item. A time that does not parse, or
// a polygon or circle that cannot be read, is an error: half-read geometry
// is never published.
func (h *Header) Alert(source, kind string, hz alert.Hazard, in *Info) (alert.Alert, error) {
	lang := CanonicalLanguage(in.Language)
	var times [3]*time.Time
	for i, s := range []string{in.Effective, in.Onset, in.Expires} {
		if strings.TrimSpace(s) == "" {
			continue
		}
		t, err := alert.ParseTime(s)
		if err != nil {
			return alert.Alert{}, err
		}
		times[i] = &t
	}
	areas, err := readAreas(in.Areas)
	if err != nil {
		return alert.Alert{}, err
	}
	return alert.Alert{
		Key:         h.Key(source, in),
		Source:      source,
		SourceKind:  kind,
		Hazard:      hz,
		Event:       strings.TrimSpace(in.Event),
		EventCodes:  Pairs(in.EventCodes),
		Status:      h.Status,
		Severity:    alert.ParseSeverity(in.Severity),
		Urgency:     alert.ParseUrgency(in.Urgency),
		Certainty:   alert.ParseCertainty(in.Certainty),
		Sent:        h.Sent,
		Effective:   times[0],
		Onset:       times[1],
		Expires:     times[2],
		Headline:    strings.TrimSpace(in.Headline),
		Description: strings.TrimSpace(in.Description),
		Instruction: strings.TrimSpace(in.Instruction),
		Language:    lang,
		Sender:      h.Sender,
		SenderName:  strings.TrimSpace(in.SenderName),
		Web:         strings.TrimSpace(in.Web),
		Areas:       areas,
		Geometry:    alert.GeometryOf(areas),
		Parameters:  Pairs(in.Parameters),
	}, nil
}

// Item validates a, the alert of block in, and makes it an item: a cancel
// when the message is a Cancel or the block's responseType is AllClear.
func (h *Header) Item(a alert.Alert, in *Info) (collectors.Item, error) {
	if err := a.Validate(); err != nil {
		return collectors.Item{}, err
	}
	return collectors.Item{Alert: a, Intent: h.intent(in)}, nil
}

// intent is what block in says of its alert: a cancel when the message is a
// Cancel or the block's responseType is AllClear, else active.
func (h *Header) intent(in *Info) collectors.Intent {
	if h.Cancel || slices.ContainsFunc(in.ResponseTypes, func(r string) bool {
		return strings.EqualFold(strings.TrimSpace(r), "AllClear")
	}) {
		return collectors.IntentCancel
	}
	return collectors.IntentActive
}

// readAreas reads CAP areas, one alert area for each. Empty polygon and
// circle elements are taken as absent. alert.ParseCAPPolygon and
// alert.ParseCAPCircle reject positions out of bounds and NaN or infinite
// ones, which could not be encoded as JSON.
func readAreas(in []Area) ([]alert.Area, error) {
	var areas []alert.Area
	for i, ar := range in {
		area := alert.Area{Description: strings.TrimSpace(ar.Desc), Geocodes: Pairs(ar.Geocodes)}
		for _, p := range ar.Polygons {
			if strings.TrimSpace(p) == "" {
				continue
			}
			ring, err := alert.ParseCAPPolygon(p)
			if err != nil {
				return nil, fmt.Errorf("area %d: %w", i, err)
			}
			area.Polygons = append(area.Polygons, ring)
		}
		for _, c := range ar.Circles {
			if strings.TrimSpace(c) == "" {
				continue
			}
			circle, err := alert.ParseCAPCircle(c)
			if err != nil {
				return nil, fmt.Errorf("area %d: %w", i, err)
			}
			area.Circles = append(area.Circles, circle)
		}
		areas = append(areas, area)
	}
	return areas, nil
}

// Pairs turns CAP valueName/value pairs into a map of name → values, in
// document order, leaving out empty names and values; nil when none is
// left.
func Pairs(in []Pair) map[string][]string {
	var m map[string][]string
	for _, p := range in {
		name, value := strings.TrimSpace(p.Name), strings.TrimSpace(p.Value)
		if name == "" || value == "" {
			continue
		}
		if m == nil {
			m = map[string][]string{}
		}
		m[name] = append(m[name], value)
	}
	return m
}
