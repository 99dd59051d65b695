package heatindex

import (
	"cmp"
	"fmt"
	"strconv"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
)

// Event names by level. They say "derived" so that nobody mistakes them for
// the agencies' own warnings: the KMA names say which 폭염특보 criterion the
// observations reached, never that KMA issued it.
var (
	nwsEvents = [numLevels]string{"", "Heat Index Caution (derived)", "Heat Index Extreme Caution (derived)",
		"Heat Index Danger (derived)", "Heat Index Extreme Danger (derived)"}
	kmaEvents = [numLevels]string{"", "폭염 관심 기준 도달 (derived)", "폭염주의보 기준 도달 (derived)",
		"폭염경보 기준 도달 (derived)", "폭염중대경보 기준 도달 (derived)"}
)

// item builds the derived alert of station id in level lvl.
func (c *collector) item(id string, m *memory, val value, lvl int, issued, now time.Time) (collectors.Item, error) {
	info := m.info
	name := cmp.Or(info.name, id)
	area := alert.Area{Description: name, Geocodes: map[string][]string{cmp.Or(info.geocode, geocodeStation): {id}}}
	if info.hasPos {
		area.Circles = []alert.Circle{{Lon: info.lon, Lat: info.lat}}
	}
	a := alert.Alert{
		Key:        alert.MakeKey(c.source, id),
		Source:     c.source,
		SourceKind: kindName,
		Hazard:     alert.HazardHeat,
		EventCodes: map[string][]string{"formula": {c.cfg.formula}},
		Status:     alert.StatusActual,
		Severity:   levelSeverity[lvl],
		Urgency:    alert.UrgencyImmediate,
		Certainty:  alert.CertaintyObserved,
		Sent:       m.latest.time,
		Areas:      []alert.Area{area},
		Derived:    true,
	}
	input := inputObservation
	if c.cfg.forecast {
		// A forecast is possible, not observed; it is sent when issued.
		input = inputForecast
		a.Urgency, a.Certainty = alert.UrgencyExpected, alert.CertaintyPossible
		a.Sent = issued
		if issued.IsZero() {
			a.Sent = now.Truncate(time.Minute)
		}
	}
	threshold := c.cfg.limits.value[lvl]
	// The texts hold only what changes with the level, so that a new
	// observation alone makes no new version; the values are parameters.
	if c.cfg.formula == formulaNWS {
		a.Event, a.Language = nwsEvents[lvl], "en-US"
		a.Headline = nwsEvents[lvl] + " at " + name
		a.Description = fmt.Sprintf("Derived by hazardwire from %ss, not an official NWS product: the NWS heat index "+
			"(Rothfusz regression with its adjustments) at %s is at or above %s °F.", input, name, formatC(threshold))
		a.SenderName = "hazardwire (derived heat index)"
		a.Parameters = map[string][]string{
			"heatIndexF": {formatC(val.v)},
			"time":       {val.obs.time.Format(time.RFC3339)},
		}
	} else {
		a.Event, a.Language = kmaEvents[lvl], "ko-KR"
		a.Headline = name + " " + kmaEvents[lvl]
		source := "관측"
		if c.cfg.forecast {
			source = "예보"
		}
		a.Description = fmt.Sprintf("hazardwire가 %s 자료로 계산한 값이며 기상청 특보가 아닙니다: %s의 일최고 체감온도(기상청 여름철 식, "+
			"Stull 습구온도)가 이틀 연속 %s℃ 이상입니다.", source, name, formatC(threshold))
		a.SenderName = "hazardwire (체감온도 파생)"
		a.Parameters = map[string][]string{
			"apparentTemperatureC": {formatC(val.v)},
			"days":                 {val.days[0], val.days[1]},
			"dailyMaxC":            val.maxima,
			"time":                 {val.obs.time.Format(time.RFC3339)},
		}
	}
	a.Parameters["temperatureC"] = []string{formatC(val.obs.tempC)}
	a.Parameters["relativeHumidity"] = []string{formatC(val.obs.rh)}
	a.Parameters["threshold"] = []string{formatC(threshold)}
	a.Parameters["input"] = []string{input}
	a.Geometry = alert.GeometryOf(a.Areas)
	if err := a.Validate(); err != nil {
		return collectors.Item{}, fmt.Errorf("station %s: %w", id, err)
	}
	return collectors.Item{Alert: a, Intent: collectors.IntentActive}, nil
}

// formatC formats a temperature, humidity or threshold with at most one
// decimal.
func formatC(v float64) string { return strconv.FormatFloat(round1(v), 'f', -1, 64) }
