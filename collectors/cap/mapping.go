package cap

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
)

// defaultLanguage is CAP's default for an info block without a language.
const defaultLanguage = "en-US"

// docResult is what one CAP document yields.
type docResult struct {
	items []collectors.Item
	// fetched counts the info blocks read (a message without any counts as one).
	fetched int
	dropped map[string]int
	// problems says why each block counted as invalid was dropped (for tests
	// and debugging; reasons stay bounded in dropped).
	problems []error
}

func (d *docResult) drop(reason string, err error) {
	if d.dropped == nil {
		d.dropped = map[string]int{}
	}
	d.dropped[reason]++
	if err != nil {
		d.problems = append(d.problems, err)
	}
}

// mapper turns CAP messages into items for one configured source.
type mapper struct {
	source string
	classifier
}

// document parses body as one CAP message and maps it.
func (m *mapper) document(body []byte) (*docResult, error) {
	a, err := parseCAP(body)
	if err != nil {
		return nil, err
	}
	return m.mapAlert(a), nil
}

// header is what an alert message says about all of its info blocks.
type header struct {
	sender string
	sent   time.Time
	status alert.Status
	cancel bool
	// story is "<sender>,<identifier>" of the first message of the story.
	story string
}

// mapAlert maps every info block of a that is flood or heat. Ack and Error
// messages are not alerts: they yield nothing and count nowhere.
func (m *mapper) mapAlert(a *capAlert) *docResult {
	d := &docResult{}
	msgType := strings.ToLower(strings.TrimSpace(a.MsgType))
	if msgType == "ack" || msgType == "error" {
		return d
	}
	if len(a.Infos) == 0 {
		// A Cancel usually has no info: without one the hazard cannot be
		// told, so it is counted as unmapped (README: known limits).
		d.fetched = 1
		d.drop(collectors.DropUnmapped, nil)
		return d
	}
	h, herr := readHeader(a)
	for i := range a.Infos {
		in := &a.Infos[i]
		d.fetched++
		hz, ok := m.classify(in)
		if !ok {
			d.drop(collectors.DropUnmapped, nil)
			continue
		}
		if herr != nil {
			d.drop(collectors.DropInvalid, herr)
			continue
		}
		it, err := m.item(h, in, hz)
		if err != nil {
			d.drop(collectors.DropInvalid, fmt.Errorf("info %d (%s): %w", i, strings.TrimSpace(in.Event), err))
			continue
		}
		d.items = append(d.items, it)
	}
	return d
}

func readHeader(a *capAlert) (*header, error) {
	id, sender := strings.TrimSpace(a.Identifier), strings.TrimSpace(a.Sender)
	if id == "" || sender == "" {
		return nil, errors.New("identifier or sender is missing")
	}
	sent, err := alert.ParseTime(a.Sent)
	if err != nil {
		return nil, fmt.Errorf("sent: %w", err)
	}
	status, ok := alert.ParseStatus(a.Status)
	if !ok {
		return nil, fmt.Errorf("status %q is not a CAP status", a.Status)
	}
	h := &header{sender: sender, sent: sent, status: status, story: sender + "," + id}
	switch msgType := strings.ToLower(strings.TrimSpace(a.MsgType)); msgType {
	case "alert":
	case "update", "cancel":
		h.cancel = msgType == "cancel"
		if first, ok := earliest(parseReferences(a.References)); ok {
			h.story = first.sender + "," + first.identifier
		}
	default:
		return nil, fmt.Errorf("msgType %q is not a CAP message type", a.MsgType)
	}
	return h, nil
}

// reference is one "sender,identifier,sent" triple of CAP references.
type reference struct {
	sender, identifier string
	sent               time.Time
}

// parseReferences reads CAP references: whitespace-separated triples.
// Malformed triples are skipped.
func parseReferences(s string) []reference {
	var refs []reference
	for _, f := range strings.Fields(s) {
		parts := strings.Split(f, ",")
		if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
			continue
		}
		sent, err := alert.ParseTime(parts[2])
		if err != nil {
			continue
		}
		refs = append(refs, reference{sender: parts[0], identifier: parts[1], sent: sent})
	}
	return refs
}

// earliest returns the reference sent first. Messages sent at the same
// instant are ordered by identifier, then sender, so that the choice does not
// depend on the order in which a later message lists them.
func earliest(refs []reference) (reference, bool) {
	if len(refs) == 0 {
		return reference{}, false
	}
	return slices.MinFunc(refs, func(a, b reference) int {
		if c := a.sent.Compare(b.sent); c != 0 {
			return c
		}
		if c := strings.Compare(a.identifier, b.identifier); c != 0 {
			return c
		}
		return strings.Compare(a.sender, b.sender)
	}), true
}

// item builds the item of one info block that maps to hz.
func (m *mapper) item(h *header, in *capInfo, hz alert.Hazard) (collectors.Item, error) {
	lang := canonicalLanguage(in.Language)
	var times [3]*time.Time
	for i, s := range []string{in.Effective, in.Onset, in.Expires} {
		t, err := optionalTime(s)
		if err != nil {
			return collectors.Item{}, err
		}
		times[i] = t
	}
	areas, err := readAreas(in.Areas)
	if err != nil {
		return collectors.Item{}, err
	}
	params := pairs(in.Parameters)
	a := alert.Alert{
		Key:         alert.MakeKey(m.source, h.story+"/"+lang),
		Source:      m.source,
		SourceKind:  kindName,
		Hazard:      hz,
		Event:       strings.TrimSpace(in.Event),
		EventCodes:  pairs(in.EventCodes),
		Status:      h.status,
		Severity:    alert.ParseSeverity(in.Severity),
		Urgency:     alert.ParseUrgency(in.Urgency),
		Certainty:   alert.ParseCertainty(in.Certainty),
		Sent:        h.sent,
		Effective:   times[0],
		Onset:       times[1],
		Expires:     times[2],
		Ends:        eventEnd(params),
		Headline:    strings.TrimSpace(in.Headline),
		Description: strings.TrimSpace(in.Description),
		Instruction: strings.TrimSpace(in.Instruction),
		Language:    lang,
		Sender:      h.sender,
		SenderName:  strings.TrimSpace(in.SenderName),
		Web:         strings.TrimSpace(in.Web),
		Areas:       areas,
		Geometry:    alert.GeometryOf(areas),
		Parameters:  params,
	}
	if err := a.Validate(); err != nil {
		return collectors.Item{}, err
	}
	intent := collectors.IntentActive
	if h.cancel || slices.ContainsFunc(in.ResponseTypes, func(r string) bool {
		return strings.EqualFold(strings.TrimSpace(r), "AllClear")
	}) {
		intent = collectors.IntentCancel
	}
	return collectors.Item{Alert: a, Intent: intent}, nil
}

func optionalTime(s string) (*time.Time, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	t, err := alert.ParseTime(s)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// eventEnd reads NWS's eventEndingTime parameter, the end of the hazard as
// opposed to the message's expiry. A value that does not parse is left in
// the parameters only.
func eventEnd(params map[string][]string) *time.Time {
	for _, v := range params["eventEndingTime"] {
		if t, err := alert.ParseTime(v); err == nil {
			return &t
		}
	}
	return nil
}

// readAreas reads CAP areas. A polygon or circle that cannot be read makes
// the whole block invalid: half-read geometry is never published. Empty
// polygon and circle elements are taken as absent.
func readAreas(in []capArea) ([]alert.Area, error) {
	var areas []alert.Area
	for i, ar := range in {
		area := alert.Area{Description: strings.TrimSpace(ar.Desc), Geocodes: pairs(ar.Geocodes)}
		for _, p := range ar.Polygons {
			if strings.TrimSpace(p) == "" {
				continue
			}
			ring, err := alert.ParseCAPPolygon(p)
			if err == nil && !slices.ContainsFunc(ring, func(pt [2]float64) bool { return !finite(pt[0], pt[1]) }) {
				area.Polygons = append(area.Polygons, [][][2]float64{ring})
				continue
			}
			if err == nil {
				err = errors.New("polygon has a coordinate that is not a finite number")
			}
			return nil, fmt.Errorf("area %d: %w", i, err)
		}
		for _, c := range ar.Circles {
			if strings.TrimSpace(c) == "" {
				continue
			}
			circle, err := alert.ParseCAPCircle(c)
			if err == nil && !finite(circle.Lon, circle.Lat) {
				err = fmt.Errorf("circle %q: centre is not a finite number", c)
			}
			if err != nil {
				return nil, fmt.Errorf("area %d: %w", i, err)
			}
			area.Circles = append(area.Circles, circle)
		}
		areas = append(areas, area)
	}
	return areas, nil
}

// finite guards against "NaN" coordinates, which strconv.ParseFloat accepts
// and alert.ParseCAPPolygon does not reject; they cannot be encoded as JSON.
func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// pairs turns CAP valueName/value pairs into a map of name → values, in
// document order, leaving out empty names and values.
func pairs(in []valuePair) map[string][]string {
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

// canonicalLanguage returns a language tag with BCP 47 casing ("en-us" →
// "en-US", "zh-hant-tw" → "zh-Hant-TW"), so that a story keeps its key when
// a sender's casing varies; an empty tag is CAP's default, en-US.
func canonicalLanguage(s string) string {
	s = strings.ReplaceAll(strings.TrimSpace(s), "_", "-")
	if s == "" {
		return defaultLanguage
	}
	for _, r := range s {
		if r > unicode.MaxASCII {
			return s // not a BCP 47 tag: keep it as sent
		}
	}
	parts := strings.Split(s, "-")
	extension := false
	for i, p := range parts {
		switch {
		case i == 0 || extension:
			parts[i] = strings.ToLower(p)
		case len(p) == 1:
			extension = true
			parts[i] = strings.ToLower(p)
		case len(p) == 2:
			parts[i] = strings.ToUpper(p)
		case len(p) == 4:
			parts[i] = strings.ToUpper(p[:1]) + strings.ToLower(p[1:])
		default:
			parts[i] = strings.ToLower(p)
		}
	}
	return strings.Join(parts, "-")
}
