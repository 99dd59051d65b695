package heatindex

import "math"

// heatIndexF is the NWS heat index in °F of air temperature t (°F) and
// relative humidity rh (%), as the WPC gives it
// (www.wpc.ncep.noaa.gov/html/heatindex_equation.shtml, FORMATS.md §12):
// Steadman's simple formula averaged with t while that stays under 80 °F,
// else the Rothfusz regression with its low- and high-humidity adjustments.
func heatIndexF(t, rh float64) float64 {
	simple := 0.5 * (t + 61.0 + (t-68.0)*1.2 + rh*0.094)
	if hi := (simple + t) / 2; hi < 80 {
		return hi
	}
	hi := -42.379 + 2.04901523*t + 10.14333127*rh - 0.22475541*t*rh - 0.00683783*t*t -
		0.05481717*rh*rh + 0.00122874*t*t*rh + 0.00085282*t*rh*rh - 0.00000199*t*t*rh*rh
	switch {
	case rh < 13 && t >= 80 && t <= 112:
		hi -= ((13 - rh) / 4) * math.Sqrt((17-math.Abs(t-95))/17)
	case rh > 85 && t >= 80 && t <= 87:
		hi += ((rh - 85) / 10) * ((87 - t) / 5)
	}
	return hi
}

// wetBulbStull is Stull's (2011) wet-bulb temperature in °C of air
// temperature ta (°C) and relative humidity rh (%), the input of the KMA
// summer apparent temperature (FORMATS.md §7). Angles are radians.
func wetBulbStull(ta, rh float64) float64 {
	return ta*math.Atan(0.151977*math.Sqrt(rh+8.313659)) + math.Atan(ta+rh) - math.Atan(rh-1.67633) +
		0.00391838*math.Pow(rh, 1.5)*math.Atan(0.023101*rh) - 4.686035
}

// apparentKMA is the KMA summer apparent temperature (체감온도, May–September
// formula, official since 2023) in °C of ta (°C) and rh (%).
func apparentKMA(ta, rh float64) float64 {
	tw := wetBulbStull(ta, rh)
	return -0.2442 + 0.55399*tw + 0.45535*ta - 0.0022*tw*tw + 0.00278*tw*ta + 3.0
}

func celsiusToF(c float64) float64 { return c*9/5 + 32 }

func fToCelsius(f float64) float64 { return (f - 32) * 5 / 9 }
