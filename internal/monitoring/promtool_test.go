package monitoring

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// promtool returns the promtool to run: $PROMTOOL, or promtool on PATH; the
// test is skipped without one. Install it with
//
//	go install github.com/prometheus/prometheus/cmd/promtool@v0.316.0
func promtool(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("PROMTOOL"); p != "" {
		return p
	}
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (set $PROMTOOL or put it on PATH): go install github.com/prometheus/prometheus/cmd/promtool@v0.316.0")
	}
	return p
}

func runPromtool(t *testing.T, bin, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		return
	}
	t.Logf("promtool %s:\n%s", strings.Join(args, " "), out)
}

// TestPromtoolRules runs promtool's own checks and the unit tests of every
// rule (hazardwire-rules.test.yaml).
func TestPromtoolRules(t *testing.T) {
	bin := promtool(t)
	dir := filepath.Dir(rulesFile)
	runPromtool(t, bin, dir, "check", "rules", filepath.Base(rulesFile))
	runPromtool(t, bin, dir, "test", "rules", filepath.Base(rulesTestFile))
}

// TestPromtoolParsesDashboardQueries has promtool parse every dashboard query,
// written as a recording rule with Grafana's variables replaced.
func TestPromtoolParsesDashboardQueries(t *testing.T) {
	bin := promtool(t)
	_, _, queries := checkDashboard(readFile(t, dashboardFile), catalogue{})
	if len(queries) == 0 {
		t.Fatal("no queries")
	}
	subst := strings.NewReplacer("$__rate_interval", "5m", "$__interval", "2m", "$__range", "6h",
		"$instance", ".*", "$collector", ".*", "$exporter", ".*")
	type rec struct {
		Record string `yaml:"record"`
		Expr   string `yaml:"expr"`
	}
	var rules []rec
	for i, q := range queries {
		rules = append(rules, rec{Record: fmt.Sprintf("dashboard:query_%d", i), Expr: subst.Replace(q.expr)})
	}
	out, err := yaml.Marshal(map[string]any{"groups": []any{map[string]any{"name": "dashboard", "rules": rules}}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "dashboard.yaml"), out, 0o644); err != nil {
		t.Fatal(err)
	}
	runPromtool(t, bin, dir, "check", "rules", "--lint=none", "dashboard.yaml")
}
