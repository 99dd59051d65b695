package nws

import (
	"encoding/json"
	"reflect"
	"strings"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
)

// The fast decoder reads a FeatureCollection into the same features as
// encoding/json, several times faster: it reads the fields parse needs
// straight from the bytes, with no reflection and no second pass over the
// geometry. It reads only the common shape of an NWS answer; on anything
// else (a value of another type, a member named twice, a name that matches
// a field only when case is ignored, invalid JSON) it gives up, and parse
// reads the feature, or the whole body, with encoding/json as before.

// strCache holds the short strings read so far by one goroutine of a parse,
// to hand out again rather than allocate: most values of an answer repeat
// (member names, enumerations, senders, the times of one feature). Strings
// are immutable, so sharing them is not observable.
type strCache map[string]string

// Bounds of a strCache: longer strings rarely repeat (ids, texts), and the
// cache stops growing once full, so that an answer of unique values costs
// little. (A direct-mapped table was tried instead: no faster, and the
// values that repeat were evicted by those that do not.)
const (
	maxInternLen = 48
	maxInterned  = 2048
)

// intern returns raw as a string, from l.strs when it is there.
func (l *lexer) intern(raw []byte) string {
	if l.strs == nil || len(raw) > maxInternLen {
		return string(raw)
	}
	if s, ok := l.strs[string(raw)]; ok {
		return s
	}
	s := string(raw)
	if len(l.strs) < maxInterned {
		l.strs[s] = s
	}
	return s
}

// once records the member with bit in seen, and stops the lexer when it was
// there already: encoding/json merges repeated members in ways not worth
// copying.
func (l *lexer) once(seen *uint32, bit uint32) {
	if *seen&bit != 0 {
		l.fail()
	}
	*seen |= bit
}

// scratch is what one goroutine of parseFast reuses from one feature to the
// next: its string cache, and the parts of a decoded feature of which
// mapping it keeps nothing (featureOf copies out what it keeps): the
// properties, the maps of string lists and the places of the lists. The
// lists themselves are kept (parameters hands them to the first item): they
// are read into lists, then copied into an array of the feature's own, sized
// once (placeLists). The feature decodeFeature returns is valid only until
// it decodes the next one with the same scratch.
type scratch struct {
	strs  strCache
	props properties
	// maps are the maps of string lists, handed out in turn (emptyMap).
	maps  [3]map[string]strList
	nmaps int
	lists []string
	named []namedList
	// geo is the feature's decoded geometry (geometry); its polygons are
	// the feature's own. pos holds the positions of the ring being read.
	geo alert.Geometry
	pos [][2]float64
	// items is the array the items of features are carved from (carve),
	// chunk the size of each new one.
	items []collectors.Item
	chunk int
}

// namedList is where a string list read into scratch.lists goes: the list
// lists[start:end] (nil when null) under name in m.
type namedList struct {
	m          map[string]strList
	name       string
	start, end int
	null       bool
}

// emptyMap returns an empty map for a map of string lists: the next of
// sc.maps, cleared, or a new one when all three are in use.
func (sc *scratch) emptyMap() map[string]strList {
	if sc.nmaps == len(sc.maps) { // only after a field named twice: failed
		return make(map[string]strList)
	}
	m := sc.maps[sc.nmaps]
	if m == nil {
		m = make(map[string]strList, 8) // as many as a map holds without growing
		sc.maps[sc.nmaps] = m
	} else {
		clear(m)
	}
	sc.nmaps++
	return m
}

// placeLists copies the lists read for one feature into one array of their
// own and puts each in its map, in the order read, so that a name given
// twice keeps its last list, as with encoding/json. Each list is capped so
// that an append to it cannot write into the next.
func (sc *scratch) placeLists() {
	if len(sc.named) == 0 {
		return
	}
	own := make([]string, len(sc.lists)) // not nil: [] reads as an empty list
	copy(own, sc.lists)
	for _, n := range sc.named {
		var list strList
		if !n.null {
			list = own[n.start:n.end:n.end]
		}
		n.m[n.name] = list
	}
}

// decodeFeature reads one feature as encoding/json reads it into feature,
// with its geometry decoded too when it is a plain Polygon or MultiPolygon.
// ok is false when b is not a feature of the shape it reads. sc, when not
// nil, is reused: the properties returned are then valid only until the next
// call with sc.
func decodeFeature(b []byte, sc *scratch) (f feature, ok bool) {
	if sc == nil {
		sc = new(scratch)
	}
	l := lexer{b: b, strs: sc.strs, sc: sc}
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
	sc := l.sc
	sc.props = properties{}
	sc.nmaps, sc.lists, sc.named = 0, sc.lists[:0], sc.named[:0]
	p := &sc.props
	var seen uint32
	for more := l.open('{', '}'); more; more = l.more('}') {
		key := l.key()
		bit, field := p.field(key)
		if field == nil {
			l.skipUnknown(key, propertyNames)
			continue
		}
		l.once(&seen, bit)
		switch f := field.(type) {
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
	if !l.failed {
		sc.placeLists()
	}
	return p
}

// field returns the field of p that the member named key fills, as
// encoding/json matches exact names, and a bit of its own to find a member
// given twice; nil for a member p does not hold. A switch, as it costs less
// than a map lookup; TestPropertyFields checks it against the json tags.
func (p *properties) field(key []byte) (bit uint32, field any) {
	switch string(key) {
	case "id":
		return 1 << 0, &p.ID
	case "areaDesc":
		return 1 << 1, &p.AreaDesc
	case "geocode":
		return 1 << 2, &p.Geocode
	case "references":
		return 1 << 3, &p.References
	case "sent":
		return 1 << 4, &p.Sent
	case "effective":
		return 1 << 5, &p.Effective
	case "onset":
		return 1 << 6, &p.Onset
	case "expires":
		return 1 << 7, &p.Expires
	case "ends":
		return 1 << 8, &p.Ends
	case "status":
		return 1 << 9, &p.Status
	case "messageType":
		return 1 << 10, &p.MessageType
	case "severity":
		return 1 << 11, &p.Severity
	case "certainty":
		return 1 << 12, &p.Certainty
	case "urgency":
		return 1 << 13, &p.Urgency
	case "event":
		return 1 << 14, &p.Event
	case "sender":
		return 1 << 15, &p.Sender
	case "senderName":
		return 1 << 16, &p.SenderName
	case "headline":
		return 1 << 17, &p.Headline
	case "description":
		return 1 << 18, &p.Description
	case "instruction":
		return 1 << 19, &p.Instruction
	case "response":
		return 1 << 20, &p.Response
	case "web":
		return 1 << 21, &p.Web
	case "language":
		return 1 << 22, &p.Language
	case "eventCode":
		return 1 << 23, &p.EventCode
	case "parameters":
		return 1 << 24, &p.Parameters
	}
	return 0, nil
}

// propertyNames are the members of properties, folded.
var propertyNames = foldedNames(reflect.TypeFor[properties]())

// strLists reads a map of string lists (geocode, eventCode, parameters).
// Its lists are put in it once the properties are read (placeLists).
func (l *lexer) strLists() map[string]strList {
	if l.null() {
		return nil
	}
	sc := l.sc
	m := sc.emptyMap()
	for more := l.open('{', '}'); more; more = l.more('}') {
		key := l.intern(l.key())
		start := len(sc.lists)
		null := l.strList()
		sc.named = append(sc.named, namedList{m: m, name: key, start: start, end: len(sc.lists), null: null})
	}
	return m
}

// strList reads what strList.UnmarshalJSON reads: an array of strings (a
// null in it reads as ""), a string or null. It appends the strings to
// l.sc.lists, and reports whether the list is null.
func (l *lexer) strList() (null bool) {
	sc := l.sc
	switch l.peek() {
	case 'n':
		l.null()
		return true
	case '"':
		sc.lists = append(sc.lists, l.str())
		return false
	}
	for more := l.open('[', ']'); more; more = l.more(']') {
		s := ""
		if !l.null() {
			s = l.str()
		}
		sc.lists = append(sc.lists, s)
	}
	return false
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
		try := lexer{b: l.b, pos: start, sc: l.sc}
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
	g := &l.sc.geo
	*g = alert.Geometry{}
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

// ring reads a ring's positions, at least one, into l.sc.pos, and returns
// a copy of them sized once.
func (l *lexer) ring() [][2]float64 {
	ring := l.sc.pos[:0]
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
	l.sc.pos = ring
	if len(ring) == 0 {
		l.fail()
		return nil
	}
	return append(make([][2]float64, 0, len(ring)), ring...)
}
