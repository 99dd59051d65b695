package kma

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
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

// pwnRow is one getPwnCd item (FORMATS.md §5.3). Every field is read as
// text: data.go.kr writes the same field as a number in one answer and as a
// string in another.
type pwnRow struct {
	StnID      flex `json:"stnId"`
	TmFc       flex `json:"tmFc"`
	TmSeq      flex `json:"tmSeq"`
	AreaCode   flex `json:"areaCode"`
	AreaName   flex `json:"areaName"`
	WarnVar    flex `json:"warnVar"`
	WarnStress flex `json:"warnStress"`
	Command    flex `json:"command"`
	Cancel     flex `json:"cancel"`
	StartTime  flex `json:"startTime"`
	EndTime    flex `json:"endTime"`
	AllEndTime flex `json:"allEndTime"`
}

// commandLifts maps getPwnCd's command to whether the row lifts the warning:
// 1 발표 (issue), 3 연장 (extend), 6 정정 (correct), 7 변경발표 (change) keep
// it in force; 2 해제 (lift) and 8 변경해제 (lifted as part of a change) end it.
func commandLifts(c string) (lifts, ok bool) {
	switch c {
	case "1", "3", "6", "7":
		return false, true
	case "2", "8":
		return true, true
	}
	return false, false
}

// candidate is a readable flood or heat row: its key, where it stands in
// the order of announcements, and its item.
type candidate struct {
	native   string
	sent     time.Time
	seq      int
	lifted   bool
	level    kmacode.Level
	bulletin string // the key of its bulletin's text: stnId/tmFc/tmSeq
	// retracted is a row KMA withdrew (cancel=1, 취소); issue says it was an
	// issue (command 1), the start of a warning, as opposed to a change or
	// a lift of one. The item of a retracted issue is its cancel.
	retracted, issue bool
	item             collectors.Item
}

// newer reports whether a is a later word on its key than b: a later
// announcement (tmFc, then tmSeq); within one announcement, a row that keeps
// the warning in force outranks one that lifts it (a 경보 changed to a 주의보
// comes as a 변경해제 and a 변경발표 of the same zone and kind), then the more
// severe level.
func newer(a, b *candidate) bool {
	if c := a.sent.Compare(b.sent); c != 0 {
		return c > 0
	}
	if a.seq != b.seq {
		return a.seq > b.seq
	}
	if a.lifted != b.lifted {
		return !a.lifted
	}
	return a.level > b.level
}

// mapper turns getPwnCd rows into items for one configured source.
type mapper struct {
	source     string
	classifier kmacode.Classifier
}

// pick reads every row and keeps, per key, the latest readable flood or heat
// row. Rows of other kinds are dropped as unmapped, unreadable ones as
// invalid. problems says why rows were invalid.
//
// A retracted row (cancel=1, 취소) is void: the rows before it decide, as of
// the retraction, so that the lifecycle does not take their state, older
// than the retracted row it may have published, for an old message. A
// retracted issue with no row before it in the window was a warning that
// never was: it gives a cancel, else a published warning would stay in
// force for ever (KMA warnings have no end but their lift). Other retracted
// rows with nothing before them say nothing of the state they leave (it
// was set before the window), and give no item. None of them is a drop.
func (m *mapper) pick(rows []json.RawMessage) (picked []*candidate, res collectors.Result, problems []error) {
	res.Fetched = len(rows)
	byKey := map[string]*candidate{}
	retracted := map[string]*candidate{}
	for i, raw := range rows {
		c, drop, err := m.row(raw)
		if err != nil {
			problems = append(problems, fmt.Errorf("row %d: %w", i, err))
		}
		latest := byKey
		if c != nil && c.retracted {
			latest = retracted
		}
		switch {
		case drop != "":
			res.Drop(drop)
		case c == nil: // an unreadable retracted row
		case latest[c.native] == nil || newer(c, latest[c.native]):
			latest[c.native] = c
		}
	}
	keys := slices.Collect(maps.Keys(byKey))
	for k := range retracted {
		if byKey[k] == nil {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		c, r := byKey[k], retracted[k]
		switch {
		case c == nil && r.issue:
			c = r
		case c == nil:
			continue
		case r != nil && newer(r, c):
			c = c.asOf(r.sent)
		}
		picked = append(picked, c)
	}
	return picked, res, problems
}

// asOf returns a copy of c sent at t: the state c gives, restated when a
// later row was retracted.
func (c *candidate) asOf(t time.Time) *candidate {
	cp := *c
	cp.sent = t
	cp.item.Alert.Sent = t
	return &cp
}

// build adds the picked rows to res as items, each with the text of its
// bulletin when texts has it. A withdrawn issue goes without: its bulletin
// announces what was withdrawn.
func build(picked []*candidate, texts map[string]bulletin, res *collectors.Result) {
	for _, c := range picked {
		it := c.item
		if b, ok := texts[c.bulletin]; ok && !c.retracted {
			it.Alert.Headline, it.Alert.Description, it.Alert.Instruction = b.headline, b.description, b.instruction
		}
		res.Items = append(res.Items, it)
	}
}

// row reads one getPwnCd item. It returns the candidate, or a drop reason
// (with the error behind an invalid one), or neither for a retracted row
// that cannot be read. The kind is read first, so that the many rows that
// are neither flood nor heat are not read further.
func (m *mapper) row(raw json.RawMessage) (*candidate, string, error) {
	var r pwnRow
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, collectors.DropInvalid, err
	}
	v, err := kmacode.ParseInt(string(r.WarnVar))
	if err != nil {
		return nil, collectors.DropInvalid, fmt.Errorf("warnVar %q: %w", r.WarnVar, err)
	}
	kind, ok := kmacode.KindOfVar(v)
	if !ok {
		return nil, collectors.DropUnmapped, nil
	}
	hazard, ok := m.classifier.Hazard(kind)
	if !ok {
		return nil, collectors.DropUnmapped, nil
	}
	retracted := strings.TrimSpace(string(r.Cancel)) == "1"
	c, err := m.candidate(&r, v, kind, hazard, retracted)
	switch {
	case err != nil && retracted:
		return nil, "", nil // void either way: not a drop
	case err != nil:
		return nil, collectors.DropInvalid, fmt.Errorf("%s/%d: %w", r.AreaCode, v, err)
	}
	return c, "", nil
}

// candidate builds the item of a flood or heat row. The item of a retracted
// row is a cancel: it is used only for a retracted issue (see pick).
func (m *mapper) candidate(r *pwnRow, warnVar int, kind kmacode.Kind, hazard alert.Hazard, retracted bool) (*candidate, error) {
	area := strings.TrimSpace(string(r.AreaCode))
	if area == "" {
		return nil, errors.New("areaCode is empty")
	}
	if err := kmacode.CheckZone(area); err != nil {
		return nil, fmt.Errorf("areaCode: %w", err)
	}
	command := strings.TrimSpace(string(r.Command))
	lifted, ok := commandLifts(command)
	if !ok {
		return nil, fmt.Errorf("command %q is not one of 1, 2, 3, 6, 7, 8", r.Command)
	}
	sent, err := kmacode.ParseTime(string(r.TmFc))
	if err != nil {
		return nil, fmt.Errorf("tmFc: %w", err)
	}
	seq := 0
	if s := strings.TrimSpace(string(r.TmSeq)); s != "" {
		if seq, err = kmacode.ParseInt(s); err != nil {
			return nil, fmt.Errorf("tmSeq %q: %w", s, err)
		}
	}
	var times [3]time.Time
	for i, s := range []flex{r.StartTime, r.EndTime, r.AllEndTime} {
		if times[i], err = kmacode.ParseOptionalTime(string(s)); err != nil {
			return nil, fmt.Errorf("%s: %w", [...]string{"startTime", "endTime", "allEndTime"}[i], err)
		}
	}
	// An unknown warnStress (a level added after this was written) keeps the
	// warning, with severity unknown, rather than lose it.
	level := kmacode.LevelUnknown
	if n, err := kmacode.ParseInt(string(r.WarnStress)); err == nil {
		level, _ = kmacode.LevelOfStress(n)
	}
	ended := lifted || retracted
	urgency, certainty := level.Timing(ended)
	name := strings.TrimSpace(string(r.AreaName))
	if name == "" {
		name = area
	}
	native := area + "/" + strconv.Itoa(warnVar)
	a := alert.Alert{
		Key:        alert.MakeKey(m.source, native),
		Source:     m.source,
		SourceKind: kindName,
		Hazard:     hazard,
		Event:      kmacode.EventName(kind, level),
		EventCodes: eventCodes("warnVar", strconv.Itoa(warnVar), "warnStress", string(r.WarnStress)),
		Status:     alert.StatusActual,
		Severity:   level.Severity(),
		Urgency:    urgency,
		Certainty:  certainty,
		Sent:       sent,
		Effective:  alert.TimePtr(times[0]),
		Onset:      alert.TimePtr(times[0]),
		Language:   language,
		SenderName: senderName,
		Areas:      []alert.Area{{Description: name, Geocodes: map[string][]string{zoneGeocode: {area}}}},
		Parameters: parameters(r),
	}
	if lifted && !retracted {
		// KMA warnings have no expiry: only a lift says when one ended.
		end := cmp.Or(times[1], times[2])
		if !end.IsZero() && !end.Before(a.EffectiveTime()) {
			a.Ends = &end
		}
	}
	a.Geometry = alert.GeometryOf(a.Areas)
	if err := a.Validate(); err != nil {
		return nil, err
	}
	intent := collectors.IntentActive
	if ended {
		intent = collectors.IntentCancel
	}
	return &candidate{
		native: native, sent: sent, seq: seq, lifted: lifted, level: level,
		bulletin:  bulletinKey(string(r.StnID), string(r.TmFc), seq),
		retracted: retracted, issue: command == "1",
		item: collectors.Item{Alert: a, Intent: intent},
	}, nil
}

// eventCodes returns the non-empty values of name, value pairs as event
// codes.
func eventCodes(pairs ...string) map[string][]string {
	out := map[string][]string{}
	for i := 0; i+1 < len(pairs); i += 2 {
		if v := strings.TrimSpace(pairs[i+1]); v != "" {
			out[pairs[i]] = []string{v}
		}
	}
	return out
}

// parameters keeps the row's own codes and times as sent; unset times and
// cancel 0 (a row not retracted) are left out.
func parameters(r *pwnRow) map[string][]string {
	out := map[string][]string{}
	for name, v := range map[string]flex{
		"stnId": r.StnID, "tmFc": r.TmFc, "tmSeq": r.TmSeq, "command": r.Command, "cancel": r.Cancel,
		"startTime": r.StartTime, "endTime": r.EndTime, "allEndTime": r.AllEndTime,
	} {
		if s := strings.TrimSpace(string(v)); s != "" && s != "0" {
			out[name] = []string{s}
		}
	}
	return out
}
