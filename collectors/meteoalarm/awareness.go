package meteoalarm

import (
	"strconv"
	"strings"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors/internal/capdoc"
)

// MeteoAlarm awareness types ("<n>; <name>") that map to a hazard. Type 10
// (rain) maps to flood only when the operator opts in (rain_as_flood).
const (
	typeHighTemperature = 5
	typeRain            = 10
	typeFlooding        = 12
	typeRainFlood       = 13
)

// typeNames are the names of the awareness types the kind maps, for the rare
// value that gives a name without its number. Casing and separators vary
// ("5; High-Temperature", "13; rain-flood"), so names are compared after
// normalizeName.
var typeNames = map[string]int{
	"high-temperature": typeHighTemperature,
	"rain":             typeRain,
	"flooding":         typeFlooding,
	"rain-flood":       typeRainFlood,
}

// levelColours are the awareness levels by colour: 1 green (no particular
// awareness: not a warning), 2 yellow, 3 orange, 4 red.
var levelColours = map[string]int{"green": 1, "yellow": 2, "orange": 3, "red": 4}

// levelSeverity maps awareness levels to severities. Level 1 (green) only
// reaches it on a block that ends its story (an all-clear or a cancel).
var levelSeverity = map[int]alert.Severity{1: alert.SeverityMinor, 2: alert.SeverityModerate, 3: alert.SeveritySevere, 4: alert.SeverityExtreme}

// hazardOf returns the hazard of an info block from its awareness_type
// (parameter, or event code), and the type number for eventCodes. It never
// guesses from the event name: without a mapped awareness type, or with types
// that name both hazards, ok is false.
func (m *mapper) hazardOf(in *capdoc.Info) (h alert.Hazard, typ int, ok bool) {
	found := map[alert.Hazard]int{}
	for _, list := range [][]capdoc.Pair{in.Parameters, in.EventCodes} {
		for _, p := range list {
			if !strings.EqualFold(strings.TrimSpace(p.Name), "awareness_type") {
				continue
			}
			n := awarenessType(p.Value)
			var hz alert.Hazard
			switch {
			case n == typeHighTemperature:
				hz = alert.HazardHeat
			case n == typeFlooding || n == typeRainFlood || (n == typeRain && m.rainAsFlood):
				hz = alert.HazardFlood
			default:
				continue
			}
			if _, seen := found[hz]; !seen {
				found[hz] = n
			}
		}
	}
	if len(found) != 1 {
		return "", 0, false
	}
	for h, n := range found {
		return h, n, true
	}
	return "", 0, false
}

// awarenessType reads "<n>; <name>": the number, else the name; -1 when
// neither is known.
func awarenessType(v string) int {
	num, name, _ := strings.Cut(v, ";")
	if n, err := strconv.Atoi(strings.TrimSpace(num)); err == nil && n >= 0 {
		return n
	}
	if name == "" {
		name = num // a name alone: "flooding"
	}
	if n, ok := typeNames[normalizeName(name)]; ok {
		return n
	}
	return -1
}

// awarenessLevel reads the first awareness_level parameter, "<n>; <colour>;
// <CAP severity>": the number when it is 1 to 4, else the colour; 0 when
// there is none or it cannot be read.
func awarenessLevel(in *capdoc.Info) int {
	for _, p := range in.Parameters {
		if !strings.EqualFold(strings.TrimSpace(p.Name), "awareness_level") {
			continue
		}
		parts := strings.Split(p.Value, ";")
		if n, err := strconv.Atoi(strings.TrimSpace(parts[0])); err == nil && n >= 1 && n <= 4 {
			return n
		}
		for _, part := range parts {
			if n, ok := levelColours[normalizeName(part)]; ok {
				return n
			}
		}
	}
	return 0
}

// normalizeName lower-cases a name and joins its words with hyphens:
// "High Temperature", "high_temperature" and "High-Temperature" are one.
func normalizeName(s string) string {
	f := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return r == ' ' || r == '-' || r == '_' || r == '\t' || r == '\n' || r == '\r'
	})
	return strings.Join(f, "-")
}
