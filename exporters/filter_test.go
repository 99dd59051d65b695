package exporters

import (
	"errors"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/alert"
)

func filterAlert(mod ...func(*alert.Alert)) *alert.Alert {
	a := &alert.Alert{Key: "kma:L1100000/12", Source: "kma", Hazard: alert.HazardHeat, Event: "폭염경보",
		Status: alert.StatusActual, Severity: alert.SeveritySevere, Urgency: alert.UrgencyExpected,
		Certainty: alert.CertaintyLikely, Sent: time.Now(),
		Areas: []alert.Area{{Description: "서울", Geocodes: map[string][]string{"KMA_REG": {"L1100100"}}}}}
	for _, m := range mod {
		m(a)
	}
	return a
}

// seoul is a square around central Seoul.
var seoul = &alert.Geometry{Type: "Polygon", Polygons: [][][][2]float64{{{{126.9, 37.5}, {127.1, 37.5}, {127.1, 37.6}, {126.9, 37.6}, {126.9, 37.5}}}}}

// TestFilterRules: one table row per rule, each with a pass and a fail.
func TestFilterRules(t *testing.T) {
	withGeom := func(g *alert.Geometry) func(*alert.Alert) { return func(a *alert.Alert) { a.Geometry = g } }
	busan := &alert.Geometry{Type: "Polygon", Polygons: [][][][2]float64{{{{129.0, 35.1}, {129.1, 35.1}, {129.1, 35.2}, {129.0, 35.2}, {129.0, 35.1}}}}}
	// A big polygon around Seoul: the alert's square lies wholly inside it.
	around := &alert.Geometry{Type: "Polygon", Polygons: [][][][2]float64{{{{126, 37}, {128, 37}, {128, 38}, {126, 38}, {126, 37}}}}}
	tests := []struct {
		name string
		f    Filter
		a    *alert.Alert
		want bool
		rule string
	}{
		{"empty filter takes actual", Filter{}, filterAlert(), true, ""},
		{"empty filter leaves exercises", Filter{}, filterAlert(func(a *alert.Alert) { a.Status = alert.StatusExercise }), false, "status"},
		{"status listed", Filter{Status: []alert.Status{alert.StatusExercise}}, filterAlert(func(a *alert.Alert) { a.Status = alert.StatusExercise }), true, ""},
		{"hazard in", Filter{Hazards: []alert.Hazard{alert.HazardHeat}}, filterAlert(), true, ""},
		{"hazard out", Filter{Hazards: []alert.Hazard{alert.HazardFlood}}, filterAlert(), false, "hazards"},
		{"severity at minimum", Filter{MinSeverity: alert.SeveritySevere}, filterAlert(), true, ""},
		{"severity below", Filter{MinSeverity: alert.SeverityExtreme}, filterAlert(), false, "min_severity"},
		{"unknown severity below any minimum", Filter{MinSeverity: alert.SeverityMinor}, filterAlert(func(a *alert.Alert) { a.Severity = alert.SeverityUnknown }), false, "min_severity"},
		{"urgency in", Filter{Urgency: []alert.Urgency{alert.UrgencyExpected}}, filterAlert(), true, ""},
		{"urgency out", Filter{Urgency: []alert.Urgency{alert.UrgencyImmediate}}, filterAlert(), false, "urgency"},
		{"certainty out", Filter{Certainty: []alert.Certainty{alert.CertaintyObserved}}, filterAlert(), false, "certainty"},
		{"event any case", Filter{Events: []string{"폭염경보", "heat advisory"}}, filterAlert(), true, ""},
		{"event out", Filter{Events: []string{"호우경보"}}, filterAlert(), false, "events"},
		{"source in", Filter{Sources: []string{"kma"}}, filterAlert(), true, ""},
		{"source out", Filter{Sources: []string{"nws"}}, filterAlert(), false, "sources"},
		{"geocode prefix", Filter{Geocodes: map[string][]string{"KMA_REG": {"L11"}}}, filterAlert(), true, ""},
		{"geocode other prefix", Filter{Geocodes: map[string][]string{"KMA_REG": {"L12"}}}, filterAlert(), false, "where"},
		{"geocode other system", Filter{Geocodes: map[string][]string{"UGC": {"L11"}}}, filterAlert(), false, "where"},
		{"geocode in another case", Filter{Geocodes: map[string][]string{"kma_reg": {"l11"}}}, filterAlert(), true, ""},
		{"geocode prefix longer than the code", Filter{Geocodes: map[string][]string{"KMA_REG": {"L11000000000"}}}, filterAlert(), false, "where"},
		{"bbox touches", Filter{Region: Region{BBox: []float64{127.0, 37.55, 127.5, 38}}}, filterAlert(withGeom(seoul)), true, ""},
		{"bbox apart", Filter{Region: Region{BBox: []float64{128, 36, 129, 37}}}, filterAlert(withGeom(seoul)), false, "where"},
		{"polygon contains the alert", Filter{Region: Region{GeoJSON: `{"type":"Polygon","coordinates":[[[126.95,37.52],[127.05,37.52],[127.05,37.58],[126.95,37.58],[126.95,37.52]]]}`}}, filterAlert(withGeom(around)), true, ""},
		{"multipolygon apart", Filter{Region: Region{GeoJSON: map[string]any{"type": "MultiPolygon", "coordinates": []any{[]any{[]any{[]any{126.0, 33.0}, []any{127.0, 33.0}, []any{127.0, 34.0}, []any{126.0, 33.0}}}}}}}, filterAlert(withGeom(busan)), false, "where"},
		{"no geometry, region only: delivered, not dropped", Filter{Region: Region{BBox: []float64{128, 36, 129, 37}}}, filterAlert(), true, ""},
		{"no geometry, region and geocode: by geocode", Filter{Region: Region{BBox: []float64{128, 36, 129, 37}}, Geocodes: map[string][]string{"KMA_REG": {"L12"}}}, filterAlert(), false, "where"},
		{"geometry apart but geocode matches", Filter{Region: Region{BBox: []float64{128, 36, 129, 37}}, Geocodes: map[string][]string{"KMA_REG": {"L11"}}}, filterAlert(withGeom(seoul)), true, ""},
		{"a cancel passes the content rules", Filter{MinSeverity: alert.SeverityModerate, Events: []string{"Flood Warning"}}, filterAlert(func(a *alert.Alert) {
			a.Change, a.Severity, a.Event = alert.ChangeCancel, alert.SeverityMinor, "Warning no Longer in Force"
		}), true, ""},
		{"a cancel still meets the hazard rule", Filter{Hazards: []alert.Hazard{alert.HazardFlood}}, filterAlert(func(a *alert.Alert) { a.Change = alert.ChangeCancel }), false, "hazards"},
		{"rules combine with AND", Filter{Hazards: []alert.Hazard{alert.HazardHeat}, Sources: []string{"nws"}}, filterAlert(), false, "sources"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.f.Validate(); err != nil {
				t.Fatal(err)
			}
			rule, ok := tt.f.why(tt.a)
			if ok != tt.want || rule != tt.rule {
				t.Fatalf("match = %v (rule %q), want %v (rule %q)", ok, rule, tt.want, tt.rule)
			}
		})
	}
}

func TestFilterValidate(t *testing.T) {
	for _, f := range []Filter{
		{Hazards: []alert.Hazard{"fire"}},
		{MinSeverity: "huge"},
		{Urgency: []alert.Urgency{"now"}},
		{Region: Region{BBox: []float64{1, 2, 3}}},
		{Region: Region{BBox: []float64{3, 2, 1, 4}}},
		{Region: Region{GeoJSON: `{"type":"Point","coordinates":[1,2]}`}},
		{Region: Region{BBox: []float64{1, 2, 3, 4}, GeoJSON: `{}`}},
	} {
		if err := f.Validate(); err == nil {
			t.Errorf("%+v: accepted", f)
		}
	}
}

// TestFilterEndReachesPartnerThatHadTheAlert: a partner that received an
// alert hears its end, even when a later version left the partner's place
// (an NWS product dropping the partner's zone, a polygon moved out of its
// region) and the end, built from that later version, is elsewhere too.
func TestFilterEndReachesPartnerThatHadTheAlert(t *testing.T) {
	busan := &alert.Geometry{Type: "Polygon", Polygons: [][][][2]float64{{{{129.0, 35.1}, {129.1, 35.1}, {129.1, 35.2}, {129.0, 35.2}, {129.0, 35.1}}}}}
	zones := func(codes ...string) func(*alert.Alert) {
		return func(a *alert.Alert) {
			a.Areas = []alert.Area{{Description: "zones", Geocodes: map[string][]string{"UGC": codes}}}
		}
	}
	at := func(g *alert.Geometry) func(*alert.Alert) { return func(a *alert.Alert) { a.Geometry = g } }
	change := func(c alert.Change) func(*alert.Alert) { return func(a *alert.Alert) { a.Change = c } }
	for _, tt := range []struct {
		name    string
		f       Filter
		history []*alert.Alert // versions 1, 2, 3 of one key
		want    []bool
	}{
		{"geocodes: zone dropped, then expired", Filter{Geocodes: map[string][]string{"UGC": {"SCZ050"}}}, []*alert.Alert{
			filterAlert(change(alert.ChangeNew), zones("SCZ050", "SCZ052")),
			filterAlert(change(alert.ChangeUpdate), zones("SCZ052")),
			filterAlert(change(alert.ChangeExpire), zones("SCZ052")),
		}, []bool{true, false, true}},
		{"region: polygon moved out, then cancelled", Filter{Region: Region{BBox: []float64{126.8, 37.4, 127.2, 37.7}}}, []*alert.Alert{
			filterAlert(change(alert.ChangeNew), at(seoul)),
			filterAlert(change(alert.ChangeUpdate), at(busan)),
			filterAlert(change(alert.ChangeCancel), at(busan)),
		}, []bool{true, false, true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.f.Validate(); err != nil {
				t.Fatal(err)
			}
			for i, a := range tt.history {
				if rule, ok := tt.f.why(a); ok != tt.want[i] {
					t.Errorf("version %d (%s): match = %v (rule %q), want %v", i+1, a.Change, ok, rule, tt.want[i])
				}
			}
		})
	}
}

// TestFilterLeaving: an update failing the filter is sent when the version
// it names passed, or cannot be read (gone, another key's, or a read
// error, which is returned for the caller to log); not when that version
// failed too, when it names none, or when the change is not an update.
func TestFilterLeaving(t *testing.T) {
	f := Filter{Region: Region{BBox: []float64{126.8, 37.4, 127.2, 37.7}}}
	if err := f.Validate(); err != nil {
		t.Fatal(err)
	}
	busan := &alert.Geometry{Type: "Polygon", Polygons: [][][][2]float64{{{{129.0, 35.1}, {129.1, 35.1}, {129.1, 35.2}, {129.0, 35.2}, {129.0, 35.1}}}}}
	update := func() *alert.Alert { // outside the region
		return filterAlert(func(a *alert.Alert) { a.Change = alert.ChangeUpdate; a.Geometry = busan })
	}
	if f.Match(update()) {
		t.Fatal("the update passes the filter")
	}
	in := filterAlert(func(a *alert.Alert) { a.Geometry = seoul })
	out := filterAlert(func(a *alert.Alert) { a.Geometry = busan })
	other := filterAlert(func(a *alert.Alert) { a.Key = "kma:other"; a.Geometry = seoul })
	broken := errors.New("bus down")
	reads := func(a *alert.Alert, err error) func(uint64) (*alert.Alert, error) {
		return func(uint64) (*alert.Alert, error) { return a, err }
	}
	for _, tt := range []struct {
		name     string
		a        *alert.Alert
		previous uint64
		read     func(uint64) (*alert.Alert, error)
		want     bool
		wantErr  error
	}{
		{"previous passed", update(), 7, reads(in, nil), true, nil},
		{"previous failed too", update(), 7, reads(out, nil), false, nil},
		{"previous gone", update(), 7, reads(nil, nil), true, nil},
		{"previous another key's", update(), 7, reads(other, nil), true, nil},
		{"read failed", update(), 7, reads(nil, broken), true, broken},
		{"no previous named", update(), 0, reads(in, nil), false, nil},
		{"a new alert", filterAlert(func(a *alert.Alert) { a.Change = alert.ChangeNew }), 7, reads(in, nil), false, nil},
		{"a status the partner does not take", func() *alert.Alert { a := update(); a.Status = alert.StatusExercise; return a }(), 7, reads(in, nil), false, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.Leaving(tt.a, tt.previous, tt.read)
			if got != tt.want || !errors.Is(err, tt.wantErr) {
				t.Errorf("Leaving = %v, %v; want %v, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
