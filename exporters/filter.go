package exporters

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hazardwire/hazardwire/alert"
)

// Filter selects the changes an exporter delivers. Every rule is optional;
// rules combine with AND, except where: the region and the geocodes both say
// where the partner is, and an alert matching either is in. The content and
// place rules (min_severity, urgency, certainty, events, geocodes, region) do
// not hold back a cancel or an expire: the end of an alert always reaches a
// partner that takes its hazard, status and source, even when the version
// the partner holds was in its place and the last one (of which the end is
// built) was not. An update that no longer passes is sent when the version
// before it passed (Leaving).
type Filter struct {
	// Hazards lists the hazards delivered (empty: all).
	Hazards []alert.Hazard `yaml:"hazards"`
	// MinSeverity delivers alerts at least this severe (empty: all). An alert
	// of unknown severity is below every minimum.
	MinSeverity alert.Severity `yaml:"min_severity"`
	// Status lists the statuses delivered (default: actual only).
	Status []alert.Status `yaml:"status"`
	// Urgency and Certainty list the values delivered (empty: all).
	Urgency   []alert.Urgency   `yaml:"urgency"`
	Certainty []alert.Certainty `yaml:"certainty"`
	// Events lists agency event names delivered, case-insensitive (empty: all).
	Events []string `yaml:"events"`
	// Sources lists collector names delivered (empty: all).
	Sources []string `yaml:"sources"`
	// Geocodes maps a code system to code prefixes: an alert with an area
	// code starting with one of them is in ("KMA_REG": ["L11"] takes every
	// Seoul zone; "UGC": ["TXZ"] every Texas zone). Any case.
	Geocodes map[string][]string `yaml:"geocodes"`
	// Region takes alerts whose geometry touches it. An alert known only by
	// geocodes is matched by Geocodes; with no Geocodes rule it is delivered
	// rather than silently dropped.
	Region Region `yaml:"region"`
}

// Validate checks the filter's values and prepares its region.
func (f *Filter) Validate() error {
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
	for _, u := range f.Urgency {
		if !slices.Contains(alert.Urgencies, u) {
			return fmt.Errorf("filter.urgency: %q is not one of %v", u, alert.Urgencies)
		}
	}
	for _, c := range f.Certainty {
		if !slices.Contains(alert.Certainties, c) {
			return fmt.Errorf("filter.certainty: %q is not one of %v", c, alert.Certainties)
		}
	}
	return f.Region.compile()
}

// Match reports whether a passes the filter; why names the first rule that
// failed, for logs and tests.
func (f *Filter) Match(a *alert.Alert) (ok bool) {
	_, ok = f.why(a)
	return ok
}

// why returns the rule that rejects a, or ok.
func (f *Filter) why(a *alert.Alert) (string, bool) {
	if len(f.Hazards) > 0 && !slices.Contains(f.Hazards, a.Hazard) {
		return "hazards", false
	}
	// The end of an alert is delivered whatever its content rules say: an
	// agency's cancel is often "minor" or renamed ("Warning no Longer in
	// Force"), and a partner must not keep a warning it once received.
	ending := a.Change == alert.ChangeCancel || a.Change == alert.ChangeExpire
	if !ending && f.MinSeverity != "" && f.MinSeverity != alert.SeverityUnknown && a.Severity.Rank() < f.MinSeverity.Rank() {
		return "min_severity", false
	}
	status := f.Status
	if len(status) == 0 {
		status = []alert.Status{alert.StatusActual}
	}
	if !slices.Contains(status, a.Status) {
		return "status", false
	}
	if !ending && len(f.Urgency) > 0 && !slices.Contains(f.Urgency, a.Urgency) {
		return "urgency", false
	}
	if !ending && len(f.Certainty) > 0 && !slices.Contains(f.Certainty, a.Certainty) {
		return "certainty", false
	}
	if !ending && len(f.Events) > 0 && !slices.ContainsFunc(f.Events, func(e string) bool { return strings.EqualFold(e, a.Event) }) {
		return "events", false
	}
	if len(f.Sources) > 0 && !slices.Contains(f.Sources, a.Source) {
		return "sources", false
	}
	// The filter keeps no memory of what it let through: a version moved
	// out of the partner's place may have followed one inside it (that
	// update is sent, Leaving), and the end is built from the last version.
	if !ending && !f.where(a) {
		return "where", false
	}
	return "", true
}

// Leaving reports whether update a, which fails the filter, is sent anyway
// because the version before it passed: the partner holds that version,
// and must hear that the alert moved out of its place or fell below its
// severity rather than keep it until the end. Later updates outside the
// filter are not sent; the end always is. previous is the stream sequence
// of that version (alert.PreviousSeqHeader; 0: not known, as for changes
// published before updates carried it), and read reads it (nil, nil when it
// is no longer on the stream). A version that cannot be read counts as
// having passed: a partner may be told of an alert it never had, as with
// ends, but is never left holding one. An error from read is returned with
// true, for the caller to log (or, when stopping, to leave the change).
func (f *Filter) Leaving(a *alert.Alert, previous uint64, read func(seq uint64) (*alert.Alert, error)) (bool, error) {
	if a.Change != alert.ChangeUpdate || previous == 0 {
		return false, nil
	}
	// Only the content and place rules can be left, as only they let ends
	// through: an update of a hazard, status or source the partner does
	// not take is not sent, whatever came before it.
	if rule, _ := f.why(a); rule == "hazards" || rule == "status" || rule == "sources" {
		return false, nil
	}
	p, err := read(previous)
	if err != nil || p == nil || p.Key != a.Key {
		return true, err
	}
	return f.Match(p), nil
}

// where applies the region and geocode rules.
func (f *Filter) where(a *alert.Alert) bool {
	region, codes := f.Region.set(), len(f.Geocodes) > 0
	switch {
	case !region && !codes:
		return true
	case codes && f.geocodeMatch(a):
		return true
	case region && a.Geometry != nil:
		return f.Region.Intersects(a.Geometry)
	case region && !codes:
		return true // cannot be placed: delivered, never silently dropped
	}
	return false
}

// geocodeMatch reports whether an area code of a starts with one of the
// filter's prefixes for its code system. Systems and codes compare in any
// case: an operator's {ugc: [txz]} means what {UGC: [TXZ]} does, rather
// than silently nothing.
func (f *Filter) geocodeMatch(a *alert.Alert) bool {
	for _, ar := range a.Areas {
		for system, values := range ar.Geocodes {
			for fs, prefixes := range f.Geocodes {
				if !strings.EqualFold(fs, system) {
					continue
				}
				for _, v := range values {
					for _, p := range prefixes {
						if len(v) >= len(p) && strings.EqualFold(v[:len(p)], p) {
							return true
						}
					}
				}
			}
		}
	}
	return false
}
