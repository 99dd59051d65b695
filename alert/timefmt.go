package alert

import (
	"fmt"
	"strings"
	"time"
)

// KST is Korea Standard Time (+09:00, no daylight saving), the zone of every
// Korean agency time given without an offset.
var KST = time.FixedZone("KST", 9*60*60)

// ParseTime reads a CAP or RFC 3339 date-time leniently: an explicit offset or
// Z, with or without fractional seconds. A time without any offset is an error:
// callers that know the zone use ParseTimeIn. "-00:00" (RFC 3339's unknown
// offset) is read as UTC.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q: want RFC 3339 with an offset", s)
	}
	return t, nil
}

// ParseTimeIn reads a date-time in one of layouts; a layout without a zone is
// taken to be in loc.
func ParseTimeIn(s string, loc *time.Location, layouts ...string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range layouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q: not in any of the layouts %q", s, layouts)
}

// TimePtr returns a pointer to t, or nil for the zero time.
func TimePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
