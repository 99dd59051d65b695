package cap

import (
	"strings"
	"testing"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors/internal/capdoc"
)

func TestClassify(t *testing.T) {
	flood, heat, none := alert.HazardFlood, alert.HazardHeat, alert.Hazard("")
	same := func(v string) []capdoc.Pair { return []capdoc.Pair{{Name: "SAME", Value: v}} }
	param := func(n, v string) []capdoc.Pair { return []capdoc.Pair{{Name: n, Value: v}} }
	for _, tc := range []struct {
		name     string
		event    string
		codes    []capdoc.Pair
		params   []capdoc.Pair
		events   map[string]eventRule
		keywords bool
		want     alert.Hazard
	}{
		// Keywords: English.
		{"flood warning", "Flood Warning", nil, nil, nil, true, flood},
		{"flash flood", "Flash Flood Emergency", nil, nil, nil, true, flood},
		{"flooding", "Coastal flooding statement", nil, nil, nil, true, flood},
		{"inundation", "Storm Inundation Advisory", nil, nil, nil, true, flood},
		{"heat advisory", "Heat Advisory", nil, nil, nil, true, heat},
		{"excessive heat", "Excessive Heat Warning", nil, nil, nil, true, heat},
		{"extreme heat", "Extreme Heat Watch", nil, nil, nil, true, heat},
		{"heat-wave", "Heat-wave alert", nil, nil, nil, true, heat},
		{"heatwave", "Heatwave Warning", nil, nil, nil, true, heat},
		{"high temperature", "Moderate high-temperature warning", nil, nil, nil, true, heat},
		{"wheat", "Wheat Rust Advisory", nil, nil, nil, true, none},
		{"heath", "Heath Fire Danger", nil, nil, nil, true, none},
		{"heating", "Heating Oil Shortage", nil, nil, nil, true, none},
		{"theatre", "Theatre Evacuation", nil, nil, nil, true, none},
		{"hurricane", "Hurricane Warning", nil, nil, nil, true, none},
		{"avalanche", "Vigilance jaune avalanches", nil, nil, nil, true, none},
		{"both hazards", "Heat and Flood Statement", nil, nil, nil, true, none},
		// Keywords: Korean.
		{"홍수", "홍수주의보", nil, nil, nil, true, flood},
		{"호우", "호우경보", nil, nil, nil, true, flood},
		{"범람", "하천 범람 경보", nil, nil, nil, true, flood},
		{"폭염", "폭염주의보", nil, nil, nil, true, heat},
		{"대설", "대설경보", nil, nil, nil, true, none},
		// Keywords: European languages.
		{"crues", "Vigilance orange crues", nil, nil, nil, true, flood},
		{"inondation", "Vigilance rouge pluie-inondation", nil, nil, nil, true, flood},
		{"canicule", "Vigilance jaune canicule", nil, nil, nil, true, heat},
		{"Hitze", "Amtliche WARNUNG vor HITZE", nil, nil, nil, true, heat},
		{"Hitzewarnung", "Hitzewarnung", nil, nil, nil, true, heat},
		{"Hochwasser", "Hochwasserwarnung", nil, nil, nil, true, flood},
		{"Überschwemmung", "ÜBERSCHWEMMUNG", nil, nil, nil, true, flood},
		{"inundación", "Aviso de inundaciones", nil, nil, nil, true, flood},
		{"calor", "Ola de calor", nil, nil, nil, true, heat},
		{"alluvione", "Allerta alluvione", nil, nil, nil, true, flood},
		{"calore", "Ondata di calore", nil, nil, nil, true, heat},
		{"overstroming", "Waarschuwing overstroming", nil, nil, nil, true, flood},
		{"hitte", "Code oranje hitte", nil, nil, nil, true, heat},
		{"keywords off", "Flood Warning", nil, nil, nil, false, none},
		// Codes.
		{"SAME FFW", "Warning", same("FFW"), nil, nil, false, flood},
		{"SAME lower case", "Warning", same("lsa"), nil, nil, false, flood},
		{"SAME other", "Flood Warning", same("HUW"), nil, nil, true, flood}, // codes pass on; keywords decide
		{"SAME as a parameter is not an event code", "Warning", nil, param("SAME", "FFW"), nil, false, none},
		{"VTEC FA", "x", nil, param("VTEC", "/O.NEW.KBOX.FA.Y.0012.240101T0000Z-240101T0600Z/"), nil, false, flood},
		{"VTEC HY", "x", nil, param("VTEC", "/O.NEW.KBOX.HY.O.0001.000000T0000Z-000000T0000Z/"), nil, false, flood},
		{"VTEC XH", "x", nil, param("VTEC", "/O.NEW.KPSR.XH.W.0003.250701T1700Z-250703T0300Z/"), nil, false, heat},
		{"VTEC HT", "x", nil, param("vtec", "/O.CON.KLWX.HT.Y.0004.000000T0000Z-240718T0000Z/"), nil, false, heat},
		{"VTEC with H-VTEC line", "x", nil, param("VTEC", "/O.CON.KTFX.FF.A.0003.000000T0000Z-100830T1800Z/\n/00000.0.ER.000000T0000Z.000000T0000Z.000000T0000Z.OO/"), nil, false, flood},
		{"VTEC other", "x", nil, param("VTEC", "/O.CON.KLCH.HU.W.1013.000000T0000Z-000000T0000Z/"), nil, false, none},
		{"VTEC in event codes", "x", []capdoc.Pair{{Name: "VTEC", Value: "/O.NEW.KBOX.FF.W.0012.240101T0000Z-240101T0600Z/"}}, nil, nil, false, flood},
		{"awareness 12", "x", nil, param("awareness_type", "12; flooding"), nil, false, flood},
		{"awareness 13", "x", nil, param("awareness_type", "13; rain-flood"), nil, false, flood},
		{"awareness 5", "x", nil, param("awareness_type", "5; high-temperature"), nil, false, heat},
		{"awareness 1 is not 12", "x", nil, param("awareness_type", "1; Wind"), nil, false, none},
		{"awareness 10 rain", "x", nil, param("awareness_type", "10; Rain"), nil, false, none},
		{"awareness 50", "x", nil, param("awareness_type", "50; x"), nil, false, none},
		{"codes conflict", "Flood Warning", same("FFW"), param("awareness_type", "5; high-temperature"), nil, true, none},
		{"codes beat keywords", "Heat Advisory", same("FLW"), nil, nil, true, flood},
		// The events option.
		{"events win", "Storm Surge Warning", nil, nil, map[string]eventRule{"storm surge warning": {hazard: flood}}, false, flood},
		{"events beat codes", "Odd", same("FFW"), nil, map[string]eventRule{"odd": {hazard: heat}}, false, heat},
		{"events none", "Flood Watch", same("FFA"), nil, map[string]eventRule{"flood watch": {none: true}}, true, none},
		{"events exact name only", "Flood Watch Extended", nil, nil, map[string]eventRule{"flood watch": {none: true}}, true, flood},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := classifier{events: tc.events, keywords: tc.keywords}
			got, ok := c.classify(&capdoc.Info{Event: tc.event, EventCodes: tc.codes, Parameters: tc.params})
			if ok != (tc.want != none) || got != tc.want {
				t.Errorf("classify(%q) = %q, %v; want %q", tc.event, got, ok, tc.want)
			}
		})
	}
}

// Why an info block was dropped as invalid stays available for debugging.
func TestInvalidProblems(t *testing.T) {
	m := newMapper(t, "")
	for _, tc := range []struct{ dir, want string }{
		{"bad-polygon", "outside [lon, lat] bounds"},
		{"bad-polygon", "not a finite number"},
		{"bad-time", `time "tomorrow morning"`},
		{"bad-time", `time "2024-03-11T08:00:00"`},
		{"bad-header", "sent"},
	} {
		d, err := m.document(testdataFile(t, tc.dir, "input.xml"))
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, p := range d.Problems {
			found = found || containsFold(p.Error(), tc.want)
		}
		if !found {
			t.Errorf("%s: problems %v do not mention %q", tc.dir, d.Problems, tc.want)
		}
	}
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
