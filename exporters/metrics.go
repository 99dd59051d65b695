package exporters

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Delivery results, the values of the result label.
const (
	ResultSuccess    = "success"
	ResultRetry      = "retry"
	ResultDeadLetter = "dead_letter"
	ResultFiltered   = "filtered"
)

// The result label's values are a contract (DESIGN.md §8): exactly these
// four. Changes a newer version replaced are counted apart, in Superseded.

// Metrics are the delivery engine's metrics, built once per registry.
type Metrics struct {
	Deliveries *prometheus.CounterVec
	// Superseded counts changes not delivered because a newer version of
	// the same alert arrived while they waited to be retried.
	Superseded *prometheus.CounterVec
	Duration   *prometheus.HistogramVec
	Pending    *prometheus.GaugeVec
	Latency    *prometheus.HistogramVec
	Failures   *prometheus.CounterVec
	Circuit    *prometheus.GaugeVec
	Disabled   *prometheus.GaugeVec
	Heartbeats *prometheus.CounterVec
	Resyncs    *prometheus.CounterVec
	Repeats    *prometheus.CounterVec
}

// NewMetrics registers the exporter metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	return &Metrics{
		Deliveries: f.NewCounterVec(prometheus.CounterOpts{
			Name: "hazardwire_exporter_deliveries_total",
			Help: "Delivery attempts by result: success (partner acknowledged), retry (failed, will retry), dead_letter (given up), filtered (not for this partner).",
		}, []string{"exporter", "result"}),
		Superseded: f.NewCounterVec(prometheus.CounterOpts{
			Name: "hazardwire_exporter_superseded_total",
			Help: "Changes acknowledged without delivery because a newer version of their key replaced them.",
		}, []string{"exporter"}),
		Duration: f.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hazardwire_exporter_delivery_duration_seconds",
			Help:    "Time of one delivery attempt to the partner.",
			Buckets: []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
		}, []string{"exporter"}),
		Pending: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: "hazardwire_exporter_pending",
			Help: "Changes on the bus not yet acknowledged by this exporter (waiting plus in flight).",
		}, []string{"exporter"}),
		Latency: f.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hazardwire_exporter_alert_latency_seconds",
			Help:    "Time from a change's publication on the bus (the poll that first saw it) to the partner's 2xx.",
			Buckets: []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600},
		}, []string{"exporter"}),
		Failures: f.NewCounterVec(prometheus.CounterOpts{
			Name: "hazardwire_exporter_failures_total",
			Help: "Failed delivery attempts by bounded reason (timeout, network, http_4xx, http_429, http_5xx, gone, encode, expired, max_attempts, max_age, invalid).",
		}, []string{"exporter", "reason"}),
		Circuit: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: "hazardwire_exporter_circuit_state",
			Help: "The exporter's circuit breaker: 0 closed (delivering), 1 half-open (probing), 2 open (the partner keeps failing; waiting).",
		}, []string{"exporter"}),
		Disabled: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: "hazardwire_exporter_disabled",
			Help: "1 when the partner answered 410 Gone: the change that got it was dead-lettered and the exporter stopped delivering until the config is reloaded or the daemon restarted.",
		}, []string{"exporter"}),
		Heartbeats: f.NewCounterVec(prometheus.CounterOpts{
			Name: "hazardwire_exporter_heartbeats_total",
			Help: "Heartbeat events sent to the partner, by result (success, error).",
		}, []string{"exporter", "result"}),
		Resyncs: f.NewCounterVec(prometheus.CounterOpts{
			Name: "hazardwire_exporter_resyncs_total",
			Help: "Times the exporter read the bus again after the last change it received, because deliveries were lost on the way (embedded server only; each is also a warning in the log).",
		}, []string{"exporter"}),
		Repeats: f.NewCounterVec(prometheus.CounterOpts{
			Name: "hazardwire_exporter_repeats_skipped_total",
			Help: "Changes the bus delivered again after this exporter had finished them (an external nats-server that lost acks in a crash), acknowledged again without a second delivery to the partner.",
		}, []string{"exporter"}),
	}
}

var failureReasons = []string{"timeout", "network", "http_4xx", "http_429", "http_5xx", "gone", "encode", "expired", "max_attempts", "max_age", "invalid"}

// Init sets every series of an exporter to zero.
func (m *Metrics) Init(exporter string) {
	for _, r := range []string{ResultSuccess, ResultRetry, ResultDeadLetter, ResultFiltered} {
		m.Deliveries.WithLabelValues(exporter, r)
	}
	for _, r := range failureReasons {
		m.Failures.WithLabelValues(exporter, r)
	}
	m.Superseded.WithLabelValues(exporter)
	m.Duration.WithLabelValues(exporter)
	m.Pending.WithLabelValues(exporter)
	m.Latency.WithLabelValues(exporter)
	m.Circuit.WithLabelValues(exporter)
	m.Disabled.WithLabelValues(exporter)
	m.Resyncs.WithLabelValues(exporter)
	m.Repeats.WithLabelValues(exporter)
	for _, r := range []string{"success", "error"} {
		m.Heartbeats.WithLabelValues(exporter, r)
	}
}

// series are one exporter's series that every delivery updates.
type series struct {
	success, filtered prometheus.Counter
	duration, latency prometheus.Observer
	circuit           prometheus.Gauge
}

// series returns the exporter's per-delivery series. They stay valid until
// Delete, which the daemon calls only once the exporter's runner stopped.
func (m *Metrics) series(exporter string) series {
	return series{
		success:  m.Deliveries.WithLabelValues(exporter, ResultSuccess),
		filtered: m.Deliveries.WithLabelValues(exporter, ResultFiltered),
		duration: m.Duration.WithLabelValues(exporter),
		latency:  m.Latency.WithLabelValues(exporter),
		circuit:  m.Circuit.WithLabelValues(exporter),
	}
}

// Delete removes the series of an exporter removed from the config.
func (m *Metrics) Delete(exporter string) {
	for _, v := range []interface{ DeletePartialMatch(prometheus.Labels) int }{m.Deliveries, m.Superseded, m.Duration, m.Pending, m.Latency, m.Failures, m.Circuit, m.Disabled, m.Heartbeats, m.Resyncs, m.Repeats} {
		v.DeletePartialMatch(prometheus.Labels{"exporter": exporter})
	}
}
