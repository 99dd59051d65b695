// Package testbus starts the real bus, an in-process NATS server with
// JetStream on a temporary store, for tests.
package testbus

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/hazardwire/hazardwire/bus"
)

// External starts a NATS server with JetStream on t.TempDir(), apart from
// any daemon's (in this process, on a loopback port), as an external
// cluster would be, and returns its client URL. It stops at cleanup.
func External(t testing.TB) string {
	t.Helper()
	return ExternalOn(t, t.TempDir(), server.RANDOM_PORT).ClientURL()
}

// ExternalOn is External on the store dir and loopback port given (a
// server.RANDOM_PORT picks one), returning the server, so that a test can
// stop it and start another on the same store and port.
func ExternalOn(t testing.TB, dir string, port int) *server.Server {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, JetStream: true,
		StoreDir: dir, NoSigs: true, NoLog: true, JetStreamMaxMemory: 64 << 20, JetStreamMaxStore: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	return ns
}

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

// LoseWrites does to stream (bus.StreamAlerts, or a bucket's "KV_" +
// name) on the store in dir, whose server has stopped, what a power loss
// can: its last block file loses its second half (cut inside a message, as
// a torn write is), so the messages there are gone. With keepIndex the
// stream's saved state stays, as when the server wrote it before the loss:
// the lost messages are then gaps below the stream's last sequence; without
// it the stream's end moves back, and the next messages take the lost
// ones' sequences again. The caller checks what the server finds on
// reopening (bus.ReadTail).
func LoseWrites(t testing.TB, dir, stream string, keepIndex bool) {
	t.Helper()
	msgs, blocks := streamBlocks(t, dir, stream)
	var last string
	var lastN int
	for _, b := range blocks {
		n, err := strconv.Atoi(strings.TrimSuffix(filepath.Base(b), ".blk"))
		if err == nil && n >= lastN {
			last, lastN = b, n
		}
	}
	fi, err := os.Stat(last)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(last, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	if !keepIndex {
		if err := os.Remove(filepath.Join(msgs, "index.db")); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
	}
}

// LoseEveryWrite is LoseWrites taking every message of stream, its saved
// state kept: a stream whose messages all came after the last sync.
func LoseEveryWrite(t testing.TB, dir, stream string) {
	t.Helper()
	_, blocks := streamBlocks(t, dir, stream)
	for _, b := range blocks {
		if err := os.Truncate(b, 0); err != nil {
			t.Fatal(err)
		}
	}
}

// streamBlocks returns the message directory of stream in the store in dir,
// and its block files.
func streamBlocks(t testing.TB, dir, stream string) (string, []string) {
	t.Helper()
	msgs := filepath.Join(dir, "jetstream", "$G", "streams", stream, "msgs")
	blocks, err := filepath.Glob(filepath.Join(msgs, "*.blk"))
	if err != nil || len(blocks) == 0 {
		t.Fatalf("no block file of stream %s in %s (%v)", stream, msgs, err)
	}
	return msgs, blocks
}
