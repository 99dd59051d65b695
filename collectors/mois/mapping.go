package mois

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
)

// Fixed values of every mois alert.
const (
	sender     = "safetydata.go.kr"
	senderName = "행정안전부"
	language   = "ko-KR"
)

// row is one message (FORMATS.md §9). Every field reads a string, a number
// or null, so that a field sent in another JSON type makes the row, not the
// page, unreadable.
type row struct {
	SN         flexString `json:"SN"`           // serial number: the message's identity
	CrtDt      flexString `json:"CRT_DT"`       // when it was sent, KST
	MsgCn      flexString `json:"MSG_CN"`       // the text as broadcast
	RcptnRgnNm flexString `json:"RCPTN_RGN_NM"` // receiving regions, comma-separated
	EmrgStepNm flexString `json:"EMRG_STEP_NM"` // message class: 위급재난, 긴급재난, 안전안내
	DstSeNm    flexString `json:"DST_SE_NM"`    // disaster type: 호우, 폭염, 태풍, 기타, ...
	RegYmd     flexString `json:"REG_YMD"`      // registered in the platform
	MdfcnYmd   flexString `json:"MDFCN_YMD"`    // last modified in the platform
}

// mapper turns rows into items for one configured collector.
type mapper struct {
	source      string
	expireAfter time.Duration
	typhoon     bool // 태풍 → flood
	keywords    bool // 기타 → by the words of the text
}

// Disaster types (DST_SE_NM) by hazard, compared without white space. Only
// types that are the hazard itself: 산사태 (landslide), 태풍 (typhoon, unless
// typhoon_as_flood), 해일 and 지진해일 (surge, tsunami), 강풍, 풍랑 are not.
var typeHazard = map[string]alert.Hazard{
	"호우":   alert.HazardFlood, // heavy rain
	"홍수":   alert.HazardFlood, // flood
	"범람":   alert.HazardFlood, // overflow
	"하천범람": alert.HazardFlood, // river overflow
	"침수":   alert.HazardFlood, // inundation
	"폭염":   alert.HazardHeat,  // heatwave
}

const (
	typeTyphoon = "태풍"
	typeOther   = "기타"
)

// Words that, with the keywords option, map a 기타 message by its text. A
// text with words of both hazards is not guessed at.
var (
	floodWords = []string{"호우", "홍수", "범람", "침수"}
	heatWords  = []string{"폭염"}
)

// hazardOf maps a message by its disaster type, and, for 기타 with the
// keywords option, by its text.
func (m *mapper) hazardOf(dst, text string) (alert.Hazard, bool) {
	t := compact(dst)
	if h, ok := typeHazard[t]; ok {
		return h, true
	}
	switch {
	case t == typeTyphoon && m.typhoon:
		return alert.HazardFlood, true
	case t == typeOther && m.keywords:
		flood := slices.ContainsFunc(floodWords, func(w string) bool { return strings.Contains(text, w) })
		heat := slices.ContainsFunc(heatWords, func(w string) bool { return strings.Contains(text, w) })
		switch {
		case flood && !heat:
			return alert.HazardFlood, true
		case heat && !flood:
			return alert.HazardHeat, true
		}
	}
	return "", false
}

// severityOf maps the message class. The three classes of Korean Cell
// Broadcast are 위급재난문자 (presidential/air raid level), 긴급재난문자 and
// 안전안내문자; anything else (실종경보, a new class) is unknown.
func severityOf(step string) alert.Severity {
	switch strings.TrimSuffix(compact(step), "문자") {
	case "위급재난", "위급":
		return alert.SeverityExtreme
	case "긴급재난", "긴급":
		return alert.SeveritySevere
	case "안전안내":
		return alert.SeverityMinor
	}
	return alert.SeverityUnknown
}

// compact removes every white space, so that "긴급 재난" reads as "긴급재난".
func compact(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// Layouts of the API's times, all KST when they carry no offset (FORMATS.md
// §9: "2026/08/18 02:00:10", "2026/08/18 02:01:05.000000000"; clients show
// dashes and compact forms too). Go reads a fraction after the seconds
// without it being in the layout.
var (
	sentLayouts = []string{
		"2006/01/02 15:04:05", "2006-01-02 15:04:05", "2006.01.02 15:04:05", "2006-01-02T15:04:05",
		"2006/01/02 15:04", "2006-01-02 15:04", "20060102150405", "200601021504",
	}
	// Registration times may be a bare date.
	recordLayouts = append(slices.Clone(sentLayouts), "2006/01/02", "2006-01-02", "2006.01.02", "20060102")
)

// parseKST reads a time of the API: RFC 3339 with its own offset, or one of
// layouts in KST.
func parseKST(s string, layouts []string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errors.New("empty")
	}
	if t, err := alert.ParseTime(s); err == nil {
		return t, nil
	}
	return alert.ParseTimeIn(s, alert.KST, layouts...)
}

// serial returns the canonical text of a serial number (266798, "266798"
// and "0266798" are one message), or an error.
func serial(s string) (string, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return "", fmt.Errorf("SN %q is not a serial number", s)
	}
	return strconv.FormatUint(n, 10), nil
}

// areasOf splits the receiving regions on commas: each region name is one
// area (names hold spaces: "충청남도 당진시 석문면"), trimmed, once.
func areasOf(regions string) []alert.Area {
	var out []alert.Area
	seen := map[string]bool{}
	for _, name := range strings.Split(regions, ",") {
		name = strings.Join(strings.Fields(name), " ")
		if name == "" || seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, alert.Area{Description: name})
	}
	return out
}

// readRow decodes one raw row and its serial number.
func readRow(raw json.RawMessage) (row, string, error) {
	var r row
	if err := json.Unmarshal(raw, &r); err != nil {
		return row{}, "", fmt.Errorf("not a message object: %w", err)
	}
	sn, err := serial(string(r.SN))
	return r, sn, err
}

// item maps one row. drop is the reason the row is left out ("" when it
// maps), and problem says why for an invalid one.
func (m *mapper) item(r row, sn string) (it collectors.Item, drop string, problem error) {
	sent, err := parseKST(string(r.CrtDt), sentLayouts)
	if err != nil {
		return it, collectors.DropInvalid, fmt.Errorf("SN %s: CRT_DT: %w", sn, err)
	}
	dst := strings.TrimSpace(string(r.DstSeNm))
	text := strings.TrimSpace(string(r.MsgCn))
	h, ok := m.hazardOf(dst, text)
	if !ok {
		return it, collectors.DropUnmapped, nil
	}
	step := strings.TrimSpace(string(r.EmrgStepNm))
	areas := areasOf(string(r.RcptnRgnNm))
	expires := sent.Add(m.expireAfter)
	a := alert.Alert{
		Key:         alert.MakeKey(m.source, sn),
		Source:      m.source,
		SourceKind:  kindName,
		Hazard:      h,
		Event:       dst,
		EventCodes:  params("DST_SE_NM", dst, "EMRG_STEP_NM", step),
		Status:      alert.StatusActual,
		Severity:    severityOf(step),
		Urgency:     alert.UrgencyImmediate,
		Certainty:   alert.CertaintyObserved,
		Sent:        sent,
		Expires:     &expires,
		Headline:    strings.TrimSpace(dst + " " + step),
		Description: text,
		Language:    language,
		Sender:      sender,
		SenderName:  senderName,
		Areas:       areas,
		Geometry:    alert.GeometryOf(areas),
		Parameters: params("SN", sn, "CRT_DT", strings.TrimSpace(string(r.CrtDt)),
			"REG_YMD", strings.TrimSpace(string(r.RegYmd)), "MDFCN_YMD", strings.TrimSpace(string(r.MdfcnYmd))),
	}
	return collectors.Item{Alert: a, Intent: collectors.IntentActive}, "", nil
}

// params builds a map of name → [value] from pairs, leaving out empty values.
func params(pairs ...string) map[string][]string {
	out := map[string][]string{}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			out[pairs[i]] = []string{pairs[i+1]}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
