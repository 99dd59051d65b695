package hrfco

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
)

// levelRow is one reading of waterlevel/list/10M.
type levelRow struct {
	Wlobscd str `json:"wlobscd"`
	Ymdhm   str `json:"ymdhm"` // KST YYYYMMDDHHmm
	Wl      str `json:"wl"`    // stage in m, relative to the gauge datum
	Fw      str `json:"fw"`    // discharge m³/s
}

// reading is a station's latest readable level.
type reading struct {
	at time.Time
	wl int64 // mm
	// raw are the values as sent, for parameters.
	rawWl, rawFw, rawAt string
}

// stageState is what the collector remembers of a station between runs: the
// stage it is in (1-4; stations at 0 are not kept) and since when.
type stageState struct {
	stage int
	since time.Time
}

// errNoReadings is the answer of a level list without any reading. The list
// holds the latest reading of every station (over a thousand): empty, or
// code 990, it is data missing, not "every river is low", and the part
// fails rather than give an empty snapshot that would expire every derived
// alert.
var errNoReadings = errors.New(`the level list holds no reading: missing data, not "no flood"`)

// levels derives alerts from the latest reading of each station: one item
// per station at or above a threshold, with hysteresis against prev. It
// returns the state to keep for the next run. A station that was at a
// stage and whose reading or thresholds cannot be read this time keeps its
// stage, and names its key in Result.Unreadable: it is still served, so its
// alert keeps its last good state rather than expire.
func (m *mapper) levels(raws []json.RawMessage, stations map[string]station, prev map[string]stageState, now time.Time) (
	res collectors.Result, next map[string]stageState, problems []error) {
	res = collectors.Result{Snapshot: true, Fetched: len(raws)}
	next = map[string]stageState{}
	latest, unread, problems := m.latest(raws, &res)
	unreadable := func(code string) {
		if was := prev[code]; was.stage > 0 {
			next[code] = was
			res.Unreadable = append(res.Unreadable, m.levelKey(code))
		}
	}
	for _, code := range unread {
		if _, ok := latest[code]; !ok {
			unreadable(code)
		}
	}
	for _, code := range slices.Sorted(maps.Keys(latest)) {
		rd := latest[code]
		st, known := stations[code]
		if !known || now.Sub(rd.at) > m.maxAge {
			continue // no thresholds to compare with, or no current reading
		}
		if st.problem != nil {
			problems = append(problems, fmt.Errorf("station %s: %w", code, st.problem))
			res.Drop(collectors.DropInvalid)
			unreadable(code)
			continue
		}
		was := prev[code]
		s := nextStage(was.stage, rd.wl, &st, m.hysteresis)
		if s == 0 {
			continue
		}
		state := stageState{stage: s, since: rd.at}
		if was.stage == s {
			state.since = was.since
		}
		it, err := m.derived(&st, rd, state)
		if err != nil {
			problems = append(problems, fmt.Errorf("station %s: %w", code, err))
			res.Drop(collectors.DropInvalid)
			unreadable(code)
			continue
		}
		next[code] = state
		res.Items = append(res.Items, it)
	}
	slices.Sort(res.Unreadable)
	res.Unreadable = slices.Compact(res.Unreadable)
	return res, next, problems
}

// levelKey is the key of a station's derived alert.
func (m *mapper) levelKey(code string) string { return alert.MakeKey(m.source, "level:"+code) }

// latest returns each station's latest readable reading; unreadable rows
// are dropped as invalid, and unread lists the stations they name.
func (m *mapper) latest(raws []json.RawMessage, res *collectors.Result) (latest map[string]reading, unread []string, problems []error) {
	latest = map[string]reading{}
	for i, raw := range raws {
		code, rd, ok, err := m.reading(raw)
		if err != nil {
			problems = append(problems, fmt.Errorf("level row %d: %w", i, err))
			res.Drop(collectors.DropInvalid)
			if code != "" {
				unread = append(unread, code)
			}
			continue
		}
		if ok {
			if cur, seen := latest[code]; !seen || rd.at.After(cur.at) {
				latest[code] = rd
			}
		}
	}
	return latest, unread, problems
}

// reading reads one row. ok is false for a row that is fine but gives no
// reading: a blank level (no data), or a station outside the stations option.
func (m *mapper) reading(raw json.RawMessage) (code string, rd reading, ok bool, err error) {
	var r levelRow
	if err := json.Unmarshal(raw, &r); err != nil {
		return "", rd, false, err
	}
	code = string(r.Wlobscd)
	if code == "" {
		return "", rd, false, errors.New("wlobscd is blank")
	}
	if m.stations != nil && !m.stations[code] {
		return code, rd, false, nil
	}
	wl, has, err := number(r.Wl)
	if err != nil {
		return code, rd, false, fmt.Errorf("station %s: wl: %w", code, err)
	}
	if !has {
		return code, rd, false, nil
	}
	at, err := parseTime(r.Ymdhm)
	if err != nil {
		return code, rd, false, fmt.Errorf("station %s: ymdhm: %w", code, err)
	}
	return code, reading{at: at, wl: mm(wl), rawWl: string(r.Wl), rawFw: string(r.Fw), rawAt: string(r.Ymdhm)}, true, nil
}

// nextStage returns a station's stage (0: below every threshold) for a level
// wl, given the stage it was in. A stage is reached when wl is at or above
// its threshold, and kept, once reached, until wl falls below the threshold
// minus the hysteresis: a level hovering at a threshold does not flap.
// Thresholds are taken one by one, so a station missing some, or with
// thresholds out of order, still works.
func nextStage(was int, wl int64, st *station, hysteresis int64) int {
	s := 0
	for i := range stages {
		if !st.set[i] {
			continue
		}
		if wl >= st.level[i] || (i < was && wl >= st.level[i]-hysteresis) {
			s = i + 1
		}
	}
	return s
}

// derivedEvent is the event name of a derived alert at stage s (1-4).
func derivedEvent(s int) string { return "수위 " + stages[s-1].name + " 단계 (derived)" }

// derived builds the alert of a station in a stage. Everything material
// (event, severity, headline, text, area) depends only on the station and
// its stage, never on the level itself: a rising river at one stage is one
// version, not one per reading. The reading is in parameters.
func (m *mapper) derived(st *station, rd reading, state stageState) (collectors.Item, error) {
	sg := stages[state.stage-1]
	threshold := meters(float64(st.level[state.stage-1]) / 1000)
	area := alert.Area{Description: join(" ", st.name, paren(st.addr)), Geocodes: map[string][]string{geocodeSystem: {st.code}}}
	if st.hasPos {
		area.Circles = []alert.Circle{st.pos}
	}
	p := params(append([][2]string{{"wlobscd", st.code}, {"obsnm", st.name}, {"wl", rd.rawWl}, {"fw", rd.rawFw},
		{"ymdhm", rd.rawAt}, {"stage", sg.field}}, st.info...))
	p["hrfco_stage_since"] = []string{state.since.Format(time.RFC3339)}
	p["hrfco_hysteresis"] = []string{strconv.FormatFloat(float64(m.hysteresis)/1000, 'f', -1, 64)}
	a := alert.Alert{
		Key:        m.levelKey(st.code),
		Source:     m.source,
		SourceKind: kindName,
		Hazard:     alert.HazardFlood,
		Event:      derivedEvent(state.stage),
		EventCodes: map[string][]string{"HRFCO": {sg.field}},
		Status:     alert.StatusActual,
		Severity:   sg.severity,
		Urgency:    alert.UrgencyImmediate,
		Certainty:  alert.CertaintyObserved,
		Sent:       rd.at,
		Headline:   fmt.Sprintf("%s 수위 %s 단계 (기준수위 %s m)", st.name, sg.name, threshold),
		Description: fmt.Sprintf("%s 수위관측소(%s)의 관측 수위가 %s 기준수위(%s, %s m)에 도달했습니다. "+
			"관측값에서 산출한 정보이며 홍수통제소가 발표한 홍수예보가 아닙니다.", st.name, st.code, sg.name, sg.field, threshold),
		Language:   language,
		Areas:      []alert.Area{area},
		Parameters: p,
		Derived:    true,
	}
	a.Geometry = alert.GeometryOf(a.Areas)
	if err := a.Validate(); err != nil {
		return collectors.Item{}, err
	}
	return collectors.Item{Alert: a, Intent: collectors.IntentActive}, nil
}
