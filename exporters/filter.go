package exporters

import (
	"fmt"
	"slices"

	"github.com/hazardwire/hazardwire/alert"
)

// Filter selects the changes an exporter delivers. Every rule is optional;
// rules combine with AND.
type Filter struct {
	// Hazards lists the hazards delivered (empty: all).
	Hazards []alert.Hazard `yaml:"hazards"`
	// MinSeverity delivers alerts at least this severe (empty: all). An alert
	// of unknown severity is below every minimum.
	MinSeverity alert.Severity `yaml:"min_severity"`
	// Status lists the statuses delivered (default: actual only).
	Status []alert.Status `yaml:"status"`
}

// Validate checks the filter's values.
func (f Filter) Validate() error {
	for _, h := range f.Hazards {
		if !slices.Contains(alert.Hazards, h) {
			return fmt.Errorf("filter.hazards: %q is not one of %v", h, alert.Hazards)
		}
	}
	if f.MinSeverity != "" && !slices.Contains(alert.Severities, f.MinSeverity) {
		return fmt.Errorf("filter.min_severity: %q is not one of %v", f.MinSeverity, alert.Severities)
	}
	for _, s := range f.Status {
		if !slices.Contains(alert.Statuses, s) {
			return fmt.Errorf("filter.status: %q is not one of %v", s, alert.Statuses)
		}
	}
	return nil
}

// Match reports whether a passes the filter.
func (f Filter) Match(a *alert.Alert) bool {
	if len(f.Hazards) > 0 && !slices.Contains(f.Hazards, a.Hazard) {
		return false
	}
	if f.MinSeverity != "" && f.MinSeverity != alert.SeverityUnknown && a.Severity.Rank() < f.MinSeverity.Rank() {
		return false
	}
	status := f.Status
	if len(status) == 0 {
		status = []alert.Status{alert.StatusActual}
	}
	return slices.Contains(status, a.Status)
}
