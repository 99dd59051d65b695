package kmahub

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/kmacode"
)

// language is the language of every KMA text.
const language = "ko-KR"

// senderName is the agency, as it names itself.
const senderName = "기상청"

// zoneGeocode is the geocode system of KMA's warning zones (특보구역코드).
const zoneGeocode = "KMA_WRN_ZONE"

// commandLifts reads CMD, a documented code (1 발표, 2 대치, 3 해제, 4 대치해제,
// 5 연장, 6 변경, 7 변경해제) or a Korean word: whether the line says the
// warning was lifted. An empty CMD is a warning in force: the table lists
// what is in force.
func commandLifts(cmd string) (lifts, ok bool) {
	word := strings.Join(strings.Fields(cmd), "")
	switch word {
	case "", "1", "2", "5", "6", "발표", "대치", "연장", "변경", "변경발표", "정정":
		return false, true
	case "3", "4", "7", "해제", "대치해제", "변경해제":
		return true, true
	}
	return false, false
}

// candidate is a readable flood or heat line and its item.
type candidate struct {
	native string
	lifted bool
	level  kmacode.Level
	sent   time.Time
	item   collectors.Item
}

// rank orders the lines of one key in a snapshot: a warning in force
// outranks a preliminary one, which outranks a lifted one, whatever their
// times (a 주의보 still listed beside the lift of the 경보 it replaced is
// what is in force).
func (c *candidate) rank() int {
	switch {
	case c.lifted:
		return 0
	case c.level == kmacode.Preliminary:
		return 1
	}
	return 2
}

// better reports whether a says more about its key than b: the higher rank,
// then the more severe level, then the later TM_FC.
func better(a, b *candidate) bool {
	if a.rank() != b.rank() {
		return a.rank() > b.rank()
	}
	if a.level != b.level {
		return a.level > b.level
	}
	return a.sent.After(b.sent)
}

// mapper turns table lines into items for one configured source.
type mapper struct {
	source     string
	classifier kmacode.Classifier
}

// parse reads one answer into the whole current set: one item per key, the
// best line of each (see better), sent at the latest TM_FC of the key's
// lines, so that a key's sent never goes back when an older line decides.
// A flood or heat line in force that cannot be read names its key in
// Result.Unreadable, unless a readable line of its key outranks it: the
// table still lists the warning, so its alert keeps its last good state
// instead of expiring, or of being decided by a line it outranks. problems
// says why lines were dropped as invalid.
func (m *mapper) parse(body []byte, contentType string) (collectors.Result, []error, error) {
	text, err := decodeBody(body, contentType)
	if err != nil {
		return collectors.Result{}, nil, err
	}
	lines, err := parseTable(text)
	if err != nil {
		return collectors.Result{}, nil, err
	}
	res := collectors.Result{Snapshot: true, Fetched: len(lines)}
	var problems []error
	best := map[string]*candidate{}
	latest := map[string]time.Time{}
	unreadable := map[string]int{} // native key → rank of its highest unreadable line
	for i, l := range lines {
		c, drop, err := m.line(l)
		if err != nil {
			problems = append(problems, fmt.Errorf("line %d: %w", i+1, err))
		}
		if drop == collectors.DropInvalid {
			if native, rank, ok := m.inForce(l); ok {
				unreadable[native] = max(unreadable[native], rank)
			}
		}
		if drop != "" {
			res.Drop(drop)
			continue
		}
		if b := best[c.native]; b == nil || better(c, b) {
			best[c.native] = c
		}
		if c.sent.After(latest[c.native]) {
			latest[c.native] = c.sent
		}
	}
	for _, k := range slices.Sorted(maps.Keys(unreadable)) {
		if b := best[k]; b == nil || b.rank() < unreadable[k] {
			delete(best, k)
			res.Unreadable = append(res.Unreadable, alert.MakeKey(m.source, k))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(best)) {
		it := best[k].item
		it.Alert.Sent = latest[k]
		res.Items = append(res.Items, it)
	}
	return res, problems, nil
}

// inForce returns the native key of a flood or heat line that could not be
// read but still says which warning it is and does not lift it, and its
// rank (see candidate.rank); ok is false for an unreadable lift, which keeps
// nothing alive, and for a line without a zone or kind.
func (m *mapper) inForce(l line) (native string, rank int, ok bool) {
	if l.row == nil {
		return "", 0, false
	}
	kind, ok := kmacode.KindOfHub(l.row.Wrn)
	if !ok {
		return "", 0, false
	}
	if _, ok := m.classifier.Hazard(kind); !ok {
		return "", 0, false
	}
	if lifted, ok := commandLifts(l.row.Cmd); ok && lifted {
		return "", 0, false
	}
	native, err := nativeKey(l.row.RegID, kind)
	if err != nil {
		return "", 0, false
	}
	rank = 2
	if level, _ := kmacode.LevelOfHub(l.row.Lvl); level == kmacode.Preliminary {
		rank = 1
	}
	return native, rank, true
}

// nativeKey is the native key of a zone's warnings of one kind: REG_ID and
// the kind's documented letter, whichever form the line used, so that the
// key survives a switch between codes and words.
func nativeKey(regID string, kind kmacode.Kind) (string, error) {
	if regID == "" {
		return "", errors.New("REG_ID is empty")
	}
	if err := kmacode.CheckZone(regID); err != nil {
		return "", fmt.Errorf("REG_ID: %w", err)
	}
	wrn := kind.Letter()
	if wrn == "" {
		wrn = string(kind) // a kind without a letter (열대야) keys by its name
	}
	return regID + "/" + wrn, nil
}

// line maps one line, or returns the reason it is dropped (and, for an
// invalid one, why). The kind is read first, so that lines that are neither
// flood nor heat are not read further.
func (m *mapper) line(l line) (*candidate, string, error) {
	if l.err != nil {
		return nil, collectors.DropInvalid, l.err
	}
	r := l.row
	kind, ok := kmacode.KindOfHub(r.Wrn)
	if !ok {
		return nil, collectors.DropUnmapped, nil
	}
	hazard, ok := m.classifier.Hazard(kind)
	if !ok {
		return nil, collectors.DropUnmapped, nil
	}
	c, err := m.candidate(r, kind, hazard)
	if err != nil {
		return nil, collectors.DropInvalid, fmt.Errorf("%s/%s: %w", r.RegID, r.Wrn, err)
	}
	return c, "", nil
}

// candidate builds the item of a flood or heat line.
func (m *mapper) candidate(r *hubRow, kind kmacode.Kind, hazard alert.Hazard) (*candidate, error) {
	native, err := nativeKey(r.RegID, kind)
	if err != nil {
		return nil, err
	}
	lifted, ok := commandLifts(r.Cmd)
	if !ok {
		return nil, fmt.Errorf("CMD %q is not a known command", r.Cmd)
	}
	sent, err := kmacode.ParseTime(r.TmFc)
	if err != nil {
		return nil, fmt.Errorf("TM_FC: %w", err)
	}
	effective, err := kmacode.ParseOptionalTime(r.TmEf)
	if err != nil {
		return nil, fmt.Errorf("TM_EF: %w", err)
	}
	// An unknown LVL (a level added after this was written) keeps the
	// warning, with severity unknown, rather than lose it.
	level, _ := kmacode.LevelOfHub(r.Lvl)
	urgency, certainty := level.Timing(lifted)
	desc := r.RegKo
	if desc == "" {
		desc = r.RegID
	}
	a := alert.Alert{
		Key:        alert.MakeKey(m.source, native),
		Source:     m.source,
		SourceKind: kindName,
		Hazard:     hazard,
		Event:      kmacode.EventName(kind, level),
		EventCodes: eventCodes(r),
		Status:     alert.StatusActual,
		Severity:   level.Severity(),
		Urgency:    urgency,
		Certainty:  certainty,
		Sent:       sent,
		Effective:  alert.TimePtr(effective),
		Onset:      alert.TimePtr(effective),
		Language:   language,
		SenderName: senderName,
		Areas:      []alert.Area{{Description: desc, Geocodes: map[string][]string{zoneGeocode: {r.RegID}}}},
		Parameters: parameters(r),
	}
	a.Geometry = alert.GeometryOf(a.Areas)
	if err := a.Validate(); err != nil {
		return nil, err
	}
	intent := collectors.IntentActive
	if lifted {
		intent = collectors.IntentCancel
	}
	return &candidate{native: native, lifted: lifted, level: level, sent: sent, item: collectors.Item{Alert: a, Intent: intent}}, nil
}

// eventCodes keeps WRN and LVL as sent (LVL may be empty).
func eventCodes(r *hubRow) map[string][]string {
	out := map[string][]string{"WRN": {r.Wrn}}
	if r.Lvl != "" {
		out["LVL"] = []string{r.Lvl}
	}
	return out
}

// parameters keeps the line's columns as sent, leaving out empty ones.
func parameters(r *hubRow) map[string][]string {
	out := map[string][]string{}
	for name, v := range map[string]string{
		"REG_UP": r.RegUp, "REG_UP_KO": r.RegUpKo, "TM_FC": r.TmFc, "TM_EF": r.TmEf,
		"WRN": r.Wrn, "LVL": r.Lvl, "CMD": r.Cmd, "ED_TM": r.EdTm,
	} {
		if v != "" {
			out[name] = []string{v}
		}
	}
	return out
}
