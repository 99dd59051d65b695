package lifecycle

import (
	"reflect"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
)

var t0 = time.Date(2026, 7, 1, 9, 0, 0, 0, alert.KST)

func item(intent collectors.Intent, mod ...func(*alert.Alert)) collectors.Item {
	exp := t0.Add(6 * time.Hour)
	a := alert.Alert{Key: "src:K", Source: "src", SourceKind: "cap", Hazard: alert.HazardFlood, Event: "홍수주의보",
		Status: alert.StatusActual, Severity: alert.SeverityModerate, Urgency: alert.UrgencyExpected,
		Certainty: alert.CertaintyLikely, Sent: t0, Expires: &exp, Headline: "h"}
	for _, m := range mod {
		m(&a)
	}
	return collectors.Item{Alert: a, Intent: intent}
}

// rec returns the record a first publication of it would leave.
func rec(it collectors.Item, mod ...func(*Record)) *Record {
	d := Decide(nil, it, t0)
	r := d.Record
	if r == nil {
		r = publish(nil, alert.ChangeCancel, it.Alert, "", "").Record
	}
	for _, m := range mod {
		m(r)
	}
	return r
}

func TestDecide(t *testing.T) {
	active := item(collectors.IntentActive)
	severe := item(collectors.IntentActive, func(a *alert.Alert) { a.Severity = alert.SeveritySevere; a.Sent = t0.Add(time.Hour) })
	resent := item(collectors.IntentActive, func(a *alert.Alert) { a.Sent = t0.Add(time.Minute) })
	older := item(collectors.IntentActive, func(a *alert.Alert) { a.Sent = t0.Add(-time.Minute); a.Headline = "old" })
	cancel := item(collectors.IntentCancel, func(a *alert.Alert) { a.Sent = t0.Add(2 * time.Hour) })
	expire := item(collectors.IntentExpire)
	ended := rec(active, func(r *Record) { r.Active = false; r.Version = 3 })
	v2 := rec(active, func(r *Record) { r.Version = 2 })
	missing := rec(active, func(r *Record) { r.Missing = 1 })

	tests := []struct {
		name     string
		prev     *Record
		it       collectors.Item
		now      time.Time
		change   alert.Change // "" when nothing is published
		version  int
		refs     int
		writes   bool
		activeAf bool
	}{
		{"first sight is new v1", nil, active, t0, alert.ChangeNew, 1, 0, true, true},
		{"re-poll publishes nothing", rec(active), active, t0, "", 0, 0, false, true},
		{"new sent alone is not a change", rec(active), resent, t0, "", 0, 0, false, true},
		{"severity change is an update", rec(active), severe, t0, alert.ChangeUpdate, 2, 1, true, true},
		{"update after v2 references v1 and v2", v2, severe, t0, alert.ChangeUpdate, 3, 2, true, true},
		{"older message is ignored", rec(active), older, t0, "", 0, 0, false, true},
		{"cancel of active", rec(active), cancel, t0, alert.ChangeCancel, 2, 1, true, false},
		{"cancel of never seen is still published", nil, cancel, t0, alert.ChangeCancel, 1, 0, true, false},
		{"cancel of ended is nothing", ended, cancel, t0, "", 0, 0, false, false},
		{"expire intent of active", rec(active), expire, t0, alert.ChangeExpire, 2, 1, true, false},
		{"expire intent of never seen is nothing", nil, expire, t0, "", 0, 0, false, false},
		{"first seen after its end is nothing", nil, active, t0.Add(7 * time.Hour), "", 0, 0, false, false},
		{"active item past its end expires", rec(active), active, t0.Add(7 * time.Hour), alert.ChangeExpire, 2, 1, true, false},
		{"ended and still served is nothing", ended, active, t0, "", 0, 0, false, false},
		{"ended and re-issued is new with the next version", ended, severe, t0, alert.ChangeNew, 4, 0, true, true},
		{"back in the feed resets missing without publishing", missing, active, t0, "", 0, 0, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := tt.now
			d := Decide(tt.prev, tt.it, now)
			if (d.Record != nil) != tt.writes {
				t.Fatalf("record written = %v, want %v (why %q)", d.Record != nil, tt.writes, d.Why)
			}
			if tt.change == "" {
				if d.Publish != nil {
					t.Fatalf("published %s %s, want nothing (why %q)", d.Publish.Change, d.Publish.ID, d.Why)
				}
				return
			}
			p := d.Publish
			if p == nil {
				t.Fatalf("published nothing, want %s (why %q)", tt.change, d.Why)
			}
			if p.Change != tt.change || p.Version != tt.version {
				t.Fatalf("published %s v%d, want %s v%d", p.Change, p.Version, tt.change, tt.version)
			}
			if p.ID != alert.MakeID("src:K", tt.version) {
				t.Errorf("id %q", p.ID)
			}
			if len(p.References) != tt.refs {
				t.Errorf("references %v, want %d", p.References, tt.refs)
			}
			if p.State != alert.StateAfter(p.Change) || d.Record.Active != tt.activeAf {
				t.Errorf("state %s, record active %v", p.State, d.Record.Active)
			}
			if d.Record.Version != p.Version {
				t.Errorf("record version %d, published %d", d.Record.Version, p.Version)
			}
			if err := p.Validate(); err != nil {
				t.Errorf("published alert invalid: %v", err)
			}
		})
	}
}

func TestVanishedExpiresAfterGrace(t *testing.T) {
	r := *rec(item(collectors.IntentActive))
	d := Vanished(r, 2, t0)
	if d.Publish != nil || d.Record == nil || d.Record.Missing != 1 {
		t.Fatalf("first miss: publish %v, record %+v", d.Publish, d.Record)
	}
	d = Vanished(*d.Record, 2, t0)
	if d.Publish == nil || d.Publish.Change != alert.ChangeExpire || d.Publish.Version != 2 || d.Record.Active {
		t.Fatalf("second miss: want expire v2, got %+v", d.Publish)
	}
	if d := Vanished(*d.Record, 2, t0); d.Publish != nil || d.Record != nil {
		t.Fatalf("miss after expiry: want nothing, got %+v", d)
	}
}

func TestSweep(t *testing.T) {
	r := *rec(item(collectors.IntentActive))
	if d := Sweep(r, t0.Add(time.Hour)); d.Publish != nil {
		t.Fatalf("swept before its end: %+v", d.Publish)
	}
	d := Sweep(r, t0.Add(6*time.Hour))
	if d.Publish == nil || d.Publish.Change != alert.ChangeExpire || d.Publish.State != alert.StateEnded {
		t.Fatalf("want expire at the end, got %+v", d.Publish)
	}
	noEnd := r
	noEnd.End = time.Time{}
	if d := Sweep(noEnd, t0.AddDate(1, 0, 0)); d.Publish != nil {
		t.Fatal("an alert without an end was swept")
	}
}

func TestNWSEndsLaterThanExpires(t *testing.T) {
	// NWS: the message expires before the event ends; the alert stays until the later.
	it := item(collectors.IntentActive, func(a *alert.Alert) {
		ends := t0.Add(12 * time.Hour)
		a.Ends = &ends
	})
	r := rec(it)
	if d := Decide(r, it, t0.Add(7*time.Hour)); d.Publish != nil {
		t.Fatalf("expired at the message expiry, before the event's end: %s", d.Publish.Change)
	}
	if d := Sweep(*r, t0.Add(12*time.Hour)); d.Publish == nil {
		t.Fatal("not expired at the event's end")
	}
}

// TestDecideLeavesTheItem: the change and record Decide builds share the
// item's maps and slices (no deep copy), so deciding must not change the
// item in any way, whatever it publishes.
func TestDecideLeavesTheItem(t *testing.T) {
	full := func(a *alert.Alert) {
		a.EventCodes = map[string][]string{"SAME": {"FLW"}}
		a.Parameters = map[string][]string{"VTEC": {"/O.NEW.KCHS.FL.W.0001.260701T0900Z-260701T1500Z/"}}
		a.Areas = []alert.Area{{Description: "Charleston", Geocodes: map[string][]string{"UGC": {"SCC019"}},
			Polygons: [][][2]float64{{{32.7, -79.9}, {32.8, -79.9}, {32.8, -80.0}, {32.7, -79.9}}}}}
		a.References = []string{"src:K#0"}
	}
	active := item(collectors.IntentActive, full)
	update := item(collectors.IntentActive, full, func(a *alert.Alert) { a.Severity = alert.SeveritySevere; a.Sent = t0.Add(time.Hour) })
	cancel := item(collectors.IntentCancel, full, func(a *alert.Alert) { a.Sent = t0.Add(2 * time.Hour) })
	for _, tc := range []struct {
		name string
		prev *Record
		it   collectors.Item
		now  time.Time
	}{
		{"new", nil, active, t0},
		{"update", rec(active), update, t0},
		{"cancel", rec(active), cancel, t0},
		{"end passed", rec(active), active, t0.Add(7 * time.Hour)},
	} {
		before := tc.it.Alert.Clone()
		d := Decide(tc.prev, tc.it, tc.now)
		if d.Publish == nil {
			t.Fatalf("%s: nothing published (%s)", tc.name, d.Why)
		}
		if !reflect.DeepEqual(tc.it.Alert, before) {
			t.Errorf("%s: deciding changed the item:\n got %+v\nwant %+v", tc.name, tc.it.Alert, before)
		}
		if d.Publish.Geometry == nil || d.Publish.ID == "" || tc.it.Alert.ID != "" {
			t.Errorf("%s: change %q with geometry %v; item id %q", tc.name, d.Publish.ID, d.Publish.Geometry, tc.it.Alert.ID)
		}
	}
}
