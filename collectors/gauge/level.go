package gauge

import (
	"errors"
	"fmt"
	"math"

	"github.com/hazardwire/hazardwire/alert"
)

// The levels a station can be in, by index: 0 is below every threshold.
const (
	levelNone = iota
	levelMinor
	levelModerate
	levelMajor
	levelExtreme
	numLevels
)

// levelNames are the config names of the levels, by index.
var levelNames = [numLevels]string{"", "minor", "moderate", "major", "extreme"}

// levelSeverity maps a level to the alert severity: the NWS flood categories
// minor/moderate/major are CAP minor/moderate/severe, and the optional
// extreme level (a record or dam-safety stage) is extreme.
var levelSeverity = [numLevels]alert.Severity{"", alert.SeverityMinor, alert.SeverityModerate, alert.SeveritySevere, alert.SeverityExtreme}

// Where a threshold comes from.
const (
	fromConfig    = "config"
	fromPublished = "published" // EA stageScale.typicalRangeHigh
)

// thresholds are a station's levels: value and origin per level index.
type thresholds struct {
	value  [numLevels]float64
	set    [numLevels]bool
	origin [numLevels]string
}

// stationConfig is one validated station of the config.
type stationConfig struct {
	name     string
	lat, lon *float64
	measure  string
	limits   thresholds
}

// stationOf validates one station of the options.
func stationOf(id string, s Station, usePublished bool) (stationConfig, error) {
	if id == "" {
		return stationConfig{}, errors.New("empty station id")
	}
	sc := stationConfig{name: s.Name, lat: s.Lat, lon: s.Lon, measure: s.Measure}
	for i, v := range [numLevels]*float64{nil, s.Minor, s.Moderate, s.Major, s.Extreme} {
		if v == nil {
			continue
		}
		if math.IsNaN(*v) || math.IsInf(*v, 0) {
			return stationConfig{}, fmt.Errorf("%s: %v is not a number", levelNames[i], *v)
		}
		sc.limits.value[i], sc.limits.set[i], sc.limits.origin[i] = *v, true, fromConfig
	}
	if err := sc.limits.check(); err != nil {
		return stationConfig{}, err
	}
	if !sc.limits.any() && !usePublished {
		return stationConfig{}, errors.New("no threshold: give at least one of minor, moderate, major, extreme (or use_published with format ea)")
	}
	if (s.Lat == nil) != (s.Lon == nil) {
		return stationConfig{}, errors.New("lat and lon go together")
	}
	if s.Lat != nil && !validPosition(*s.Lat, *s.Lon) {
		return stationConfig{}, fmt.Errorf("lat %v, lon %v: outside [-90, 90] × [-180, 180]", *s.Lat, *s.Lon)
	}
	return sc, nil
}

// check rejects thresholds that do not grow with the level: a moderate stage
// at or below the minor one is a typo, and hysteresis would misbehave.
func (t thresholds) check() error {
	prev := levelNone
	for i := levelMinor; i < numLevels; i++ {
		if !t.set[i] {
			continue
		}
		if prev != levelNone && t.value[i] <= t.value[prev] {
			return fmt.Errorf("%s (%v) must be above %s (%v)", levelNames[i], t.value[i], levelNames[prev], t.value[prev])
		}
		prev = i
	}
	return nil
}

func (t thresholds) any() bool {
	for i := levelMinor; i < numLevels; i++ {
		if t.set[i] {
			return true
		}
	}
	return false
}

// withPublished returns t with high as the minor level when the config gives
// none, provided it stays below the configured levels above it.
func (t thresholds) withPublished(high *float64) thresholds {
	if t.set[levelMinor] || high == nil || math.IsNaN(*high) || math.IsInf(*high, 0) {
		return t
	}
	u := t
	u.value[levelMinor], u.set[levelMinor], u.origin[levelMinor] = *high, true, fromPublished
	if u.check() != nil {
		return t
	}
	return u
}

// classify returns the level of value v for a station that was in level prev.
// Rising, a level is entered at its threshold; falling, a level is left only
// once v is below its threshold minus hysteresis, so a river hovering at a
// threshold does not flap in and out of it.
func (t thresholds) classify(v float64, prev int, hysteresis float64) int {
	up := levelNone
	for i := levelMinor; i < numLevels; i++ {
		if t.set[i] && v >= t.value[i] {
			up = i
		}
	}
	if prev >= numLevels {
		prev = numLevels - 1
	}
	for l := prev; l > up; l-- {
		if t.set[l] && v >= t.value[l]-hysteresis {
			return l
		}
	}
	return up
}

func validPosition(lat, lon float64) bool {
	return lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180 && !math.IsNaN(lat) && !math.IsNaN(lon)
}
