package meteoalarm

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hazardwire/hazardwire/alert"
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

// levelSeverity maps awareness levels 2 to 4 to severities.
var levelSeverity = map[int]alert.Severity{2: alert.SeverityModerate, 3: alert.SeveritySevere, 4: alert.SeverityExtreme}

// hazardOf returns the hazard of an info block from its awareness_type
// (parameter, or event code), and the type number for eventCodes. It never
// guesses from the event name: without a mapped awareness type, or with types
// that name both hazards, ok is false.
func (m *mapper) hazardOf(in *capInfo) (h alert.Hazard, typ int, ok bool) {
	found := map[alert.Hazard]int{}
	for _, list := range [][]capPair{in.Parameters, in.EventCodes} {
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
func awarenessLevel(in *capInfo) int {
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

// header is what an alert message says about all of its info blocks.
type header struct {
	sender string
	sent   time.Time
	status alert.Status
	cancel bool
	// story is the identifier of the first message of the story: the
	// message itself, or for an Update or Cancel its earliest reference.
	story string
}

// readHeader reads the message-level fields every item needs.
func readHeader(a *capAlert) (*header, error) {
	id := strings.TrimSpace(a.Identifier)
	if id == "" {
		return nil, errors.New("identifier is missing")
	}
	sent, err := alert.ParseTime(a.Sent)
	if err != nil {
		return nil, fmt.Errorf("sent: %w", err)
	}
	status, ok := alert.ParseStatus(a.Status)
	if !ok {
		return nil, fmt.Errorf("status %q is not a CAP status", a.Status)
	}
	h := &header{sender: strings.TrimSpace(a.Sender), sent: sent, status: status, story: id}
	switch msgType := strings.ToLower(strings.TrimSpace(a.MsgType)); msgType {
	case "alert":
	case "update", "cancel":
		h.cancel = msgType == "cancel"
		if first, ok := earliest(parseReferences(a.References)); ok {
			h.story = first.identifier
		}
	default:
		return nil, fmt.Errorf("msgType %q is not a CAP message type", a.MsgType)
	}
	return h, nil
}

// reference is one "sender,identifier,sent" triple of CAP references.
type reference struct {
	identifier string
	sent       time.Time
}

// parseReferences reads CAP references: whitespace-separated triples.
// Malformed triples are skipped.
func parseReferences(s string) []reference {
	var refs []reference
	for _, f := range strings.Fields(s) {
		parts := strings.Split(f, ",")
		if len(parts) != 3 || parts[1] == "" {
			continue
		}
		sent, err := alert.ParseTime(parts[2])
		if err != nil {
			continue
		}
		refs = append(refs, reference{identifier: parts[1], sent: sent})
	}
	return refs
}

// earliest returns the reference sent first; messages sent at one instant
// are ordered by identifier, so that the story's key does not depend on the
// order in which a later message lists them.
func earliest(refs []reference) (reference, bool) {
	if len(refs) == 0 {
		return reference{}, false
	}
	return slices.MinFunc(refs, func(a, b reference) int {
		if c := a.sent.Compare(b.sent); c != 0 {
			return c
		}
		return strings.Compare(a.identifier, b.identifier)
	}), true
}
