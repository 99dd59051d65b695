package eafloods

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
)

const (
	// language is the language of every EA warning.
	language = "en-GB"
	// publisher names the agency when the answer's meta block does not.
	publisher = "Environment Agency"
	// webBase is the agency's public page of a flood area (the "Check for
	// flooding" service, which EA messages link to).
	webBase = "https://check-for-flooding.service.gov.uk/target-area/"
	// geocodeSystem names the EA flood area codes in geocodes.
	geocodeSystem = "EA_FLOOD_AREA"
)

// The attribution and licence the Open Government Licence asks re-users of
// the API to carry; they travel in every alert's parameters.
const (
	attribution = "This uses Environment Agency flood and river level data from the real-time data API (Beta)"
	licence     = "Open Government Licence v3.0"
)

// levelInfo is what one severityLevel means (FORMATS.md §4.2).
type levelInfo struct {
	name      string // the agency's name of the level, used when severity is empty
	severity  alert.Severity
	urgency   alert.Urgency
	certainty alert.Certainty
	intent    collectors.Intent
}

// levels maps severityLevel 1 to 4. Level 4, "Warning no Longer in Force",
// is the agency lifting the warning: a cancel, in the words NWS uses for one
// (minor, past, observed).
var levels = map[level]levelInfo{
	1: {"Severe Flood Warning", alert.SeverityExtreme, alert.UrgencyImmediate, alert.CertaintyLikely, collectors.IntentActive},
	2: {"Flood Warning", alert.SeveritySevere, alert.UrgencyImmediate, alert.CertaintyLikely, collectors.IntentActive},
	3: {"Flood Alert", alert.SeverityModerate, alert.UrgencyExpected, alert.CertaintyPossible, collectors.IntentActive},
	4: {"Warning no Longer in Force", alert.SeverityMinor, alert.UrgencyPast, alert.CertaintyObserved, collectors.IntentCancel},
}

// levelOfName reads the level from the severity text, for the rare item
// without a severityLevel: exact names only, case-insensitive.
func levelOfName(name string) level {
	for l, info := range levels {
		if strings.EqualFold(strings.Join(strings.Fields(name), " "), info.name) {
			return l
		}
	}
	return 0
}

// mapper turns warnings into items for one configured source.
type mapper struct {
	source string
}

// item maps one warning. native is its flood area, when it could be read, for
// the caller's problem messages.
func (m *mapper) item(raw json.RawMessage, senderName string) (it collectors.Item, native string, err error) {
	var w warning
	if err := json.Unmarshal(raw, &w); err != nil {
		// Name the warning in the problem if its key at least can be read.
		var k struct {
			FloodAreaID text `json:"floodAreaID"`
		}
		_ = json.Unmarshal(raw, &k)
		return collectors.Item{}, k.FloodAreaID.String(), err
	}
	native = w.FloodAreaID.String()
	fa := w.FloodArea.of(native)
	if native == "" && fa != nil {
		native = fa.Notation.String() // the API's name for the same code
	}
	if native == "" {
		return collectors.Item{}, "", errors.New("no floodAreaID: cannot key the warning")
	}
	lvl := w.SeverityLevel
	if lvl == 0 {
		lvl = levelOfName(w.Severity.String())
	}
	info, ok := levels[lvl]
	if !ok {
		return collectors.Item{}, native, fmt.Errorf("no severityLevel, and severity %q is not a level's name", w.Severity)
	}
	times, err := readTimes(&w)
	if err != nil {
		return collectors.Item{}, native, err
	}
	event := w.Severity.String()
	if event == "" {
		event = info.name
	}
	if senderName == "" {
		senderName = publisher
	}
	a := alert.Alert{
		Key:         alert.MakeKey(m.source, native),
		Source:      m.source,
		SourceKind:  kindName,
		Hazard:      alert.HazardFlood,
		Event:       event,
		EventCodes:  map[string][]string{"severityLevel": {strconv.Itoa(int(lvl))}},
		Status:      alert.StatusActual,
		Severity:    info.severity,
		Urgency:     info.urgency,
		Certainty:   info.certainty,
		Sent:        times.sent,
		Effective:   times.severityChanged,
		Onset:       times.severityChanged,
		Headline:    headline(event, w.Description.String()),
		Description: w.Message.String(),
		Language:    language,
		SenderName:  senderName,
		Web:         webBase + url.PathEscape(native),
		Areas:       []alert.Area{areaOf(&w, native)},
		Parameters:  parameters(&w, fa, times.raised),
	}
	a.Geometry = alert.GeometryOf(a.Areas)
	if err := a.Validate(); err != nil {
		return collectors.Item{}, native, err
	}
	return collectors.Item{Alert: a, Intent: info.intent}, native, nil
}

// times are a warning's times, read.
type times struct {
	sent            time.Time
	severityChanged *time.Time
	raised          *time.Time
}

// readTimes reads the warning's times. timeMessageChanged is when the current
// message was issued, so it is sent; timeRaised has been seen to track it
// (FORMATS.md §4.3) and stands in for it when it is missing.
// timeSeverityChanged is when the current level began.
func readTimes(w *warning) (times, error) {
	var out times
	var err error
	read := func(name, s string) *time.Time {
		if s == "" || err != nil {
			return nil
		}
		t, perr := parseTime(s)
		if perr != nil {
			err = fmt.Errorf("%s: %w", name, perr)
			return nil
		}
		return &t
	}
	sent := read("timeMessageChanged", w.TimeMessageChanged.String())
	out.raised = read("timeRaised", w.TimeRaised.String())
	out.severityChanged = read("timeSeverityChanged", w.TimeSeverityChanged.String())
	if err != nil {
		return times{}, err
	}
	switch {
	case sent != nil:
		out.sent = *sent
	case out.raised != nil:
		out.sent = *out.raised
	default:
		return times{}, errors.New("no timeMessageChanged or timeRaised: the warning has no sent time")
	}
	return out, nil
}

// naiveLayouts are the offset-less forms of the API's times.
var naiveLayouts = []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02 15:04:05.999999999", "2006-01-02 15:04"}

// parseTime reads an EA time. Times with an offset or Z keep it. Times without
// one (the /id/floods form, "2015-12-10T14:14:00") are UTC: the API documents
// its times as UTC, readings carry Z, and nothing in it uses Europe/London.
func parseTime(s string) (time.Time, error) {
	if t, err := alert.ParseTime(s); err == nil {
		return t, nil
	}
	return alert.ParseTimeIn(s, time.UTC, naiveLayouts...)
}

// headline is "<severity> – <area name>", or the severity alone.
func headline(event, areaName string) string {
	if areaName == "" {
		return event
	}
	return event + " – " + areaName
}

// areaOf returns the warning's one area: its name and flood area code. The
// polygon is a separate call per area and is not fetched (README: limits).
func areaOf(w *warning, native string) alert.Area {
	desc := w.Description.String()
	if desc == "" {
		desc = native
	}
	return alert.Area{Description: desc, Geocodes: map[string][]string{geocodeSystem: {native}}}
}

// parameters returns the attribution, the licence and the warning's
// descriptive fields as sent; absent fields are left out.
func parameters(w *warning, fa *area, raised *time.Time) map[string][]string {
	p := map[string][]string{"attribution": {attribution}, "licence": {licence}}
	set := func(name, v string) {
		if v != "" {
			p[name] = []string{v}
		}
	}
	set("@id", w.ID.String())
	set("eaAreaName", w.EAAreaName.String())
	set("eaRegionName", w.EARegionName.String())
	if w.IsTidal.set {
		set("isTidal", strconv.FormatBool(w.IsTidal.value))
	}
	if raised != nil {
		set("timeRaised", raised.Format(time.RFC3339))
	}
	if fa != nil {
		// county is one string of names that may hold commas themselves
		// ("Bristol, City of"), so it is kept whole.
		set("county", fa.County.String())
		set("riverOrSea", fa.RiverOrSea.String())
		set("floodArea", fa.ID.String())
		set("polygon", polygonURL(fa.Polygon))
	} else {
		set("floodArea", w.FloodArea.url)
	}
	return p
}

// polygonURL returns the area's polygon link when it is a URL string; an
// inline shape is not read (README: limits).
func polygonURL(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '"' {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return strings.TrimSpace(s)
}

// builder gathers the items of one answer into a Result with at most one item
// per key. The API holds one warning per flood area; should it ever list two,
// the latest message wins, and at the same instant the one in force wins over
// the lifted one, then the more severe.
type builder struct {
	res   collectors.Result
	byKey map[string]int
}

func (b *builder) add(it collectors.Item) {
	i, ok := b.byKey[it.Alert.Key]
	if !ok {
		b.byKey[it.Alert.Key] = len(b.res.Items)
		b.res.Items = append(b.res.Items, it)
		return
	}
	if outranks(it, b.res.Items[i]) {
		b.res.Items[i] = it
	}
}

// outranks reports whether item a replaces item b of the same key.
func outranks(a, b collectors.Item) bool {
	if c := a.Alert.Sent.Compare(b.Alert.Sent); c != 0 {
		return c > 0
	}
	if (a.Intent == collectors.IntentActive) != (b.Intent == collectors.IntentActive) {
		return a.Intent == collectors.IntentActive
	}
	return a.Alert.Severity.Rank() > b.Alert.Severity.Rank()
}
