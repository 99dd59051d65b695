package monitoring

import (
	"bytes"
	"strings"
	"testing"
)

// TestCheckerCatchesMistakes proves the checks fail where they should: a
// misspelt metric, label or value, in a rule, in the dashboard, or in a
// runbook link.
func TestCheckerCatchesMistakes(t *testing.T) {
	cat := liveCatalogue(t)
	for _, tc := range []struct {
		expr string
		want string // in the problem; "" for none
	}{
		{`hazardwire_exporter_pending > 100`, ""},
		{`hazardwire_exporter_pendng > 100`, "unknown metric hazardwire_exporter_pendng"},
		{`hazardwire_config_last_reload_success == 0`, "unknown metric hazardwire_config_last_reload_success"},
		{`rate(hazardwire_collector_runs_total_bucket[5m])`, "unknown metric hazardwire_collector_runs_total_bucket"},
		{`histogram_quantile(0.9, sum by (le, exporter) (rate(hazardwire_exporter_alert_latency_seconds_bucket[5m])))`, ""},
		{`histogram_quantile(0.9, sum by (le) (rate(hazardwire_exporter_alert_latency_seconds[5m])))`, "unknown metric hazardwire_exporter_alert_latency_seconds"},
		{`hazardwire_exporter_alert_latency_seconds_count`, ""},
		{`hazardwire_exporter_deliveries_total{result="dead_letter", instance="x:1"}`, ""},
		{`hazardwire_exporter_deliveries_total{result="deadletter"}`, `no series with result="deadletter"`},
		{`hazardwire_exporter_deliveries_total{reslt="dead_letter"}`, `has no label "reslt"`},
		{`hazardwire_exporter_failures_total{reason=~"http_5xx|timeout"}`, ""},
		{`hazardwire_exporter_failures_total{reason=~"http_6.."}`, `matches no series`},
		{`hazardwire_collector_runs_total{collector=~"$collector"}`, ""},
		{`sum by (exportr) (hazardwire_exporter_pending)`, `no metric in the expression has the label "exportr"`},
		{`sum without (result) (rate(hazardwire_collector_runs_total[1h])`, "unclosed"},
	} {
		problems, _ := checkExpr("test", tc.expr, cat)
		got := strings.Join(problems, "\n")
		switch {
		case tc.want == "" && got != "":
			t.Errorf("%s: unexpected problems:\n%s", tc.expr, got)
		case tc.want != "" && !strings.Contains(got, tc.want):
			t.Errorf("%s: want a problem with %q, got %q", tc.expr, tc.want, got)
		}
	}

	rules := readFile(t, rulesFile)
	runbook := readFile(t, runbookFile)
	anchors := runbookAnchors(runbook)
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"misspelt contract metric", "hazardwire_config_last_reload_successful == 0", "hazardwire_config_last_reload_sucessful == 0",
			"unknown metric hazardwire_config_last_reload_sucessful"},
		{"misspelt label value", `result="dead_letter"`, `result="dead_letters"`, `no series with result="dead_letters"`},
		{"label the metric lacks", `$labels.exporter }} is disabled`, `$labels.partner }} is disabled`, "$labels.partner"},
		{"broken runbook anchor", "#hazardwirecircuitopen", "#hazardwire-circuit-open", "anchor"},
		{"no severity", "severity: warning\n        annotations:\n          summary: \"hazardwire on", "team: ops\n        annotations:\n          summary: \"hazardwire on", "labels.severity"},
		{"unknown key", "    rules:\n      - alert: HazardwireConfigReloadFailed", "    rules:\n      - alert: HazardwireConfigReloadFailed\n        fro: 1m", "fro"},
	} {
		if !bytes.Contains(rules, []byte(tc.old)) {
			t.Fatalf("%s: %q is not in %s any more: update this test", tc.name, tc.old, rulesFile)
		}
		bad := bytes.Replace(rules, []byte(tc.old), []byte(tc.new), 1)
		problems, _ := checkRules(bad, cat, anchors)
		if got := strings.Join(problems, "\n"); !strings.Contains(got, tc.want) {
			t.Errorf("rules with a %s: want a problem with %q, got %q", tc.name, tc.want, got)
		}
	}
	// Without the runbook section the anchor is reported too.
	noSection := bytes.Replace(runbook, []byte("## HazardwireCircuitOpen"), []byte("## Circuit breaker"), 1)
	problems, _ := checkRules(rules, cat, runbookAnchors(noSection))
	if got := strings.Join(problems, "\n"); !strings.Contains(got, "#hazardwirecircuitopen is not a heading") {
		t.Errorf("a missing runbook section: got %q", got)
	}

	dash := readFile(t, dashboardFile)
	for _, tc := range []struct{ old, new, want string }{
		{"hazardwire_exporter_pending{", "hazardwire_exporter_pendings{", "unknown metric hazardwire_exporter_pendings"},
		{`code=\"304\"`, `code=\"3O4\"`, `no series with code="3O4"`},
		{`$collector`, `$colector`, "unknown variable $colector"},
	} {
		if !bytes.Contains(dash, []byte(tc.old)) {
			t.Fatalf("%q is not in %s any more: update this test", tc.old, dashboardFile)
		}
		problems, _, _ := checkDashboard(bytes.Replace(dash, []byte(tc.old), []byte(tc.new), 1), cat)
		if got := strings.Join(problems, "\n"); !strings.Contains(got, tc.want) {
			t.Errorf("dashboard with %s: want a problem with %q, got %q", tc.new, tc.want, got)
		}
	}
}
