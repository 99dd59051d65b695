package alert_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/alert"
)

func TestParseTime(t *testing.T) {
	for _, tc := range []struct {
		in         string
		wantUTC    time.Time
		wantOffset int // seconds east of UTC
	}{
		{"2024-08-01T01:00:00Z", time.Date(2024, 8, 1, 1, 0, 0, 0, time.UTC), 0},
		{"2024-08-01T10:00:00+09:00", time.Date(2024, 8, 1, 1, 0, 0, 0, time.UTC), 9 * 3600},
		{"2019-12-20T18:00:00-08:00", time.Date(2019, 12, 21, 2, 0, 0, 0, time.UTC), -8 * 3600},
		{"2024-08-01T10:00:00.5+09:00", time.Date(2024, 8, 1, 1, 0, 0, 5e8, time.UTC), 9 * 3600},
		{"2024-08-01T01:00:00.123456789Z", time.Date(2024, 8, 1, 1, 0, 0, 123456789, time.UTC), 0},
		{"2024-08-01T05:30:00+05:30", time.Date(2024, 8, 1, 0, 0, 0, 0, time.UTC), 5*3600 + 1800},
		// RFC 3339's "unknown local offset": the instant is UTC.
		{"2024-08-01T01:00:00-00:00", time.Date(2024, 8, 1, 1, 0, 0, 0, time.UTC), 0},
		{"  2024-08-01T01:00:00Z\n", time.Date(2024, 8, 1, 1, 0, 0, 0, time.UTC), 0},
	} {
		got, err := alert.ParseTime(tc.in)
		if err != nil {
			t.Errorf("ParseTime(%q): %v", tc.in, err)
			continue
		}
		if !got.Equal(tc.wantUTC) {
			t.Errorf("ParseTime(%q) = %v, want %v", tc.in, got, tc.wantUTC)
		}
		if _, off := got.Zone(); off != tc.wantOffset {
			t.Errorf("ParseTime(%q): offset %d, want %d (offsets are kept)", tc.in, off, tc.wantOffset)
		}
	}
}

func TestParseTimeErrors(t *testing.T) {
	for _, in := range []string{
		"",
		"2024-08-01T10:00:00",       // no offset: the caller must say the zone
		"2024-08-01 10:00:00+09:00", // not RFC 3339
		"2024-08-01T10:00:00+0900",
		"2024-08-01",
		"20240801100000",
		"2024-13-01T00:00:00Z",
		"yesterday",
	} {
		got, err := alert.ParseTime(in)
		if err == nil {
			t.Errorf("ParseTime(%q) = %v, want an error", in, got)
			continue
		}
		if !strings.Contains(err.Error(), "with an offset") {
			t.Errorf("ParseTime(%q): error %q does not say what is wanted", in, err)
		}
	}
}

func TestParseTimeIn(t *testing.T) {
	layouts := []string{"200601021504", "2006-01-02 15:04:05", time.RFC3339}
	for _, tc := range []struct {
		in   string
		want string // RFC 3339
	}{
		{"202408011000", "2024-08-01T10:00:00+09:00"},
		{"2024-08-01 10:00:00", "2024-08-01T10:00:00+09:00"},
		// A layout with a zone keeps the zone given.
		{"2024-08-01T01:00:00Z", "2024-08-01T01:00:00Z"},
		{" 202412312359 ", "2024-12-31T23:59:00+09:00"},
	} {
		got, err := alert.ParseTimeIn(tc.in, alert.KST, layouts...)
		if err != nil {
			t.Errorf("ParseTimeIn(%q): %v", tc.in, err)
			continue
		}
		if s := got.Format(time.RFC3339); s != tc.want {
			t.Errorf("ParseTimeIn(%q) = %s, want %s", tc.in, s, tc.want)
		}
	}
	_, err := alert.ParseTimeIn("2024/08/01", alert.KST, layouts...)
	if err == nil || !strings.Contains(err.Error(), `"2024/08/01"`) {
		t.Errorf("ParseTimeIn of a time in no layout: error %v, want one naming the time", err)
	}
	if _, err := alert.ParseTimeIn("202408011000", alert.KST); err == nil {
		t.Error("ParseTimeIn without layouts: want an error")
	}
}

func TestKST(t *testing.T) {
	// No daylight saving: +09:00 in winter and in summer.
	for _, m := range []time.Month{time.January, time.July} {
		if _, off := time.Date(2024, m, 1, 0, 0, 0, 0, alert.KST).Zone(); off != 9*3600 {
			t.Errorf("KST offset in %s = %d", m, off)
		}
	}
}

func TestTimePtr(t *testing.T) {
	if alert.TimePtr(time.Time{}) != nil {
		t.Error("TimePtr(zero) is not nil")
	}
	now := time.Date(2024, 8, 1, 0, 0, 0, 0, alert.KST)
	if p := alert.TimePtr(now); p == nil || !p.Equal(now) {
		t.Errorf("TimePtr(%v) = %v", now, p)
	}
}
