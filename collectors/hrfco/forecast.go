package hrfco

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
)

// forecastRow is one entry of fldfct/list (FORMATS.md §8). Every value comes
// as a string; keys may be upper case.
type forecastRow struct {
	Ancdt        str `json:"ancdt"`        // 발표일시
	Ancnm        str `json:"ancnm"`        // 발표자 (the flood control office)
	Kind         str `json:"kind"`         // 홍수주의보, 홍수경보, … 해제
	No           str `json:"no"`           // 발표번호
	Obsnm        str `json:"obsnm"`        // 지점명
	Sttnm        str `json:"sttnm"`        // 관측소코드: the forecast point
	Rvrnm        str `json:"rvrnm"`        // 하천명
	Wrnaranm     str `json:"wrnaranm"`     // 예보구역
	Wrnrvrnm     str `json:"wrnrvrnm"`     // 주의 하천
	Sttcurdt     str `json:"sttcurdt"`     // 현재 일시
	Sttcurhgt    str `json:"sttcurhgt"`    // 현재 수위표수위 (m)
	Sttcursealvl str `json:"sttcursealvl"` // 현재 해발수위 (EL.m)
	Sttcurcng    str `json:"sttcurcng"`    // 변동상황
	Sttfctdt     str `json:"sttfctdt"`     // 예상 일시
	Sttfcthgt    str `json:"sttfcthgt"`    // 예상 수위표수위
	Sttfctsealvl str `json:"sttfctsealvl"` // 예상 해발수위
	Fctdt        str `json:"fctdt"`        // 수위 도달 예상일시
	Fcthgt       str `json:"fcthgt"`
	Fctsealvl    str `json:"fctsealvl"`
	Prntdt       str `json:"prntdt"` // 기존 발령일시: the issuance this one follows
	Rfrnc2       str `json:"rfrnc2"` // 비고
}

// fields lists the row's values by their HRFCO names, for parameters.
func (r *forecastRow) fields() [][2]string {
	return [][2]string{
		{"ancdt", string(r.Ancdt)}, {"ancnm", string(r.Ancnm)}, {"kind", string(r.Kind)}, {"no", string(r.No)},
		{"obsnm", string(r.Obsnm)}, {"sttnm", string(r.Sttnm)}, {"rvrnm", string(r.Rvrnm)},
		{"wrnaranm", string(r.Wrnaranm)}, {"wrnrvrnm", string(r.Wrnrvrnm)},
		{"sttcurdt", string(r.Sttcurdt)}, {"sttcurhgt", string(r.Sttcurhgt)}, {"sttcursealvl", string(r.Sttcursealvl)},
		{"sttcurcng", string(r.Sttcurcng)}, {"sttfctdt", string(r.Sttfctdt)}, {"sttfcthgt", string(r.Sttfcthgt)},
		{"sttfctsealvl", string(r.Sttfctsealvl)}, {"fctdt", string(r.Fctdt)}, {"fcthgt", string(r.Fcthgt)},
		{"fctsealvl", string(r.Fctsealvl)}, {"prntdt", string(r.Prntdt)}, {"rfrnc2", string(r.Rfrnc2)},
	}
}

// kindRule is what a forecast kind means.
type kindRule struct {
	severity alert.Severity
	intent   collectors.Intent
}

// classify maps a forecast kind, exactly (spaces and a trailing 발령 are
// ignored): 홍수주의보 → moderate, 홍수경보 → severe, either followed by 해제
// → a cancel of that level. A bare 해제 is a cancel at moderate, the lowest
// level it can lift, so that partners filtering at moderate still get it.
// Anything else is not guessed at.
func classify(kind string) (kindRule, bool) {
	k := strings.Join(strings.Fields(kind), "")
	k = strings.TrimSuffix(k, "발령")
	rule := kindRule{intent: collectors.IntentActive}
	if rest, ok := strings.CutSuffix(k, "해제"); ok {
		rule.intent, k = collectors.IntentCancel, rest
		if k == "" {
			rule.severity = alert.SeverityModerate
			return rule, true
		}
	}
	switch k {
	case "홍수주의보", "주의보":
		rule.severity = alert.SeverityModerate
	case "홍수경보", "경보":
		rule.severity = alert.SeveritySevere
	default:
		return kindRule{}, false
	}
	return rule, true
}

// forecasts maps the rows of fldfct/list: one item per forecast point, the
// latest bulletin winning. stations (may be nil) gives the points' positions.
// A point whose only rows in force cannot be read names its key in
// Result.Unreadable: the list still serves its forecast, so its alert keeps
// its last good state rather than expire.
func (m *mapper) forecasts(raws []json.RawMessage, stations map[string]station) (collectors.Result, []error) {
	res := collectors.Result{Snapshot: true, Fetched: len(raws)}
	var problems []error
	byKey := map[string]int{}
	nos := []float64{}
	unreadable := map[string]bool{}
	for i, raw := range raws {
		it, no, drop, err := m.forecast(raw, stations)
		if err != nil {
			problems = append(problems, fmt.Errorf("fldfct row %d: %w", i, err))
		}
		if drop == collectors.DropInvalid {
			if key := m.inForceKey(raw); key != "" {
				unreadable[key] = true
			}
		}
		if drop != "" {
			res.Drop(drop)
			continue
		}
		j, seen := byKey[it.Alert.Key]
		if !seen {
			byKey[it.Alert.Key] = len(res.Items)
			res.Items = append(res.Items, it)
			nos = append(nos, no)
			continue
		}
		// The list may hold several bulletins of one point (발령 then 해제):
		// the latest by ancdt, then by bulletin number, is the point's state.
		cur := res.Items[j].Alert.Sent
		if c := it.Alert.Sent.Compare(cur); c > 0 || (c == 0 && no > nos[j]) {
			res.Items[j], nos[j] = it, no
		}
	}
	// A point with a readable row is decided by it: the list's latest row
	// wins, and an unreadable one of unknown time must not hold its lift.
	for _, key := range slices.Sorted(maps.Keys(unreadable)) {
		if _, ok := byKey[key]; !ok {
			res.Unreadable = append(res.Unreadable, key)
		}
	}
	return res, problems
}

// inForceKey returns the key of an unreadable row that still names its
// forecast point and a kind in force, or "" (an unreadable 해제 keeps
// nothing alive).
func (m *mapper) inForceKey(raw json.RawMessage) string {
	var r forecastRow
	if json.Unmarshal(raw, &r) != nil {
		return ""
	}
	rule, ok := classify(string(r.Kind))
	code := string(r.Sttnm)
	if !ok || rule.intent != collectors.IntentActive || code == "" || strings.Contains(code, ":") {
		return ""
	}
	return alert.MakeKey(m.source, code)
}

// forecast maps one row. no is the bulletin number (-1 when not a number);
// drop is the reason the row gives no item.
func (m *mapper) forecast(raw json.RawMessage, stations map[string]station) (it collectors.Item, no float64, drop string, err error) {
	var r forecastRow
	if err := json.Unmarshal(raw, &r); err != nil {
		return it, 0, collectors.DropInvalid, err
	}
	rule, ok := classify(string(r.Kind))
	if !ok {
		return it, 0, collectors.DropUnmapped, nil
	}
	a, err := m.forecastAlert(&r, rule, stations)
	if err != nil {
		return it, 0, collectors.DropInvalid, err
	}
	no = -1
	if n, err := strconv.ParseFloat(string(r.No), 64); err == nil {
		no = n
	}
	return collectors.Item{Alert: a, Intent: rule.intent}, no, "", nil
}

// forecastAlert builds the alert of a row whose kind maps to rule.
func (m *mapper) forecastAlert(r *forecastRow, rule kindRule, stations map[string]station) (alert.Alert, error) {
	code := string(r.Sttnm)
	switch {
	case code == "":
		return alert.Alert{}, errors.New("sttnm (the forecast point) is blank")
	case strings.Contains(code, ":"):
		// Station codes are digits; a colon could make the key of a derived
		// alert ("level:<code>").
		return alert.Alert{}, fmt.Errorf("sttnm %q is not a station code", code)
	}
	sent, err := parseTime(r.Ancdt)
	if err != nil {
		return alert.Alert{}, fmt.Errorf("ancdt: %w", err)
	}
	onset, err := optionalTime(r.Sttfctdt)
	if err != nil {
		return alert.Alert{}, fmt.Errorf("sttfctdt: %w", err)
	}
	a := alert.Alert{
		Key:         alert.MakeKey(m.source, code),
		Source:      m.source,
		SourceKind:  kindName,
		Hazard:      alert.HazardFlood,
		Event:       string(r.Kind),
		EventCodes:  map[string][]string{"HRFCO": {string(r.Kind)}},
		Status:      alert.StatusActual,
		Severity:    rule.severity,
		Urgency:     alert.UrgencyExpected,
		Certainty:   alert.CertaintyLikely,
		Sent:        sent,
		Onset:       onset,
		Headline:    join(" ", string(r.Rvrnm), string(r.Obsnm), string(r.Kind)),
		Description: forecastText(r),
		Language:    language,
		Sender:      sender,
		SenderName:  string(r.Ancnm),
		Areas:       []alert.Area{forecastArea(r, stations)},
		Parameters:  params(r.fields()),
	}
	if rule.intent == collectors.IntentCancel {
		a.Urgency, a.Certainty = alert.UrgencyPast, alert.CertaintyObserved
	}
	a.Geometry = alert.GeometryOf(a.Areas)
	return a, a.Validate()
}

// forecastArea is the forecast point: its 예보구역 (else river and point
// name), its code, and a point circle when the station list knows where it
// is.
func forecastArea(r *forecastRow, stations map[string]station) alert.Area {
	desc := string(r.Wrnaranm)
	if desc == "" {
		desc = join(" ", string(r.Rvrnm), string(r.Obsnm))
	}
	if desc == "" {
		desc = string(r.Sttnm)
	}
	area := alert.Area{Description: desc, Geocodes: map[string][]string{geocodeSystem: {string(r.Sttnm)}}}
	if st, ok := stations[string(r.Sttnm)]; ok && st.hasPos {
		area.Circles = []alert.Circle{st.pos}
	}
	return area
}

// forecastText writes the bulletin's content as Korean text. Bulletin number
// and issue time are left out on purpose: a re-issue that changes nothing
// else is not a new version (they are in parameters).
func forecastText(r *forecastRow) string {
	var lines []string
	add := func(label, value string) {
		if value != "" {
			lines = append(lines, label+": "+value)
		}
	}
	add("예보구역", string(r.Wrnaranm))
	river := string(r.Rvrnm)
	if r.Wrnrvrnm != r.Rvrnm {
		river = join(", ", river, string(r.Wrnrvrnm))
	}
	add("하천", river)
	add("지점", join(" ", string(r.Obsnm), paren(string(r.Sttnm))))
	add("현재 수위", levelText(r.Sttcurdt, r.Sttcurhgt, r.Sttcursealvl, r.Sttcurcng))
	add("예상 수위", levelText(r.Sttfctdt, r.Sttfcthgt, r.Sttfctsealvl, ""))
	add("수위 도달 예상", levelText(r.Fctdt, r.Fcthgt, r.Fctsealvl, ""))
	add("비고", string(r.Rfrnc2))
	return strings.Join(lines, "\n")
}

// levelText writes "2023-07-15 14:00 5.20 m (EL.12.30 m) 상승".
func levelText(at, height, sea, change str) string {
	when := string(at)
	if t, err := parseTime(at); err == nil {
		when = showTime(&t)
	}
	var h, s string
	if height != "" {
		h = string(height) + " m"
	}
	if sea != "" {
		s = paren("EL." + string(sea) + " m")
	}
	return join(" ", when, h, s, string(change))
}

// params copies the non-empty fields as parameters named hrfco_<field>.
func params(fields [][2]string) map[string][]string {
	out := map[string][]string{}
	for _, f := range fields {
		if f[1] != "" {
			out["hrfco_"+f[0]] = []string{f[1]}
		}
	}
	return out
}

// join joins the non-empty parts with sep.
func join(sep string, parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, sep)
}

// paren returns "(s)", or "" for an empty s.
func paren(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}
