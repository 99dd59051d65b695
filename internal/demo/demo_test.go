package demo

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/internal/testbus"

	_ "github.com/hazardwire/hazardwire/collectors/all"
	_ "github.com/hazardwire/hazardwire/exporters/all"
)

// TestDemoScenario runs the demo at a quick pace and checks what the partner
// saw: the flood story in two languages (new, update, cancel) and the heat
// advisory (new, expire), every delivery verified.
func TestDemoScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole daemon for about 12 seconds")
	}
	var out bytes.Buffer
	s, err := Run(context.Background(), Options{Duration: 12 * time.Second, Step: 3 * time.Second, Listen: "127.0.0.1:0",
		Out: &out, Logger: testbus.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(out.String())
	// 2 languages × (new, update, cancel) + heat (new, expire).
	if s.Changes != 8 || s.Alerts != 3 {
		t.Errorf("changes %d, alerts %d; want 8 and 3", s.Changes, s.Alerts)
	}
	if s.Verified != 8 || s.Rejected != 0 || s.Delivered != 8 {
		t.Errorf("verified %d, rejected %d, delivered %d; want 8, 0, 8", s.Verified, s.Rejected, s.Delivered)
	}
	for _, want := range []string{"new    active v1", "update active v2", "cancel ended  v3", "expire ended  v2", "홍수경보", "Heat Advisory", "summary: 3 alerts seen, 8 changes published, 8 deliveries verified"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
}
