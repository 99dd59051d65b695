// Package kmacode holds the code tables of the Korea Meteorological
// Administration's weather warnings (기상특보) that the kma and kmahub
// collector kinds share: the warning kinds (호우, 폭염, ...), their levels
// (예비특보, 주의보, 경보, 중대경보), which kinds are floods or heat, and the
// agency's time format. The tables are switch statements, not package
// variables, so that nothing here can be changed at run time.
package kmacode

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hazardwire/hazardwire/alert"
)

// Kind is a warning kind (특보 종류), named by the agency's Korean word.
type Kind string

// The warning kinds of FORMATS.md §5.3 and §6, and 열대야, announced for 2026.
const (
	Wind          Kind = "강풍"
	HeavyRain     Kind = "호우"
	Cold          Kind = "한파"
	Dry           Kind = "건조"
	StormSurge    Kind = "폭풍해일"
	Tsunami       Kind = "지진해일"
	HighSeas      Kind = "풍랑"
	Typhoon       Kind = "태풍"
	HeavySnow     Kind = "대설"
	YellowDust    Kind = "황사"
	Heat          Kind = "폭염"
	TropicalNight Kind = "열대야"
	Fog           Kind = "안개"
)

// allKinds lists every kind, for option checks and the kinds' own tests.
func allKinds() []Kind {
	return []Kind{Wind, HeavyRain, Cold, Dry, StormSurge, Tsunami, HighSeas, Typhoon, HeavySnow, YellowDust, Heat, TropicalNight, Fog}
}

// KindOfVar returns the kind of a data.go.kr getPwnCd warnVar (1 강풍 … 12 폭염,
// 13 열대야).
func KindOfVar(v int) (Kind, bool) {
	switch v {
	case 1:
		return Wind, true
	case 2:
		return HeavyRain, true
	case 3:
		return Cold, true
	case 4:
		return Dry, true
	case 5:
		return StormSurge, true
	case 6:
		return HighSeas, true
	case 7:
		return Typhoon, true
	case 8:
		return HeavySnow, true
	case 9:
		return YellowDust, true
	case 12:
		return Heat, true
	case 13:
		return TropicalNight, true
	}
	return "", false
}

// Letter returns the API Hub's WRN letter of k ("H" for 폭염), or "" when the
// documentation gives it none (열대야).
func (k Kind) Letter() string {
	switch k {
	case Wind:
		return "W"
	case HeavyRain:
		return "R"
	case Cold:
		return "C"
	case Dry:
		return "D"
	case StormSurge:
		return "O"
	case Tsunami:
		return "N"
	case HighSeas:
		return "V"
	case Typhoon:
		return "T"
	case HeavySnow:
		return "S"
	case YellowDust:
		return "Y"
	case Heat:
		return "H"
	case Fog:
		return "F"
	}
	return ""
}

// KindOfHub reads an API Hub WRN column: a letter code ("H") or a Korean
// word ("폭염", "폭염특보"; 해일 is 폭풍해일). Case and surrounding space do not
// matter.
func KindOfHub(s string) (Kind, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	for _, k := range allKinds() {
		if l := k.Letter(); l != "" && strings.EqualFold(s, l) {
			return k, true
		}
	}
	word := strings.TrimSuffix(strings.Join(strings.Fields(s), ""), "특보")
	if word == "해일" {
		return StormSurge, true
	}
	for _, k := range allKinds() {
		if word == string(k) {
			return k, true
		}
	}
	return "", false
}

// Level is a warning level (특보 단계).
type Level int

// The levels, from the least severe. LevelUnknown is a level the tables do
// not know (a code added after this was written).
const (
	LevelUnknown Level = iota
	Preliminary        // 예비특보: announced a day or more ahead
	Advisory           // 주의보
	Warning            // 경보
	Severe             // 중대경보 (폭염중대경보, from 2026)
)

// LevelOfStress returns the level of a data.go.kr getPwnCd warnStress: 0
// 주의보, 1 경보, 2 중대경보.
func LevelOfStress(n int) (Level, bool) {
	switch n {
	case 0:
		return Advisory, true
	case 1:
		return Warning, true
	case 2:
		return Severe, true
	}
	return LevelUnknown, false
}

// LevelOfHub reads an API Hub LVL column: the documented codes 1 예비, 2 주의보,
// 3 경보, or the Korean words (예비, 예비특보, 주의, 주의보, 경보, 중대경보).
func LevelOfHub(s string) (Level, bool) {
	switch strings.Join(strings.Fields(s), "") {
	case "1", "예비", "예비특보":
		return Preliminary, true
	case "2", "주의", "주의보":
		return Advisory, true
	case "3", "경보":
		return Warning, true
	case "중대경보", "중대":
		return Severe, true
	}
	return LevelUnknown, false
}

// Name returns the Korean name of the level as it ends an event name:
// 예비특보, 주의보, 경보, 중대경보, and 특보 (warning, unqualified) when unknown.
func (l Level) Name() string {
	switch l {
	case Preliminary:
		return "예비특보"
	case Advisory:
		return "주의보"
	case Warning:
		return "경보"
	case Severe:
		return "중대경보"
	}
	return "특보"
}

// Severity maps the level as FORMATS.md §5 does: 예비특보 minor, 주의보
// moderate, 경보 severe, 중대경보 extreme; an unknown level is unknown.
func (l Level) Severity() alert.Severity {
	switch l {
	case Preliminary:
		return alert.SeverityMinor
	case Advisory:
		return alert.SeverityModerate
	case Warning:
		return alert.SeveritySevere
	case Severe:
		return alert.SeverityExtreme
	}
	return alert.SeverityUnknown
}

// Timing returns the urgency and certainty of an item at level l: a
// preliminary warning is about a day or more ahead and not yet decided; a
// warning in force is expected and likely; a lifted one is past.
func (l Level) Timing(lifted bool) (alert.Urgency, alert.Certainty) {
	switch {
	case lifted:
		return alert.UrgencyPast, alert.CertaintyObserved
	case l == Preliminary:
		return alert.UrgencyFuture, alert.CertaintyPossible
	}
	return alert.UrgencyExpected, alert.CertaintyLikely
}

// EventName returns the agency's own name of a warning: the kind and the
// level joined as KMA writes them ("폭염주의보", "호우경보", "호우예비특보").
func EventName(k Kind, l Level) string {
	return string(k) + l.Name()
}

// Classifier decides which kinds are floods and which are heat.
type Classifier struct {
	hazards map[Kind]alert.Hazard
}

// NewClassifier returns the classifier of a collector: 폭염 is heat; 호우
// (heavy rain) is a flood when heavyRainFlood is set; extra adds kinds by
// their Korean name ("열대야": "heat", "폭풍해일": "flood"). Unknown names and
// hazards are errors, and so is moving 폭염 or 호우: heavyRainFlood decides
// for 호우.
func NewClassifier(heavyRainFlood bool, extra map[string]string) (Classifier, error) {
	c := Classifier{hazards: map[Kind]alert.Hazard{Heat: alert.HazardHeat}}
	if heavyRainFlood {
		c.hazards[HeavyRain] = alert.HazardFlood
	}
	for _, name := range slices.Sorted(maps.Keys(extra)) {
		k, ok := kindNamed(name)
		if !ok {
			return Classifier{}, fmt.Errorf("kinds: %q is not a KMA warning kind (one of %s)", name, kindNames())
		}
		h, ok := alert.ParseHazard(extra[name])
		if !ok {
			return Classifier{}, fmt.Errorf("kinds: %q maps to %q, want flood or heat", name, extra[name])
		}
		switch k {
		case Heat:
			return Classifier{}, fmt.Errorf("kinds: %q is always heat", name)
		case HeavyRain:
			return Classifier{}, fmt.Errorf("kinds: %q is set by heavy_rain_flood", name)
		}
		c.hazards[k] = h
	}
	return c, nil
}

// kindNamed reads a kind option: its Korean name.
func kindNamed(name string) (Kind, bool) {
	name = strings.TrimSpace(name)
	for _, k := range allKinds() {
		if name == string(k) {
			return k, true
		}
	}
	return "", false
}

func kindNames() string {
	var names []string
	for _, k := range allKinds() {
		names = append(names, string(k))
	}
	return strings.Join(names, ", ")
}

// Hazard returns the hazard of kind k; ok is false for a kind that is neither
// flood nor heat (never guessed).
func (c Classifier) Hazard(k Kind) (h alert.Hazard, ok bool) {
	h, ok = c.hazards[k]
	return h, ok
}

// timeLayout is the agency's time: YYYYMMDDHHmm, KST without an offset.
const timeLayout = "200601021504"

// ParseTime reads an agency time, YYYYMMDDHHmm without an offset, as KST
// (+09:00). Anything else is an error: a number of another length is not a
// time the agency writes.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if len(s) != len(timeLayout) {
		return time.Time{}, fmt.Errorf("time %q: want YYYYMMDDHHmm (KST)", s)
	}
	t, err := alert.ParseTimeIn(s, alert.KST, timeLayout)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q: want YYYYMMDDHHmm (KST)", s)
	}
	return t, nil
}

// ParseOptionalTime reads a time that may be unset: "", "0" (getPwnCd's
// "no time") and "-" give the zero time.
func ParseOptionalTime(s string) (time.Time, error) {
	switch strings.TrimSpace(s) {
	case "", "0", "-":
		return time.Time{}, nil
	}
	return ParseTime(s)
}

// ParseInt reads a whole number written as text ("12", " 2 ").
func ParseInt(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, errors.New("not a whole number")
	}
	return n, nil
}

// CleanText turns the agency's CRLF text into LF text without surrounding
// white space.
func CleanText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.TrimSpace(s)
}

// CheckZone reports a 특보구역 code that is not letters and digits (KMA's are
// a letter and seven digits: L1090500 on land, S… at sea). The code goes into
// the alert key as "<zone>/<kind>", which a slash or a space in it would make
// ambiguous, so a row with such a code is dropped as invalid. The callers
// name an empty code themselves.
func CheckZone(code string) error {
	for i := 0; i < len(code); i++ {
		c := code[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return fmt.Errorf("zone code %q is not letters and digits", code)
		}
	}
	return nil
}
