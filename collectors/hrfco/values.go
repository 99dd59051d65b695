package hrfco

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/hazardwire/hazardwire/alert"
)

// timeLayouts are the forms HRFCO times come in, all KST without an offset:
// "202307151400" (YYYYMMDDHHmm, the API's own), with seconds, and the
// formatted "2023-07-15 14:00" some answers and clients use.
var timeLayouts = []string{
	"200601021504",
	"20060102150405",
	"2006-01-02 15:04",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04",
	"2006-01-02T15:04:05",
	"2006/01/02 15:04",
	"2006.01.02 15:04",
}

// parseTime reads an HRFCO time. A time without an offset is KST (+09:00);
// one written with an offset (RFC 3339) keeps it.
func parseTime(s str) (time.Time, error) {
	v := strings.TrimSpace(string(s))
	if t, err := alert.ParseTime(v); err == nil {
		return t, nil
	}
	t, err := alert.ParseTimeIn(v, alert.KST, timeLayouts...)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q: want YYYYMMDDHHmm or YYYY-MM-DD HH:mm (KST)", v)
	}
	return t, nil
}

// optionalTime reads a time that may be blank (nil).
func optionalTime(s str) (*time.Time, error) {
	if strings.TrimSpace(string(s)) == "" {
		return nil, nil
	}
	t, err := parseTime(s)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// showTime writes a time for Korean text: "2023-07-15 14:00" in KST.
func showTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.In(alert.KST).Format("2006-01-02 15:04")
}

// parseDMS reads a coordinate in degrees: HRFCO's degree-minute-second string
// "127-05-55" (seconds may have decimals, "127-05-55.3"), or a plain decimal
// "127.0986". ok is false for a blank value.
func parseDMS(s str) (deg float64, ok bool, err error) {
	v := strings.TrimSpace(string(s))
	if v == "" {
		return 0, false, nil
	}
	parts := strings.Split(v, "-")
	if len(parts) == 1 {
		d, err := unsigned(parts[0])
		if err != nil {
			return 0, false, fmt.Errorf("coordinate %q: %w", v, err)
		}
		return d, true, nil
	}
	if len(parts) != 3 {
		return 0, false, fmt.Errorf("coordinate %q: want degrees-minutes-seconds", v)
	}
	var f [3]float64
	for i, p := range parts {
		if f[i], err = unsigned(p); err != nil {
			return 0, false, fmt.Errorf("coordinate %q: %w", v, err)
		}
	}
	if f[0] != float64(int(f[0])) || f[1] != float64(int(f[1])) || f[1] >= 60 || f[2] >= 60 {
		return 0, false, fmt.Errorf("coordinate %q: degrees and minutes must be whole, minutes and seconds under 60", v)
	}
	return f[0] + f[1]/60 + f[2]/3600, true, nil
}

// unsigned reads a non-negative decimal of digits and at most one dot: no
// signs, exponents, NaN or infinities.
func unsigned(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.Trim(s, "0123456789.") != "" || strings.Count(s, ".") > 1 || s == "." {
		return 0, errors.New("not a number of degrees")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v > 360 {
		return 0, errors.New("not a number of degrees")
	}
	return v, nil
}

// position reads a station's lat/lon DMS pair. ok is false when either is
// blank; an unreadable or out-of-range pair is an error.
func position(lat, lon str) (p alert.Circle, ok bool, err error) {
	la, okLat, err := parseDMS(lat)
	if err != nil {
		return p, false, fmt.Errorf("lat: %w", err)
	}
	lo, okLon, err := parseDMS(lon)
	if err != nil {
		return p, false, fmt.Errorf("lon: %w", err)
	}
	if !okLat || !okLon {
		return p, false, nil
	}
	if la > 90 || lo > 180 {
		return p, false, fmt.Errorf("position lat %g, lon %g is out of range", la, lo)
	}
	return alert.Circle{Lat: round6(la), Lon: round6(lo)}, true, nil
}

// round6 rounds to a millionth of a degree (about 10 cm): DMS to decimal
// gives long repeating fractions that are noise in the alert JSON.
func round6(v float64) float64 {
	return math.Round(v*1e6) / 1e6
}

// meters writes a level for Korean text: "4.50".
func meters(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
