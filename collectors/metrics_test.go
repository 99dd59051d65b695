package collectors_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetricsExistAtZeroAfterAdd(t *testing.T) {
	f := newFixture(t.Context())
	ok := collectFunc(func(context.Context) (collectors.Result, error) { return collectors.Result{}, nil })
	for _, name := range []string{"a", "b"} {
		f.add(t, collectors.Info{Name: name, Schedule: hourly}, ok)
	}
	for _, tc := range []struct {
		c    prometheus.Collector
		name string
		want int // series for two collectors
	}{
		{f.m.Runs, "hazardwire_collector_runs_total", 2 * 3},
		{f.m.Errors, "hazardwire_collector_errors_total", 2 * 9},
		{f.m.FetchDuration, "hazardwire_collector_fetch_duration_seconds", 2},
		{f.m.LastSuccess, "hazardwire_collector_last_success_timestamp_seconds", 2},
		{f.m.Items, "hazardwire_collector_items", 2},
	} {
		if got := testutil.CollectAndCount(tc.c, tc.name); got != tc.want {
			t.Errorf("%s: %d series, want %d", tc.name, got, tc.want)
		}
	}
	for _, name := range []string{"a", "b"} {
		for _, r := range []string{collectors.RunSuccess, collectors.RunError, collectors.RunSkipped} {
			if v := f.runs(name, r); v != 0 {
				t.Errorf("runs{%s,%s} = %v", name, r, v)
			}
		}
		for _, r := range []string{"http_status", "timeout", "network", "too_large", "backoff", "parse", "partial", "panic", "canceled"} {
			if v := f.errs(name, r); v != 0 {
				t.Errorf("errors{%s,%s} = %v", name, r, v)
			}
		}
	}
	// Every series of "a", at zero, as exposed.
	const want = `
# HELP hazardwire_collector_items Flood and heat items in the collector's last successful fetch.
# TYPE hazardwire_collector_items gauge
hazardwire_collector_items{collector="a"} 0
hazardwire_collector_items{collector="b"} 0
# HELP hazardwire_collector_last_success_timestamp_seconds Unix time of the collector's last successful run (0: none since start).
# TYPE hazardwire_collector_last_success_timestamp_seconds gauge
hazardwire_collector_last_success_timestamp_seconds{collector="a"} 0
hazardwire_collector_last_success_timestamp_seconds{collector="b"} 0
`
	if err := testutil.GatherAndCompare(f.reg, strings.NewReader(want),
		"hazardwire_collector_items", "hazardwire_collector_last_success_timestamp_seconds"); err != nil {
		t.Error(err)
	}
}

func TestMetricsLint(t *testing.T) {
	f := newFixture(t.Context())
	f.add(t, collectors.Info{Name: "a", Schedule: hourly}, collectFunc(func(context.Context) (collectors.Result, error) {
		return collectors.Result{Items: items(2)}, nil
	}))
	check := func(when string) {
		t.Helper()
		problems, err := testutil.GatherAndLint(f.reg)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("%s: %s: %s", when, p.Metric, p.Text)
		}
	}
	check("after Add")
	f.s.RunNow("a")
	f.sink.next(t)
	f.s.Stop()
	check("after a run")
}

func TestMetricsDelete(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := collectors.NewMetrics(reg)
	m.Init("gone")
	m.Init("kept")
	m.Runs.WithLabelValues("gone", collectors.RunSuccess).Inc()
	m.Delete("gone")
	for _, tc := range []struct {
		c    prometheus.Collector
		want int
	}{{m.Runs, 3}, {m.Errors, 9}, {m.FetchDuration, 1}, {m.LastSuccess, 1}, {m.Items, 1}} {
		if got := testutil.CollectAndCount(tc.c); got != tc.want {
			t.Errorf("%d series left, want %d (those of the kept collector)", got, tc.want)
		}
	}
	// Init again (the collector comes back on reload) starts from zero.
	m.Init("gone")
	if v := testutil.ToFloat64(m.Runs.WithLabelValues("gone", collectors.RunSuccess)); v != 0 {
		t.Errorf("runs{success} = %v after re-adding, want 0", v)
	}
}

func TestNewMetricsTwiceOnOneRegistryPanics(t *testing.T) {
	// Metrics are built once per registry and kept across reloads; building
	// them again is a programming error that must not pass unnoticed.
	reg := prometheus.NewRegistry()
	collectors.NewMetrics(reg)
	defer func() {
		if recover() == nil {
			t.Error("second NewMetrics on one registry did not panic")
		}
	}()
	collectors.NewMetrics(reg)
}
