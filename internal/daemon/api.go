package daemon

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/exporters"
)

// apiHandlers are the JSON API's routes.
func (d *Daemon) apiHandlers() map[string]http.Handler {
	return map[string]http.Handler{
		"GET /api/v1/alerts":                  http.HandlerFunc(d.serveAlerts),
		"GET /api/v1/status":                  http.HandlerFunc(d.serveStatus),
		"GET /api/v1/alerts/{key...}":         http.HandlerFunc(d.serveVersions),
		"GET /api/v1/stream":                  http.HandlerFunc(d.serveStream),
		"GET /feeds/cap.atom":                 http.HandlerFunc(d.serveCAPAtom),
		"GET /feeds/alerts/{id}":              http.HandlerFunc(d.serveCAPAlert),
		"GET /{$}":                            http.HandlerFunc(d.serveStatusPage),
		"POST /api/v1/collectors/{name}/poll": http.HandlerFunc(d.servePoll),
	}
}

// PollNow starts one run of the named collector now, outside its schedule,
// through the same overlap guard as a tick. It reports false when no such
// collector runs or a run of it is already in progress.
func (d *Daemon) PollNow(name string) bool {
	d.mu.Lock()
	s := d.sched
	d.mu.Unlock()
	return s != nil && s.RunNow(name)
}

// servePoll is POST /api/v1/collectors/{name}/poll: 202 when a run started,
// 404 for an unknown collector, 409 while one is in progress.
func (d *Daemon) servePoll(w http.ResponseWriter, r *http.Request) {
	if d.refuseUnlessActing(w) {
		return
	}
	name := r.PathValue("name")
	d.mu.Lock()
	_, known := d.collectors[name]
	d.mu.Unlock()
	switch {
	case !known:
		http.Error(w, fmt.Sprintf("no collector %q", name), http.StatusNotFound)
	case !d.PollNow(name):
		http.Error(w, fmt.Sprintf("collector %q is already running", name), http.StatusConflict)
	default:
		w.WriteHeader(http.StatusAccepted)
	}
}

// filterParams are the pull API's filter parameters, each true when it may
// be given more than once.
var filterParams = map[string]bool{
	"hazard": true, "min_severity": false, "status": true, "urgency": true, "certainty": true,
	"event": true, "source": true, "geocode": true, "bbox": false,
}

// filterFromRequest reads the filter of r's query string; a query that does
// not parse is an error, not an empty filter.
func filterFromRequest(r *http.Request) (exporters.Filter, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return exporters.Filter{}, fmt.Errorf("query: %w", err)
	}
	return FilterFromQuery(q)
}

// FilterFromQuery reads the pull API's filter parameters: hazard,
// min_severity, status, urgency, certainty, event, source (each repeatable or
// comma-separated), geocode=SYSTEM:PREFIX (repeatable) and bbox=w,s,e,n. Any
// other parameter, or min_severity or bbox given twice, is an error: a
// mistyped filter must not read as no filter.
func FilterFromQuery(q url.Values) (exporters.Filter, error) {
	for _, name := range slices.Sorted(maps.Keys(q)) {
		repeatable, known := filterParams[name]
		switch {
		case !known:
			return exporters.Filter{}, fmt.Errorf("unknown parameter %q: want one of hazard, min_severity, status, urgency, certainty, event, source, geocode, bbox", name)
		case !repeatable && len(q[name]) > 1:
			return exporters.Filter{}, fmt.Errorf("parameter %q given %d times: want it once", name, len(q[name]))
		}
	}
	list := func(name string) []string {
		var out []string
		for _, v := range q[name] {
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(s); s != "" {
					out = append(out, s)
				}
			}
		}
		return out
	}
	var f exporters.Filter
	for _, h := range list("hazard") {
		f.Hazards = append(f.Hazards, alert.Hazard(strings.ToLower(h)))
	}
	f.MinSeverity = alert.Severity(strings.ToLower(q.Get("min_severity")))
	for _, s := range list("status") {
		f.Status = append(f.Status, alert.Status(strings.ToLower(s)))
	}
	for _, s := range list("urgency") {
		f.Urgency = append(f.Urgency, alert.Urgency(strings.ToLower(s)))
	}
	for _, s := range list("certainty") {
		f.Certainty = append(f.Certainty, alert.Certainty(strings.ToLower(s)))
	}
	f.Events = list("event")
	f.Sources = list("source")
	for _, g := range q["geocode"] {
		system, prefix, ok := strings.Cut(g, ":")
		if !ok || system == "" || prefix == "" {
			return f, fmt.Errorf("geocode %q: want SYSTEM:PREFIX, e.g. UGC:TXZ", g)
		}
		if f.Geocodes == nil {
			f.Geocodes = map[string][]string{}
		}
		f.Geocodes[system] = append(f.Geocodes[system], prefix)
	}
	if b := q.Get("bbox"); b != "" {
		parts := strings.Split(b, ",")
		for _, p := range parts {
			v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return f, fmt.Errorf("bbox %q: want west,south,east,north", b)
			}
			f.Region.BBox = append(f.Region.BBox, v)
		}
	}
	return f, f.Validate()
}

func (d *Daemon) serveAlerts(w http.ResponseWriter, r *http.Request) {
	f, err := filterFromRequest(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	d.mu.Lock()
	loaded := d.engine != nil
	d.mu.Unlock()
	if !loaded { // no state to answer from: not "no alerts"
		_, why := d.readiness()
		http.Error(w, "the alerts in force are not known here: "+why, http.StatusServiceUnavailable)
		return
	}
	active, err := d.Active(r.Context())
	if err != nil {
		http.Error(w, "reading the alerts in force: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	out := []alert.Alert{}
	for _, a := range active {
		if f.Match(&a) {
			out = append(out, a)
		}
	}
	writeJSON(w, map[string]any{"alerts": out, "count": len(out)})
}

// Status is what /api/v1/status reports.
type Status struct {
	Time       time.Time         `json:"time"`
	Version    string            `json:"version"`
	Ready      bool              `json:"ready"`
	Reload     ReloadStatus      `json:"reload"`
	Collectors []CollectorStatus `json:"collectors"`
	Exporters  []ExporterStatus  `json:"exporters"`
	Active     map[string]int    `json:"active"` // "<hazard>/<severity>" → count
}

// ReloadStatus tells whether the loaded config is the one on disk.
type ReloadStatus struct {
	Successful  bool      `json:"successful"`
	LastSuccess time.Time `json:"lastSuccess"`
	LastError   string    `json:"lastError,omitempty"`
}

// CollectorStatus is one collector's state.
type CollectorStatus struct {
	Name        string    `json:"name"`
	Kind        string    `json:"kind"`
	Schedule    string    `json:"schedule"`
	LastRun     time.Time `json:"lastRun,omitzero"`
	LastSuccess time.Time `json:"lastSuccess,omitzero"`
	NextRun     time.Time `json:"nextRun,omitzero"`
	Items       int       `json:"items"`
	LastError   string    `json:"lastError,omitempty"`
	Running     bool      `json:"running"`
	Failing     bool      `json:"failing"`
}

// ExporterStatus is one exporter's state.
type ExporterStatus struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Circuit  string `json:"circuit"`
	Disabled bool   `json:"disabled"`
	exporters.Stats
}

// Status returns the daemon's state for the status page and API.
func (d *Daemon) Status() Status {
	ok, _ := d.readiness()
	d.mu.Lock()
	st := Status{Time: d.opts.Now(), Version: Version, Ready: ok, Reload: d.reload, Active: map[string]int{}}
	sched, engine := d.sched, d.engine
	for _, e := range d.exporters {
		es := ExporterStatus{Name: e.built.Config.Name, Kind: e.built.Config.Kind, Circuit: "closed"}
		if e.runner != nil {
			es.Circuit = [...]string{"closed", "half-open", "open"}[e.runner.CircuitState()]
			es.Disabled = e.runner.Disabled()
			es.Stats = e.runner.Stats()
		}
		st.Exporters = append(st.Exporters, es)
	}
	d.mu.Unlock()
	if sched != nil {
		for _, s := range sched.Statuses() {
			st.Collectors = append(st.Collectors, CollectorStatus{Name: s.Info.Name, Kind: s.Info.Kind, Schedule: s.Info.Schedule,
				LastRun: s.LastRun, LastSuccess: s.LastSuccess, NextRun: s.Next, Items: s.LastItems, LastError: s.LastError,
				Running: s.Running, Failing: s.LastError != ""})
		}
	}
	slices.SortFunc(st.Collectors, func(a, b CollectorStatus) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(st.Exporters, func(a, b ExporterStatus) int { return strings.Compare(a.Name, b.Name) })
	if engine != nil {
		for hs, n := range engine.ActiveCounts() {
			st.Active[hs[0]+"/"+hs[1]] = n
		}
	}
	return st
}

func (d *Daemon) serveStatus(w http.ResponseWriter, _ *http.Request) { writeJSON(w, d.Status()) }

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
