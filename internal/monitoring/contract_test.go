package monitoring

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// contract is the metric names and labels of DESIGN.md §8 ("a contract for
// names"), which the rules and the dashboard rely on. Histograms are listed
// by their _bucket series.
var contract = map[string][]string{
	"hazardwire_collector_runs_total":                         {"collector", "result"},
	"hazardwire_collector_fetch_duration_seconds_bucket":      {"collector", "le"},
	"hazardwire_collector_last_success_timestamp_seconds":     {"collector"},
	"hazardwire_collector_items":                              {"collector"},
	"hazardwire_alerts_changes_total":                         {"change", "hazard", "source"},
	"hazardwire_alerts_active":                                {"hazard", "severity"},
	"hazardwire_alerts_dropped_total":                         {"reason", "source"},
	"hazardwire_exporter_deliveries_total":                    {"exporter", "result"},
	"hazardwire_exporter_delivery_duration_seconds_bucket":    {"exporter", "le"},
	"hazardwire_exporter_pending":                             {"exporter"},
	"hazardwire_exporter_alert_latency_seconds_bucket":        {"exporter", "le"},
	"hazardwire_config_last_reload_successful":                {},
	"hazardwire_config_last_reload_success_timestamp_seconds": {},
	"hazardwire_build_info":                                   {"goversion", "version"},
}

// contractValues are the label values §8 names, each initialised at zero,
// and no other.
var contractValues = map[string]map[string][]string{
	"hazardwire_collector_runs_total":      {"result": {"success", "error", "skipped"}},
	"hazardwire_alerts_dropped_total":      {"reason": {"unmapped", "invalid"}},
	"hazardwire_exporter_deliveries_total": {"result": {"success", "retry", "dead_letter", "filtered"}},
}

func TestContractMetricsExist(t *testing.T) {
	cat := liveCatalogue(t)
	for name, labels := range contract {
		e := cat[name]
		if e == nil {
			t.Errorf("%s (DESIGN.md §8) is not exported at start", name)
			continue
		}
		if got := e.labelNames(); !slices.Equal(got, labels) {
			t.Errorf("%s has labels %v, the contract says %v", name, got, labels)
		}
		for label, values := range contractValues[name] {
			for _, v := range values {
				if !e.labels[label][v] {
					t.Errorf("%s{%s=%q} is not initialised at start", name, label, v)
				}
			}
			// Exactly those: a value of its own (superseded, say) belongs
			// in a metric of its own.
			for _, v := range e.values(label) {
				if !slices.Contains(values, v) {
					t.Errorf("%s{%s=%q} is exported; the contract's values are exactly %v", name, label, v, values)
				}
			}
		}
	}
}

// TestOperationsCatalogueIsComplete: docs/operations.md's metrics table lists
// exactly the hazardwire metrics the daemon exports.
func TestOperationsCatalogueIsComplete(t *testing.T) {
	cat := liveCatalogue(t)
	md := string(readFile(t, "../../docs/operations.md"))
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `(hazardwire_[a-z0-9_]+)`").FindAllStringSubmatch(md, -1) {
		documented[m[1]] = true
	}
	for _, f := range cat.families() {
		if !documented[f] {
			t.Errorf("%s is exported but not in docs/operations.md's metrics table", f)
		}
		delete(documented, f)
	}
	for f := range documented {
		t.Errorf("docs/operations.md documents %s, which the daemon does not export", f)
	}
	if t.Failed() {
		t.Logf("exported: %s", strings.Join(cat.families(), ", "))
	}
}
