// Package bus connects hazardwire to NATS JetStream: an embedded server by
// default, or an external cluster. It owns the stream, KV bucket and
// dead-letter stream names that partners and tools rely on.
package bus

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
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

// BucketExporters holds each exporter's position on the alert stream
// (Checkpoints), with the embedded server only. It is not a contract:
// nothing outside the daemon reads it.
const BucketExporters = "hazardwire_exporters"

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
	// SyncInterval and SyncAlways set how often the embedded server syncs
	// its store files to the disk (default DefaultSyncInterval): a power
	// loss can take what was written since (Tail).
	SyncInterval time.Duration
	SyncAlways   bool
	// KeepExisting makes Open create the streams and buckets that are
	// missing but leave those that exist as they are, for a daemon that may
	// not act on them yet (a standby: its settings would change them under
	// the lease's holder); Ensure applies the settings once it may.
	KeepExisting bool
}

// DefaultSyncInterval is how often the embedded server syncs its store
// files to the disk, unless told otherwise: a power loss takes at most about
// this much of what the bus acknowledged. nats-server's own default is two
// minutes; a second cost nothing measurable in the burst, single and idle
// benchmarks (docs/performance.md, "Syncing the store").
const DefaultSyncInterval = time.Second

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
	if c.SyncInterval == 0 && !c.SyncAlways {
		c.SyncInterval = DefaultSyncInterval
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
	nc  *nats.Conn     // the lifecycle's publishes, the state, reads
	js  jetstream.JetStream
	kv  jetstream.KeyValue
	ckv jetstream.KeyValue // BucketExporters; nil with an external URL

	acks *acker // PublishAll's and PutAll's publishes on nc

	restarted []func() // called after the embedded server restarted (OnServerRestart); guarded by store.mu

	consumers []*nats.Conn // the exporters' consumers
	cjs       []jetstream.JetStream

	store storeWatch // the embedded server's store, restarted after a write error
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
	// The benchmark's asynchronous publishes (internal/bench) fail after
	// publishTimeout without an acknowledgement, as PublishAll's do.
	if b.js, err = jetstream.New(b.nc, jetstream.WithPublishAsyncTimeout(publishTimeout)); err != nil {
		b.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	if b.acks, err = newAcker(b.nc, publishTimeout); err != nil {
		b.Close()
		return nil, err
	}
	for _, nc := range b.consumers {
		js, err := jetstream.New(nc)
		if err != nil {
			b.Close()
			return nil, fmt.Errorf("jetstream: %w", err)
		}
		b.cjs = append(b.cjs, js)
	}
	if err := b.ensure(ctx, !cfg.KeepExisting); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// Ensure applies the config's settings to the streams and buckets, which
// Open left as they were with KeepExisting.
func (b *Bus) Ensure(ctx context.Context) error { return b.ensure(ctx, true) }

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
		SyncInterval:       b.cfg.SyncInterval,
		SyncAlways:         b.cfg.SyncAlways,
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
	ns.SetLoggerV2(b.serverLogger(), false, false, false)
	b.ns = ns
	b.store.opts = opts
	go ns.Start()
	if err := b.waitReady(ns); err != nil {
		return err
	}
	if err := b.connectAll(); err != nil {
		return fmt.Errorf("embedded nats: connect: %w", err)
	}
	b.watchStore()
	b.log.Info("embedded NATS started", "store_dir", dir, "listen", b.cfg.Listen)
	return nil
}

func (b *Bus) connectExternal() error {
	if err := b.connectAll(); err != nil {
		return fmt.Errorf("connect to NATS: %w", err)
	}
	b.log.Info("connected to NATS", "url", b.nc.ConnectedUrlRedacted())
	return nil
}

// publishTimeout bounds the wait for the bus's acknowledgement of a publish,
// like a synchronous publish's request timeout. A store that cannot write
// never acknowledges, and the lifecycle waits this long with its engine
// locked (the API and status page with it): keep it short.
const publishTimeout = 10 * time.Second

// consumerConns is how many connections carry the exporters' consumers,
// beside the one the lifecycle publishes on: a burst delivered to a hundred
// partners must never queue the lifecycle's acknowledgements behind it, and
// several connections spread the reading of deliveries over the cores.
const consumerConns = 4

// connectAll opens the publishing connection and the consumers' ones.
func (b *Bus) connectAll() error {
	var err error
	if b.nc, err = b.connect("hazardwire"); err != nil {
		return err
	}
	for i := range consumerConns {
		nc, err := b.connect(fmt.Sprintf("hazardwire-exporters-%d", i))
		if err != nil {
			return err
		}
		b.consumers = append(b.consumers, nc)
	}
	return nil
}

// connect opens one connection, to the embedded server or to cfg.URL, that
// reconnects for ever and logs what the client would otherwise print.
func (b *Bus) connect(name string) (*nats.Conn, error) {
	log := b.log.With("conn", name)
	opts := []nats.Option{
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err == nil { // closed by us: the daemon is stopping
				log.Debug("NATS connection closed")
				return
			}
			log.Warn("NATS disconnected", "err", err)
		}),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info("NATS reconnected", "url", c.ConnectedUrlRedacted()) }),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			if sub != nil {
				log.Warn("NATS error", "subject", sub.Subject, "err", err)
				return
			}
			log.Warn("NATS error", "err", err)
		}),
	}
	if b.ns != nil {
		// Through embedded, so that a reconnect reaches the server that
		// replaced this one after a store write error (storewatch.go).
		return nats.Connect(nats.DefaultURL, append(opts, nats.InProcessServer(embedded{b}))...)
	}
	if b.cfg.Credentials != "" {
		opts = append(opts, nats.UserCredentials(b.cfg.Credentials))
	}
	return nats.Connect(b.cfg.URL, opts...)
}

// ensure creates the streams and buckets, and with update applies the
// config to those that exist.
func (b *Bus) ensure(ctx context.Context, update bool) error {
	stream := func(c jetstream.StreamConfig) error {
		if update {
			_, err := b.js.CreateOrUpdateStream(ctx, c)
			return err
		}
		_, err := b.js.CreateStream(ctx, c)
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) { // with other settings
			_, err = b.js.Stream(ctx, c.Name)
		}
		return err
	}
	bucket := func(c jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
		if update {
			return b.js.CreateOrUpdateKeyValue(ctx, c)
		}
		kv, err := b.js.CreateKeyValue(ctx, c)
		if errors.Is(err, jetstream.ErrBucketExists) { // with other settings
			kv, err = b.js.KeyValue(ctx, c.Bucket)
		}
		return kv, err
	}
	err := stream(jetstream.StreamConfig{
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
	err = stream(jetstream.StreamConfig{
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
	b.kv, err = bucket(jetstream.KeyValueConfig{
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
	if b.ns == nil {
		return nil
	}
	b.ckv, err = bucket(jetstream.KeyValueConfig{
		Bucket:      BucketExporters,
		Description: "hazardwire exporters' positions on " + StreamAlerts,
		History:     1,
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return fmt.Errorf("bucket %s: %w", BucketExporters, err)
	}
	return nil
}

// JetStream returns the JetStream context of the publishing connection.
func (b *Bus) JetStream() jetstream.JetStream { return b.js }

// ConsumerJetStream returns the JetStream context exporter name consumes
// on: one of a few connections apart from the publishing one, always the
// same for one name.
func (b *Bus) ConsumerJetStream(name string) jetstream.JetStream {
	h := fnv.New32a()
	_, _ = h.Write([]byte(name))
	return b.cjs[h.Sum32()%uint32(len(b.cjs))]
}

// Conn returns the publishing NATS connection.
func (b *Bus) Conn() *nats.Conn { return b.nc }

// Ready reports whether every connection is up.
func (b *Bus) Ready() bool {
	if b.nc == nil || !b.nc.IsConnected() {
		return false
	}
	for _, nc := range b.consumers {
		if !nc.IsConnected() {
			return false
		}
	}
	return true
}

// Close drains the connections and shuts the embedded server down, waiting
// for it.
func (b *Bus) Close() {
	b.store.stopWatching()
	// Let go of the callers' callbacks: whatever still refers to the bus
	// after Close must not keep a whole daemon alive through them.
	b.store.mu.Lock()
	b.restarted = nil
	b.store.mu.Unlock()
	if b.acks != nil {
		b.acks.close()
	}
	var wg sync.WaitGroup
	for _, nc := range append(slices.Clone(b.consumers), b.nc) {
		if nc == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := nc.Drain(); err != nil {
				nc.Close()
			}
			for i := 0; i < 100 && !nc.IsClosed(); i++ {
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	if ns := b.server(); ns != nil {
		ns.Shutdown()
		ns.WaitForShutdown()
		b.log.Info("embedded NATS stopped")
	}
}

// serverLogger adapts slog to the nats-server logger; writeErr and fatal,
// if set, are told of the store's critical write errors and of the errors
// that stop the server (such as a store directory it cannot write).
type serverLogger struct {
	log      *slog.Logger
	writeErr func(msg string)
	fatal    func(msg string)
}

func (l serverLogger) Noticef(f string, v ...any) { l.log.Debug(fmt.Sprintf(f, v...)) }
func (l serverLogger) Warnf(f string, v ...any)   { l.log.Warn(fmt.Sprintf(f, v...)) }
func (l serverLogger) Debugf(f string, v ...any)  { l.log.Debug(fmt.Sprintf(f, v...)) }
func (l serverLogger) Tracef(f string, v ...any)  { l.log.Debug(fmt.Sprintf(f, v...)) }

func (l serverLogger) Fatalf(f string, v ...any) {
	msg := fmt.Sprintf(f, v...)
	l.log.Error(msg)
	if l.fatal != nil {
		l.fatal(msg)
	}
}

func (l serverLogger) Errorf(f string, v ...any) {
	msg := fmt.Sprintf(f, v...)
	l.log.Error(msg)
	if l.writeErr != nil && strings.Contains(strings.ToLower(msg), "critical write error") {
		l.writeErr(msg)
	}
}
