package heatindex

import (
	"maps"
	"math"
	"slices"
	"time"

	"github.com/hazardwire/hazardwire/collectors"
)

// memory is what the collector holds of one station.
type memory struct {
	info   stationInfo
	latest obs
	// series is every observation of the station in this run's documents
	// (forecast input: the peak is looked for in it).
	series []obs
	// days holds the daily maximum of the KMA apparent temperature by KST
	// day ("2006-01-02"); with observations it spans runs.
	days map[string]dayMax
}

// dayMax is one day's maximum apparent temperature and the observation
// behind it.
type dayMax struct {
	at  float64
	obs obs
}

// keepDays is how many KST days before today the maxima are kept: the
// pair (day before yesterday, yesterday) still holds an alert through today.
const keepDays = 2

// value is a station's evaluated value and what it rests on.
type value struct {
	v float64 // °F heat index (nws) or °C apparent temperature (kma), rounded to 0.1
	// obs is the observation behind v: the one whose heat index it is (nws),
	// or the one behind the lower daily maximum of the pair (kma).
	obs obs
	// days are the two KST days whose maxima gave v (kma).
	days [2]string
	// maxima are the kept daily maxima (kma), oldest first, "day=value".
	maxima []string
}

// evaluate updates the stations with the run's observations and returns the
// Result: one item per station at or above a threshold. Call it with c.mu
// held.
func (c *collector) evaluate(p *parsed, now time.Time) collectors.Result {
	res := p.res
	res.Snapshot = true
	stations := c.absorb(p, now)
	for _, id := range slices.Sorted(maps.Keys(stations)) {
		m := stations[id]
		val, ok := c.valueOf(m, now)
		if !ok {
			delete(c.levels, id)
			continue
		}
		lvl := c.cfg.limits.classify(val.v, c.levels[id], c.cfg.hysteresis)
		if lvl == levelNone {
			delete(c.levels, id)
			continue
		}
		it, err := c.item(id, m, val, lvl, p.issued, now)
		if err != nil {
			delete(c.levels, id)
			p.problems = append(p.problems, err)
			res.Drop(collectors.DropInvalid)
			continue
		}
		c.levels[id] = lvl
		res.Items = append(res.Items, it)
	}
	for id := range c.levels {
		if _, ok := stations[id]; !ok {
			delete(c.levels, id)
		}
	}
	return res
}

// absorb returns the stations to evaluate. Observations join the memory of
// earlier runs (latest observation, daily maxima), which forgets what is too
// old to count; a forecast stands alone, its run replacing the last.
func (c *collector) absorb(p *parsed, now time.Time) map[string]*memory {
	stations := c.memory
	if c.cfg.forecast {
		stations = map[string]*memory{}
	}
	for _, m := range stations {
		m.series = nil
	}
	for _, o := range p.obs {
		m := stations[o.station]
		if m == nil {
			m = &memory{days: map[string]dayMax{}}
			stations[o.station] = m
		}
		m.series = append(m.series, o)
		if m.latest.time.IsZero() || !o.time.Before(m.latest.time) {
			m.latest, m.info = o, o.info
		}
		if c.cfg.formula == formulaKMA {
			day := kstDay(o.time)
			at := round1(apparentKMA(o.tempC, o.rh))
			if cur, ok := m.days[day]; !ok || at > cur.at {
				m.days[day] = dayMax{at: at, obs: o}
			}
		}
	}
	oldest := kstDay(now.AddDate(0, 0, -keepDays))
	for id, m := range stations {
		for day := range m.days {
			if day < oldest {
				delete(m.days, day)
			}
		}
		// Nothing left to evaluate: the station is forgotten.
		stale := c.cfg.formula == formulaKMA && len(m.days) == 0
		if c.cfg.formula == formulaNWS && now.Sub(m.latest.time) > 3*24*time.Hour {
			stale = true
		}
		if stale {
			delete(stations, id)
		}
	}
	return stations
}

// valueOf computes the value a station is judged by; ok is false when there
// is none (no recent observation, no pair of days).
func (c *collector) valueOf(m *memory, now time.Time) (value, bool) {
	if c.cfg.formula == formulaNWS {
		return c.nwsValue(m, now)
	}
	return c.kmaValue2Days(m, now)
}

// nwsValue is the heat index of the latest observation, or for a forecast
// the highest heat index from the last hour on.
func (c *collector) nwsValue(m *memory, now time.Time) (value, bool) {
	hi := func(o obs) float64 { return round1(heatIndexF(celsiusToF(o.tempC), o.rh)) }
	if !c.cfg.forecast {
		if c.cfg.maxAge > 0 && now.Sub(m.latest.time) > c.cfg.maxAge {
			return value{}, false
		}
		return value{v: hi(m.latest), obs: m.latest}, true
	}
	var best value
	found := false
	for _, o := range m.series {
		if o.time.Before(now.Add(-time.Hour)) {
			continue
		}
		if v := hi(o); !found || v > best.v || (v == best.v && o.time.Before(best.obs.time)) {
			best, found = value{v: v, obs: o}, true
		}
	}
	return best, found
}

// kmaValue2Days applies the Korean rule: the lower daily maximum of two
// consecutive KST days, the best such pair ending yesterday or later. The
// pair (day before yesterday, yesterday) holds an alert through today while
// today is still being observed; forecast days make later pairs.
func (c *collector) kmaValue2Days(m *memory, now time.Time) (value, bool) {
	today := kstDay(now)
	yesterday := kstDay(now.AddDate(0, 0, -1))
	days := slices.Sorted(maps.Keys(m.days))
	var best value
	found := false
	for i := 1; i < len(days); i++ {
		prev, day := days[i-1], days[i]
		if day < yesterday || !consecutive(prev, day) || (!c.cfg.forecast && day > today) {
			continue
		}
		// The lower maximum decides; its observation is the one reported.
		low := m.days[prev]
		if m.days[day].at < low.at {
			low = m.days[day]
		}
		if !found || low.at > best.v {
			best, found = value{v: low.at, obs: low.obs, days: [2]string{prev, day}}, true
		}
	}
	if !found {
		return value{}, false
	}
	for _, d := range days {
		best.maxima = append(best.maxima, d+"="+formatC(m.days[d].at))
	}
	return best, true
}

// consecutive reports whether KST day b follows day a.
func consecutive(a, b string) bool {
	ta, err1 := time.Parse(time.DateOnly, a)
	tb, err2 := time.Parse(time.DateOnly, b)
	return err1 == nil && err2 == nil && ta.AddDate(0, 0, 1).Equal(tb)
}

// round1 rounds to 0.1, the precision KMA and NWS publish these values in:
// 32.96 °C is the 33.0 a forecaster reads, and it reaches 33.
func round1(v float64) float64 { return math.Round(v*10) / 10 }
