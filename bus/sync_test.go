package bus

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"
)

// TestSyncSettingsReachTheServer: bus.sync_interval and sync_always are the
// embedded server's; unset, it syncs every DefaultSyncInterval (not
// nats-server's two minutes).
func TestSyncSettingsReachTheServer(t *testing.T) {
	for _, c := range []struct {
		cfg      Config
		interval time.Duration
		always   bool
	}{
		{Config{}, DefaultSyncInterval, false},
		{Config{SyncInterval: 2 * time.Minute}, 2 * time.Minute, false},
		{Config{SyncInterval: time.Second}, time.Second, false},
		{Config{SyncAlways: true}, 0, true},
	} {
		c.cfg.StoreDir = t.TempDir()
		b, err := Open(context.Background(), c.cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		js := b.server().JetStreamConfig()
		b.Close()
		if js.SyncAlways != c.always || (c.interval != 0 && js.SyncInterval != c.interval) {
			t.Errorf("config %+v: the server syncs every %s, always %v; want %s, %v", c.cfg, js.SyncInterval, js.SyncAlways, c.interval, c.always)
		}
	}
}
