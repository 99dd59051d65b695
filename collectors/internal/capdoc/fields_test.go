package capdoc

import (
	"strings"
	"testing"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
)

func header(t *testing.T, msgType string) *Header {
	t.Helper()
	h, err := ReadHeader(&Alert{Identifier: "ID", Sender: "s@x", Sent: "2024-01-01T06:00:00+01:00", Status: "Actual", MsgType: msgType}, BySender)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestAlertFields(t *testing.T) {
	h := header(t, "Alert")
	in := &Info{
		Language: "en-gb", Event: " Flood Warning ", Urgency: "Expected", Severity: "Severe", Certainty: "Likely",
		EventCodes: []Pair{{Name: "SAME", Value: "FLW"}, {Name: " ", Value: "x"}},
		Effective:  "2024-01-01T06:00:00+01:00", Expires: "2024-01-02T06:00:00+01:00",
		Headline: " H ", SenderName: "Agency", Web: "https://example.org/w",
		Parameters: []Pair{{Name: "p", Value: "1"}, {Name: "p", Value: "2"}, {Name: "empty", Value: " "}},
		Areas: []Area{
			{Desc: " River ", Polygons: []string{"1,1 1,2 2,2 1,1", " "}, Geocodes: []Pair{{Name: "UGC", Value: "X1"}}},
			{Desc: "Town", Circles: []string{"10,20 5"}},
		},
	}
	a, err := h.Alert("src", "kind", alert.HazardFlood, in)
	if err != nil {
		t.Fatal(err)
	}
	if a.Key != alert.MakeKey("src", "s@x,ID/en-GB") || a.Source != "src" || a.SourceKind != "kind" || a.Hazard != alert.HazardFlood {
		t.Errorf("identity = %q %q %q %q", a.Key, a.Source, a.SourceKind, a.Hazard)
	}
	if a.Event != "Flood Warning" || a.Language != "en-GB" || a.Sender != "s@x" || a.Severity != alert.SeveritySevere || a.Headline != "H" {
		t.Errorf("fields = %+v", a)
	}
	if a.Effective == nil || a.Onset != nil || a.Expires == nil || !a.Sent.Equal(h.Sent) {
		t.Errorf("times = %v %v %v %v", a.Effective, a.Onset, a.Expires, a.Sent)
	}
	if got := strings.Join(a.Parameters["p"], ","); got != "1,2" || len(a.Parameters) != 1 || len(a.EventCodes) != 1 {
		t.Errorf("pairs = %v %v", a.Parameters, a.EventCodes)
	}
	if len(a.Areas) != 2 || a.Areas[0].Description != "River" || len(a.Areas[0].Polygons) != 1 || len(a.Areas[1].Circles) != 1 || a.Areas[0].Geocodes["UGC"][0] != "X1" {
		t.Errorf("areas = %+v", a.Areas)
	}
	if a.Geometry == nil || a.Geometry.Type != "MultiPolygon" {
		t.Errorf("geometry = %+v", a.Geometry)
	}
	it, err := h.Item(a, in)
	if err != nil || it.Intent != collectors.IntentActive {
		t.Errorf("item = %+v, %v", it.Intent, err)
	}
}

// Half-read content is never published: a time or a geometry that cannot
// be read makes the block an error, NaN and infinite positions included.
func TestAlertErrors(t *testing.T) {
	h := header(t, "Alert")
	for _, tc := range []struct {
		in   Info
		want string
	}{
		{Info{Onset: "tomorrow"}, `"tomorrow"`},
		{Info{Areas: []Area{{Polygons: []string{"NaN,0 1,1 2,2 0,NaN"}}}}, "area 0: polygon point"},
		{Info{Areas: []Area{{}, {Polygons: []string{"1,1 1,2 2,2 1,Inf"}}}}, "area 1:"},
		{Info{Areas: []Area{{Circles: []string{"NaN,1 5"}}}}, "not a finite number"},
		{Info{Areas: []Area{{Polygons: []string{"95,1 1,2 2,2 95,1"}}}}, "outside"},
	} {
		if _, err := h.Alert("src", "kind", alert.HazardHeat, &tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want one containing %q", tc.in, err, tc.want)
		}
	}
}

func TestItemIntent(t *testing.T) {
	for _, tc := range []struct {
		msgType  string
		response []string
		want     collectors.Intent
	}{
		{"Alert", nil, collectors.IntentActive},
		{"Alert", []string{"Monitor", " allclear "}, collectors.IntentCancel},
		{"Cancel", nil, collectors.IntentCancel},
	} {
		h := header(t, tc.msgType)
		in := &Info{Language: "en-US", Event: "E", ResponseTypes: tc.response, Areas: []Area{{Desc: "A"}}}
		a, err := h.Alert("src", "kind", alert.HazardFlood, in)
		if err != nil {
			t.Fatal(err)
		}
		it, err := h.Item(a, in)
		if err != nil || it.Intent != tc.want {
			t.Errorf("%s %v: intent = %q, %v; want %q", tc.msgType, tc.response, it.Intent, err, tc.want)
		}
	}
	h := header(t, "Alert")
	if _, err := h.Item(alert.Alert{}, &Info{}); err == nil {
		t.Error("an alert that does not validate made an item")
	}
}

func TestPairs(t *testing.T) {
	if m := Pairs([]Pair{{Name: "", Value: "v"}, {Name: "n", Value: ""}}); m != nil {
		t.Errorf("Pairs of empty names and values = %v, want nil", m)
	}
	m := Pairs([]Pair{{Name: " a ", Value: " 1 "}, {Name: "b", Value: "2"}, {Name: "a", Value: "3"}})
	if strings.Join(m["a"], ",") != "1,3" || strings.Join(m["b"], ",") != "2" || len(m) != 2 {
		t.Errorf("Pairs = %v", m)
	}
}
