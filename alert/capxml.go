package alert

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// CAPNamespace is the XML namespace of CAP 1.2 documents.
const CAPNamespace = "urn:oasis:names:tc:emergency:cap:1.2"

// capIdentifierPrefix starts every identifier EncodeCAP writes.
const capIdentifierPrefix = "urn:hazardwire:"

// capTimeLayout is CAP 1.2's dateTime: an explicit numeric offset (never "Z")
// and no fractional seconds.
const capTimeLayout = "2006-01-02T15:04:05-07:00"

// CAPOptions configures EncodeCAP.
type CAPOptions struct {
	// Sender is the CAP sender of every document: hazardwire re-publishes, so
	// it is hazardwire's own address ("hazardwire@example.org"), not the
	// agency's. Required; CAP forbids spaces, commas, '<' and '&' in it.
	Sender string
	// SentOf returns the sent time of an earlier change by its id, for the
	// sender,identifier,sent triples of references. The alert holds only the
	// ids of the changes it supersedes; when SentOf is nil or does not know an
	// id, the alert's own sent stands in, so that recipients matching on the
	// identifier still find the message while those matching on the whole
	// triple may not.
	SentOf func(id string) (time.Time, bool)
}

// EncodeCAP renders one alert change as a CAP 1.2 document in UTF-8, its
// elements in the order of the OASIS schema.
//
// The change maps to msgType: new is an Alert, update an Update, and cancel
// and expire are both a Cancel with responseType AllClear. An expired alert
// is sent as a Cancel rather than as an Update because only a Cancel ends the
// referenced messages for every recipient: the alert may have left its feed
// before its expires, so an Update would keep it alive, and inventing a new
// expires would need a clock this pure function does not have. A note tells
// an expiry from an agency's cancellation, and a derived alert from an issued
// one.
//
// Flood and heat are category Met, which CAP 1.2 defines as "Meteorological
// (inc. flood)"; hazards without a mapping here are Other. expires is the
// alert's End, the later of its expires and ends, as hazardwire holds the
// alert in force until then. Text is written as issued, except that
// characters XML cannot carry become U+FFFD.
func EncodeCAP(a *Alert, o CAPOptions) ([]byte, error) {
	if a == nil {
		return nil, errors.New("encode cap: alert is nil")
	}
	w := &capWriter{}
	if err := w.alert(a, o); err != nil {
		return nil, fmt.Errorf("encode cap %q: %w", a.ID, err)
	}
	return w.buf.Bytes(), nil
}

// CAPIdentifier returns the CAP identifier of the change id: "urn:hazardwire:"
// followed by id, each byte of it percent-encoded as %XX (upper-case hex)
// unless it is an ASCII letter, a digit or one of - . _ ~ : / @ (a leading
// '/' is encoded too). The result holds none of the spaces, commas, '<' and
// '&' that CAP forbids, nor a '#' or '?' that would end a URN's name, and
// ParseCAPIdentifier reverses it, so distinct ids never share an identifier.
func CAPIdentifier(id string) string {
	var b strings.Builder
	b.Grow(len(capIdentifierPrefix) + len(id))
	b.WriteString(capIdentifierPrefix)
	for i := 0; i < len(id); i++ {
		c := id[i]
		if capIDKeeps(c) && (i > 0 || c != '/') {
			b.WriteByte(c)
			continue
		}
		percentEncode(&b, c)
	}
	return b.String()
}

func percentEncode(b *strings.Builder, c byte) {
	const hex = "0123456789ABCDEF"
	b.Write([]byte{'%', hex[c>>4], hex[c&15]})
}

// ParseCAPIdentifier returns the change id that CAPIdentifier turned into s.
// It accepts only what CAPIdentifier writes, so that an accepted s always
// equals CAPIdentifier(id).
func ParseCAPIdentifier(s string) (id string, ok bool) {
	rest, found := strings.CutPrefix(s, capIdentifierPrefix)
	if !found {
		return "", false
	}
	id, err := url.PathUnescape(rest)
	if err != nil || CAPIdentifier(id) != s {
		return "", false
	}
	return id, true
}

func capIDKeeps(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~:/@", c) >= 0
}

// capMsgTypes maps each change to its CAP msgType (see EncodeCAP).
var capMsgTypes = map[Change]string{
	ChangeNew: "Alert", ChangeUpdate: "Update", ChangeCancel: "Cancel", ChangeExpire: "Cancel",
}

// capWriter writes an indented CAP document; CAP has no mixed content, so the
// indentation changes no value.
type capWriter struct {
	buf   bytes.Buffer
	depth int
}

func (w *capWriter) alert(a *Alert, o CAPOptions) error {
	if o.Sender == "" || !capToken(o.Sender) {
		return fmt.Errorf("sender %q: want a non-empty string without spaces, commas, '<' or '&'", o.Sender)
	}
	if a.ID == "" {
		return errors.New("alert has no id")
	}
	if a.Sent.IsZero() {
		return errors.New("sent is missing")
	}
	msgType, ok := capMsgTypes[a.Change]
	if !ok {
		return fmt.Errorf("change %q is not one of %v", a.Change, Changes)
	}
	status, err1 := capEnum("status", a.Status, Statuses)
	sent, err2 := capTime(a.Sent)
	refs, err3 := capReferences(a, o)
	if err := errors.Join(err1, err2, err3); err != nil {
		return err
	}
	w.buf.WriteString(xml.Header)
	w.open(`alert xmlns="` + CAPNamespace + `"`)
	w.leaf("identifier", CAPIdentifier(a.ID))
	w.leaf("sender", o.Sender)
	w.leaf("sent", sent)
	w.leaf("status", status)
	w.leaf("msgType", msgType)
	w.optional("source", a.Source)
	w.leaf("scope", "Public")
	w.optional("note", capNote(a))
	w.optional("references", refs)
	if err := w.info(a); err != nil {
		return err
	}
	w.close("alert")
	return nil
}

func (w *capWriter) info(a *Alert) error {
	lang, err := capLanguage(a.Language)
	if err != nil {
		return err
	}
	urgency, err1 := capEnum("urgency", a.Urgency, Urgencies)
	severity, err2 := capEnum("severity", a.Severity, Severities)
	certainty, err3 := capEnum("certainty", a.Certainty, Certainties)
	times, err4 := capTimes(a)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return err
	}
	w.open("info")
	w.optional("language", lang)
	w.leaf("category", capCategory(a.Hazard))
	w.leaf("event", a.Event)
	if a.Change == ChangeCancel || a.Change == ChangeExpire {
		w.leaf("responseType", "AllClear")
	}
	w.leaf("urgency", urgency)
	w.leaf("severity", severity)
	w.leaf("certainty", certainty)
	w.pairs("eventCode", a.EventCodes)
	w.optional("effective", times[0])
	w.optional("onset", times[1])
	w.optional("expires", times[2])
	w.optional("senderName", a.SenderName)
	w.optional("headline", a.Headline)
	w.optional("description", a.Description)
	w.optional("instruction", a.Instruction)
	w.optional("web", capWeb(a.Web))
	w.pairs("parameter", a.Parameters)
	for i, ar := range a.Areas {
		if err := w.area(ar); err != nil {
			return fmt.Errorf("areas[%d]: %w", i, err)
		}
	}
	w.close("info")
	return nil
}

// capTimes returns the effective, onset and expires of a, "" when unknown.
func capTimes(a *Alert) ([3]string, error) {
	var out [3]string
	for i, t := range []*time.Time{a.Effective, a.Onset, TimePtr(a.End())} {
		if t == nil {
			continue
		}
		s, err := capTime(*t)
		if err != nil {
			return out, fmt.Errorf("%s: %w", [...]string{"effective", "onset", "expires"}[i], err)
		}
		out[i] = s
	}
	return out, nil
}

// area writes one area, each of its rings as one CAP polygon (an area keeps
// only the outer ring of each polygon, as CAP does: Area.Polygons).
func (w *capWriter) area(ar Area) error {
	for j, r := range ar.Polygons {
		if err := checkRing(r); err != nil {
			return fmt.Errorf("polygons[%d]: %w", j, err)
		}
	}
	for j, c := range ar.Circles {
		if checkPosition(c.Lon, c.Lat) != nil || !validRadius(c.RadiusKm) {
			return fmt.Errorf("circles[%d]: bad circle %v", j, c)
		}
	}
	w.open("area")
	w.leaf("areaDesc", capAreaDesc(ar))
	for _, r := range ar.Polygons {
		pairs := make([]string, len(r))
		for k, pos := range r {
			pairs[k] = capFloat(pos[1]) + "," + capFloat(pos[0])
		}
		w.leaf("polygon", strings.Join(pairs, " "))
	}
	for _, c := range ar.Circles {
		w.leaf("circle", capFloat(c.Lat)+","+capFloat(c.Lon)+" "+capFloat(c.RadiusKm))
	}
	w.pairs("geocode", ar.Geocodes)
	w.close("area")
	return nil
}

// capAreaDesc returns the area's description; CAP requires one, so an area
// known only by geocodes is described by them ("UGC TXZ001, UGC TXZ002"), and
// one known by nothing but shapes as "unknown".
func capAreaDesc(ar Area) string {
	if strings.TrimSpace(ar.Description) != "" {
		return ar.Description
	}
	var codes []string
	for _, k := range slices.Sorted(maps.Keys(ar.Geocodes)) {
		for _, v := range ar.Geocodes[k] {
			codes = append(codes, k+" "+v)
		}
	}
	if len(codes) == 0 {
		return "unknown"
	}
	return strings.Join(codes, ", ")
}

// pairs writes one valueName/value element per value, names sorted so that
// the document does not depend on map order; the values of one name keep the
// source's order, which can carry meaning (VTEC strings). A name without
// values writes nothing.
func (w *capWriter) pairs(name string, m map[string][]string) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		for _, v := range m[k] {
			w.open(name)
			w.leaf("valueName", k)
			w.leaf("value", v)
			w.close(name)
		}
	}
}

func (w *capWriter) indent() {
	for range w.depth {
		w.buf.WriteString("  ")
	}
}

// open writes a start tag; tag is trusted markup (a name and attributes).
func (w *capWriter) open(tag string) {
	w.indent()
	w.buf.WriteString("<" + tag + ">\n")
	w.depth++
}

func (w *capWriter) close(name string) {
	w.depth--
	w.indent()
	w.buf.WriteString("</" + name + ">\n")
}

func (w *capWriter) leaf(name, text string) {
	w.indent()
	w.buf.WriteString("<" + name + ">")
	w.text(text)
	w.buf.WriteString("</" + name + ">\n")
}

func (w *capWriter) optional(name, text string) {
	if text != "" {
		w.leaf(name, text)
	}
}

// capEscaper escapes character data. Line feeds and quotes stay literal for
// readability; a carriage return becomes a reference, as XML's line-end
// normalization would eat a literal one.
var capEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\r", "&#xD;")

// text writes s as XML character data. Invalid UTF-8 and the characters XML
// 1.0 forbids even as references become U+FFFD.
func (w *capWriter) text(s string) {
	capEscaper.WriteString(&w.buf, strings.Map(func(r rune) rune {
		if !xmlChar(r) {
			return utf8.RuneError
		}
		return r
	}, s))
}

// xmlChar reports whether XML 1.0 allows r in a document.
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || 0x20 <= r && r <= 0xD7FF ||
		0xE000 <= r && r <= 0xFFFD || 0x10000 <= r && r <= 0x10FFFF
}

// capToken reports whether s can stand in a references triple: CAP forbids
// spaces, commas, '<' and '&' in senders and identifiers, and s must be
// written unchanged.
func capToken(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || r == ',' || r == '<' || r == '&' || !xmlChar(r)
	})
}

// capTime writes t in CAP's dateTime with t's own offset. An offset that
// xs:dateTime cannot hold (seconds, as in old local mean times, or beyond
// ±14:00) is written as +00:00 instead, which keeps the instant; fractional
// seconds are dropped.
func capTime(t time.Time) (string, error) {
	if _, off := t.Zone(); off%60 != 0 || off > 14*3600 || off < -14*3600 {
		t = t.UTC()
	}
	if y := t.Year(); y < 1 || y > 9999 {
		return "", fmt.Errorf("time %s: year outside 0001-9999", t.Format(time.RFC3339))
	}
	return t.Format(capTimeLayout), nil
}

func capReferences(a *Alert, o CAPOptions) (string, error) {
	triples := make([]string, 0, len(a.References))
	for _, id := range a.References {
		if id == "" {
			return "", errors.New("references: empty id")
		}
		sent := a.Sent
		if o.SentOf != nil {
			if t, ok := o.SentOf(id); ok && !t.IsZero() {
				sent = t
			}
		}
		s, err := capTime(sent)
		if err != nil {
			return "", fmt.Errorf("references: sent of %q: %w", id, err)
		}
		triples = append(triples, o.Sender+","+CAPIdentifier(id)+","+s)
	}
	return strings.Join(triples, " "), nil
}

// capNote explains what CAP's fields cannot: why a Cancel was sent, and that
// a derived alert comes from no agency.
func capNote(a *Alert) string {
	var notes []string
	switch a.Change {
	case ChangeCancel:
		notes = append(notes, "Cancelled by the issuing agency.")
	case ChangeExpire:
		notes = append(notes, "Expired: its end passed or its source stopped listing it; not cancelled by the issuing agency.")
	}
	if a.Derived {
		notes = append(notes, "Derived by hazardwire from observations, not issued by an agency.")
	}
	return strings.Join(notes, " ")
}

func capCategory(h Hazard) string {
	switch h {
	case HazardFlood, HazardHeat:
		return "Met"
	}
	return "Other"
}

func capEnum[T ~string](field string, v T, all []T) (string, error) {
	if !slices.Contains(all, v) {
		return "", fmt.Errorf("%s %q is not one of %v", field, v, all)
	}
	return CAPName(v), nil
}

// capLanguage returns the alert's language as an xs:language, reading "ko_KR"
// as "ko-KR". An empty language is left out, which CAP reads as en-US.
func capLanguage(s string) (string, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), "_", "-")
	if s == "" {
		return "", nil
	}
	for i, part := range strings.Split(s, "-") {
		ok := len(part) >= 1 && len(part) <= 8
		for _, c := range []byte(part) {
			ok = ok && ('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9')
		}
		if !ok {
			return "", fmt.Errorf("language %q is not a BCP 47 tag", s)
		}
	}
	return s, nil
}

// capWeb returns s as an http or https URI for CAP's xs:anyURI web element.
// Bytes a URI cannot hold literally (non-ASCII, as in Korean paths, spaces, a
// '%' that starts no escape, a second '#', brackets) are percent-encoded, as
// RFC 3987 maps an IRI to a URI. Anything else is left out, rather than make
// the whole document invalid or hand partners a javascript: link to render.
func capWeb(s string) string {
	var b strings.Builder
	hash := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s) && isHex(s[i+1:i+3]),
			c == '#' && !hash, capIDKeeps(c),
			strings.IndexByte("?!$&'()*+,;=", c) >= 0:
			hash = hash || c == '#'
			b.WriteByte(c)
		default:
			percentEncode(&b, c)
		}
	}
	u, err := url.Parse(b.String())
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return ""
	}
	return b.String()
}

func isHex(s string) bool {
	_, err := strconv.ParseUint(s, 16, 64)
	return err == nil
}

// capFloat writes a coordinate or radius in plain decimal, as short as it
// reads back exactly (never an exponent, never "-0").
func capFloat(v float64) string {
	if v == 0 {
		v = 0
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}
