package alert_test

import (
	"testing"

	"github.com/hazardwire/hazardwire/alert"
)

func TestParseCertainty(t *testing.T) {
	for in, want := range map[string]alert.Certainty{
		"Observed":       alert.CertaintyObserved,
		"LIKELY":         alert.CertaintyLikely,
		"possible":       alert.CertaintyPossible,
		"Unlikely":       alert.CertaintyUnlikely,
		"Unknown":        alert.CertaintyUnknown,
		"Very Likely":    alert.CertaintyLikely, // CAP 1.0
		"very likely":    alert.CertaintyLikely,
		"  VERY LIKELY ": alert.CertaintyLikely,
		"VeryLikely":     alert.CertaintyUnknown,
		"":               alert.CertaintyUnknown,
		"certain":        alert.CertaintyUnknown,
	} {
		if got := alert.ParseCertainty(in); got != want {
			t.Errorf("ParseCertainty(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseSeverityUrgency(t *testing.T) {
	for in, want := range map[string]alert.Severity{
		"Extreme": alert.SeverityExtreme, "SEVERE": alert.SeveritySevere, " moderate ": alert.SeverityModerate,
		"Minor": alert.SeverityMinor, "Unknown": alert.SeverityUnknown, "": alert.SeverityUnknown, "high": alert.SeverityUnknown,
	} {
		if got := alert.ParseSeverity(in); got != want {
			t.Errorf("ParseSeverity(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]alert.Urgency{
		"Immediate": alert.UrgencyImmediate, "EXPECTED": alert.UrgencyExpected, "future": alert.UrgencyFuture,
		"Past": alert.UrgencyPast, "Unknown": alert.UrgencyUnknown, "": alert.UrgencyUnknown, "now": alert.UrgencyUnknown,
	} {
		if got := alert.ParseUrgency(in); got != want {
			t.Errorf("ParseUrgency(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseStatusHazard(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want alert.Status
		ok   bool
	}{
		{"Actual", alert.StatusActual, true},
		{"EXERCISE", alert.StatusExercise, true},
		{"system", alert.StatusSystem, true},
		{" Test ", alert.StatusTest, true},
		{"Draft", alert.StatusDraft, true},
		{"Excercise", "", false},
		{"", "", false},
	} {
		got, ok := alert.ParseStatus(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseStatus(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	for _, tc := range []struct {
		in   string
		want alert.Hazard
		ok   bool
	}{
		{"flood", alert.HazardFlood, true},
		{"Heat", alert.HazardHeat, true},
		{"wind", "", false},
		{"", "", false},
	} {
		got, ok := alert.ParseHazard(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseHazard(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestCAPNameRoundTrip(t *testing.T) {
	check := func(got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("CAPName = %q, want %q", got, want)
		}
	}
	check(alert.CAPName(alert.SeverityExtreme), "Extreme")
	check(alert.CAPName(alert.StatusActual), "Actual")
	check(alert.CAPName(alert.CertaintyLikely), "Likely")
	check(alert.CAPName(alert.Severity("")), "")
	for _, s := range alert.Statuses {
		if got, ok := alert.ParseStatus(alert.CAPName(s)); !ok || got != s {
			t.Errorf("status %q does not survive CAPName", s)
		}
	}
	for _, s := range alert.Severities {
		if got := alert.ParseSeverity(alert.CAPName(s)); got != s {
			t.Errorf("severity %q does not survive CAPName", s)
		}
	}
	for _, u := range alert.Urgencies {
		if got := alert.ParseUrgency(alert.CAPName(u)); got != u {
			t.Errorf("urgency %q does not survive CAPName", u)
		}
	}
	for _, c := range alert.Certainties {
		if got := alert.ParseCertainty(alert.CAPName(c)); got != c {
			t.Errorf("certainty %q does not survive CAPName", c)
		}
	}
}

func TestSeverityRank(t *testing.T) {
	// Severities is ordered most severe first; Rank must agree.
	for i := 1; i < len(alert.Severities); i++ {
		if alert.Severities[i-1].Rank() <= alert.Severities[i].Rank() {
			t.Errorf("%q ranks %d, not above %q's %d", alert.Severities[i-1], alert.Severities[i-1].Rank(),
				alert.Severities[i], alert.Severities[i].Rank())
		}
	}
	if alert.SeverityUnknown.Rank() != 0 || alert.Severity("bogus").Rank() != 0 || alert.SeverityExtreme.Rank() != 4 {
		t.Error("unknown and bogus severities must rank 0, extreme 4")
	}
}

func TestStateAfter(t *testing.T) {
	for c, want := range map[alert.Change]alert.State{
		alert.ChangeNew: alert.StateActive, alert.ChangeUpdate: alert.StateActive,
		alert.ChangeCancel: alert.StateEnded, alert.ChangeExpire: alert.StateEnded,
	} {
		if got := alert.StateAfter(c); got != want {
			t.Errorf("StateAfter(%q) = %q, want %q", c, got, want)
		}
	}
}
