package alert

import (
	"errors"
	"fmt"
	"slices"
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
	if a.Expires != nil && a.Ends != nil && a.Ends.Before(a.EffectiveTime()) {
		add("ends %s is before effective %s", a.Ends.Format("2006-01-02T15:04:05Z07:00"), a.EffectiveTime().Format("2006-01-02T15:04:05Z07:00"))
	}
	for i, ar := range a.Areas {
		for j, p := range ar.Polygons {
			if err := checkPolygon(p); err != nil {
				add("areas[%d].polygons[%d]: %w", i, j, err)
			}
		}
		for j, c := range ar.Circles {
			if err := checkPosition(c.Lon, c.Lat); err != nil || c.RadiusKm < 0 {
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

func checkPolygon(rings [][][2]float64) error {
	if len(rings) == 0 {
		return errors.New("polygon has no ring")
	}
	for _, r := range rings {
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
	}
	return nil
}

func checkPosition(lon, lat float64) error {
	if lon < -180 || lon > 180 || lat < -90 || lat > 90 {
		return fmt.Errorf("position [%g, %g] is outside [lon, lat] bounds", lon, lat)
	}
	return nil
}
