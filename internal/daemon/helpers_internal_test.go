package daemon

import (
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/bus"
)

// testChange is version v of a heat advisory under key, encoded for the bus.
func testChange(t *testing.T, key string, v int, mods ...func(*alert.Alert)) bus.Encoded {
	t.Helper()
	a := &alert.Alert{Key: key, Version: v, Change: alert.ChangeNew, State: alert.StateActive,
		Source: "nws", SourceKind: "nws", Hazard: alert.HazardHeat, Event: "Heat Advisory", Status: alert.StatusActual,
		Severity: alert.SeverityModerate, Urgency: alert.UrgencyExpected, Certainty: alert.CertaintyLikely,
		Sent: time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)}
	a.ID = alert.MakeID(a.Key, v)
	for _, m := range mods {
		m(a)
	}
	c, err := bus.Encode(a)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
