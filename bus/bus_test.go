package bus_test

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/bus"
	"github.com/hazardwire/hazardwire/internal/testbus"
)

func sample(version int) *alert.Alert {
	a := &alert.Alert{Key: "nws:KCHS.HT.Y.0007", Version: version, Change: alert.ChangeNew, State: alert.StateActive,
		Source: "nws", SourceKind: "nws", Hazard: alert.HazardHeat, Event: "Heat Advisory", Status: alert.StatusActual,
		Severity: alert.SeverityModerate, Urgency: alert.UrgencyExpected, Certainty: alert.CertaintyLikely,
		Sent: time.Date(2026, 7, 1, 12, 0, 0, 0, time.FixedZone("", -4*3600))}
	a.ID = alert.MakeID(a.Key, version)
	return a
}

func TestPublishDedupAndHeaders(t *testing.T) {
	b := testbus.Open(t)
	ctx := context.Background()
	a := sample(1)
	var seqs []uint64
	for range 3 { // a crash between publish and state repeats the same id
		seq, err := b.Publish(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, seq)
	}
	if seqs[0] != 1 || seqs[1] != 1 || seqs[2] != 1 {
		t.Errorf("sequences of a repeated id %v, want the original's each time", seqs)
	}
	s, err := b.JetStream().Stream(ctx, bus.StreamAlerts)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 1 {
		t.Fatalf("stream holds %d messages after 3 publishes of one id, want 1", info.State.Msgs)
	}
	if info.Config.Duplicates < time.Hour {
		t.Errorf("duplicate window %s, want at least 1h", info.Config.Duplicates)
	}
	m, err := s.GetLastMsgForSubject(ctx, "hazardwire.alerts.heat.moderate.nws")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		jetstream.MsgIDHeader: a.ID, "ce-specversion": "1.0", "ce-id": a.ID, "ce-type": "org.hazardwire.alert.new",
		"ce-source": "/hazardwire/collectors/nws", "ce-subject": a.Key,
	}
	for k, v := range want {
		if got := m.Header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
}

func TestOpenIsIdempotentAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	log := testbus.Logger(t)
	for i := range 2 {
		b, err := bus.Open(ctx, bus.Config{StoreDir: dir}, log)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		if _, err := b.Publish(ctx, sample(i+1)); err != nil {
			t.Fatal(err)
		}
		if errs := b.States().PutAll(ctx, []bus.StateEntry{{Source: "nws", Key: "nws:K#x/y", Value: []byte(`{"n":1}`)}}); errs[0] != nil {
			t.Fatal(errs[0])
		}
		b.Close()
	}
	b, err := bus.Open(ctx, bus.Config{StoreDir: dir}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	s, _ := b.JetStream().Stream(ctx, bus.StreamAlerts)
	info, _ := s.Info(ctx)
	if info.State.Msgs != 2 {
		t.Fatalf("stream holds %d messages after two runs, want 2", info.State.Msgs)
	}
	vals, err := b.States().All(ctx)
	if err != nil || len(vals) != 1 || string(vals[0]) != `{"n":1}` {
		t.Fatalf("state after restart: %q, %v", vals, err)
	}
	for _, name := range []string{bus.StreamDeadLetter} {
		if _, err := b.JetStream().Stream(ctx, name); err != nil {
			t.Errorf("stream %s: %v", name, err)
		}
	}
}

// TestExternalServer: with bus.url the same code connects to a NATS server
// that runs apart from the daemon (here a second in-process server listening
// on a loopback port).
func TestExternalServer(t *testing.T) {
	ctx := context.Background()
	b, err := bus.Open(ctx, bus.Config{URL: testbus.External(t), MaxBytes: 256 << 20}, testbus.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := b.Publish(ctx, sample(1)); err != nil {
		t.Fatal(err)
	}
	if !b.Ready() {
		t.Error("not ready while connected")
	}
	js := b.JetStream()
	for _, name := range []string{bus.StreamAlerts, bus.StreamDeadLetter, "KV_" + bus.BucketState} {
		if _, err := js.Stream(ctx, name); err != nil {
			t.Errorf("stream %s on the external server: %v", name, err)
		}
	}
}

// TestCloseWarnsOfNothing: closing the bus is no disconnection; the runbook
// sends operators looking for "NATS disconnected".
func TestCloseWarnsOfNothing(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := bus.Open(ctx, bus.Config{StoreDir: t.TempDir(), MaxMemory: 64 << 20, MaxStore: 1 << 30}, log)
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	if logs.Len() > 0 {
		t.Errorf("closing the bus logged warnings:\n%s", logs.String())
	}
}
