package nws

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

func TestParseVTEC(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []string // event keys, in order
	}{
		{"standard", []string{"/O.CON.KTFX.FF.A.0003.000000T0000Z-100831T0000Z/"}, []string{"KTFX.FF.A.0003"}},
		{"surrounding space", []string{"  /O.NEW.KPQR.FA.W.0101.191220T2134Z-191221T0530Z/\n"}, []string{"KPQR.FA.W.0101"}},
		{"no slashes", []string{"O.EXP.KCHS.HT.Y.0006.000000T0000Z-190814T2200Z"}, []string{"KCHS.HT.Y.0006"}},
		{"lower case", []string{"/o.can.kpqr.fa.a.0004.000000t0000z-191222t1800z/"}, []string{"KPQR.FA.A.0004"}},
		{"two in one value", []string{"/O.UPG.KBOU.FA.Y.0012.000000T0000Z-250708T2215Z//O.NEW.KBOU.FF.W.0005.250708T2051Z-250708T2345Z/"},
			[]string{"KBOU.FA.Y.0012", "KBOU.FF.W.0005"}},
		{"two values", []string{"/O.UPG.KBOU.FA.Y.0012.000000T0000Z-250708T2215Z/", "/O.NEW.KBOU.FF.W.0005.250708T2051Z-250708T2345Z/"},
			[]string{"KBOU.FA.Y.0012", "KBOU.FF.W.0005"}},
		{"P-VTEC then H-VTEC", []string{"/O.EXT.KPQR.FL.W.0034.000000T0000Z-191223T1200Z/", "/WDLW1.2.ER.191220T1600Z.191221T0600Z.191222T1800Z.NO/"},
			[]string{"KPQR.FL.W.0034"}},
		{"H-VTEC only", []string{"/00000.0.ER.000000T0000Z.000000T0000Z.000000T0000Z.OO/"}, nil},
		{"test product class", []string{"/T.NEW.KXXX.FF.W.0001.250101T0000Z-250101T0100Z/"}, []string{"KXXX.FF.W.0001"}},
		{"unknown class", []string{"/Q.NEW.KXXX.FF.W.0001.250101T0000Z-250101T0100Z/"}, nil},
		{"short ETN", []string{"/O.NEW.KXXX.FF.W.001.250101T0000Z-250101T0100Z/"}, nil},
		{"no times", []string{"/O.NEW.KXXX.FF.W.0001/"}, nil},
		{"bad time", []string{"/O.NEW.KXXX.FF.W.0001.2501010000Z-250101T0100Z/"}, nil},
		{"three-letter office", []string{"/O.NEW.KXX.FF.W.0001.250101T0000Z-250101T0100Z/"}, nil},
		{"text", []string{"FLOOD WATCH REMAINS IN EFFECT", ""}, nil},
		{"nothing", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, v := range parseVTEC(tt.in) {
				got = append(got, v.event())
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("parseVTEC(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestVTECFields(t *testing.T) {
	vs := parseVTEC([]string{"/O.EXB.KTFX.FF.A.0003.100830T1800Z-100831T0000Z/"})
	if len(vs) != 1 {
		t.Fatalf("got %d strings", len(vs))
	}
	v := vs[0]
	want := vtec{class: "O", action: "EXB", office: "KTFX", phenomenon: "FF", significance: "A", etn: "0003",
		begin: "100830T1800Z", end: "100831T0000Z"}
	if v != want {
		t.Errorf("got %+v, want %+v", v, want)
	}
	golden.Eq(t, "String", v.String(), "/O.EXB.KTFX.FF.A.0003.100830T1800Z-100831T0000Z/")
}

func TestActionIntent(t *testing.T) {
	want := map[string]collectors.Intent{
		"NEW": collectors.IntentActive, "CON": collectors.IntentActive, "EXT": collectors.IntentActive,
		"EXA": collectors.IntentActive, "EXB": collectors.IntentActive, "COR": collectors.IntentActive,
		"ROU": collectors.IntentActive, "CAN": collectors.IntentCancel, "UPG": collectors.IntentCancel,
		"EXP": collectors.IntentExpire,
	}
	if len(actionIntent) != len(want) {
		t.Errorf("actionIntent has %d actions, want %d", len(actionIntent), len(want))
	}
	for action, intent := range want {
		golden.Eq(t, action, actionIntent[action], intent)
	}
}

func TestPhenomenonHazard(t *testing.T) {
	for _, tt := range []struct {
		phenomenon string
		hazard     alert.Hazard // "" for unmapped
	}{
		{"FA", alert.HazardFlood}, {"FF", alert.HazardFlood}, {"FL", alert.HazardFlood},
		{"CF", alert.HazardFlood}, {"LS", alert.HazardFlood}, {"HY", alert.HazardFlood},
		{"HT", alert.HazardHeat}, {"EH", alert.HazardHeat}, {"XH", alert.HazardHeat},
		{"WI", ""}, {"SS", ""}, {"HU", ""}, {"FW", ""}, {"HW", ""}, {"FZ", ""},
	} {
		golden.Eq(t, tt.phenomenon, phenomenonHazard[tt.phenomenon], tt.hazard)
	}
}

func TestEventNames(t *testing.T) {
	m := &mapper{}
	// The lists of FORMATS.md §2.4, written out again so that an edit of the
	// table in vtec.go cannot pass unnoticed.
	flood := []string{"Flood Warning", "Flood Watch", "Flood Advisory", "Flood Statement", "Flash Flood Warning",
		"Flash Flood Watch", "Flash Flood Statement", "Coastal Flood Warning", "Coastal Flood Watch",
		"Coastal Flood Advisory", "Coastal Flood Statement", "Lakeshore Flood Warning", "Lakeshore Flood Watch",
		"Lakeshore Flood Advisory", "Lakeshore Flood Statement", "Hydrologic Outlook", "Hydrologic Advisory",
		"Arroyo And Small Stream Flood Advisory", "Urban And Small Stream Flood Advisory"}
	heat := []string{"Heat Advisory", "Excessive Heat Watch", "Excessive Heat Warning", "Extreme Heat Watch", "Extreme Heat Warning"}
	for _, names := range []struct {
		list []string
		h    alert.Hazard
	}{{flood, alert.HazardFlood}, {heat, alert.HazardHeat}} {
		for _, n := range names.list {
			h, ok := m.hazardOf(n)
			if !ok || h != names.h {
				t.Errorf("hazardOf(%q) = %q, %v; want %q", n, h, ok, names.h)
			}
		}
	}
	golden.Eq(t, "built-in names", len(builtinEvents), len(flood)+len(heat))
	for _, n := range []string{"EXTREME HEAT WARNING", " flash  flood warning "} {
		if _, ok := m.hazardOf(n); !ok {
			t.Errorf("hazardOf(%q): not mapped, want case and spacing ignored", n)
		}
	}
	for _, n := range []string{"", "Heat", "Flood", "Wind Advisory", "Special Weather Statement", "Heat Advisory Outlook",
		"Flash Flood Warnings", "Coastal Hazard Message", "Storm Surge Warning", "Wheat Advisory", "Hydrologic Statement"} {
		if h, ok := m.hazardOf(n); ok {
			t.Errorf("hazardOf(%q) = %q, want unmapped (no substring guessing)", n, h)
		}
	}
}

func TestProductNames(t *testing.T) {
	for ps, name := range productNames {
		var phen, sig string
		fmt.Sscanf(ps, "%2s.%1s", &phen, &sig)
		h, ok := phenomenonHazard[phen]
		if !ok {
			t.Errorf("productNames[%q]: phenomenon %q does not map", ps, phen)
		}
		if bh, ok := builtinEvents[normalizeEvent(name)]; !ok || bh != h {
			t.Errorf("productNames[%q] = %q: not a built-in %s event name", ps, name, h)
		}
	}
}

// pvtecRegexp is the regular expression pvtecOf replaced, kept to check
// that the two agree.
var pvtecRegexp = regexp.MustCompile(`^([OTEX])\.([A-Z]{3})\.([A-Z0-9]{4})\.([A-Z]{2})\.([A-Z])\.(\d{4})\.(\d{6}T\d{4}Z)-(\d{6}T\d{4}Z)$`)

// TestPVTECOfMatchesRegexp checks pvtecOf against pvtecRegexp on every
// one-byte change, cut and extension of some P-VTEC strings.
func TestPVTECOfMatchesRegexp(t *testing.T) {
	bases := []string{"O.CON.KTFX.FF.A.0003.000000T0000Z-100831T0000Z", "X.EXB.K9X1.XH.W.9999.250717T1700Z-250719T0300Z"}
	var toks []string
	for _, b := range bases {
		toks = append(toks, b, b+"Z", b[:len(b)-1], "/"+b, b+"/")
		for i := range len(b) {
			for _, c := range []byte("OTEXQAZaz0159.-T/ \xc3") {
				toks = append(toks, b[:i]+string(c)+b[i+1:])
			}
		}
	}
	for _, tok := range toks {
		v, ok := pvtecOf(tok)
		m := pvtecRegexp.FindStringSubmatch(tok)
		if ok != (m != nil) {
			t.Fatalf("pvtecOf(%q) ok = %v, the regexp says %v", tok, ok, m != nil)
		}
		if ok {
			want := vtec{class: m[1], action: m[2], office: m[3], phenomenon: m[4], significance: m[5], etn: m[6], begin: m[7], end: m[8]}
			if v != want {
				t.Fatalf("pvtecOf(%q) = %+v, want %+v", tok, v, want)
			}
			if v.String() != "/"+tok+"/" {
				t.Fatalf("String() = %q, want %q", v.String(), "/"+tok+"/")
			}
		}
	}
}
