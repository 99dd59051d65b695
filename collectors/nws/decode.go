package nws

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"

	"github.com/hazardwire/hazardwire/alert"
)

// The fast decoder reads a FeatureCollection into the same features as
// encoding/json, several times faster: it reads the fields parse needs
// straight from the bytes, with no reflection and no second pass over the
// geometry. It reads only the common shape of an NWS answer; on anything
// else (a value of another type, a member named twice, a name that matches
// a field only when case is ignored, invalid JSON) it gives up, and parse
// reads the feature, or the whole body, with encoding/json as before.

// once records the member with bit in seen, and stops the lexer when it was
// there already: encoding/json merges repeated members in ways not worth
// copying.
func (l *lexer) once(seen *uint32, bit uint32) {
	if *seen&bit != 0 {
		l.fail()
	}
	*seen |= bit
}

// decodeFeature reads one feature as encoding/json reads it into feature,
// with its geometry decoded too when it is a plain Polygon or MultiPolygon.
// ok is false when b is not a feature of the shape it reads.
func decodeFeature(b []byte, strs strCache) (f feature, ok bool) {
	l := lexer{b: b, strs: strs}
	var seen uint32
	for more := l.open('{', '}'); more; more = l.more('}') {
		switch key := l.key(); string(key) {
		case "geometry":
			l.once(&seen, 1)
			f.Geometry, f.geo = l.geometry()
		case "properties":
			l.once(&seen, 2)
			f.Properties = l.properties()
		default:
			l.skipUnknown(key, featureNames)
		}
	}
	l.end()
	return f, !l.failed
}

// featureNames are the members of feature, folded.
var featureNames = foldedNames(reflect.TypeFor[feature]())

// properties reads a feature's properties.
func (l *lexer) properties() *properties {
	if l.null() {
		return nil
	}
	p := new(properties)
	var seen uint32
	for more := l.open('{', '}'); more; more = l.more('}') {
		key := l.key()
		i, ok := propertyIndex[string(key)]
		if !ok {
			l.skipUnknown(key, propertyNames)
			continue
		}
		l.once(&seen, 1<<i)
		switch f := propertyFields[i].field(p).(type) {
		case *string:
			if !l.null() { // null leaves a string as it was
				*f = l.str()
			}
		case *map[string]strList:
			*f = l.strLists()
		case *[]reference:
			*f = l.references()
		}
	}
	return p
}

// propertyFields are the members of properties the decoder reads, each with
// the field it fills; TestPropertyFields checks them against the json tags.
var propertyFields = []struct {
	name  string
	field func(*properties) any
}{
	{"id", func(p *properties) any { return &p.ID }},
	{"areaDesc", func(p *properties) any { return &p.AreaDesc }},
	{"geocode", func(p *properties) any { return &p.Geocode }},
	{"references", func(p *properties) any { return &p.References }},
	{"sent", func(p *properties) any { return &p.Sent }},
	{"effective", func(p *properties) any { return &p.Effective }},
	{"onset", func(p *properties) any { return &p.Onset }},
	{"expires", func(p *properties) any { return &p.Expires }},
	{"ends", func(p *properties) any { return &p.Ends }},
	{"status", func(p *properties) any { return &p.Status }},
	{"messageType", func(p *properties) any { return &p.MessageType }},
	{"severity", func(p *properties) any { return &p.Severity }},
	{"certainty", func(p *properties) any { return &p.Certainty }},
	{"urgency", func(p *properties) any { return &p.Urgency }},
	{"event", func(p *properties) any { return &p.Event }},
	{"sender", func(p *properties) any { return &p.Sender }},
	{"senderName", func(p *properties) any { return &p.SenderName }},
	{"headline", func(p *properties) any { return &p.Headline }},
	{"description", func(p *properties) any { return &p.Description }},
	{"instruction", func(p *properties) any { return &p.Instruction }},
	{"response", func(p *properties) any { return &p.Response }},
	{"web", func(p *properties) any { return &p.Web }},
	{"language", func(p *properties) any { return &p.Language }},
	{"eventCode", func(p *properties) any { return &p.EventCode }},
	{"parameters", func(p *properties) any { return &p.Parameters }},
}

// propertyIndex finds a member's entry in propertyFields by exact name.
var propertyIndex = func() map[string]int {
	m := map[string]int{}
	for i, f := range propertyFields {
		m[f.name] = i
	}
	return m
}()

// propertyNames are the members of properties, folded.
var propertyNames = foldedNames(reflect.TypeFor[properties]())

// strLists reads a map of string lists (geocode, eventCode, parameters).
// A name given twice keeps its last list, as with encoding/json.
func (l *lexer) strLists() map[string]strList {
	if l.null() {
		return nil
	}
	m := make(map[string]strList, 8) // as many as a map holds without growing
	for more := l.open('{', '}'); more; more = l.more('}') {
		key := l.intern(l.key())
		m[key] = l.strList()
	}
	return m
}

// strList reads what strList.UnmarshalJSON reads: an array of strings (a
// null in it reads as ""), a string or null. The list is a slice of
// l.lists, capped so that an append to it cannot write into the next.
func (l *lexer) strList() strList {
	switch l.peek() {
	case 'n':
		l.null()
		return nil
	case '"':
		return l.listOf(len(l.lists), l.str())
	}
	start := len(l.lists)
	for more := l.open('[', ']'); more; more = l.more(']') {
		s := ""
		if !l.null() {
			s = l.str()
		}
		l.lists = append(l.lists, s)
	}
	return l.listOf(start)
}

// listOf appends more to l.lists and returns l.lists[start:] as a list of
// its own (never nil, as encoding/json reads [] as an empty list).
func (l *lexer) listOf(start int, more ...string) strList {
	if l.lists == nil {
		l.lists = make([]string, 0, 32) // enough for most features
	}
	l.lists = append(l.lists, more...)
	return l.lists[start:len(l.lists):len(l.lists)]
}

// references reads the references of a feature.
func (l *lexer) references() []reference {
	if l.null() {
		return nil
	}
	refs := []reference{}
	for more := l.open('[', ']'); more; more = l.more(']') {
		var r reference
		if !l.null() {
			l.reference(&r)
		}
		refs = append(refs, r)
	}
	return refs
}

// reference reads one reference.
func (l *lexer) reference(r *reference) {
	var seen uint32
	for more := l.open('{', '}'); more; more = l.more('}') {
		key := l.key()
		var s *string
		switch string(key) {
		case "identifier":
			l.once(&seen, 1)
			s = &r.Identifier
		case "sender":
			l.once(&seen, 2)
			s = &r.Sender
		case "sent":
			l.once(&seen, 4)
			s = &r.Sent
		default:
			l.skipUnknown(key, referenceNames)
			continue
		}
		if !l.null() {
			*s = l.str()
		}
	}
}

// referenceNames are the members of reference, folded.
var referenceNames = foldedNames(reflect.TypeFor[reference]())

// foldedNames returns the json names of struct t's fields, lower case, for
// skipUnknown.
func foldedNames(t reflect.Type) map[string]bool {
	names := map[string]bool{}
	for f := range t.Fields() {
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
			names[strings.ToLower(name)] = true
		}
	}
	return names
}

// geometry reads a feature's geometry: its bytes, as encoding/json keeps a
// RawMessage, and, when it is a Polygon or MultiPolygon of the plain shape
// polygonal reads, its polygons. Anything else is checked only as JSON, and
// readAreas decodes it as before (and says what is wrong with it).
func (l *lexer) geometry() (json.RawMessage, *alert.Geometry) {
	if l.failed {
		return nil, nil
	}
	l.peek()
	start := l.pos
	var geo *alert.Geometry
	if l.peek() == '{' {
		try := lexer{b: l.b, pos: start}
		if g := try.polygonal(); !try.failed {
			geo, l.pos = g, try.pos
		}
	}
	if geo == nil {
		l.skip()
	}
	return l.b[start:l.pos], geo
}

// polygonal reads a geometry as alert.Geometry.UnmarshalJSON does, when its
// type comes before its coordinates, every array in these has at least one
// element and every position is exactly [lon, lat].
func (l *lexer) polygonal() *alert.Geometry {
	g := &alert.Geometry{}
	var seen uint32
	for more := l.open('{', '}'); more; more = l.more('}') {
		switch key := l.key(); string(key) {
		case "type":
			l.once(&seen, 1)
			switch typ, _ := l.quoted(); string(typ) {
			case "Polygon":
				g.Type = "Polygon"
			case "MultiPolygon":
				g.Type = "MultiPolygon"
			default:
				l.fail()
			}
		case "coordinates":
			l.once(&seen, 2)
			switch g.Type {
			case "Polygon":
				g.Polygons = [][][][2]float64{l.polygon()}
			case "MultiPolygon":
				for more := l.open('[', ']'); more; more = l.more(']') {
					g.Polygons = append(g.Polygons, l.polygon())
				}
			default: // coordinates before type: left to encoding/json
				l.fail()
			}
		default:
			l.skipUnknown(key, geometryNames)
		}
	}
	if seen != 3 || len(g.Polygons) == 0 {
		l.fail()
	}
	return g
}

// geometryNames are the members alert.Geometry.UnmarshalJSON reads, folded.
var geometryNames = map[string]bool{"type": true, "coordinates": true}

// polygon reads a polygon's rings, at least one.
func (l *lexer) polygon() [][][2]float64 {
	var rings [][][2]float64
	for more := l.open('[', ']'); more; more = l.more(']') {
		rings = append(rings, l.ring())
	}
	if rings == nil {
		l.fail()
	}
	return rings
}

// ring reads a ring's positions, at least one.
func (l *lexer) ring() [][2]float64 {
	ring := make([][2]float64, 0, 8)
	for more := l.open('[', ']'); more; more = l.more(']') {
		var p [2]float64
		l.expect('[')
		p[0] = l.number()
		l.expect(',')
		p[1] = l.number()
		l.expect(']')
		ring = append(ring, p)
		if l.failed {
			break
		}
	}
	if len(ring) == 0 {
		l.fail()
	}
	return slices.Clip(ring)
}
