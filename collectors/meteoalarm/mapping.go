package meteoalarm

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
)

// defaultLanguage is CAP's default for an info block without a language.
const defaultLanguage = "en-US"

// pair is one valueName/value pair, trimmed.
type pair struct{ name, value string }

// mapper turns MeteoAlarm CAP messages into items for one configured source.
type mapper struct {
	source      string
	rainAsFlood bool
}

// docResult is what one document yields.
type docResult struct {
	items []collectors.Item
	// fetched counts the info blocks read (a message without any, or a
	// document that did not parse, counts as one).
	fetched int
	dropped map[string]int
	// problems says why each block counted as invalid was dropped (for tests
	// and debugging; the reasons stay bounded in dropped).
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

// candidate is the item of one info block, before the blocks of one
// language are made into one item.
type candidate struct {
	index int
	item  collectors.Item
}

// mapDocument maps a cached document with the feed entries that link it now.
func (m *mapper) mapDocument(cd *cachedDoc, entries []entry) *docResult {
	if cd.err != nil {
		d := &docResult{fetched: 1}
		d.drop(collectors.DropInvalid, cd.err)
		return d
	}
	return m.mapAlert(cd.alert, entries)
}

// mapAlert maps every info block of a that warns of flood or heat, and
// makes one item per language. Ack and Error messages are not alerts: they
// yield nothing and count nowhere.
func (m *mapper) mapAlert(a *capAlert, entries []entry) *docResult {
	d := &docResult{}
	msgType := strings.ToLower(strings.TrimSpace(a.MsgType))
	if msgType == "ack" || msgType == "error" {
		return d
	}
	if len(a.Infos) == 0 {
		// Without an info block the hazard cannot be told. (The feed has one
		// entry per info and area, so such a message has no entry anyway.)
		d.fetched = 1
		d.drop(collectors.DropUnmapped, nil)
		return d
	}
	h, herr := readHeader(a)
	var langs []string
	byLang := map[string][]candidate{}
	for i := range a.Infos {
		in := &a.Infos[i]
		d.fetched++
		hz, typ, ok := m.hazardOf(in)
		level := awarenessLevel(in)
		if !ok || level == 1 {
			d.drop(collectors.DropUnmapped, nil) // not flood or heat, or green: no warning
			continue
		}
		if herr != nil {
			d.drop(collectors.DropInvalid, herr)
			continue
		}
		it, err := m.item(h, in, hz, typ, level, areaEntries(entries, i))
		if err != nil {
			d.drop(collectors.DropInvalid, fmt.Errorf("info %d (%s): %w", i, strings.TrimSpace(in.Event), err))
			continue
		}
		lang := it.Alert.Language
		if byLang[lang] == nil {
			langs = append(langs, lang)
		}
		byLang[lang] = append(byLang[lang], candidate{index: i, item: it})
	}
	for _, lang := range langs {
		d.combine(byLang[lang])
	}
	return d
}

// combine makes one item of the blocks of one language. The blocks in force
// win over the all-clear ones (an area cleared while others stay warned);
// the most severe of them gives the content, every one of them its areas,
// the earliest effective and onset and the latest expiry. A block of the
// other hazard cannot share the key, so it is dropped as invalid.
func (d *docResult) combine(cands []candidate) {
	chosen := slices.DeleteFunc(slices.Clone(cands), func(c candidate) bool { return c.item.Intent != collectors.IntentActive })
	if len(chosen) == 0 {
		chosen = cands
	}
	// MaxFunc keeps the first of equals: a tie goes to the first block.
	top := slices.MaxFunc(chosen, func(a, b candidate) int {
		return a.item.Alert.Severity.Rank() - b.item.Alert.Severity.Rank()
	})
	it := top.item
	a := &it.Alert
	for _, c := range cands {
		if c.item.Alert.Hazard != a.Hazard {
			d.drop(collectors.DropInvalid, fmt.Errorf("info %d: a %s warning beside a %s warning in language %s", c.index, c.item.Alert.Hazard, a.Hazard, a.Language))
		}
	}
	for _, c := range chosen {
		o := c.item.Alert
		if c.index == top.index || o.Hazard != a.Hazard {
			continue
		}
		for _, ar := range o.Areas {
			if !slices.ContainsFunc(a.Areas, func(x alert.Area) bool { return reflect.DeepEqual(x, ar) }) {
				a.Areas = append(a.Areas, ar)
			}
		}
		a.Effective = earlier(a.Effective, o.Effective)
		a.Onset = earlier(a.Onset, o.Onset)
		a.Expires = later(a.Expires, o.Expires)
	}
	a.Geometry = alert.GeometryOf(a.Areas)
	d.items = append(d.items, it)
}

func earlier(a, b *time.Time) *time.Time {
	if a == nil || (b != nil && b.Before(*a)) {
		return b
	}
	return a
}

func later(a, b *time.Time) *time.Time {
	if a == nil || (b != nil && b.After(*a)) {
		return b
	}
	return a
}

// item builds the item of one info block that maps to hz.
func (m *mapper) item(h *header, in *capInfo, hz alert.Hazard, typ, level int, entries map[int][]entry) (collectors.Item, error) {
	lang := canonicalLanguage(in.Language)
	var times [3]*time.Time
	for i, s := range []string{in.Effective, in.Onset, in.Expires} {
		if strings.TrimSpace(s) == "" {
			continue
		}
		t, err := alert.ParseTime(s)
		if err != nil {
			return collectors.Item{}, err
		}
		times[i] = &t
	}
	areas, err := readAreas(in.Areas, entries)
	if err != nil {
		return collectors.Item{}, err
	}
	severity, ok := levelSeverity[level]
	if !ok {
		severity = alert.ParseSeverity(in.Severity) // no readable awareness_level
	}
	codes := pairMap(in.EventCodes)
	if codes == nil {
		codes = map[string][]string{}
	}
	codes["awareness_type"] = []string{strconv.Itoa(typ)}
	a := alert.Alert{
		Key:         alert.MakeKey(m.source, h.story+"/"+lang),
		Source:      m.source,
		SourceKind:  kindName,
		Hazard:      hz,
		Event:       strings.TrimSpace(in.Event),
		EventCodes:  codes,
		Status:      h.status,
		Severity:    severity,
		Urgency:     alert.ParseUrgency(in.Urgency),
		Certainty:   alert.ParseCertainty(in.Certainty),
		Sent:        h.sent,
		Effective:   times[0],
		Onset:       times[1],
		Expires:     times[2],
		Headline:    strings.TrimSpace(in.Headline),
		Description: strings.TrimSpace(in.Description),
		Instruction: strings.TrimSpace(in.Instruction),
		Language:    lang,
		Sender:      h.sender,
		SenderName:  strings.TrimSpace(in.SenderName),
		Web:         strings.TrimSpace(in.Web),
		Areas:       areas,
		Geometry:    alert.GeometryOf(areas),
		Parameters:  pairMap(in.Parameters),
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

// areaEntries returns the entries about the areas of info block i, by area.
func areaEntries(entries []entry, i int) map[int][]entry {
	var out map[int][]entry
	for _, e := range entries {
		if e.info == i && e.area >= 0 {
			if out == nil {
				out = map[int][]entry{}
			}
			out[e.area] = append(out[e.area], e)
		}
	}
	return out
}

// readAreas reads CAP areas. A polygon or circle that cannot be read makes
// the whole block invalid: half-read geometry is never published. The
// geocodes the feed gives an area (its EMMA_ID, often missing from the
// document) are added when the feed's entry names the same area.
func readAreas(in []capArea, entries map[int][]entry) ([]alert.Area, error) {
	var areas []alert.Area
	for i, ar := range in {
		area := alert.Area{Description: strings.TrimSpace(ar.Desc), Geocodes: pairMap(ar.Geocodes)}
		for _, e := range entries[i] {
			if e.areaDesc == "" || !strings.EqualFold(e.areaDesc, area.Description) {
				continue
			}
			for _, g := range e.geocodes {
				if g.name == "" || g.value == "" || slices.Contains(area.Geocodes[g.name], g.value) {
					continue
				}
				if area.Geocodes == nil {
					area.Geocodes = map[string][]string{}
				}
				area.Geocodes[g.name] = append(area.Geocodes[g.name], g.value)
			}
		}
		for _, p := range ar.Polygons {
			if strings.TrimSpace(p) == "" {
				continue
			}
			ring, err := alert.ParseCAPPolygon(p)
			if err != nil {
				return nil, fmt.Errorf("area %d: %w", i, err)
			}
			area.Polygons = append(area.Polygons, [][][2]float64{ring})
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

// pairMap turns CAP valueName/value pairs into a map of name → values, in
// document order, leaving out empty names and values.
func pairMap(in []capPair) map[string][]string {
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

// canonicalLanguage returns a language tag in BCP 47 form ("en-gb" →
// "en-GB"), so that a story keeps its key when a sender's casing varies; an
// empty tag is CAP's default, en-US. A tag that does not parse is kept as
// sent.
func canonicalLanguage(s string) string {
	s = strings.ReplaceAll(strings.TrimSpace(s), "_", "-")
	if s == "" {
		return defaultLanguage
	}
	t, err := language.Parse(s)
	if err != nil {
		return s
	}
	return t.String()
}
