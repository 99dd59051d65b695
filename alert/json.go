package alert

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// This file writes alerts as JSON without reflection. An alert is encoded
// for every change the lifecycle publishes and hashed for every item it
// reads, and encoding/json spent more CPU on that than any other step of
// the lifecycle. The bytes written are exactly those json.Marshal writes
// (field order, omitempty, sorted map keys, HTML-safe string escapes, float
// format), but for the areas' rings in the material hashed (appendMaterial):
// alerts already stored, published and hashed stay the same, and
// json_test.go checks the equality on every golden alert and on random ones.

// AppendJSON appends a's JSON encoding to dst: the bytes json.Marshal(a)
// writes. It fails, as json.Marshal does, on a float that is NaN or
// infinite, a time outside years 0 to 9999, and a geometry that
// Geometry.MarshalJSON refuses.
func (a *Alert) AppendJSON(dst []byte) ([]byte, error) {
	w := jsonWriter{b: dst}
	w.str(`{"id":`, a.ID)
	w.str(`,"key":`, a.Key)
	w.b = append(w.b, `,"version":`...)
	w.b = strconv.AppendInt(w.b, int64(a.Version), 10)
	w.str(`,"change":`, string(a.Change))
	w.str(`,"state":`, string(a.State))
	w.str(`,"source":`, a.Source)
	w.str(`,"sourceKind":`, a.SourceKind)
	w.str(`,"hazard":`, string(a.Hazard))
	w.str(`,"event":`, a.Event)
	w.codes(`,"eventCodes":`, a.EventCodes)
	w.str(`,"status":`, string(a.Status))
	w.str(`,"severity":`, string(a.Severity))
	w.str(`,"urgency":`, string(a.Urgency))
	w.str(`,"certainty":`, string(a.Certainty))
	w.time(`,"sent":`, a.Sent)
	w.timePtr(`,"effective":`, a.Effective)
	w.timePtr(`,"onset":`, a.Onset)
	w.timePtr(`,"expires":`, a.Expires)
	w.timePtr(`,"ends":`, a.Ends)
	w.strOmit(`,"headline":`, a.Headline)
	w.strOmit(`,"description":`, a.Description)
	w.strOmit(`,"instruction":`, a.Instruction)
	w.strOmit(`,"language":`, a.Language)
	w.strOmit(`,"sender":`, a.Sender)
	w.strOmit(`,"senderName":`, a.SenderName)
	w.strOmit(`,"web":`, a.Web)
	w.areas(`,"areas":`, a.Areas, false)
	w.b = append(w.b, `,"geometry":`...)
	w.geometry(a.Geometry)
	w.codes(`,"parameters":`, a.Parameters)
	if len(a.References) > 0 {
		w.b = append(w.b, `,"references":`...)
		w.strings(a.References)
	}
	w.b = append(w.b, `,"derived":`...)
	w.b = strconv.AppendBool(w.b, a.Derived)
	w.b = append(w.b, '}')
	return w.b, w.err
}

// appendMaterial appends the JSON encoding of m, which ContentHash digests:
// the bytes json.Marshal(m) writes, but that each ring of an area is written
// as a polygon of that one ring ([ring]). That is how versions before areas
// held rings wrote their polygons, and the hashes in the state store are of
// those bytes: other bytes for the same content would make every alert in
// force look changed after an upgrade, and be sent to partners again.
func appendMaterial(dst []byte, m *material) ([]byte, error) {
	w := jsonWriter{b: dst}
	w.str(`{"h":`, string(m.Hazard))
	w.str(`,"e":`, m.Event)
	w.str(`,"st":`, string(m.Status))
	w.str(`,"sv":`, string(m.Severity))
	w.str(`,"u":`, string(m.Urgency))
	w.str(`,"c":`, string(m.Certainty))
	w.timePtr(`,"ef":`, m.Effective)
	w.timePtr(`,"on":`, m.Onset)
	w.timePtr(`,"ex":`, m.Expires)
	w.timePtr(`,"en":`, m.Ends)
	w.strOmit(`,"hl":`, m.Headline)
	w.strOmit(`,"d":`, m.Description)
	w.strOmit(`,"i":`, m.Instruction)
	w.areas(`,"a":`, m.Areas, true)
	w.b = append(w.b, '}')
	return w.b, w.err
}

// jsonWriter appends JSON values to b; the first error is kept in err and
// the bytes written after it are not used.
type jsonWriter struct {
	b   []byte
	err error
}

// str writes a field name (with its leading comma, if any) and a string.
func (w *jsonWriter) str(name, s string) {
	w.b = append(w.b, name...)
	w.b = appendString(w.b, s)
}

// strOmit is str for an omitempty field.
func (w *jsonWriter) strOmit(name, s string) {
	if s != "" {
		w.str(name, s)
	}
}

func (w *jsonWriter) strings(ss []string) {
	if ss == nil {
		w.b = append(w.b, "null"...)
		return
	}
	w.b = append(w.b, '[')
	for i, s := range ss {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.b = appendString(w.b, s)
	}
	w.b = append(w.b, ']')
}

// codes writes an omitempty map of code lists, keys sorted as encoding/json
// sorts them.
func (w *jsonWriter) codes(name string, m map[string][]string) {
	if len(m) == 0 {
		return
	}
	w.b = append(w.b, name...)
	w.codeMap(m)
}

func (w *jsonWriter) codeMap(m map[string][]string) {
	var small [16]string
	keys := small[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	w.b = append(w.b, '{')
	for i, k := range keys {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.b = appendString(w.b, k)
		w.b = append(w.b, ':')
		w.strings(m[k])
	}
	w.b = append(w.b, '}')
}

// time writes t as time.Time.MarshalJSON does, failing where it fails.
func (w *jsonWriter) time(name string, t time.Time) {
	w.b = append(w.b, name...)
	w.b = append(w.b, '"')
	b, err := t.AppendText(w.b)
	if err != nil {
		w.fail(err)
		return
	}
	w.b = append(b, '"')
}

func (w *jsonWriter) timePtr(name string, t *time.Time) {
	if t != nil {
		w.time(name, *t)
	}
}

// areas writes areas. With legacy (appendMaterial), each is written as the
// material's bytes have always been: no geocodes when there are none, and
// each ring wrapped as a polygon of that one ring.
func (w *jsonWriter) areas(name string, areas []Area, legacy bool) {
	if len(areas) == 0 {
		return
	}
	w.b = append(w.b, name...)
	w.b = append(w.b, '[')
	for i := range areas {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.area(&areas[i], legacy)
	}
	w.b = append(w.b, ']')
}

func (w *jsonWriter) area(a *Area, legacy bool) {
	w.str(`{"description":`, a.Description)
	if legacy {
		w.codes(`,"geocodes":`, a.Geocodes)
	} else { // always there, {} when none (Area.MarshalJSON)
		w.b = append(w.b, `,"geocodes":`...)
		w.codeMap(a.Geocodes)
	}
	if len(a.Polygons) > 0 {
		w.b = append(w.b, `,"polygons":`...)
		if legacy {
			w.b = append(w.b, '[')
			for i, r := range a.Polygons {
				if i > 0 {
					w.b = append(w.b, ',')
				}
				w.b = append(w.b, '[')
				w.ring(r)
				w.b = append(w.b, ']')
			}
			w.b = append(w.b, ']')
		} else {
			w.polygon(a.Polygons)
		}
	}
	if len(a.Circles) > 0 {
		w.b = append(w.b, `,"circles":[`...)
		for i, c := range a.Circles {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.b = append(w.b, `{"lon":`...)
			w.float(c.Lon)
			w.b = append(w.b, `,"lat":`...)
			w.float(c.Lat)
			w.b = append(w.b, `,"radiusKm":`...)
			w.float(c.RadiusKm)
			w.b = append(w.b, '}')
		}
		w.b = append(w.b, ']')
	}
	w.b = append(w.b, '}')
}

// geometry writes g as Geometry.MarshalJSON does (null for nil).
func (w *jsonWriter) geometry(g *Geometry) {
	switch {
	case g == nil:
		w.b = append(w.b, "null"...)
	case g.Type == "Polygon" && len(g.Polygons) == 1:
		w.b = append(w.b, `{"type":"Polygon","coordinates":`...)
		w.polygon(g.Polygons[0])
		w.b = append(w.b, '}')
	case g.Type == "MultiPolygon":
		w.b = append(w.b, `{"type":"MultiPolygon","coordinates":`...)
		if g.Polygons == nil {
			w.b = append(w.b, "[]"...)
		} else {
			w.polygons(g.Polygons)
		}
		w.b = append(w.b, '}')
	default:
		_, err := g.MarshalJSON()
		w.fail(err)
	}
}

func (w *jsonWriter) polygons(ps [][][][2]float64) {
	if ps == nil {
		w.b = append(w.b, "null"...)
		return
	}
	w.b = append(w.b, '[')
	for i, p := range ps {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.polygon(p)
	}
	w.b = append(w.b, ']')
}

// polygon writes a list of rings: a GeoJSON polygon, or an area's polygons.
func (w *jsonWriter) polygon(rings [][][2]float64) {
	if rings == nil {
		w.b = append(w.b, "null"...)
		return
	}
	w.b = append(w.b, '[')
	for i, ring := range rings {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.ring(ring)
	}
	w.b = append(w.b, ']')
}

func (w *jsonWriter) ring(ring [][2]float64) {
	if ring == nil {
		w.b = append(w.b, "null"...)
		return
	}
	w.b = append(w.b, '[')
	for j, pos := range ring {
		if j > 0 {
			w.b = append(w.b, ',')
		}
		w.b = append(w.b, '[')
		w.float(pos[0])
		w.b = append(w.b, ',')
		w.float(pos[1])
		w.b = append(w.b, ']')
	}
	w.b = append(w.b, ']')
}

// float writes f as encoding/json writes a float64: like ES6's number to
// string conversion, with exponents unpadded.
func (w *jsonWriter) float(f float64) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		w.fail(fmt.Errorf("unsupported value: %s", strconv.FormatFloat(f, 'g', -1, 64)))
		w.b = append(w.b, '0') // keeps the bytes that follow well formed
		return
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	w.b = strconv.AppendFloat(w.b, f, format, -1, 64)
	if format == 'e' {
		// e-09 → e-9
		if n := len(w.b); n >= 4 && w.b[n-4] == 'e' && w.b[n-3] == '-' && w.b[n-2] == '0' {
			w.b[n-2] = w.b[n-1]
			w.b = w.b[:n-1]
		}
	}
}

func (w *jsonWriter) fail(err error) {
	if w.err == nil && err != nil {
		w.err = err
	}
}

// appendString appends s as a JSON string escaped as encoding/json escapes
// it by default: quotes, backslashes and control characters; <, > and & (so
// that the JSON can sit in HTML); invalid UTF-8 as U+FFFD; and U+2028 and
// U+2029 (which JavaScript reads as line ends).
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if safeASCII[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '\\', '"':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

const hexDigits = "0123456789abcdef"

// safeASCII marks the ASCII bytes a JSON string holds as they are.
var safeASCII = func() (t [utf8.RuneSelf]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()
