package collectors

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Metrics are the scheduler's metrics. Build them once per registry and keep
// them across reloads.
type Metrics struct {
	Runs          *prometheus.CounterVec
	FetchDuration *prometheus.HistogramVec
	LastSuccess   *prometheus.GaugeVec
	Items         *prometheus.GaugeVec
	Errors        *prometheus.CounterVec
	Responses     *prometheus.CounterVec
}

// Run results, the values of the result label.
const (
	RunSuccess = "success"
	RunError   = "error"
	RunSkipped = "skipped"
)

// NewMetrics registers the collector metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	return &Metrics{
		Runs: f.NewCounterVec(prometheus.CounterOpts{
			Name: "hazardwire_collector_runs_total",
			Help: "Collector runs by result: success, error (fetch or parse failed, or partial), skipped (the previous run was still going).",
		}, []string{"collector", "result"}),
		FetchDuration: f.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hazardwire_collector_fetch_duration_seconds",
			Help:    "Time one collector run took to fetch and parse its feed.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"collector"}),
		LastSuccess: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: "hazardwire_collector_last_success_timestamp_seconds",
			Help: "Unix time of the collector's last successful run (0: none since start).",
		}, []string{"collector"}),
		Items: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: "hazardwire_collector_items",
			Help: "Flood and heat items in the collector's last successful fetch.",
		}, []string{"collector"}),
		Errors: f.NewCounterVec(prometheus.CounterOpts{
			Name: "hazardwire_collector_errors_total",
			Help: "Failed collector runs by bounded reason (http_status, timeout, network, too_large, backoff, parse, partial, panic).",
		}, []string{"collector", "reason"}),
		Responses: f.NewCounterVec(prometheus.CounterOpts{
			Name: "hazardwire_collector_http_responses_total",
			Help: "HTTP answers to the collector's requests by code class: 2xx, 304 (not modified: conditional GET saved a download), 3xx, 4xx, 429, 5xx, error (no answer).",
		}, []string{"collector", "code"}),
	}
}

// errorReasons are the reasons a failed run is counted under.
var errorReasons = []string{"http_status", "timeout", "network", "too_large", "backoff", "parse", "partial", "panic", "canceled"}

// Init sets every series of collector to zero so dashboards see it at once.
func (m *Metrics) Init(collector string) {
	for _, r := range []string{RunSuccess, RunError, RunSkipped} {
		m.Runs.WithLabelValues(collector, r)
	}
	for _, r := range errorReasons {
		m.Errors.WithLabelValues(collector, r)
	}
	m.FetchDuration.WithLabelValues(collector)
	m.LastSuccess.WithLabelValues(collector)
	m.Items.WithLabelValues(collector)
	for _, c := range statusClasses {
		m.Responses.WithLabelValues(collector, c)
	}
}

// Delete removes every series of a collector that was removed from the config.
func (m *Metrics) Delete(collector string) {
	for _, v := range []interface{ DeletePartialMatch(prometheus.Labels) int }{m.Runs, m.FetchDuration, m.LastSuccess, m.Items, m.Errors, m.Responses} {
		v.DeletePartialMatch(prometheus.Labels{"collector": collector})
	}
}
