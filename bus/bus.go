// Package bus connects hazardwire to NATS JetStream: an embedded server by
// default, or an external cluster. It owns the stream, KV bucket and
// dead-letter stream names that partners and tools rely on.
package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Names of the bus's streams, bucket and subjects (DESIGN.md §4, a contract).
const (
	StreamAlerts      = "HAZARDWIRE_ALERTS"
	StreamDeadLetter  = "HAZARDWIRE_DEADLETTER"
	BucketState       = "hazardwire_state"
	SubjectAlerts     = "hazardwire.alerts"
	SubjectDeadLetter = "hazardwire.deadletter"
)

// Config configures the bus.
type Config struct {
	// StoreDir is the embedded server's JetStream directory.
	StoreDir string
	// URL, when set, connects to an external NATS cluster instead.
	URL string
	// Listen, when set, also opens a client listener on the embedded server
	// (host:port) so that the nats CLI can reach it.
	Listen string
	// Credentials is an external cluster's credentials file (optional).
	Credentials string
	// MaxMemory and MaxStore limit the embedded server's JetStream memory and
	// disk use (bytes).
	MaxMemory, MaxStore int64
	// MaxAge and MaxBytes limit the alert stream.
	MaxAge   time.Duration
	MaxBytes int64
	// Duplicates is the alert stream's deduplication window.
	Duplicates time.Duration
	// Replicas of the streams and bucket (external clusters only).
	Replicas int
}

// Defaults fills zero fields with the defaults.
func (c *Config) Defaults() {
	if c.StoreDir == "" {
		c.StoreDir = "./data"
	}
	if c.MaxMemory == 0 {
		c.MaxMemory = 256 << 20
	}
	if c.MaxStore == 0 {
		c.MaxStore = 10 << 30
	}
	if c.MaxAge == 0 {
		c.MaxAge = 30 * 24 * time.Hour
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = 4 << 30
	}
	if c.Duplicates == 0 {
		c.Duplicates = 2 * time.Hour
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.URL == "" && c.MaxBytes > c.MaxStore*3/4 {
		// JetStream reserves a stream's MaxBytes from the server's store
		// limit: leave room for the dead letters and the state bucket.
		c.MaxBytes = c.MaxStore * 3 / 4
	}
}

// Bus is a connection to JetStream with the project's streams in place.
type Bus struct {
	cfg Config
	log *slog.Logger
	ns  *server.Server // nil with an external URL
	nc  *nats.Conn
	js  jetstream.JetStream
	kv  jetstream.KeyValue
}

// Open starts the embedded server (or connects to cfg.URL) and creates the
// streams and bucket if they do not exist. It is idempotent across restarts.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*Bus, error) {
	cfg.Defaults()
	b := &Bus{cfg: cfg, log: log}
	var err error
	if cfg.URL == "" {
		err = b.startEmbedded()
	} else {
		err = b.connectExternal()
	}
	if err != nil {
		b.Close()
		return nil, err
	}
	if b.js, err = jetstream.New(b.nc); err != nil {
		b.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	if err := b.ensure(ctx); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

func (b *Bus) startEmbedded() error {
	dir, err := filepath.Abs(b.cfg.StoreDir)
	if err != nil {
		return fmt.Errorf("store dir %q: %w", b.cfg.StoreDir, err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("store dir: %w", err)
	}
	opts := &server.Options{
		ServerName:         "hazardwire",
		JetStream:          true,
		StoreDir:           dir,
		JetStreamMaxMemory: b.cfg.MaxMemory,
		JetStreamMaxStore:  b.cfg.MaxStore,
		NoSigs:             true, // the daemon handles its own signals and drains first
		DontListen:         b.cfg.Listen == "",
		MaxPayload:         8 << 20,
	}
	if b.cfg.Listen != "" {
		host, port, err := net.SplitHostPort(b.cfg.Listen)
		if err != nil {
			return fmt.Errorf("bus.listen %q: %w", b.cfg.Listen, err)
		}
		p, err := strconv.Atoi(port)
		if err != nil {
			return fmt.Errorf("bus.listen %q: bad port", b.cfg.Listen)
		}
		opts.Host, opts.Port = host, p
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return fmt.Errorf("embedded nats: %w", err)
	}
	ns.SetLoggerV2(serverLogger{b.log.With("component", "nats")}, false, false, false)
	b.ns = ns
	go ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		return errors.New("embedded nats: not ready after 30s")
	}
	nc, err := nats.Connect(nats.DefaultURL, nats.InProcessServer(ns), nats.Name("hazardwire"), nats.MaxReconnects(-1))
	if err != nil {
		return fmt.Errorf("embedded nats: connect: %w", err)
	}
	b.nc = nc
	b.log.Info("embedded NATS started", "store_dir", dir, "listen", b.cfg.Listen)
	return nil
}

func (b *Bus) connectExternal() error {
	opts := []nats.Option{
		nats.Name("hazardwire"),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.RetryOnFailedConnect(false),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { b.log.Warn("NATS disconnected", "err", err) }),
		nats.ReconnectHandler(func(c *nats.Conn) { b.log.Info("NATS reconnected", "url", c.ConnectedUrlRedacted()) }),
	}
	if b.cfg.Credentials != "" {
		opts = append(opts, nats.UserCredentials(b.cfg.Credentials))
	}
	nc, err := nats.Connect(b.cfg.URL, opts...)
	if err != nil {
		return fmt.Errorf("connect to NATS: %w", err)
	}
	b.nc = nc
	b.log.Info("connected to NATS", "url", nc.ConnectedUrlRedacted())
	return nil
}

// ensure creates or updates the streams and bucket.
func (b *Bus) ensure(ctx context.Context) error {
	_, err := b.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        StreamAlerts,
		Description: "hazardwire alert lifecycle changes",
		Subjects:    []string{SubjectAlerts + ".>"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		MaxAge:      b.cfg.MaxAge,
		MaxBytes:    b.cfg.MaxBytes,
		Discard:     jetstream.DiscardOld,
		Duplicates:  b.cfg.Duplicates,
		Replicas:    b.cfg.Replicas,
	})
	if err != nil {
		return fmt.Errorf("stream %s: %w", StreamAlerts, err)
	}
	_, err = b.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        StreamDeadLetter,
		Description: "hazardwire deliveries that failed for good",
		Subjects:    []string{SubjectDeadLetter + ".>"},
		Storage:     jetstream.FileStorage,
		MaxAge:      b.cfg.MaxAge,
		Duplicates:  b.cfg.Duplicates,
		Replicas:    b.cfg.Replicas,
	})
	if err != nil {
		return fmt.Errorf("stream %s: %w", StreamDeadLetter, err)
	}
	b.kv, err = b.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:       BucketState,
		Description:  "hazardwire lifecycle state per alert key",
		History:      1,
		Storage:      jetstream.FileStorage,
		Replicas:     b.cfg.Replicas,
		MaxValueSize: 4 << 20,
	})
	if err != nil {
		return fmt.Errorf("bucket %s: %w", BucketState, err)
	}
	return nil
}

// JetStream returns the JetStream context.
func (b *Bus) JetStream() jetstream.JetStream { return b.js }

// Conn returns the NATS connection.
func (b *Bus) Conn() *nats.Conn { return b.nc }

// Ready reports whether the connection is up.
func (b *Bus) Ready() bool { return b.nc != nil && b.nc.IsConnected() }

// Close drains the connection and shuts the embedded server down, waiting for it.
func (b *Bus) Close() {
	if b.nc != nil {
		if err := b.nc.Drain(); err != nil {
			b.nc.Close()
		}
		for i := 0; i < 100 && !b.nc.IsClosed(); i++ {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if b.ns != nil {
		b.ns.Shutdown()
		b.ns.WaitForShutdown()
		b.log.Info("embedded NATS stopped")
	}
}

// serverLogger adapts slog to the nats-server logger.
type serverLogger struct{ log *slog.Logger }

func (l serverLogger) Noticef(f string, v ...any) { l.log.Debug(fmt.Sprintf(f, v...)) }
func (l serverLogger) Warnf(f string, v ...any)   { l.log.Warn(fmt.Sprintf(f, v...)) }
func (l serverLogger) Fatalf(f string, v ...any)  { l.log.Error(fmt.Sprintf(f, v...)) }
func (l serverLogger) Errorf(f string, v ...any)  { l.log.Error(fmt.Sprintf(f, v...)) }
func (l serverLogger) Debugf(f string, v ...any)  { l.log.Debug(fmt.Sprintf(f, v...)) }
func (l serverLogger) Tracef(f string, v ...any)  { l.log.Debug(fmt.Sprintf(f, v...)) }
