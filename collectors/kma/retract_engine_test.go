package kma

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/internal/lifecycle"
	"github.com/hazardwire/hazardwire/internal/testbus"
)

// newEngine is a lifecycle engine on a fresh bus, its clock at 18:00 KST on
// the day of the test rows.
func newEngine(t *testing.T) *lifecycle.Engine {
	t.Helper()
	b := testbus.Open(t)
	now := time.Date(2026, 8, 1, 18, 0, 0, 0, alert.KST)
	e := lifecycle.NewEngine(b, b.States(), testbus.Logger(t), lifecycle.NewMetrics(prometheus.NewRegistry()), func() time.Time { return now })
	if err := e.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e
}

// A change that comes already withdrawn leaves the issue before it in
// force, restated as of the withdrawal: the same warning, whose effective
// time is its own sent time as published. Through the lifecycle engine on a
// real bus that is no change: `sent` alone is not material (DESIGN.md §3).
func TestRestatedIssueIsNoChange(t *testing.T) {
	m := newTestCollector(t, "", "", nil, time.Now()).mapper
	e := newEngine(t)
	const key = "kma:L1050100/12"
	poll := func(rows ...string) {
		t.Helper()
		res, _, err := m.parse(pwnRows(t, rows...), nil)
		if err != nil {
			t.Fatal(err)
		}
		e.Handle(context.Background(), collectors.Info{Name: "kma", Kind: "kma", Grace: 2}, res, nil)
	}
	const issue, toWarning = "L1050100 0 1 %s 202608011100 10", "L1050100 1 7 %s 202608011400 11"
	poll(fmt.Sprintf(issue, "0"))
	if v := e.Version(key); v != 1 {
		t.Fatalf("after the issue: version %d, want 1", v)
	}
	poll(fmt.Sprintf(toWarning, "1"), fmt.Sprintf(issue, "0"))
	poll(fmt.Sprintf(toWarning, "1"), fmt.Sprintf(issue, "0"))
	if v := e.Version(key); v != 1 {
		t.Errorf("after the withdrawn change, restated: version %d, want 1 (the same warning)", v)
	}
}

// A withdrawn issue never seen is a cancel on every poll while it stays in
// the window: the lifecycle publishes it once (version 1), and a cancel of a
// key whose last version is a cancel is no change.
func TestWithdrawnIssueCancelledOnce(t *testing.T) {
	m := newTestCollector(t, "", "", nil, time.Now()).mapper
	e := newEngine(t)
	const key = "kma:L1050100/12"
	for range 3 {
		res, _, err := m.parse(pwnRows(t, "L1050100 0 1 1 202608011100 10"), nil)
		if err != nil {
			t.Fatal(err)
		}
		e.Handle(context.Background(), collectors.Info{Name: "kma", Kind: "kma", Grace: 2}, res, nil)
	}
	if v := e.Version(key); v != 1 {
		t.Errorf("version %d after three polls of the withdrawn issue, want 1 (one cancel)", v)
	}
}
