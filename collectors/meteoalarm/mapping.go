package meteoalarm

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/capdoc"
	"github.com/hazardwire/hazardwire/collectors/internal/docindex"
)

// pair is one valueName/value pair, trimmed.
type pair struct{ name, value string }

// mapper turns MeteoAlarm CAP messages into items for one configured source.
type mapper struct {
	source      string
	rainAsFlood bool
}

// mapDocument maps a parsed document with the feed entries that link it now.
// A document that no longer parses still names, as unreadable, the keys in
// force of its last good version: the feed still serves them.
func (m *mapper) mapDocument(p *docindex.Parsed[*capdoc.Alert], entries []entry) *capdoc.Yield {
	if p.Err != nil {
		var older *capdoc.Yield
		if p.Older != nil {
			older = m.mapAlert(p.Older.Value, entries)
		}
		return capdoc.InvalidKeeping(p.Err, older)
	}
	return m.mapAlert(p.Value, entries)
}

// warning is what the awareness parameters of a block tell: its hazard,
// awareness type and level.
type warning struct {
	hazard     alert.Hazard
	typ, level int
}

// mapAlert maps every info block of a that warns of flood or heat, and
// makes one item per language. Stories are named by identifier alone. (The
// feed has one entry per info and area, so a message without an info block
// has no entry anyway.)
func (m *mapper) mapAlert(a *capdoc.Alert, entries []entry) *capdoc.Yield {
	cancel := strings.EqualFold(strings.TrimSpace(a.MsgType), "cancel")
	y, blocks := capdoc.Map(a, capdoc.Rules[warning]{
		Story:    capdoc.ByIdentifier,
		Classify: func(in *capdoc.Info) (warning, bool) { return m.classify(in, cancel) },
		Source:   m.source,
		Item: func(h *capdoc.Header, i int, in *capdoc.Info, w warning) (collectors.Item, error) {
			return m.item(h, in, w, areaEntries(entries, i))
		},
	})
	var langs []string
	byLang := map[string][]capdoc.Block{}
	for _, b := range blocks {
		lang := b.Item.Alert.Language
		if byLang[lang] == nil {
			langs = append(langs, lang)
		}
		byLang[lang] = append(byLang[lang], b)
	}
	for _, lang := range langs {
		combine(y, byLang[lang])
	}
	return y
}

// classify takes the blocks of a mapped awareness type whose level is not
// green (1: no particular awareness, not a warning), and the green blocks
// that end a story: an all-clear (responseType AllClear), or any block of a
// Cancel message. Those are cancels, which dropping would lose.
func (m *mapper) classify(in *capdoc.Info, cancel bool) (warning, bool) {
	hz, typ, ok := m.hazardOf(in)
	level := awarenessLevel(in)
	ends := cancel || slices.ContainsFunc(in.ResponseTypes, func(r string) bool {
		return strings.EqualFold(strings.TrimSpace(r), "AllClear")
	})
	return warning{hazard: hz, typ: typ, level: level}, ok && (level != 1 || ends)
}

// combine makes one item of the blocks of one language. The blocks in force
// win over the all-clear ones (an area cleared while others stay warned);
// the most severe of them gives the content, every one of them its areas,
// the earliest effective and onset and the latest expiry. A block of the
// other hazard cannot share the key, so it is dropped as invalid.
func combine(y *capdoc.Yield, cands []capdoc.Block) {
	chosen := slices.DeleteFunc(slices.Clone(cands), func(c capdoc.Block) bool { return c.Item.Intent != collectors.IntentActive })
	if len(chosen) == 0 {
		chosen = cands
	}
	// MaxFunc keeps the first of equals: a tie goes to the first block.
	top := slices.MaxFunc(chosen, func(a, b capdoc.Block) int {
		return a.Item.Alert.Severity.Rank() - b.Item.Alert.Severity.Rank()
	})
	it := top.Item
	a := &it.Alert
	for _, c := range cands {
		if c.Item.Alert.Hazard != a.Hazard {
			y.Drop(collectors.DropInvalid, fmt.Errorf("info %d: a %s warning beside a %s warning in language %s", c.Index, c.Item.Alert.Hazard, a.Hazard, a.Language))
		}
	}
	for _, c := range chosen {
		o := c.Item.Alert
		if c.Index == top.Index || o.Hazard != a.Hazard {
			continue
		}
		for _, ar := range o.Areas {
			if !slices.ContainsFunc(a.Areas, func(x alert.Area) bool { return reflect.DeepEqual(x, ar) }) {
				a.Areas = append(a.Areas, ar)
			}
		}
		a.Effective = earlier(a.Effective, o.Effective)
		a.Onset = earlier(a.Onset, o.Onset)
		a.Expires = alert.Later(a.Expires, o.Expires)
	}
	a.Geometry = alert.GeometryOf(a.Areas)
	y.Items = append(y.Items, it)
}

func earlier(a, b *time.Time) *time.Time {
	if a == nil || (b != nil && b.Before(*a)) {
		return b
	}
	return a
}

// item builds the item of one info block that warns of w: its severity is
// the awareness level's, its event codes name the awareness type, and its
// areas get the geocodes the feed's entries give them.
func (m *mapper) item(h *capdoc.Header, in *capdoc.Info, w warning, entries map[int][]entry) (collectors.Item, error) {
	a, err := h.Alert(m.source, kindName, w.hazard, in)
	if err != nil {
		return collectors.Item{}, err
	}
	addGeocodes(a.Areas, entries)
	if severity, ok := levelSeverity[w.level]; ok {
		a.Severity = severity // else no readable awareness_level: the block's own
	}
	if a.EventCodes == nil {
		a.EventCodes = map[string][]string{}
	}
	a.EventCodes["awareness_type"] = []string{strconv.Itoa(w.typ)}
	return h.Item(a, in)
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

// addGeocodes adds to areas the geocodes the feed gives them (their
// EMMA_ID, often missing from the document), by area index, when the
// feed's entry names the same area.
func addGeocodes(areas []alert.Area, entries map[int][]entry) {
	for i := range areas {
		area := &areas[i]
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
	}
}
