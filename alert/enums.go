package alert

import "strings"

// Change is the kind of lifecycle change a published alert announces.
type Change string

// The lifecycle changes.
const (
	ChangeNew    Change = "new"
	ChangeUpdate Change = "update"
	ChangeCancel Change = "cancel"
	ChangeExpire Change = "expire"
)

// Changes lists every change, in lifecycle order.
var Changes = []Change{ChangeNew, ChangeUpdate, ChangeCancel, ChangeExpire}

// State says whether an alert is still in force after its change.
type State string

// The alert states.
const (
	StateActive State = "active"
	StateEnded  State = "ended"
)

// StateAfter returns the state an alert is in after change c.
func StateAfter(c Change) State {
	if c == ChangeCancel || c == ChangeExpire {
		return StateEnded
	}
	return StateActive
}

// Hazard is what an alert warns about.
type Hazard string

// The hazards hazardwire maps. Items that are neither are dropped, never guessed.
const (
	HazardFlood Hazard = "flood"
	HazardHeat  Hazard = "heat"
)

// Hazards lists every hazard.
var Hazards = []Hazard{HazardFlood, HazardHeat}

// Status is CAP's status, lower case.
type Status string

// The statuses.
const (
	StatusActual   Status = "actual"
	StatusExercise Status = "exercise"
	StatusSystem   Status = "system"
	StatusTest     Status = "test"
	StatusDraft    Status = "draft"
)

// Statuses lists every status.
var Statuses = []Status{StatusActual, StatusExercise, StatusSystem, StatusTest, StatusDraft}

// Severity is CAP's severity, lower case.
type Severity string

// The severities, from most to least severe.
const (
	SeverityExtreme  Severity = "extreme"
	SeveritySevere   Severity = "severe"
	SeverityModerate Severity = "moderate"
	SeverityMinor    Severity = "minor"
	SeverityUnknown  Severity = "unknown"
)

// Severities lists every severity, most severe first.
var Severities = []Severity{SeverityExtreme, SeveritySevere, SeverityModerate, SeverityMinor, SeverityUnknown}

// Rank orders severities: extreme 4, severe 3, moderate 2, minor 1, unknown 0.
func (s Severity) Rank() int {
	switch s {
	case SeverityExtreme:
		return 4
	case SeveritySevere:
		return 3
	case SeverityModerate:
		return 2
	case SeverityMinor:
		return 1
	}
	return 0
}

// Urgency is CAP's urgency, lower case.
type Urgency string

// The urgencies.
const (
	UrgencyImmediate Urgency = "immediate"
	UrgencyExpected  Urgency = "expected"
	UrgencyFuture    Urgency = "future"
	UrgencyPast      Urgency = "past"
	UrgencyUnknown   Urgency = "unknown"
)

// Urgencies lists every urgency.
var Urgencies = []Urgency{UrgencyImmediate, UrgencyExpected, UrgencyFuture, UrgencyPast, UrgencyUnknown}

// Certainty is CAP's certainty, lower case.
type Certainty string

// The certainties.
const (
	CertaintyObserved Certainty = "observed"
	CertaintyLikely   Certainty = "likely"
	CertaintyPossible Certainty = "possible"
	CertaintyUnlikely Certainty = "unlikely"
	CertaintyUnknown  Certainty = "unknown"
)

// Certainties lists every certainty.
var Certainties = []Certainty{CertaintyObserved, CertaintyLikely, CertaintyPossible, CertaintyUnlikely, CertaintyUnknown}

// ParseStatus reads a CAP status in any case; ok is false for anything else.
func ParseStatus(s string) (Status, bool) { return parseEnum(s, Statuses) }

// ParseSeverity reads a CAP severity in any case; anything else is unknown.
func ParseSeverity(s string) Severity {
	v, ok := parseEnum(s, Severities)
	if !ok {
		return SeverityUnknown
	}
	return v
}

// ParseUrgency reads a CAP urgency in any case; anything else is unknown.
func ParseUrgency(s string) Urgency {
	v, ok := parseEnum(s, Urgencies)
	if !ok {
		return UrgencyUnknown
	}
	return v
}

// ParseCertainty reads a CAP certainty in any case, including CAP 1.0's
// "Very Likely" (read as likely); anything else is unknown.
func ParseCertainty(s string) Certainty {
	if strings.EqualFold(strings.TrimSpace(s), "very likely") {
		return CertaintyLikely
	}
	v, ok := parseEnum(s, Certainties)
	if !ok {
		return CertaintyUnknown
	}
	return v
}

// ParseHazard reads a hazard name; ok is false for anything else.
func ParseHazard(s string) (Hazard, bool) { return parseEnum(s, Hazards) }

func parseEnum[T ~string](s string, all []T) (T, bool) {
	s = strings.TrimSpace(s)
	for _, v := range all {
		if strings.EqualFold(s, string(v)) {
			return v, true
		}
	}
	var zero T
	return zero, false
}

// CAPName returns the CAP 1.2 spelling of an enum value: its first letter in
// upper case ("Extreme", "Actual").
func CAPName[T ~string](v T) string {
	s := string(v)
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
