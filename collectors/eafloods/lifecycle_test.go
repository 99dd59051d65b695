package eafloods

import (
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/internal/lifecycle"

	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// TestLifecycle runs the real captures through the lifecycle's decisions: a
// warning lifted to level 4 is one cancel, however many polls still list it
// (the EA keeps it for about a day), and a warning that leaves the feed
// without level 4 expires after the grace, never cancels.
func TestLifecycle(t *testing.T) {
	now := time.Date(2015, 12, 11, 10, 0, 0, 0, time.UTC)
	records := map[string]*lifecycle.Record{}
	poll := func(name string) map[string]alert.Change {
		t.Helper()
		res, _, err := runCase(t, name)
		if err != nil {
			t.Fatal(err)
		}
		changes := map[string]alert.Change{}
		seen := map[string]bool{}
		for _, it := range res.Items {
			seen[it.Alert.Key] = true
			d := lifecycle.Decide(records[it.Alert.Key], it, now)
			if d.Record != nil {
				records[it.Alert.Key] = d.Record
			}
			if d.Publish != nil {
				changes[it.Alert.Key] = d.Publish.Change
			}
		}
		for key, rec := range records {
			if seen[key] {
				continue
			}
			d := lifecycle.Vanished(*rec, 2, now)
			if d.Record != nil {
				records[key] = d.Record
			}
			if d.Publish != nil {
				changes[key] = d.Publish.Change
			}
		}
		return changes
	}
	golden.Eq(t, "first poll", len(poll("id-floods")), 3)
	golden.Eq(t, "re-poll", len(poll("id-floods")), 0)
	got := poll("cancel-level-4")
	golden.Eq(t, "level 4", got["ea:122FWF723"], alert.ChangeCancel)
	golden.Eq(t, "changes on level 4", len(got), 1)
	golden.Eq(t, "level 4 still listed", len(poll("cancel-level-4")), 0)

	// The single answer lists one area: the other two are missing, and end by
	// expiry once they have been missing for the grace of two polls.
	golden.Eq(t, "missing once", len(poll("id-floods-single-expanded-area")), 1) // the new area
	got = poll("id-floods-single-expanded-area")
	golden.Eq(t, "Upper River Ouse", got["ea:122WAF946"], alert.ChangeExpire)
	golden.Eq(t, "Lower River Nidd", got["ea:122WAF933"], alert.ChangeExpire)
	golden.Eq(t, "the lifted warning stays ended", got["ea:122FWF723"], "")
}
