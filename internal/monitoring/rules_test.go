package monitoring

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const (
	rulesFile     = "../../configs/monitoring/hazardwire-rules.yaml"
	rulesTestFile = "../../configs/monitoring/hazardwire-rules.test.yaml"
	runbookFile   = "../../docs/runbook.md"
	// runbookURL is the prefix of every rule's runbook_url; the anchor after
	// it is the alert's name in lower case, a heading of docs/runbook.md.
	runbookURL = "https://github.com/hazardwire/hazardwire/blob/main/docs/runbook.md#"
)

// requiredAlerts are the alerts the monitoring issue asked for; removing one
// should be a decision, not an accident.
var requiredAlerts = []string{
	"HazardwireCollectorStale",
	"HazardwireExporterFailing",
	"HazardwireDeadLettersGrowing",
	"HazardwirePendingGrowing",
	"HazardwireConfigReloadFailed",
	"HazardwireExporterDisabled",
	"HazardwireCircuitOpen",
	"HazardwireLifecycleErrors",
}

type ruleFile struct {
	Groups []ruleGroup `yaml:"groups"`
}

type ruleGroup struct {
	Name     string `yaml:"name"`
	Interval string `yaml:"interval"`
	Rules    []rule `yaml:"rules"`
}

type rule struct {
	Alert         string            `yaml:"alert"`
	Record        string            `yaml:"record"`
	Expr          string            `yaml:"expr"`
	For           string            `yaml:"for"`
	KeepFiringFor string            `yaml:"keep_firing_for"`
	Labels        map[string]string `yaml:"labels"`
	Annotations   map[string]string `yaml:"annotations"`
}

var (
	durationRe    = regexp.MustCompile(`^([0-9]+(ms|s|m|h|d|w|y))+$`)
	templateLabel = regexp.MustCompile(`\$labels\.([A-Za-z_][A-Za-z0-9_]*)`)
	headingRe     = regexp.MustCompile(`(?m)^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$`)
	severities    = map[string]bool{"critical": true, "warning": true, "info": true}
)

// parseRules decodes a rule file strictly: an unknown key is an error, as in
// Prometheus.
func parseRules(data []byte) (*ruleFile, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f ruleFile
	if err := dec.Decode(&f); err != nil {
		return nil, err
	}
	return &f, nil
}

// checkRules returns every problem of a rule file: syntax, a metric, label or
// label value its expressions name that cat lacks, a missing severity or
// annotation, or a runbook_url whose anchor is not in anchors.
func checkRules(data []byte, cat catalogue, anchors map[string]bool) (problems []string, alerts []string) {
	f, err := parseRules(data)
	if err != nil {
		return []string{"parse: " + err.Error()}, nil
	}
	if len(f.Groups) == 0 {
		problems = append(problems, "no rule groups")
	}
	groups, seen := map[string]bool{}, map[string]bool{}
	for gi, g := range f.Groups {
		if g.Name == "" || groups[g.Name] {
			problems = append(problems, fmt.Sprintf("group %d: empty or duplicate name %q", gi, g.Name))
		}
		groups[g.Name] = true
		if len(g.Rules) == 0 {
			problems = append(problems, fmt.Sprintf("group %s: no rules", g.Name))
		}
		for ri, r := range g.Rules {
			where := fmt.Sprintf("group %s rule %d (%s%s)", g.Name, ri, r.Alert, r.Record)
			bad := func(format string, args ...any) {
				problems = append(problems, where+": "+fmt.Sprintf(format, args...))
			}
			if (r.Alert == "") == (r.Record == "") {
				bad("exactly one of alert and record must be set")
			}
			if strings.TrimSpace(r.Expr) == "" {
				bad("empty expr")
			}
			ps, info := checkExpr(where, r.Expr, cat)
			problems = append(problems, ps...)
			if r.Record != "" {
				continue
			}
			alerts = append(alerts, r.Alert)
			if seen[r.Alert] {
				bad("duplicate alert name")
			}
			seen[r.Alert] = true
			if !strings.HasPrefix(r.Alert, "Hazardwire") {
				bad("alert names start with Hazardwire")
			}
			for _, d := range []string{r.For, r.KeepFiringFor} {
				if d != "" && !durationRe.MatchString(d) {
					bad("bad duration %q", d)
				}
			}
			if !severities[r.Labels["severity"]] {
				bad("labels.severity is %q, want critical, warning or info", r.Labels["severity"])
			}
			for _, a := range []string{"summary", "description", "runbook_url"} {
				if strings.TrimSpace(r.Annotations[a]) == "" {
					bad("annotation %s missing", a)
				}
			}
			if u := r.Annotations["runbook_url"]; u != "" {
				anchor, ok := strings.CutPrefix(u, runbookURL)
				switch {
				case !ok:
					bad("runbook_url %q does not start with %s", u, runbookURL)
				case anchor != strings.ToLower(r.Alert):
					bad("runbook_url anchor %q, want %q (the alert's name in lower case)", anchor, strings.ToLower(r.Alert))
				case !anchors[anchor]:
					bad("runbook_url anchor #%s is not a heading of docs/runbook.md", anchor)
				}
			}
			for _, text := range []map[string]string{r.Annotations, r.Labels} {
				for k, v := range text {
					for _, m := range templateLabel.FindAllStringSubmatch(v, -1) {
						if !info.labels[m[1]] {
							bad("%s uses $labels.%s, a label none of its metrics has", k, m[1])
						}
					}
				}
			}
		}
	}
	return problems, alerts
}

// runbookAnchors returns the GitHub anchors of a Markdown file's headings.
func runbookAnchors(md []byte) map[string]bool {
	out := map[string]bool{}
	for _, m := range headingRe.FindAllSubmatch(md, -1) {
		out[slug(string(m[1]))] = true
	}
	return out
}

// slug is GitHub's heading anchor: lower case, punctuation dropped, spaces
// to hyphens.
func slug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') || r > 127:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRulesNameRealMetrics: every metric, label and label value in every
// rule exists in a running daemon's registry; every alert has a severity,
// a summary, a description and a runbook_url whose anchor is in
// docs/runbook.md.
func TestRulesNameRealMetrics(t *testing.T) {
	cat := liveCatalogue(t)
	anchors := runbookAnchors(readFile(t, runbookFile))
	problems, alerts := checkRules(readFile(t, rulesFile), cat, anchors)
	for _, p := range problems {
		t.Error(p)
	}
	for _, want := range requiredAlerts {
		if !slices.Contains(alerts, want) {
			t.Errorf("alert %s is missing from %s", want, rulesFile)
		}
	}
	t.Logf("%d alerts checked against %d exposed series names", len(alerts), len(cat))
}

// TestRunbookHasNoOrphanSections: every "## Hazardwire…" section of the
// runbook is an alert that exists.
func TestRunbookHasNoOrphanSections(t *testing.T) {
	f, err := parseRules(readFile(t, rulesFile))
	if err != nil {
		t.Fatal(err)
	}
	alerts := map[string]bool{}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			alerts[r.Alert] = true
		}
	}
	for _, m := range headingRe.FindAllStringSubmatch(string(readFile(t, runbookFile)), -1) {
		if h := m[1]; strings.HasPrefix(h, "Hazardwire") && !alerts[h] {
			t.Errorf("docs/runbook.md has a section %q but no rule has that alert name", h)
		}
	}
}

// TestPromtoolTestsCoverEveryRule: the promtool unit tests have a firing and
// a quiet case for every alert.
func TestPromtoolTestsCoverEveryRule(t *testing.T) {
	var tf struct {
		RuleFiles []string `yaml:"rule_files"`
		Tests     []struct {
			Name          string `yaml:"name"`
			AlertRuleTest []struct {
				Alertname string `yaml:"alertname"`
				ExpAlerts []any  `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	if err := yaml.Unmarshal(readFile(t, rulesTestFile), &tf); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(tf.RuleFiles, "hazardwire-rules.yaml") {
		t.Errorf("rule_files %v lacks hazardwire-rules.yaml", tf.RuleFiles)
	}
	firing, quiet := map[string]bool{}, map[string]bool{}
	for _, tc := range tf.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				firing[a.Alertname] = true
			} else {
				quiet[a.Alertname] = true
			}
		}
	}
	f, err := parseRules(readFile(t, rulesFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			if !firing[r.Alert] {
				t.Errorf("%s: no promtool test where it fires", r.Alert)
			}
			if !quiet[r.Alert] {
				t.Errorf("%s: no promtool test where it must not fire", r.Alert)
			}
		}
	}
}
