// Package testbus starts the real bus, an in-process NATS server with
// JetStream on a temporary store, for tests.
package testbus

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/bus"
)

// Open starts an embedded bus on t.TempDir() and closes it at cleanup.
func Open(t testing.TB) *bus.Bus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := bus.Open(ctx, bus.Config{StoreDir: t.TempDir(), MaxMemory: 64 << 20, MaxStore: 1 << 30}, Logger(t))
	if err != nil {
		t.Fatalf("open bus: %v", err)
	}
	t.Cleanup(b.Close)
	return b
}

// Logger returns a logger that writes to the test log when -v is given.
func Logger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}
