package heatindex

import (
	"fmt"
	"math"
	"testing"
)

// The vectors of ../shared/fixtures/feeds/heat_vectors.py, copied here. The
// script's tolerance is its output format: every value printed with one
// decimal (f"{x:.1f}"), Stull's wet-bulb temperature with two. A value
// matches when Go prints it the same way: both languages round the exact
// binary value correctly, so the strings agree exactly.
var nwsVectors = []struct {
	tF, rh float64
	want   string // heat index °F, as printed
}{
	{70, 50, "69.5"},
	{85, 90, "101.8"}, // high-humidity adjustment
	{90, 70, "105.9"}, // NWS table: 106
	{96, 10, "90.4"},  // low-humidity adjustment
	{100, 40, "109.3"},
	{105, 60, "148.9"},
}

var kmaVectors = []struct {
	ta, rh float64
	tw     string // Stull wet-bulb °C, as printed
	at     string // KMA apparent temperature °C, as printed
}{
	{30, 55, "23.16", "30.0"},
	{31, 70, "26.53", "32.3"},
	{32, 50, "24.02", "31.5"},
	{33, 55, "25.80", "33.0"},
	{33, 40, "22.89", "31.4"},
	{35, 55, "27.56", "35.0"},
	{33, 80, "30.01", "35.2"},
}

func TestHeatIndexVectors(t *testing.T) {
	for _, v := range nwsVectors {
		t.Run(fmt.Sprintf("%gF_%g%%", v.tF, v.rh), func(t *testing.T) {
			if got := fmt.Sprintf("%.1f", heatIndexF(v.tF, v.rh)); got != v.want {
				t.Errorf("heatIndexF(%g, %g) = %s, want %s", v.tF, v.rh, got, v.want)
			}
		})
	}
}

func TestKMAApparentVectors(t *testing.T) {
	for _, v := range kmaVectors {
		t.Run(fmt.Sprintf("%gC_%g%%", v.ta, v.rh), func(t *testing.T) {
			if got := fmt.Sprintf("%.2f", wetBulbStull(v.ta, v.rh)); got != v.tw {
				t.Errorf("wetBulbStull(%g, %g) = %s, want %s", v.ta, v.rh, got, v.tw)
			}
			if got := fmt.Sprintf("%.1f", apparentKMA(v.ta, v.rh)); got != v.at {
				t.Errorf("apparentKMA(%g, %g) = %s, want %s", v.ta, v.rh, got, v.at)
			}
		})
	}
}

// TestFormulaBranches pins each branch of the NWS procedure on its own, so
// that dropping an adjustment fails here and not only through a vector.
func TestFormulaBranches(t *testing.T) {
	rothfusz := func(t, rh float64) float64 {
		return -42.379 + 2.04901523*t + 10.14333127*rh - 0.22475541*t*rh - 0.00683783*t*t -
			0.05481717*rh*rh + 0.00122874*t*t*rh + 0.00085282*t*rh*rh - 0.00000199*t*t*rh*rh
	}
	near := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("%s = %.6f, want %.6f", what, got, want)
		}
	}
	near("simple below 80", heatIndexF(70, 50), (0.5*(70+61+(70-68)*1.2+50*0.094)+70)/2)
	near("plain Rothfusz", heatIndexF(90, 50), rothfusz(90, 50))
	near("dry adjustment", heatIndexF(96, 10), rothfusz(96, 10)-(3.0/4)*math.Sqrt((17-1.0)/17))
	near("humid adjustment", heatIndexF(85, 90), rothfusz(85, 90)+(5.0/10)*(2.0/5))
	near("no humid adjustment above 87 °F", heatIndexF(90, 90), rothfusz(90, 90))
	near("no dry adjustment above 112 °F", heatIndexF(115, 10), rothfusz(115, 10))
	near("°C → °F", celsiusToF(35), 95)
	near("°F → °C", fToCelsius(95), 35)
	// AT equals Ta near 55 % (FORMATS.md §7).
	if d := math.Abs(apparentKMA(34, 55) - 34); d > 0.1 {
		t.Errorf("apparentKMA(34, 55) is %.2f from 34", d)
	}
}
