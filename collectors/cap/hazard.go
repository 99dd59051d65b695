package cap

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors/internal/capdoc"
)

// sameFlood are the SAME/NWR event codes of flood products
// (weather.gov/nwr/eventcodes). There is no SAME code for heat.
var sameFlood = map[string]bool{
	"FFW": true, "FFA": true, "FFS": true, // flash flood warning, watch, statement
	"FLW": true, "FLA": true, "FLS": true, // flood warning, watch, statement
	"CFW": true, "CFA": true, "CFS": true, // coastal flood warning, watch, statement
	"LSW": true, "LSA": true, // lakeshore flood warning, watch
}

// vtecHazard maps NWS P-VTEC phenomena codes to hazards.
var vtecHazard = map[string]alert.Hazard{
	"FA": alert.HazardFlood, // areal flood
	"FF": alert.HazardFlood, // flash flood
	"FL": alert.HazardFlood, // river flood
	"CF": alert.HazardFlood, // coastal flood
	"LS": alert.HazardFlood, // lakeshore flood
	"HY": alert.HazardFlood, // hydrologic
	"HT": alert.HazardHeat,  // heat advisory
	"EH": alert.HazardHeat,  // excessive heat (before 2025)
	"XH": alert.HazardHeat,  // extreme heat (2025 on)
}

// pvtec matches a P-VTEC string: /k.aaa.cccc.pp.s.####.yymmddThhnnZ-yymmddThhnnZ/.
// Only the phenomena (group 1) is read. H-VTEC lines do not match.
var pvtec = regexp.MustCompile(`/[OTEX]\.[A-Z]{3}\.[A-Z0-9]{4}\.([A-Z]{2})\.[A-Z]\.\d{4}\.`)

// meteoalarmHazard maps MeteoAlarm awareness types ("<n>; <name>") to hazards.
var meteoalarmHazard = map[int]alert.Hazard{
	5:  alert.HazardHeat,  // high-temperature
	12: alert.HazardFlood, // flooding
	13: alert.HazardFlood, // rain-flood
}

// keyword is one rule over an event name that has been lower-cased and
// reduced to single-space-separated words with a space at each end.
type keyword struct {
	text   string
	hazard alert.Hazard
	how    matchHow
}

type matchHow int

const (
	word      matchHow = iota // a whole word or phrase: " heat "
	prefix                    // the start of a word: " flood" (floods, flooding)
	substring                 // anywhere: Korean and German compounds
)

// keywords are the event-name rules, used only when no option or code
// decides. They are deliberately narrow: a miss is counted as unmapped, a false
// hit would send a wrong alert.
var keywords = []keyword{
	// English.
	{"flood", alert.HazardFlood, prefix}, // flood, floods, flooding, flash flood, floodwatch
	{"inundation", alert.HazardFlood, prefix},
	{"heat", alert.HazardHeat, word}, // not wheat, heath, heating, theater
	{"heatwave", alert.HazardHeat, prefix},
	{"high temperature", alert.HazardHeat, prefix}, // MeteoAlarm: "high-temperature warning"
	// Korean: compounds without spaces (호우경보, 폭염주의보).
	{"홍수", alert.HazardFlood, substring}, // flood
	{"호우", alert.HazardFlood, substring}, // heavy rain
	{"범람", alert.HazardFlood, substring}, // overflow
	{"침수", alert.HazardFlood, substring}, // inundation
	{"폭염", alert.HazardHeat, substring},  // heatwave
	// French.
	{"crue", alert.HazardFlood, word},
	{"crues", alert.HazardFlood, word},
	{"inondation", alert.HazardFlood, prefix},
	{"canicule", alert.HazardHeat, prefix},
	{"chaleur", alert.HazardHeat, prefix},
	// German: compounds (Hochwasserwarnung, Hitzewarnung).
	{"hochwasser", alert.HazardFlood, substring},
	{"überschwemmung", alert.HazardFlood, substring},
	{"ueberschwemmung", alert.HazardFlood, substring},
	{"hitze", alert.HazardHeat, substring},
	// Spanish and Portuguese.
	{"inundaci", alert.HazardFlood, prefix}, // inundación, inundaciones
	{"inundaç", alert.HazardFlood, prefix},  // inundação, inundações
	{"calor", alert.HazardHeat, word},       // ola de calor, onda de calor
	// Italian.
	{"alluvion", alert.HazardFlood, prefix},   // alluvione, alluvioni
	{"inondazion", alert.HazardFlood, prefix}, // inondazione
	{"calore", alert.HazardHeat, word},        // ondata di calore
	// Dutch.
	{"overstroming", alert.HazardFlood, substring},
	{"hittegolf", alert.HazardHeat, substring},
	{"hitte", alert.HazardHeat, word},
}

// eventRule is an operator's decision for one event name: a hazard, or none
// (never map this event, whatever its codes or words say).
type eventRule struct {
	hazard alert.Hazard
	none   bool
}

// classifier decides the hazard of a CAP info block. It never guesses: each
// step either decides or passes on, and conflicting evidence within a step
// leaves the block unmapped.
type classifier struct {
	events   map[string]eventRule // by lower-cased event name
	keywords bool
}

// classify returns the hazard of in, or false when it is neither flood nor
// heat (or cannot be told).
func (c *classifier) classify(in *capdoc.Info) (alert.Hazard, bool) {
	event := strings.TrimSpace(in.Event)
	if r, ok := c.events[strings.ToLower(event)]; ok {
		return r.hazard, !r.none
	}
	if h, decided, ok := byCodes(in); decided {
		return h, ok
	}
	if c.keywords {
		return byKeywords(event)
	}
	return "", false
}

// byCodes reads SAME event codes, NWS VTEC and MeteoAlarm awareness types.
// decided is false when no code names flood or heat.
func byCodes(in *capdoc.Info) (h alert.Hazard, decided, ok bool) {
	found := map[alert.Hazard]bool{}
	for i, list := range [][]capdoc.Pair{in.EventCodes, in.Parameters} {
		isEventCode := i == 0
		for _, p := range list {
			name, value := strings.TrimSpace(p.Name), strings.TrimSpace(p.Value)
			switch {
			case isEventCode && strings.EqualFold(name, "SAME"):
				if sameFlood[strings.ToUpper(value)] {
					found[alert.HazardFlood] = true
				}
			case strings.EqualFold(name, "VTEC"):
				for _, m := range pvtec.FindAllStringSubmatch(value, -1) {
					if hz, ok := vtecHazard[m[1]]; ok {
						found[hz] = true
					}
				}
			case strings.EqualFold(name, "awareness_type"):
				if hz, ok := meteoalarmHazard[leadingInt(value)]; ok {
					found[hz] = true
				}
			}
		}
	}
	return only(found)
}

// byKeywords reads the event name.
func byKeywords(event string) (alert.Hazard, bool) {
	norm := normalizeEvent(event)
	found := map[alert.Hazard]bool{}
	for _, k := range keywords {
		var hit bool
		switch k.how {
		case word:
			hit = strings.Contains(norm, " "+k.text+" ")
		case prefix:
			hit = strings.Contains(norm, " "+k.text)
		case substring:
			hit = strings.Contains(norm, k.text)
		}
		if hit {
			found[k.hazard] = true
		}
	}
	h, decided, ok := only(found)
	return h, decided && ok
}

// only returns the single hazard in found; two hazards are a conflict.
func only(found map[alert.Hazard]bool) (h alert.Hazard, decided, ok bool) {
	switch len(found) {
	case 0:
		return "", false, false
	case 1:
		for h := range found {
			return h, true, true
		}
	}
	return "", true, false
}

// normalizeEvent lower-cases s and turns every run of characters that are not
// letters or digits into one space, with a space at each end.
func normalizeEvent(s string) string {
	var b strings.Builder
	b.WriteByte(' ')
	space := true
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
			space = false
		} else if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	if !space {
		b.WriteByte(' ')
	}
	return b.String()
}

// leadingInt reads the number at the start of s ("12; flooding" → 12), or -1.
func leadingInt(s string) int {
	s = strings.TrimSpace(s)
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, err := strconv.Atoi(s[:end])
	if err != nil {
		return -1
	}
	return n
}
