package monitoring

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

const dashboardFile = "../../configs/monitoring/grafana-dashboard.json"

// dsVar is the dashboard's data source variable; every panel and query uses
// it, so the dashboard works imported by hand or provisioned from a file.
const dsVar = "${DS_PROMETHEUS}"

type dashboard struct {
	UID           string `json:"uid"`
	Title         string `json:"title"`
	SchemaVersion int    `json:"schemaVersion"`
	Templating    struct {
		List []variable `json:"list"`
	} `json:"templating"`
	Panels []panel `json:"panels"`
}

type variable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Query      json.RawMessage `json:"query"`
	Definition string          `json:"definition"`
	Datasource *datasource     `json:"datasource"`
}

type panel struct {
	ID          int         `json:"id"`
	Type        string      `json:"type"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	Datasource  *datasource `json:"datasource"`
	GridPos     struct {
		H, W, X, Y int
	} `json:"gridPos"`
	Targets []target `json:"targets"`
	Panels  []panel  `json:"panels"` // a collapsed row's panels
}

type target struct {
	Expr       string      `json:"expr"`
	RefID      string      `json:"refId"`
	Datasource *datasource `json:"datasource"`
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// grafanaVars are Grafana's own variables the queries may use.
var grafanaVars = map[string]bool{"__rate_interval": true, "__interval": true, "__range": true, "__range_s": true}

var labelValuesRe = regexp.MustCompile(`^label_values\((.+),\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)$`)

// query is one PromQL expression of the dashboard and where it is.
type query struct{ where, expr string }

// checkDashboard returns every problem of a dashboard and the metric
// families its queries use.
func checkDashboard(data []byte, cat catalogue) (problems []string, used map[string]bool, queries []query) {
	var d dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		return []string{"parse: " + err.Error()}, nil, nil
	}
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if d.UID == "" || d.Title == "" {
		bad("uid and title must be set")
	}
	if d.SchemaVersion < 36 {
		bad("schemaVersion %d: want 36 or later (Grafana 9+)", d.SchemaVersion)
	}
	vars := map[string]variable{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v
	}
	if v, ok := vars["DS_PROMETHEUS"]; !ok || v.Type != "datasource" || string(v.Query) != `"prometheus"` {
		bad("templating: want a datasource variable DS_PROMETHEUS of type prometheus")
	}
	for _, name := range []string{"instance", "collector", "exporter"} {
		v, ok := vars[name]
		if !ok || v.Type != "query" {
			bad("templating: want a query variable %q", name)
			continue
		}
		if v.Datasource == nil || v.Datasource.UID != dsVar {
			bad("variable %s: datasource must be %s", name, dsVar)
		}
		// The query is a string or, in newer Grafana, an object with one.
		var q string
		if json.Unmarshal(v.Query, &q) != nil {
			var obj struct {
				Query string `json:"query"`
			}
			_ = json.Unmarshal(v.Query, &obj)
			q = obj.Query
		}
		m := labelValuesRe.FindStringSubmatch(q)
		if m == nil {
			bad("variable %s: query %q is not label_values(metric, label)", name, q)
			continue
		}
		queries = append(queries, query{"variable " + name, "count by (" + m[2] + ") (" + m[1] + ")"})
	}
	used = map[string]bool{}
	ids := map[int]bool{}
	var walk func(ps []panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			where := fmt.Sprintf("panel %d %q", p.ID, p.Title)
			if ids[p.ID] {
				bad("%s: duplicate id", where)
			}
			ids[p.ID] = true
			if p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X < 0 || p.GridPos.X+p.GridPos.W > 24 {
				bad("%s: gridPos %+v outside the 24-column grid", where, p.GridPos)
			}
			if p.Type == "row" {
				walk(p.Panels)
				continue
			}
			if p.Title == "" || p.Description == "" {
				bad("%s: title and description must be set", where)
			}
			if p.Datasource == nil || p.Datasource.UID != dsVar {
				bad("%s: datasource must be %s", where, dsVar)
			}
			if len(p.Targets) == 0 {
				bad("%s: no queries", where)
			}
			refs := map[string]bool{}
			for _, tg := range p.Targets {
				if tg.RefID == "" || refs[tg.RefID] {
					bad("%s: empty or duplicate refId %q", where, tg.RefID)
				}
				refs[tg.RefID] = true
				if tg.Datasource != nil && tg.Datasource.UID != dsVar {
					bad("%s %s: datasource must be %s", where, tg.RefID, dsVar)
				}
				if strings.TrimSpace(tg.Expr) == "" {
					bad("%s %s: empty expr", where, tg.RefID)
					continue
				}
				queries = append(queries, query{where + " " + tg.RefID, tg.Expr})
			}
		}
	}
	walk(d.Panels)
	for _, q := range queries {
		ps, info := checkExpr(q.where, q.expr, cat)
		problems = append(problems, ps...)
		for _, m := range info.metrics {
			used[cat[m].family] = true
		}
		for _, m := range varRe.FindAllStringSubmatch(q.expr, -1) {
			if _, ok := vars[m[1]]; !ok && !grafanaVars[m[1]] {
				problems = append(problems, fmt.Sprintf("%s: unknown variable $%s", q.where, m[1]))
			}
		}
	}
	return problems, used, queries
}

// TestDashboardNamesRealMetrics: the dashboard is valid Grafana JSON, every
// query names metrics, labels and values the daemon exports, and every
// hazardwire metric has a panel.
func TestDashboardNamesRealMetrics(t *testing.T) {
	cat := liveCatalogue(t)
	problems, used, queries := checkDashboard(readFile(t, dashboardFile), cat)
	for _, p := range problems {
		t.Error(p)
	}
	for _, f := range cat.families() {
		if !used[f] {
			t.Errorf("no dashboard panel shows %s: add one to %s", f, dashboardFile)
		}
	}
	t.Logf("%d queries checked; %d metric families shown", len(queries), len(used))
}

// TestDashboardHasTheRequestedPanels: the views the issue asked for are
// there: freshness as time() - last success, and p50/p90/p99 of both
// histograms per exporter.
func TestDashboardHasTheRequestedPanels(t *testing.T) {
	var all []string
	_, _, queries := checkDashboard(readFile(t, dashboardFile), catalogue{})
	for _, q := range queries {
		all = append(all, strings.Join(strings.Fields(q.expr), " "))
	}
	has := func(parts ...string) bool {
		for _, e := range all {
			ok := true
			for _, p := range parts {
				ok = ok && strings.Contains(e, p)
			}
			if ok {
				return true
			}
		}
		return false
	}
	if !has("time() - (hazardwire_collector_last_success_timestamp_seconds") {
		t.Error("no feed freshness query: time() - hazardwire_collector_last_success_timestamp_seconds")
	}
	for _, h := range []string{"hazardwire_exporter_delivery_duration_seconds_bucket", "hazardwire_exporter_alert_latency_seconds_bucket"} {
		for _, q := range []string{"0.5", "0.9", "0.99"} {
			if !has("histogram_quantile("+q+",", "by (le, exporter)", h, "rate(") {
				t.Errorf("no p%s of %s by exporter", strings.TrimPrefix(q, "0."), h)
			}
		}
	}
	for _, want := range [][]string{
		{"hazardwire_collector_runs_total", "result"},
		{"hazardwire_collector_errors_total", "reason"},
		{"hazardwire_collector_http_responses_total", `code="304"`},
		{"hazardwire_alerts_changes_total", "hazard, change"},
		{"hazardwire_alerts_active", "hazard, severity"},
		{"hazardwire_alerts_dropped_total", "reason"},
		{"hazardwire_exporter_deliveries_total", "exporter, result"},
		{"hazardwire_exporter_failures_total", "exporter, reason"},
		{"time() - hazardwire_config_last_reload_success_timestamp_seconds"},
	} {
		if !has(want...) {
			t.Errorf("no query with %q", want)
		}
	}
}
