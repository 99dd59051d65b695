package bench

import (
	"slices"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/internal/nwsfeed"
)

// TestEvents: the partner of the peer scenario finds each feature's event
// in the raw feature, in hazardwire's change, and in a body holding several,
// once each, and nothing that only looks like one.
func TestEvents(t *testing.T) {
	for _, c := range []struct {
		body string
		want []string
	}{
		{string(nwsfeed.Feature("r", 7, time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC))), []string{nwsfeed.FeatureEvent(7)}},
		{`{"eventCodes":{"VTEC":["/O.NEW.KLOT.FL.W.0001.260101T0000Z-260101T1200Z/"]}}`, []string{"O.NEW.KLOT.FL.W.0001"}},
		{`[{"v":"O.NEW.KLOT.FL.W.0001"},{"v":"O.NEW.KOKX.FL.W.0002"},{"again":"O.NEW.KLOT.FL.W.0001"}]`, []string{"O.NEW.KLOT.FL.W.0001", "O.NEW.KOKX.FL.W.0002"}},
		{`O.NEW.KLOT.FL.W.001 O.NEW.klot.FL.W.0001 O.NEW.KLOT.FA.W.0001 O.NEW.KLO`, nil},
		{`O.NEW.O.NEW.KLOT.FL.W.0009`, []string{"O.NEW.KLOT.FL.W.0009"}},
	} {
		if got := events([]byte(c.body)); !slices.Equal(got, c.want) {
			t.Errorf("events(%.60q) = %q, want %q", c.body, got, c.want)
		}
	}
}
