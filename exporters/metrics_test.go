package exporters_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hazardwire/hazardwire/exporters"
)

// contractResults are the result values of
// hazardwire_exporter_deliveries_total, a contract (DESIGN.md §8): exactly
// these four.
var contractResults = []string{"success", "retry", "dead_letter", "filtered"}

// deliveryResults returns the result values of deliveries_total exported
// for exporter, and the metric's HELP text.
func deliveryResults(t *testing.T, g prometheus.Gatherer, exporter string) (results []string, help string) {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "hazardwire_exporter_deliveries_total" {
			continue
		}
		help = mf.GetHelp()
		for _, m := range mf.GetMetric() {
			var exp, result string
			for _, lp := range m.GetLabel() {
				switch lp.GetName() {
				case "exporter":
					exp = lp.GetValue()
				case "result":
					result = lp.GetValue()
				}
			}
			if exp == exporter {
				results = append(results, result)
			}
		}
	}
	slices.Sort(results)
	return results, help
}

// TestDeliveryResultsAreTheContract: an exporter's deliveries_total starts
// with exactly the contract's four results at zero, its HELP names those
// four and no other, and superseded changes have a counter of their own,
// also at zero from the start.
func TestDeliveryResultsAreTheContract(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := exporters.NewMetrics(reg)
	m.Init("p1")
	got, help := deliveryResults(t, reg, "p1")
	if want := slices.Sorted(slices.Values(contractResults)); !slices.Equal(got, want) {
		t.Errorf("deliveries_total results %v, want exactly %v", got, want)
	}
	for _, r := range contractResults {
		if !strings.Contains(help, r+" (") {
			t.Errorf("HELP %q does not describe %s", help, r)
		}
	}
	if strings.Contains(help, "superseded") {
		t.Errorf("HELP %q names superseded, not a result", help)
	}
	if n := testutil.CollectAndCount(m.Superseded, "hazardwire_exporter_superseded_total"); n != 1 {
		t.Errorf("%d superseded_total series after Init, want 1 (p1, at 0)", n)
	}
	if v := testutil.ToFloat64(m.Superseded.WithLabelValues("p1")); v != 0 {
		t.Errorf("superseded_total = %v at start", v)
	}
	m.Delete("p1")
	if n := testutil.CollectAndCount(m.Superseded); n != 0 {
		t.Errorf("%d superseded_total series after Delete", n)
	}
}
