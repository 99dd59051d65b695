package nws

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
)

// defaultLanguage is CAP's default language, for features that name none.
const defaultLanguage = "en-US"

// mapper turns features into items for one configured source.
type mapper struct {
	source string
	// events are the names added by the events option, normalized.
	events map[string]alert.Hazard
}

// hazardOf maps an event name: the events option, then the built-in lists.
func (m *mapper) hazardOf(event string) (alert.Hazard, bool) {
	key := normalizeEvent(event)
	if h, ok := m.events[key]; ok {
		return h, true
	}
	h, ok := builtinEvents[key]
	return h, ok
}

// featureItems is what one feature yields.
type featureItems struct {
	// id is properties.id, which orders the parts of an event that several
	// features (segments of one product) carry.
	id    string
	items []collectors.Item
	// drop is the reason the feature yields no item, or "".
	drop string
	// problem says why the feature, or one of its VTEC strings, was left out.
	problem error
	// unreadable are the keys of the events the feature names but that
	// could not be read (Result.Unreadable).
	unreadable []string
}

// target is one item a feature yields, before its content is read.
type target struct {
	native string
	event  string // the event name when not the feature's (productNames)
	hazard alert.Hazard
	intent collectors.Intent
	vtec   *vtec // nil for a feature without P-VTEC
}

// feature maps one feature of the collection. It decides the items first, so
// that the many features that are neither flood nor heat are not read further.
func (m *mapper) feature(raw json.RawMessage) featureItems {
	var f feature
	if err := json.Unmarshal(raw, &f); err != nil {
		return featureItems{drop: collectors.DropInvalid, problem: err}
	}
	return m.featureOf(&f)
}

// featureOf maps a decoded feature.
func (m *mapper) featureOf(f *feature) featureItems { return m.featureIn(f, nil, 0) }

// itemChunk is how many items featureIn carves from one array: as many as
// 16 KiB holds, a size class of its own, so that no room is lost to
// rounding.
const itemChunk = (16 << 10) / int(unsafe.Sizeof(collectors.Item{}))

// featureIn is featureOf. When chunk is not nil, the feature's items are
// carved from *chunk, an array shared by the items of consecutive features,
// rather than allocated for each: featureItems live only as long as a parse.
// A new array holds size items (or the feature's, if more).
func (m *mapper) featureIn(f *feature, chunk *[]collectors.Item, size int) featureItems {
	p := f.Properties
	if p == nil {
		return featureItems{drop: collectors.DropInvalid, problem: errors.New("feature has no properties")}
	}
	out := featureItems{id: p.ID}
	var buf [2]target // most features have one, and none needs the heap
	targets, err := m.targets(p, buf[:0])
	var problems []error
	if err != nil {
		problems = append(problems, err)
	}
	if chunk != nil && len(targets) > 0 {
		out.items = carve(chunk, len(targets), size)
	}
	for i, t := range targets {
		it, err := m.item(f, t, i == 0)
		if err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", t.native, err))
			if t.intent == collectors.IntentActive { // an unread cancel or expiry keeps nothing alive
				out.unreadable = append(out.unreadable, alert.MakeKey(m.source, t.native))
			}
			continue
		}
		out.items = append(out.items, it)
	}
	out.problem = errors.Join(problems...)
	if len(out.items) == 0 {
		out.items = nil
		out.drop = collectors.DropUnmapped
		if out.problem != nil {
			out.drop = collectors.DropInvalid
		}
	}
	return out
}

// carve returns an empty slice with room for n items, taken from *chunk,
// which it replaces, by an array of size items (at least n), when it has not
// that room. Its capacity is n, so that appending to it never writes into
// what follows.
func carve(chunk *[]collectors.Item, n, size int) []collectors.Item {
	c := *chunk
	if cap(c)-len(c) < n {
		c = make([]collectors.Item, 0, max(size, n))
	}
	l := len(c)
	*chunk = c[:l+n]
	return c[l : l : l+n]
}

// item builds the item of target t of feature f. The content is read anew for
// each item, so that the items of one feature share no maps or slices: the
// first item (own) takes the slices decoded from the feature as they are,
// the others copies.
func (m *mapper) item(f *feature, t target, own bool) (collectors.Item, error) {
	a, err := m.content(f, own)
	if err != nil {
		return collectors.Item{}, err
	}
	a.Key = alert.MakeKey(m.source, t.native)
	a.Hazard = t.hazard
	if t.event != "" {
		a.Event = t.event
	}
	a.EventCodes = eventCodes(f.Properties, t.vtec, own)
	if t.intent != collectors.IntentActive && a.Ends != nil && a.Ends.Before(a.EffectiveTime()) {
		// An event announced as ended after its end: keep the cancel or
		// expiry rather than drop it as an alert that ends before it starts.
		a.Ends = nil
	}
	if err := a.Validate(); err != nil {
		return collectors.Item{}, err
	}
	return collectors.Item{Alert: a, Intent: t.intent}, nil
}

// targets decides the items of a feature: one per P-VTEC string whose
// phenomenon maps, or, for a feature without P-VTEC, one keyed by its CAP
// story when its event name maps. None when nothing maps; err says why
// something that maps could not be keyed. The targets are appended to ts.
func (m *mapper) targets(p *properties, ts []target) ([]target, error) {
	cancel := strings.EqualFold(strings.TrimSpace(p.MessageType), "cancel")
	vs := parseVTEC(p.Parameters["VTEC"])
	if len(vs) == 0 {
		h, ok := m.hazardOf(p.Event)
		if !ok {
			return nil, nil
		}
		story, err := storyKey(p)
		if err != nil {
			return nil, err
		}
		intent := collectors.IntentActive
		if cancel || strings.EqualFold(strings.TrimSpace(p.Response), "AllClear") {
			intent = collectors.IntentCancel
		}
		return append(ts, target{native: story, hazard: h, intent: intent}), nil
	}
	// The events option maps the feature's own phenomena: those of its
	// strings other than UPG, which names the product it replaces.
	var optHazard alert.Hazard
	hasOpt := false
	if len(m.events) > 0 { // most configurations have no events option
		optHazard, hasOpt = m.events[normalizeEvent(p.Event)]
	}
	own := func(phenomenon string) bool {
		return slices.ContainsFunc(vs, func(v vtec) bool { return v.action != "UPG" && v.phenomenon == phenomenon })
	}
	var errs []error
	for i := range vs {
		v := &vs[i]
		h, ok := phenomenonHazard[v.phenomenon]
		if !ok && hasOpt && own(v.phenomenon) {
			h, ok = optHazard, true
		}
		if !ok {
			continue
		}
		intent, ok := actionIntent[v.action]
		if !ok {
			errs = append(errs, fmt.Errorf("VTEC %s: unknown action %q", v, v.action))
			continue
		}
		if cancel {
			intent = collectors.IntentCancel
		}
		t := target{native: v.event(), hazard: h, intent: intent, vtec: v}
		if len(vs) > 1 {
			t.event = productNames[v.phenomenon+"."+v.significance]
		}
		ts = append(ts, t)
	}
	return ts, errors.Join(errs...)
}

// storyKey returns "<sender>,<identifier>" of the first message of the
// feature's story: the earliest of its references, else the feature itself.
// The references are those of references[] and of the
// parameters.expiredReferences triples ("sender,identifier,sent", white
// space between them), where api.weather.gov moves the older messages of a
// story: without them, the third message of a story would start a new one.
func storyKey(p *properties) (string, error) {
	type ref struct {
		sender, id string
		sent       time.Time
	}
	var refs []ref
	add := func(sender, id, sentRaw string) {
		sent, err := alert.ParseTime(sentRaw)
		sender, id = strings.TrimSpace(sender), strings.TrimSpace(id)
		if err != nil || sender == "" || id == "" {
			return // unreadable references are skipped, as CAP's are
		}
		refs = append(refs, ref{sender, id, sent})
	}
	for _, r := range p.References {
		add(r.Sender, r.Identifier, r.Sent)
	}
	for _, v := range p.Parameters["expiredReferences"] {
		for _, triple := range strings.Fields(v) {
			if parts := strings.Split(triple, ","); len(parts) == 3 {
				add(parts[0], parts[1], parts[2])
			}
		}
	}
	if len(refs) > 0 {
		// Ties on sent are broken by identifier, then sender, so that the key
		// does not depend on the order a later message lists them in.
		first := slices.MinFunc(refs, func(a, b ref) int {
			if c := a.sent.Compare(b.sent); c != 0 {
				return c
			}
			if c := strings.Compare(a.id, b.id); c != 0 {
				return c
			}
			return strings.Compare(a.sender, b.sender)
		})
		return first.sender + "," + first.id, nil
	}
	sender, id := strings.TrimSpace(p.Sender), strings.TrimSpace(p.ID)
	if sender == "" || id == "" {
		return "", errors.New("no VTEC, and sender or id is missing: cannot key the alert")
	}
	return sender + "," + id, nil
}

// content reads the alert content of a feature; Key, Hazard and EventCodes
// are the caller's.
func (m *mapper) content(f *feature, own bool) (alert.Alert, error) {
	p := f.Properties
	sent, err := alert.ParseTime(p.Sent)
	if err != nil {
		return alert.Alert{}, fmt.Errorf("sent: %w", err)
	}
	// The times point into one array of the alert's own: one allocation,
	// not one each.
	var times [4]*time.Time
	var parsed *[4]time.Time
	for i, s := range []string{p.Effective, p.Onset, p.Expires, p.Ends} {
		if strings.TrimSpace(s) == "" {
			continue
		}
		t, err := alert.ParseTime(s)
		if err != nil {
			return alert.Alert{}, fmt.Errorf("%s: %w", [...]string{"effective", "onset", "expires", "ends"}[i], err)
		}
		if parsed == nil {
			parsed = new([4]time.Time)
		}
		parsed[i] = t
		times[i] = &parsed[i]
	}
	status, ok := alert.ParseStatus(p.Status)
	if !ok {
		return alert.Alert{}, fmt.Errorf("status %q is not a CAP status", p.Status)
	}
	areas, err := readAreas(p, f, own)
	if err != nil {
		return alert.Alert{}, err
	}
	headline := strings.TrimSpace(p.Headline)
	if headline == "" {
		headline = first(p.Parameters["NWSheadline"])
	}
	lang := strings.TrimSpace(p.Language)
	if lang == "" {
		lang = defaultLanguage
	}
	return alert.Alert{
		Source:      m.source,
		SourceKind:  kindName,
		Event:       strings.TrimSpace(p.Event),
		Status:      status,
		Severity:    alert.ParseSeverity(p.Severity),
		Urgency:     alert.ParseUrgency(p.Urgency),
		Certainty:   alert.ParseCertainty(p.Certainty),
		Sent:        sent,
		Effective:   times[0],
		Onset:       times[1],
		Expires:     times[2],
		Ends:        times[3],
		Headline:    headline,
		Description: strings.TrimSpace(p.Description),
		Instruction: strings.TrimSpace(p.Instruction),
		Language:    lang,
		Sender:      strings.TrimSpace(p.Sender),
		SenderName:  strings.TrimSpace(p.SenderName),
		Web:         strings.TrimSpace(p.Web),
		Areas:       areas,
		Geometry:    alert.GeometryOf(areas),
		Parameters:  parameters(p.Parameters, own),
	}, nil
}

// readAreas returns the feature's one area: areaDesc, the UGC and SAME
// geocodes, and the outer ring of each polygon of its geometry (none for zone
// products, whose geometry is null; README: known limits). Holes are not
// kept: an area covers its holes (alert.Area.Polygons).
func readAreas(p *properties, f *feature, own bool) ([]alert.Area, error) {
	area := alert.Area{Description: strings.TrimSpace(p.AreaDesc)}
	for _, system := range []string{"UGC", "SAME"} {
		if vs := keepNonEmpty(p.Geocode[system], own); len(vs) > 0 {
			if area.Geocodes == nil {
				area.Geocodes = map[string][]string{}
			}
			area.Geocodes[system] = vs
		}
	}
	if f.geo != nil {
		area.Polygons = f.geo.OuterRings() // rings are checked by Alert.Validate
		if !own {
			area.Polygons = cloneRings(area.Polygons)
		}
	} else if g := bytes.TrimSpace(f.Geometry); len(g) > 0 && !bytes.Equal(g, []byte("null")) {
		var geo alert.Geometry
		if err := json.Unmarshal(g, &geo); err != nil {
			return nil, fmt.Errorf("geometry: %w", err)
		}
		if len(geo.Polygons) == 0 {
			return nil, errors.New("geometry: no polygon")
		}
		area.Polygons = geo.OuterRings() // rings are checked by Alert.Validate
	}
	if area.Description == "" && area.Geocodes == nil && area.Polygons == nil {
		return nil, nil
	}
	return []alert.Area{area}, nil
}

// cloneRings returns a copy of rings that shares no slice with it.
func cloneRings(rings [][][2]float64) [][][2]float64 {
	out := make([][][2]float64, len(rings))
	for i, ring := range rings {
		out[i] = slices.Clone(ring)
	}
	return out
}

// eventCodes returns the SAME and NWS event codes of the feature, and the
// P-VTEC string the item stems from. The lists are the feature's own when
// own is set and they need no trimming (keepNonEmpty).
func eventCodes(p *properties, v *vtec, own bool) map[string][]string {
	codes := map[string][]string{}
	for _, system := range []string{"SAME", "NationalWeatherService"} {
		if vs := keepNonEmpty(p.EventCode[system], own); len(vs) > 0 {
			codes[system] = vs
		}
	}
	if v != nil {
		codes["VTEC"] = []string{v.String()}
	}
	if len(codes) == 0 {
		return nil
	}
	return codes
}

// parameters returns the feature's parameters as sent, leaving out only
// names without any value. The lists are copied unless own is set (the
// first item of the feature takes them).
func parameters(in map[string]strList, own bool) map[string][]string {
	var out map[string][]string
	for name, vs := range in {
		if len(vs) == 0 {
			continue
		}
		if out == nil {
			out = make(map[string][]string, len(in))
		}
		if own {
			out[name] = vs
		} else {
			out[name] = slices.Clone([]string(vs))
		}
	}
	return out
}

// nonEmpty returns the trimmed values of vs that are not empty.
func nonEmpty(vs []string) []string {
	var out []string
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// keepNonEmpty is nonEmpty, except that when own is set (the first item of
// the feature takes its lists) and every value of vs is already trimmed and
// not empty, it returns vs itself rather than a copy.
func keepNonEmpty(vs []string, own bool) []string {
	if !own || len(vs) == 0 {
		return nonEmpty(vs)
	}
	for _, v := range vs {
		if v == "" || len(strings.TrimSpace(v)) != len(v) {
			return nonEmpty(vs)
		}
	}
	return slices.Clip(vs)
}

// first returns the first non-empty value of vs, trimmed.
func first(vs []string) string {
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}
