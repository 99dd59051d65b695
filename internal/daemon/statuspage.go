package daemon

import (
	"bytes"
	_ "embed"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"
)

//go:embed status.html
var statusHTML string

var statusTmpl = template.Must(template.New("status").Funcs(template.FuncMap{
	"fmtTime": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
}).Parse(statusHTML))

// serveStatusPage is the operators' page at /: server-rendered, no external
// assets, refreshing itself.
func (d *Daemon) serveStatusPage(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	s := d.Status()
	type count struct {
		Name  string
		Count int
	}
	var active []count
	for k, n := range s.Active {
		active = append(active, count{k, n})
	}
	slices.SortFunc(active, func(a, b count) int { return strings.Compare(a.Name, b.Name) })
	healthy := s.Ready && s.Reload.Successful
	for _, c := range s.Collectors {
		healthy = healthy && !c.Failing
	}
	for _, e := range s.Exporters {
		healthy = healthy && !e.Disabled && e.Circuit == "closed"
	}
	var buf bytes.Buffer
	if err := statusTmpl.Execute(&buf, map[string]any{"S": s, "Active": active, "Healthy": healthy,
		"Now": s.Time.UTC().Format("2006-01-02 15:04:05Z")}); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}
