package alert_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/alert"
)

// validAlert is a collector's alert: content only, no lifecycle fields.
func validAlert() alert.Alert {
	a := hashBase()
	a.ID, a.Version, a.Change, a.State, a.References = "", 0, "", "", nil
	return a
}

func TestValidateAcceptsGoodAlerts(t *testing.T) {
	a := validAlert()
	if err := a.Validate(); err != nil {
		t.Fatalf("collector alert: %v", err)
	}
	p := hashBase()
	if err := p.Validate(); err != nil {
		t.Fatalf("published alert: %v", err)
	}
	f := fullAlert()
	if err := f.Validate(); err != nil {
		t.Fatalf("full alert: %v", err)
	}
	for _, c := range alert.Changes {
		b := validAlert()
		b.Version, b.Change, b.State = 3, c, alert.StateAfter(c)
		b.ID = alert.MakeID(b.Key, 3)
		if err := b.Validate(); err != nil {
			t.Errorf("change %q: %v", c, err)
		}
	}
	// An end equal to effective is allowed, and so is a zero radius.
	b := validAlert()
	e := b.Sent
	b.Ends, b.Expires = &e, nil
	b.Areas[0].Circles[0].RadiusKm = 0
	if err := b.Validate(); err != nil {
		t.Errorf("edge values: %v", err)
	}
}

func TestValidateEachProblem(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name   string
		change func(a *alert.Alert)
		want   string
	}{
		{"key", func(a *alert.Alert) { a.Key = "" }, "key is empty"},
		{"source", func(a *alert.Alert) { a.Source = "" }, "source is empty"},
		{"hazard", func(a *alert.Alert) { a.Hazard = "wind" }, `hazard "wind"`},
		{"event", func(a *alert.Alert) { a.Event = "" }, "event is empty"},
		{"status", func(a *alert.Alert) { a.Status = "Actual" }, `status "Actual"`},
		{"severity", func(a *alert.Alert) { a.Severity = "" }, `severity ""`},
		{"urgency", func(a *alert.Alert) { a.Urgency = "soon" }, `urgency "soon"`},
		{"certainty", func(a *alert.Alert) { a.Certainty = "very likely" }, `certainty "very likely"`},
		{"sent", func(a *alert.Alert) { a.Sent = time.Time{} }, "sent is missing"},
		{"ends before effective", func(a *alert.Alert) { a.Ends = tp("2019-12-20T17:00:00-08:00") }, "ends 2019-12-20T17:00:00-08:00 is before effective 2019-12-20T18:00:00-08:00"},
		{"ends before effective, no expires", func(a *alert.Alert) {
			a.Expires = nil
			a.Ends = tp("2019-12-20T17:00:00-08:00")
		}, "is before effective"},
		{"ends before an explicit effective", func(a *alert.Alert) {
			a.Effective = tp("2019-12-24T00:00:00-08:00")
		}, "is before effective"},
		{"polygon ring too short", func(a *alert.Alert) { a.Areas[0].Polygons[0] = a.Areas[0].Polygons[0][:3] }, "areas[0].polygons[0]: ring has 3 positions"},
		{"polygon ring open", func(a *alert.Alert) { a.Areas[0].Polygons[0][3] = [2]float64{-123.1, 44.2} }, "ring is not closed"},
		{"polygon empty ring", func(a *alert.Alert) { a.Areas[0].Polygons = [][][2]float64{{}} }, "areas[0].polygons[0]: ring has 0 positions"},
		{"second polygon nil", func(a *alert.Alert) { a.Areas[0].Polygons = append(a.Areas[0].Polygons, nil) }, "areas[0].polygons[1]: ring has 0 positions"},
		{"polygon out of bounds", func(a *alert.Alert) {
			r := a.Areas[0].Polygons[0]
			r[1] = [2]float64{44.1, -123.0} // lat, lon swapped
		}, "outside [lon, lat] bounds"},
		{"polygon NaN", func(a *alert.Alert) { a.Areas[0].Polygons[0][1] = [2]float64{nan, 44} }, "areas[0].polygons[0]"},
		{"circle out of bounds", func(a *alert.Alert) { a.Areas[0].Circles[0].Lat = 91 }, "areas[0].circles[0]: bad circle"},
		{"circle negative radius", func(a *alert.Alert) { a.Areas[0].Circles[0].RadiusKm = -1 }, "areas[0].circles[0]: bad circle"},
		{"circle NaN radius", func(a *alert.Alert) { a.Areas[0].Circles[0].RadiusKm = nan }, "areas[0].circles[0]: bad circle"},
		{"circle infinite radius", func(a *alert.Alert) { a.Areas[0].Circles[0].RadiusKm = math.Inf(1) }, "areas[0].circles[0]: bad circle"},
		{"circle NaN centre", func(a *alert.Alert) { a.Areas[0].Circles[0].Lon = nan }, "areas[0].circles[0]: bad circle"},
		{"id", func(a *alert.Alert) {
			a.Version, a.ID, a.Change, a.State = 2, "k#2", alert.ChangeUpdate, alert.StateActive
		}, `id "k#2" is not`},
		{"change", func(a *alert.Alert) {
			a.Version, a.ID, a.Change, a.State = 1, alert.MakeID(a.Key, 1), "renew", alert.StateActive
		}, `change "renew"`},
		{"state", func(a *alert.Alert) {
			a.Version, a.ID, a.Change, a.State = 1, alert.MakeID(a.Key, 1), alert.ChangeCancel, alert.StateActive
		}, `state "active" does not follow change "cancel"`},
	} {
		a := validAlert()
		tc.change(&a)
		err := a.Validate()
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %q does not say %q", tc.name, err, tc.want)
		}
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	a := alert.Alert{
		Hazard: "wind", Status: "x", Severity: "x", Urgency: "x", Certainty: "x",
		Version: 1, ID: "wrong", Change: "x", State: "x",
		Areas: []alert.Area{
			{Polygons: [][][2]float64{{{0, 0}, {1, 1}}}},
			{Circles: []alert.Circle{{Lon: 200, Lat: 0, RadiusKm: 1}}},
		},
	}
	err := a.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	want := []string{
		"key is empty", "source is empty", `hazard "wind"`, "event is empty", `status "x"`,
		`severity "x"`, `urgency "x"`, `certainty "x"`, "sent is missing",
		"areas[0].polygons[0]", "areas[1].circles[0]",
		`id "wrong"`, `change "x"`, `state "x"`,
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Errorf("%d problems reported, want %d:\n%s", len(lines), len(want), err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not report %q:\n%s", w, err)
		}
	}
}
