package alert

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// Validate reports every way in which a is not a well-formed alert, joined
// into one error, or nil. Lifecycle fields are checked only when set.
func (a *Alert) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if a.Key == "" {
		add("key is empty")
	}
	if a.Source == "" {
		add("source is empty")
	}
	if !slices.Contains(Hazards, a.Hazard) {
		add("hazard %q is not one of %v", a.Hazard, Hazards)
	}
	if a.Event == "" {
		add("event is empty")
	}
	if !slices.Contains(Statuses, a.Status) {
		add("status %q is not one of %v", a.Status, Statuses)
	}
	if !slices.Contains(Severities, a.Severity) {
		add("severity %q is not one of %v", a.Severity, Severities)
	}
	if !slices.Contains(Urgencies, a.Urgency) {
		add("urgency %q is not one of %v", a.Urgency, Urgencies)
	}
	if !slices.Contains(Certainties, a.Certainty) {
		add("certainty %q is not one of %v", a.Certainty, Certainties)
	}
	if a.Sent.IsZero() {
		add("sent is missing")
	}
	if a.Ends != nil && a.Ends.Before(a.EffectiveTime()) {
		add("ends %s is before effective %s", a.Ends.Format(time.RFC3339), a.EffectiveTime().Format(time.RFC3339))
	}
	for i, ar := range a.Areas {
		for j, r := range ar.Polygons {
			if err := checkRing(r); err != nil {
				add("areas[%d].polygons[%d]: %w", i, j, err)
			}
		}
		for j, c := range ar.Circles {
			if err := checkPosition(c.Lon, c.Lat); err != nil || !validRadius(c.RadiusKm) {
				add("areas[%d].circles[%d]: bad circle %v", i, j, c)
			}
		}
	}
	if a.Version != 0 {
		if a.ID != MakeID(a.Key, a.Version) {
			add("id %q is not %q", a.ID, MakeID(a.Key, a.Version))
		}
		if !slices.Contains(Changes, a.Change) {
			add("change %q is not one of %v", a.Change, Changes)
		}
		if a.State != StateAfter(a.Change) {
			add("state %q does not follow change %q", a.State, a.Change)
		}
	}
	return errors.Join(errs...)
}

// checkRing checks one ring of an area: closed, at least 4 positions, each
// within [lon, lat] bounds.
func checkRing(r [][2]float64) error {
	if len(r) < 4 {
		return fmt.Errorf("ring has %d positions, want at least 4", len(r))
	}
	if r[0] != r[len(r)-1] {
		return errors.New("ring is not closed")
	}
	for _, p := range r {
		if err := checkPosition(p[0], p[1]); err != nil {
			return err
		}
	}
	return nil
}

// checkPosition rejects positions outside [lon, lat] bounds, and NaN or
// infinite ones: strconv.ParseFloat reads "NaN", NaN compares false with every
// bound, and a NaN that got in could not be encoded as JSON later (ContentHash
// and Clone would panic).
func checkPosition(lon, lat float64) error {
	if math.IsNaN(lon) || math.IsNaN(lat) || math.IsInf(lon, 0) || math.IsInf(lat, 0) {
		return fmt.Errorf("position [%g, %g] is not a finite number", lon, lat)
	}
	if lon < -180 || lon > 180 || lat < -90 || lat > 90 {
		return fmt.Errorf("position [%g, %g] is outside [lon, lat] bounds", lon, lat)
	}
	return nil
}

// validRadius accepts a finite radius of zero or more kilometres.
func validRadius(r float64) bool { return r >= 0 && !math.IsInf(r, 1) }
