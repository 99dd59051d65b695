package lifecycle_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/bus"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/internal/lifecycle"
	"github.com/hazardwire/hazardwire/internal/testbus"
)

var (
	t0   = time.Date(2026, 8, 1, 14, 0, 0, 0, alert.KST)
	info = collectors.Info{Name: "kma", Kind: "kma", Grace: 2}
)

func heat(key string, sev alert.Severity) collectors.Item {
	exp := t0.Add(3 * time.Hour)
	return collectors.Item{Intent: collectors.IntentActive, Alert: alert.Alert{
		Key: "kma:" + key, Source: "kma", SourceKind: "kma", Hazard: alert.HazardHeat, Event: "폭염주의보",
		Status: alert.StatusActual, Severity: sev, Urgency: alert.UrgencyExpected, Certainty: alert.CertaintyLikely,
		Sent: t0, Expires: &exp, Language: "ko-KR"}}
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newEngine(t *testing.T, b *bus.Bus, c *clock) (*lifecycle.Engine, *lifecycle.Metrics) {
	return newEngineOn(t, b, b.States(), c)
}

// newEngineOn is newEngine publishing to pub and recording in store, for
// tests that make either fail.
func newEngineOn(t *testing.T, pub lifecycle.Publisher, store lifecycle.Store, c *clock) (*lifecycle.Engine, *lifecycle.Metrics) {
	m := lifecycle.NewMetrics(prometheus.NewRegistry())
	e := lifecycle.NewEngine(pub, store, testbus.Logger(t), m, c.now)
	if err := e.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e, m
}

// published reads every change on the stream, in order.
func published(t *testing.T, b *bus.Bus) []alert.Alert {
	t.Helper()
	ctx := context.Background()
	c, err := b.JetStream().OrderedConsumer(ctx, bus.StreamAlerts, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var out []alert.Alert
	for {
		m, err := c.Next(jetstream.FetchMaxWait(200 * time.Millisecond))
		if err != nil { // no more messages
			return out
		}
		var a alert.Alert
		if err := json.Unmarshal(m.Data(), &a); err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
}

// snapshot is a snapshot poll's result of items.
func snapshot(items ...collectors.Item) collectors.Result {
	return collectors.Result{Snapshot: true, Items: items}
}

func changes(as []alert.Alert) []string {
	var s []string
	for _, a := range as {
		s = append(s, string(a.Change)+" "+a.ID)
	}
	return s
}

func TestEngineSnapshotLifecycleAcrossRestart(t *testing.T) {
	b := testbus.Open(t)
	ctx := context.Background()
	c := &clock{t0}
	e, m := newEngine(t, b, c)

	e.Handle(ctx, info, snapshot(heat("a", alert.SeverityModerate), heat("b", alert.SeverityModerate)), nil)
	e.Handle(ctx, info, snapshot(heat("a", alert.SeverityModerate), heat("b", alert.SeverityModerate)), nil) // re-poll
	if got := testutil.ToFloat64(m.Active.WithLabelValues("heat", "moderate")); got != 2 {
		t.Fatalf("active heat/moderate = %v, want 2", got)
	}

	// A restart: a new engine on the same store publishes nothing for a re-poll.
	e, m = newEngine(t, b, c)
	e.Handle(ctx, info, snapshot(heat("a", alert.SeveritySevere), heat("b", alert.SeverityModerate)), nil)
	// A failed fetch ends nothing, however often.
	for range 3 {
		e.Handle(ctx, info, collectors.Result{Snapshot: true}, errors.New("HTTP 500"))
	}
	// b vanishes: one poll is within grace, the second expires it.
	e.Handle(ctx, info, snapshot(heat("a", alert.SeveritySevere)), nil)
	if n := len(published(t, b)); n != 3 {
		t.Fatalf("after one missing poll: %d changes, want 3 (no expiry yet)", n)
	}
	e.Handle(ctx, info, snapshot(heat("a", alert.SeveritySevere)), nil)
	// a's end passes with no poll at all: the sweeper expires it.
	c.t = t0.Add(4 * time.Hour)
	e.Sweep(ctx)

	want := []string{"new kma:a#1", "new kma:b#1", "update kma:a#2", "expire kma:b#2", "expire kma:a#3"}
	got := changes(published(t, b))
	if len(got) != len(want) {
		t.Fatalf("published %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("published %v, want %v", got, want)
		}
	}
	if got := testutil.ToFloat64(m.Active.WithLabelValues("heat", "severe")); got != 0 {
		t.Errorf("active heat/severe = %v after all expired, want 0", got)
	}
	if got := testutil.ToFloat64(m.Changes.WithLabelValues("kma", "heat", "expire")); got != 2 {
		t.Errorf("expire changes counted %v, want 2", got)
	}
}

func TestEngineCountsInvalidAndDropped(t *testing.T) {
	b := testbus.Open(t)
	e, m := newEngine(t, b, &clock{t0})
	bad := heat("bad", alert.SeverityModerate)
	bad.Alert.Sent = time.Time{}
	e.Handle(context.Background(), info, collectors.Result{Items: []collectors.Item{bad}, Dropped: map[string]int{collectors.DropUnmapped: 4}}, nil)
	if got := testutil.ToFloat64(m.Dropped.WithLabelValues("kma", "invalid")); got != 1 {
		t.Errorf("invalid dropped = %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.Dropped.WithLabelValues("kma", "unmapped")); got != 4 {
		t.Errorf("unmapped dropped = %v, want 4", got)
	}
	if n := len(published(t, b)); n != 0 {
		t.Errorf("published %d changes for an invalid item", n)
	}
}

// TestEngineFeedGlitch: a snapshot feed that briefly answers with an empty
// list expires nothing; one that stays empty is believed in the end; one
// alert leaving a busy feed expires after the usual grace.
func TestEngineFeedGlitch(t *testing.T) {
	b := testbus.Open(t)
	ctx := context.Background()
	e, m := newEngine(t, b, &clock{t0})
	all := collectors.Result{Snapshot: true, Items: []collectors.Item{
		heat("a", alert.SeverityModerate), heat("b", alert.SeverityModerate), heat("c", alert.SeverityModerate), heat("d", alert.SeverityModerate)}}
	empty := collectors.Result{Snapshot: true}
	e.Handle(ctx, info, all, nil)
	for range 3 { // a glitch longer than the grace of 2
		e.Handle(ctx, info, empty, nil)
	}
	e.Handle(ctx, info, all, nil)
	if got := changes(published(t, b)); len(got) != 4 {
		t.Fatalf("after a glitch: %v, want only the 4 news", got)
	}
	if n := testutil.ToFloat64(m.SuspectPolls.WithLabelValues("kma")); n != 3 {
		t.Errorf("suspect polls counted %v, want 3", n)
	}
	// One alert leaves: the usual grace applies.
	three := all
	three.Items = all.Items[:3]
	e.Handle(ctx, info, three, nil)
	e.Handle(ctx, info, three, nil)
	if got := changes(published(t, b)); len(got) != 5 || got[4] != "expire kma:d#2" {
		t.Fatalf("one alert gone: %v, want d expired after 2 polls", got)
	}
	// The feed empties for good: after SuspectLimit polls it is believed,
	// and the grace then runs.
	for range lifecycle.SuspectLimit + 1 {
		e.Handle(ctx, info, empty, nil)
	}
	if got := changes(published(t, b)); len(got) != 8 {
		t.Fatalf("feed empty for good: %v, want a, b and c expired too", got)
	}
}

func TestSuspectPoll(t *testing.T) {
	for _, tt := range []struct {
		active, missing int
		want            bool
	}{{0, 0, false}, {1, 1, false}, {2, 2, false}, {3, 2, true}, {4, 2, false}, {4, 3, true}, {100, 40, false}, {100, 100, true}} {
		if got := lifecycle.SuspectPoll(tt.active, tt.missing); got != tt.want {
			t.Errorf("SuspectPoll(%d, %d) = %v", tt.active, tt.missing, got)
		}
	}
}

// activeOf returns the engine's alerts in force, read back from the store.
func activeOf(t *testing.T, e *lifecycle.Engine) []alert.Alert {
	t.Helper()
	as, err := e.Active(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return as
}

// TestEngineKeepsAlertsInTheStore: the engine holds no alert in memory; the
// API's alerts, and the content of an expiry, come back whole from the
// store, also after record-only changes (a miss counted, then reset).
func TestEngineKeepsAlertsInTheStore(t *testing.T) {
	b := testbus.Open(t)
	ctx := context.Background()
	e, _ := newEngine(t, b, &clock{t0})
	a, bb := heat("a", alert.SeverityModerate), heat("b", alert.SeveritySevere)
	bb.Alert.Headline = "폭염경보 발표"
	bb.Alert.Description = "낮 최고 35도 이상"

	e.Handle(ctx, info, snapshot(a, bb), nil)
	got := activeOf(t, e)
	if len(got) != 2 || got[0].ID != "kma:a#1" || got[1].ID != "kma:b#1" || got[1].Description != "낮 최고 35도 이상" {
		t.Fatalf("in force after the first poll: %+v", got)
	}
	e.Handle(ctx, info, snapshot(a), nil)     // b missed once: its record changes, not its alert
	e.Handle(ctx, info, snapshot(a, bb), nil) // and b is back: the miss is reset
	got = activeOf(t, e)
	if len(got) != 2 || got[1].ID != "kma:b#1" || got[1].Headline != "폭염경보 발표" {
		t.Fatalf("b after a miss and its return: %+v", got)
	}
	e.Handle(ctx, info, snapshot(a), nil)
	e.Handle(ctx, info, snapshot(a), nil) // b expires, announced with its content
	all := published(t, b)
	last := all[len(all)-1]
	if last.ID != "kma:b#2" || last.Change != alert.ChangeExpire || last.Headline != "폭염경보 발표" || last.Severity != alert.SeveritySevere {
		t.Errorf("expiry of b: %s %s %q %s", last.ID, last.Change, last.Headline, last.Severity)
	}
	if got := activeOf(t, e); len(got) != 1 || got[0].Key != "kma:a" {
		t.Errorf("in force at the end: %+v", got)
	}
	if counts := e.ActiveCounts(); counts[[2]string{"heat", "moderate"}] != 1 || counts[[2]string{"heat", "severe"}] != 0 {
		t.Errorf("ActiveCounts = %v", counts)
	}
}

// TestEngineOnPublish: every change is handed over encoded, once, before
// it is published; the bytes handed are the bytes the stream holds.
func TestEngineOnPublish(t *testing.T) {
	b := testbus.Open(t)
	ctx := context.Background()
	e, _ := newEngine(t, b, &clock{t0})
	handed := map[string]string{}
	e.OnPublish(func(c bus.Encoded) { handed[c.Alert.ID] = string(c.Data) })
	e.Handle(ctx, info, collectors.Result{Snapshot: true, Items: []collectors.Item{
		heat("a", alert.SeverityModerate), heat("b", alert.SeverityModerate)}}, nil)
	e.Handle(ctx, info, collectors.Result{Snapshot: true, Items: []collectors.Item{heat("a", alert.SeveritySevere)}}, nil)
	all := published(t, b)
	if len(handed) != len(all) || len(all) != 3 {
		t.Fatalf("handed %d changes, stream holds %d, want 3 each", len(handed), len(all))
	}
	for _, a := range all {
		data, ok := handed[a.ID]
		if !ok {
			t.Errorf("%s never handed", a.ID)
			continue
		}
		var got alert.Alert
		if err := json.Unmarshal([]byte(data), &got); err != nil || got.ID != a.ID || got.Severity != a.Severity {
			t.Errorf("%s handed as %s", a.ID, data)
		}
	}
}

// TestEngineCrashBetweenPublishAndRecord: the daemon published v2 and died
// before recording it; by the restart the feed says something else. The
// stream keeps v2 under its id (partners have it), so the engine records v2
// as published and the new content goes out as v3: no change is lost and
// no id carries two contents.
func TestEngineCrashBetweenPublishAndRecord(t *testing.T) {
	b := testbus.Open(t)
	ctx := context.Background()
	c := &clock{t0}
	e, _ := newEngine(t, b, c)
	snap := func(it collectors.Item) collectors.Result {
		return collectors.Result{Snapshot: true, Items: []collectors.Item{it}}
	}
	e.Handle(ctx, info, snap(heat("a", alert.SeverityModerate)), nil)

	// What the crashed daemon published as v2, and never recorded.
	v2 := heat("a", alert.SeverityExtreme).Alert
	v2.Version, v2.ID, v2.Change, v2.State, v2.References = 2, "kma:a#2", alert.ChangeUpdate, alert.StateActive, []string{"kma:a#1"}
	if _, err := b.Publish(ctx, &v2); err != nil {
		t.Fatal(err)
	}

	// The restart: the feed now says minor.
	e, _ = newEngine(t, b, c)
	e.Handle(ctx, info, snap(heat("a", alert.SeverityMinor)), nil)
	if got := activeOf(t, e); len(got) != 1 || got[0].ID != "kma:a#2" || got[0].Severity != alert.SeverityExtreme {
		t.Fatalf("after the restart, in force: %+v; want v2 as partners got it (extreme)", got)
	}
	e.Handle(ctx, info, snap(heat("a", alert.SeverityMinor)), nil)
	all := published(t, b)
	var got []string
	for _, a := range all {
		got = append(got, fmt.Sprintf("%s %s %s", a.ID, a.Change, a.Severity))
	}
	want := []string{"kma:a#1 new moderate", "kma:a#2 update extreme", "kma:a#3 update minor"}
	if !slices.Equal(got, want) {
		t.Fatalf("stream %v, want %v", got, want)
	}
	if refs := all[2].References; !slices.Equal(refs, []string{"kma:a#1", "kma:a#2"}) {
		t.Errorf("v3 references %v", refs)
	}
}

// amongOthers starts an engine on a source whose snapshot holds x, y and z
// in force beside the keys the tests look at (so that one of those missing
// is no feed glitch). poll hands it a snapshot of items, the three others
// and the unreadable keys.
func amongOthers(t *testing.T) (b *bus.Bus, poll func(items []collectors.Item, unreadable ...string)) {
	b = testbus.Open(t)
	e, _ := newEngine(t, b, &clock{t0})
	others := []collectors.Item{heat("x", alert.SeverityModerate), heat("y", alert.SeverityModerate), heat("z", alert.SeverityModerate)}
	return b, func(items []collectors.Item, unreadable ...string) {
		e.Handle(context.Background(), info, collectors.Result{Snapshot: true, Items: append(slices.Clone(items), others...), Unreadable: unreadable}, nil)
	}
}

// TestEngineUnreadableIsNotGone: an alert the feed still serves but that
// cannot be read (invalid for the lifecycle, or named by the collector as
// unreadable) keeps its last good state however many polls it lasts; once it
// really leaves the feed, it expires after the usual grace.
func TestEngineUnreadableIsNotGone(t *testing.T) {
	b, poll := amongOthers(t)
	poll([]collectors.Item{heat("a", alert.SeverityModerate), heat("b", alert.SeverityModerate)})
	badA := heat("a", alert.SeveritySevere)
	badA.Alert.Sent = time.Time{} // fails Validate
	for range 4 {
		poll([]collectors.Item{badA}, "kma:b")
	}
	if got := changes(published(t, b)); len(got) != 5 {
		t.Fatalf("published %v while a and b were still served, want only the five new", got)
	}
	// Gone for real: expired after grace (2 polls).
	poll(nil)
	poll(nil)
	got := changes(published(t, b))
	want := []string{"expire kma:a#2", "expire kma:b#2"}
	if len(got) != 7 || got[5] != want[0] || got[6] != want[1] {
		t.Errorf("published %v, want the five new then %v", got, want)
	}
}

// TestEngineUnreadableCancelKeepsNothing: a cancel that cannot be read is no
// sign that its alert is still in force: the alert, gone from the feed but
// for that cancel, expires after grace as any that left.
func TestEngineUnreadableCancelKeepsNothing(t *testing.T) {
	b, poll := amongOthers(t)
	poll([]collectors.Item{heat("a", alert.SeverityModerate)})
	cancel := heat("a", "")
	cancel.Intent = collectors.IntentCancel // and invalid: no severity
	poll([]collectors.Item{cancel})
	poll([]collectors.Item{cancel})
	got := changes(published(t, b))
	if len(got) != 5 || got[4] != "expire kma:a#2" {
		t.Errorf("published %v, want the four new then a's expiry after grace", got)
	}
}

// TestEngineUnreadableResetsMisses: grace counts misses in a row; a poll
// that still served the alert (unreadable) breaks the row.
func TestEngineUnreadableResetsMisses(t *testing.T) {
	b, poll := amongOthers(t)
	poll([]collectors.Item{heat("a", alert.SeverityModerate)})
	poll(nil)          // a missing: one miss
	poll(nil, "kma:a") // served, unreadable: the row is broken
	poll(nil)          // one miss again, within grace 2
	if got := changes(published(t, b)); len(got) != 4 {
		t.Fatalf("published %v: a expired without two misses in a row", got)
	}
	poll(nil) // the second in a row
	if got := changes(published(t, b)); len(got) != 5 || got[4] != "expire kma:a#2" {
		t.Errorf("published %v, want a's expiry after two misses in a row", got)
	}
}

// TestEngineCancelBesideUnreadableIsHeld: a poll that serves a cancel of a key
// and, beside it, the key in force unreadably (an NWS segment, a MeteoAlarm
// language) does not end it: that could be a false all-clear.
func TestEngineCancelBesideUnreadableIsHeld(t *testing.T) {
	b, poll := amongOthers(t)
	poll([]collectors.Item{heat("a", alert.SeverityModerate)})
	cancel := heat("a", alert.SeverityModerate)
	cancel.Intent = collectors.IntentCancel
	for range 3 {
		poll([]collectors.Item{cancel}, "kma:a")
	}
	if got := changes(published(t, b)); len(got) != 4 {
		t.Fatalf("published %v: a key still served in force (unreadably) was ended", got)
	}
	// Readable again, the cancel alone: it ends the alert.
	poll([]collectors.Item{cancel})
	if got := changes(published(t, b)); len(got) != 5 || got[4] != "cancel kma:a#2" {
		t.Errorf("published %v, want a cancelled last", got)
	}
}

// TestEngineOlderMessageBreaksMisses: a poll serving the alert, even as an
// older message than the one published, breaks a row of misses.
func TestEngineOlderMessageBreaksMisses(t *testing.T) {
	b, poll := amongOthers(t)
	poll([]collectors.Item{heat("a", alert.SeverityModerate)})
	older := heat("a", alert.SeverityModerate)
	older.Alert.Sent = t0.Add(-time.Minute)
	poll(nil)                      // one miss
	poll([]collectors.Item{older}) // served
	poll(nil)                      // one miss again
	if got := changes(published(t, b)); len(got) != 4 {
		t.Errorf("published %v: a expired after missing, served, missing (grace 2)", got)
	}
}

// Content restated at a later sent time, with its effective time the sent
// time it was published with, is the same content: effective defaults to
// sent, and sent alone is not a change. An effective time that moves is.
func TestRestatedAtALaterSentIsNoChange(t *testing.T) {
	b := testbus.Open(t)
	ctx := context.Background()
	e, _ := newEngine(t, b, &clock{t0})
	snap := func(it collectors.Item) collectors.Result { return collectors.Result{Items: []collectors.Item{it}} }
	it := heat("a", alert.SeverityModerate)
	e.Handle(ctx, info, snap(it), nil)
	restated := it
	restated.Alert.Sent, restated.Alert.Effective = t0.Add(time.Hour), alert.TimePtr(t0)
	e.Handle(ctx, info, snap(restated), nil)
	e.Handle(ctx, info, snap(restated), nil)
	moved := restated
	moved.Alert.Effective = alert.TimePtr(t0.Add(30 * time.Minute))
	e.Handle(ctx, info, snap(moved), nil)
	got, want := changes(published(t, b)), []string{"new kma:a#1", "update kma:a#2"}
	if !slices.Equal(got, want) {
		t.Fatalf("published %v, want %v", got, want)
	}
}

// TestEngineCancelBesideInvalidIsHeld: the same when the alert in force
// beside the cancel is an item that fails Validate, whatever the order of
// their sent times.
func TestEngineCancelBesideInvalidIsHeld(t *testing.T) {
	b, poll := amongOthers(t)
	poll([]collectors.Item{heat("a", alert.SeverityModerate)})
	cancel := heat("a", alert.SeverityModerate)
	cancel.Intent = collectors.IntentCancel
	bad := heat("a", "") // fails Validate: no severity
	bad.Alert.Sent = t0.Add(time.Minute)
	poll([]collectors.Item{cancel, bad})
	poll([]collectors.Item{bad, cancel})
	if got := changes(published(t, b)); len(got) != 4 {
		t.Fatalf("published %v: a key still served in force (unreadably) was ended", got)
	}
}

// TestEnginePartialRunUnreadable: a partial run (an error beside its items)
// that names a key unreadable ends nothing, and, as a readable item of a
// partial run does, it breaks a row of misses: the alert was served.
func TestEnginePartialRunUnreadable(t *testing.T) {
	b := testbus.Open(t)
	e, _ := newEngine(t, b, &clock{t0})
	others := []collectors.Item{heat("x", alert.SeverityModerate), heat("y", alert.SeverityModerate), heat("z", alert.SeverityModerate)}
	poll := func(items []collectors.Item, runErr error, unreadable ...string) {
		e.Handle(context.Background(), info, collectors.Result{Snapshot: true, Items: append(slices.Clone(items), others...), Unreadable: unreadable}, runErr)
	}
	poll([]collectors.Item{heat("a", alert.SeverityModerate), heat("b", alert.SeverityModerate)}, nil)
	poll(nil, nil) // a and b missing: one miss each
	partial := errors.New("1 of 3 documents failed")
	for range 3 {
		poll(nil, partial, "kma:a", "kma:b") // served, unreadable, in a partial run
	}
	poll(nil, nil) // one miss again, within grace 2
	if got := changes(published(t, b)); len(got) != 5 {
		t.Fatalf("published %v: an alert expired without two misses in a row", got)
	}
}

// TestEngineUpdateNamesItsPrevious: an update carries the stream sequence
// of its key's version before it (alert.PreviousSeqHeader), across a
// restart too, so that an exporter can tell whether its partner holds that
// version; a new alert and an end carry none.
func TestEngineUpdateNamesItsPrevious(t *testing.T) {
	b := testbus.Open(t)
	ctx := context.Background()
	c := &clock{t0}
	e, _ := newEngine(t, b, c)
	e.Handle(ctx, info, snapshot(heat("a", alert.SeverityModerate)), nil)
	e.Handle(ctx, info, snapshot(heat("a", alert.SeveritySevere)), nil)
	e, _ = newEngine(t, b, c) // a restart: the sequence comes from the record
	e.Handle(ctx, info, snapshot(heat("a", alert.SeverityExtreme)), nil)
	c.t = t0.Add(4 * time.Hour)
	e.Sweep(ctx)

	st, err := b.JetStream().Stream(ctx, bus.StreamAlerts)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"", "1", "2", ""} // new, update, update, expire
	for i, w := range want {
		m, err := st.GetMsg(ctx, uint64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Header.Get(alert.PreviousSeqHeader); got != w {
			t.Errorf("change %d (%s): %s = %q, want %q", i+1, m.Header.Get("ce-type"), alert.PreviousSeqHeader, got, w)
		}
	}
}
