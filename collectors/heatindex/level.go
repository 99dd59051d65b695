package heatindex

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/hazardwire/hazardwire/alert"
)

// The levels a station can be in, by index: 0 is below every threshold. The
// levels are named by the severity they give.
const (
	levelNone = iota
	levelMinor
	levelModerate
	levelSevere
	levelExtreme
	numLevels
)

var levelSeverity = [numLevels]alert.Severity{"", alert.SeverityMinor, alert.SeverityModerate, alert.SeveritySevere, alert.SeverityExtreme}

// thresholds are the value at which each level starts, in the formula's unit.
type thresholds struct {
	value [numLevels]float64
	set   [numLevels]bool
}

// defaultThresholds are the NWS heat index categories (Caution, Extreme
// Caution, Danger, Extreme Danger, °F) and the KMA 폭염 criteria on the daily
// maximum apparent temperature (주의보 33, 경보 35, 중대경보 38 °C; FORMATS.md §7).
var defaultThresholds = map[string]map[string]float64{
	formulaNWS: {"minor": 80, "moderate": 90, "severe": 103, "extreme": 125},
	formulaKMA: {"moderate": 33, "severe": 35, "extreme": 38},
}

// thresholdsOf validates the thresholds option (nil: the formula's defaults).
func thresholdsOf(formula string, in map[string]float64) (thresholds, error) {
	if in == nil {
		in = defaultThresholds[formula]
	}
	var t thresholds
	for _, name := range slices.Sorted(maps.Keys(in)) {
		v := in[name]
		i := slices.Index(levelSeverity[:], alert.Severity(name))
		if i <= levelNone {
			return thresholds{}, fmt.Errorf("thresholds: %q is not minor, moderate, severe or extreme", name)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return thresholds{}, fmt.Errorf("thresholds: %s: %v is not a number", name, v)
		}
		t.value[i], t.set[i] = v, true
	}
	prev := levelNone
	for i := levelMinor; i < numLevels; i++ {
		if !t.set[i] {
			continue
		}
		if prev != levelNone && t.value[i] <= t.value[prev] {
			return thresholds{}, fmt.Errorf("thresholds: %s (%v) must be above %s (%v)", levelSeverity[i], t.value[i], levelSeverity[prev], t.value[prev])
		}
		prev = i
	}
	if prev == levelNone {
		return thresholds{}, errors.New("thresholds: at least one of minor, moderate, severe, extreme is required")
	}
	return t, nil
}

// classify returns the level of value v for a station that was in level
// prev: a level is entered at its threshold and left only below the
// threshold minus hysteresis, so a value hovering at a threshold does not
// flap. (The gauge kind uses the same rule over river stages.)
func (t thresholds) classify(v float64, prev int, hysteresis float64) int {
	up := levelNone
	for i := levelMinor; i < numLevels; i++ {
		if t.set[i] && v >= t.value[i] {
			up = i
		}
	}
	prev = min(prev, numLevels-1)
	for l := prev; l > up; l-- {
		if t.set[l] && v >= t.value[l]-hysteresis {
			return l
		}
	}
	return up
}
