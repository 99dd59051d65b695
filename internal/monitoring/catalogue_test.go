package monitoring

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	_ "github.com/hazardwire/hazardwire/collectors/all"
	_ "github.com/hazardwire/hazardwire/exporters/all"
	"github.com/hazardwire/hazardwire/internal/config"
	"github.com/hazardwire/hazardwire/internal/daemon"
)

// The metrics are taken from a real daemon, built and started as
// `hazardwire run` does (its own registry with the Go and process
// collectors), with one collector and one exporter configured. The registry
// is gathered as soon as the daemon has started, while its first poll may
// still be in flight: a series created only by its first event is then
// missing, and the rules must not depend on one (the design wants every
// series at zero from the start).

// catalogue maps every exposed sample name to its labels: a counter or gauge
// by its name, a histogram by its _bucket, _sum and _count series.
type catalogue map[string]*exposed

type exposed struct {
	family string
	// labels maps each label name to the values seen; nil values: any value
	// (le, quantile).
	labels map[string]map[string]bool
}

// targetLabels are added by Prometheus when it scrapes, never by the daemon.
var targetLabels = map[string]bool{"job": true, "instance": true}

func newCatalogue(mfs []*dto.MetricFamily) catalogue {
	cat := catalogue{}
	add := func(name, family string, m *dto.Metric, anyValue ...string) {
		e := cat[name]
		if e == nil {
			e = &exposed{family: family, labels: map[string]map[string]bool{}}
			cat[name] = e
		}
		for _, lp := range m.GetLabel() {
			if e.labels[lp.GetName()] == nil {
				e.labels[lp.GetName()] = map[string]bool{}
			}
			e.labels[lp.GetName()][lp.GetValue()] = true
		}
		for _, l := range anyValue {
			e.labels[l] = nil
		}
	}
	for _, mf := range mfs {
		n := mf.GetName()
		for _, m := range mf.GetMetric() {
			switch mf.GetType() {
			case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
				add(n+"_bucket", n, m, "le")
				add(n+"_sum", n, m)
				add(n+"_count", n, m)
			case dto.MetricType_SUMMARY:
				add(n, n, m, "quantile")
				add(n+"_sum", n, m)
				add(n+"_count", n, m)
			default:
				add(n, n, m)
			}
		}
	}
	return cat
}

// families returns the hazardwire_ metric families, sorted.
func (c catalogue) families() []string {
	seen := map[string]bool{}
	for _, e := range c {
		if strings.HasPrefix(e.family, "hazardwire_") {
			seen[e.family] = true
		}
	}
	out := make([]string, 0, len(seen))
	for f := range seen {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

func (e *exposed) labelNames() []string {
	out := make([]string, 0, len(e.labels))
	for l := range e.labels {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

func (e *exposed) values(label string) []string {
	out := make([]string, 0, len(e.labels[label]))
	for v := range e.labels[label] {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

const capAlert = `<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>KMA-1</identifier><sender>kma@example</sender><sent>%s</sent>
  <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
  <info><language>ko-KR</language><category>Met</category><event>폭염주의보</event>
    <urgency>Expected</urgency><severity>Moderate</severity><certainty>Likely</certainty>
    <expires>%s</expires><headline>폭염주의보 발표</headline>
    <area><areaDesc>서울</areaDesc><geocode><valueName>KMA_REG</valueName><value>L1100000</value></geocode></area>
  </info>
</alert>`

var live struct {
	once sync.Once
	cat  catalogue
	err  error
	stop func()
}

// TestMain stops the shared daemon after every test.
func TestMain(m *testing.M) {
	code := m.Run()
	if live.stop != nil {
		live.stop()
	}
	os.Exit(code)
}

// liveCatalogue starts one daemon for the whole package and returns what its
// registry exposes.
func liveCatalogue(t *testing.T) catalogue {
	t.Helper()
	live.once.Do(func() { live.cat, live.stop, live.err = startDaemon() })
	if live.err != nil {
		t.Fatalf("start a daemon to read its metrics: %v", live.err)
	}
	return live.cat
}

func startDaemon() (cat catalogue, stop func(), err error) {
	var stops []func()
	stop = func() {
		for _, f := range slices.Backward(stops) {
			f()
		}
	}
	defer func() {
		if err != nil {
			stop()
		}
	}()
	now := time.Now().UTC()
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, capAlert, now.Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))
	}))
	stops = append(stops, feed.Close)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	stops = append(stops, hook.Close)
	dir, err := os.MkdirTemp("", "hazardwire-monitoring-")
	if err != nil {
		return nil, nil, err
	}
	stops = append(stops, func() { _ = os.RemoveAll(dir) })
	yaml := fmt.Sprintf(`bus: {store_dir: %q}
http: {listen: "127.0.0.1:0"}
collectors:
  - {name: kma, kind: cap, schedule: "@every 1h", url: %q}
exporters:
  - {name: portal, kind: webhook, url: %q, secret: "whsec_%s"}
`, dir, feed.URL, hook.URL, base64.StdEncoding.EncodeToString([]byte("0123456789abcdef")))
	cfg, err := config.Parse("monitoring.yaml", []byte(yaml), os.LookupEnv)
	if err != nil {
		return nil, nil, err
	}
	// No Registry: the daemon builds its own, as `hazardwire run` does.
	d, err := daemon.New(cfg, daemon.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	stops = append(stops, func() { cancel(); <-done })
	select {
	case <-d.Started():
	case err := <-done:
		done <- err // for the stop above
		return nil, nil, fmt.Errorf("daemon stopped at start: %v", err)
	case <-time.After(60 * time.Second):
		return nil, nil, fmt.Errorf("daemon not started after 60s")
	}
	mfs, err := d.Registry().Gather()
	if err != nil {
		return nil, nil, fmt.Errorf("gather: %w", err)
	}
	return newCatalogue(mfs), stop, nil
}

// The expression checker: not a PromQL parser, but it knows enough of the
// syntax to find every metric, label matcher and grouping label.
var (
	metricRe  = regexp.MustCompile(`\bhazardwire_[A-Za-z0-9_:]*`)
	matcherRe = regexp.MustCompile(`^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$`)
	groupRe   = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)`)
	varRe     = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)`)
)

// exprInfo is what checkExpr learned about an expression.
type exprInfo struct {
	metrics []string        // exposed names used
	labels  map[string]bool // every label those metrics have, and the target labels
}

// checkExpr checks every metric an expression names, and the labels and
// literal label values it matches or groups on, against cat. where prefixes
// the problems.
func checkExpr(where, expr string, cat catalogue) (problems []string, info exprInfo) {
	report := func(format string, args ...any) {
		problems = append(problems, where+": "+fmt.Sprintf(format, args...))
	}
	info.labels = map[string]bool{}
	for l := range targetLabels {
		info.labels[l] = true
	}
	if msg := balanced(expr); msg != "" {
		report("%s in %q", msg, expr)
	}
	for _, loc := range metricRe.FindAllStringIndex(expr, -1) {
		name := expr[loc[0]:loc[1]]
		e := cat[name]
		if e == nil {
			report("unknown metric %s (the daemon exports: %s)", name, strings.Join(similar(name, cat), ", "))
			continue
		}
		info.metrics = append(info.metrics, name)
		for l := range e.labels {
			info.labels[l] = true
		}
		rest := strings.TrimLeft(expr[loc[1]:], " \t\n")
		if !strings.HasPrefix(rest, "{") {
			continue
		}
		end := closingBrace(rest)
		if end < 0 {
			report("unterminated matchers after %s", name)
			continue
		}
		for _, m := range splitMatchers(rest[1:end]) {
			if strings.TrimSpace(m) == "" {
				continue
			}
			sm := matcherRe.FindStringSubmatch(m)
			if sm == nil {
				report("cannot read matcher %q of %s", m, name)
				continue
			}
			label, op, value := sm[1], sm[2], sm[3]
			if targetLabels[label] {
				continue
			}
			values, ok := e.labels[label]
			if !ok {
				report("%s has no label %q (it has: %s)", name, label, strings.Join(e.labelNames(), ", "))
				continue
			}
			if values == nil || strings.Contains(value, "$") {
				continue // any value, or a dashboard variable
			}
			switch op {
			case "=":
				if !values[value] {
					report("%s{%s} has no series with %s=%q (it has: %s)", name, label, label, value, strings.Join(e.values(label), ", "))
				}
			case "=~":
				re, err := regexp.Compile("^(?:" + value + ")$")
				if err != nil {
					report("bad regexp in %s{%s=~%q}: %v", name, label, value, err)
					continue
				}
				if !slices.ContainsFunc(e.values(label), re.MatchString) {
					report("%s{%s=~%q} matches no series (values: %s)", name, label, value, strings.Join(e.values(label), ", "))
				}
			}
		}
	}
	for _, g := range groupRe.FindAllStringSubmatch(expr, -1) {
		for _, l := range strings.Split(g[2], ",") {
			l = strings.TrimSpace(l)
			if l != "" && !info.labels[l] {
				report("%s (%s): no metric in the expression has the label %q", g[1], g[2], l)
			}
		}
	}
	return problems, info
}

// balanced reports unbalanced brackets outside string literals.
func balanced(expr string) string {
	var stack []rune
	pairs := map[rune]rune{')': '(', ']': '[', '}': '{'}
	inString := false
	for i, r := range expr {
		switch {
		case inString:
			if r == '"' && (i == 0 || expr[i-1] != '\\') {
				inString = false
			}
		case r == '"':
			inString = true
		case r == '(' || r == '[' || r == '{':
			stack = append(stack, r)
		case r == ')' || r == ']' || r == '}':
			if len(stack) == 0 || stack[len(stack)-1] != pairs[r] {
				return fmt.Sprintf("unbalanced %q at %d", r, i)
			}
			stack = stack[:len(stack)-1]
		}
	}
	if inString {
		return "unterminated string"
	}
	if len(stack) > 0 {
		return fmt.Sprintf("unclosed %q", stack[len(stack)-1])
	}
	return ""
}

// closingBrace returns the index of the } closing the { at s[0], or -1.
func closingBrace(s string) int {
	inString := false
	for i := 1; i < len(s); i++ {
		switch {
		case inString:
			if s[i] == '\\' {
				i++
			} else if s[i] == '"' {
				inString = false
			}
		case s[i] == '"':
			inString = true
		case s[i] == '}':
			return i
		}
	}
	return -1
}

// splitMatchers splits a selector's body at the commas outside strings.
func splitMatchers(s string) []string {
	var out []string
	inString, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case inString:
			if s[i] == '\\' {
				i++
			} else if s[i] == '"' {
				inString = false
			}
		case s[i] == '"':
			inString = true
		case s[i] == ',':
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// similar lists the exposed names that share the unknown name's first two
// words (hazardwire_exporter…), to make the failure easy to act on.
func similar(name string, cat catalogue) []string {
	words := strings.Split(name, "_")
	prefix := strings.Join(words[:min(len(words), 2)], "_")
	var out []string
	for n := range cat {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return []string{"nothing named " + prefix + "…"}
	}
	return out
}
