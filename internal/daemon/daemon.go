// Package daemon assembles hazardwire: the bus, the lifecycle engine, the
// collectors' scheduler, the exporters and the HTTP listener. It can be
// started in a test on 127.0.0.1:0 with its own registry and clock, and it
// applies a new configuration without stopping what did not change.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/bus"
	hwcollectors "github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/exporters"
	"github.com/hazardwire/hazardwire/internal/config"
	"github.com/hazardwire/hazardwire/internal/httpapi"
	"github.com/hazardwire/hazardwire/internal/lifecycle"
)

// Version is the build's version, set with -ldflags "-X ...daemon.Version=v1.2.3".
var Version = "dev"

// Options are what a caller injects into the daemon.
type Options struct {
	Logger *slog.Logger
	// Registry receives every metric (default: a new registry with the Go and
	// process collectors).
	Registry *prometheus.Registry
	// Transport is used by collectors for feeds (tests, proxies).
	Transport http.RoundTripper
	// LookupEnv resolves ${ENV} (default os.LookupEnv).
	LookupEnv func(string) (string, bool)
	// ConfigFile is read again by ReloadFile (SIGHUP, POST /-/reload).
	ConfigFile string
	// SweepEvery is how often expiry is checked without a poll (default 5s).
	SweepEvery time.Duration
	// ShutdownTimeout bounds the drain on stop (default 20s).
	ShutdownTimeout time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Extra HTTP handlers, by pattern.
	Extra map[string]http.Handler
}

// Daemon is one running hazardwire.
type Daemon struct {
	opts   Options
	log    *slog.Logger
	reg    *prometheus.Registry
	client *hwcollectors.Client

	colMetrics *hwcollectors.Metrics
	lcMetrics  *lifecycle.Metrics
	expMetrics *exporters.Metrics
	reloadOK   prometheus.Gauge
	reloadTS   prometheus.Gauge
	reload     ReloadStatus // under mu

	http          *httpapi.Server
	ready         atomic.Bool
	up            chan struct{} // closed once Run has started everything
	stopping      context.Context
	cancelStreams context.CancelFunc // ends long-lived requests (event streams) at shutdown
	reloads       chan reloadRequest
	busRestarts   chan struct{} // the embedded server restarted: exporters' memory consumers are gone

	mu         sync.Mutex
	cfg        *config.Config
	collectors map[string]config.BuiltCollector
	exporters  map[string]*runningExporter
	bus        *bus.Bus
	decoded    *exporters.Decoded // shared by the exporters reading bus
	engine     *lifecycle.Engine
	sched      *hwcollectors.Scheduler
	stopSweep  func()

	lease leaseState // on an external cluster (lease.go)
	// started is what the daemon found of the alert stream when it started
	// (bus.Tail), for event streams resumed from before a loss.
	started startTail
}

// startTail is the alert stream's end as the daemon found it at start.
type startTail struct {
	known bool   // set once the start has read it
	end   uint64 // the last message still there
	// seen is the highest sequence the saved state named: above end, those
	// numbers were lost, and the changes since the start took them again.
	seen uint64
}

type runningExporter struct {
	built  config.BuiltExporter
	runner *exporters.Runner
}

// New builds a daemon from cfg: every collector and exporter is constructed
// here, so a bad config fails before anything starts. It does no I/O but for
// opening the HTTP listener.
func New(cfg *config.Config, opts Options) (*Daemon, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
		opts.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	if opts.SweepEvery <= 0 {
		opts.SweepEvery = 5 * time.Second
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = 20 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	stopping, cancelStreams := context.WithCancel(context.Background())
	d := &Daemon{stopping: stopping, cancelStreams: cancelStreams, opts: opts, log: opts.Logger, reg: opts.Registry, up: make(chan struct{}), reloads: make(chan reloadRequest), busRestarts: make(chan struct{}, 1),
		cfg: cfg, collectors: map[string]config.BuiltCollector{}, exporters: map[string]*runningExporter{}}
	d.lease.used = cfg.Bus.URL != "" // acting before it holds the lease
	f := promauto.With(d.reg)
	d.colMetrics = hwcollectors.NewMetrics(d.reg)
	d.lcMetrics = lifecycle.NewMetrics(d.reg)
	d.expMetrics = exporters.NewMetrics(d.reg)
	d.client = hwcollectors.NewClient(hwcollectors.ClientOptions{Transport: opts.Transport, UserAgent: "hazardwire/" + Version, Metrics: d.colMetrics})
	built, err := cfg.Build(d.client, opts.LookupEnv)
	if err != nil {
		return nil, err
	}
	for _, c := range built.Collectors {
		d.collectors[c.Info.Name] = c
	}
	for _, e := range built.Exporters {
		d.exporters[e.Config.Name] = &runningExporter{built: e}
	}
	f.NewGaugeVec(prometheus.GaugeOpts{
		Name: "hazardwire_build_info",
		Help: "Build information; the value is always 1.",
	}, []string{"version", "goversion"}).WithLabelValues(Version, runtime.Version()).Set(1)
	d.reloadOK = f.NewGauge(prometheus.GaugeOpts{
		Name: "hazardwire_config_last_reload_successful",
		Help: "Whether the last configuration load or reload succeeded (1) or failed (0).",
	})
	d.reloadTS = f.NewGauge(prometheus.GaugeOpts{
		Name: "hazardwire_config_last_reload_success_timestamp_seconds",
		Help: "Unix time of the last successful configuration load or reload.",
	})
	f.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "hazardwire_bus_store_failing",
		Help: "1 while the embedded NATS store refuses writes (a full disk, a read-only mount): changes are not published until it recovers; 0 otherwise.",
	}, func() float64 {
		d.mu.Lock()
		b := d.bus
		d.mu.Unlock()
		if b != nil && b.StoreBroken() {
			return 1
		}
		return 0
	})
	f.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "hazardwire_bus_lease_held",
		Help: "On an external cluster: 1 while this daemon holds the lease on the streams and acts on them, 0 while it waits as a standby (or has lost it). Always 1 on the embedded bus.",
	}, func() float64 {
		if cfg.Bus.URL == "" {
			return 1
		}
		return d.leaseHeld()
	})
	d.reloadOK.Set(1)
	d.reloadTS.Set(float64(opts.Now().UnixNano()) / 1e9)
	d.reload = ReloadStatus{Successful: true, LastSuccess: opts.Now()}
	extra := d.apiHandlers()
	maps.Copy(extra, d.dlqHandlers())
	extra["POST /-/reload"] = http.HandlerFunc(d.serveReload)
	for p, h := range extra {
		if p != "GET /{$}" && p != "GET /api/v1/status" {
			extra[p] = d.guard(h) // the pull API and the operator endpoints
		}
	}
	for p, h := range opts.Extra {
		extra[p] = h
	}
	d.http, err = httpapi.Listen(cfg.HTTP.Listen, httpapi.Options{Registry: d.reg, Ready: d.readiness, Extra: extra}, d.log.With("component", "http"))
	if err != nil {
		return nil, fmt.Errorf("http listen %s: %w", cfg.HTTP.Listen, err)
	}
	return d, nil
}

// Addr returns the HTTP listener's address.
func (d *Daemon) Addr() net.Addr { return d.http.Addr() }

// Registry returns the metrics registry.
func (d *Daemon) Registry() *prometheus.Registry { return d.reg }

// Publisher returns the bus and the exporters' shared cache of decoded
// changes, which the lifecycle fills as it publishes (nil before start):
// what the benchmark's bus floor publishes through (internal/bench).
func (d *Daemon) Publisher() (*bus.Bus, *exporters.Decoded) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.bus, d.decoded
}

// Started is closed once every component runs.
func (d *Daemon) Started() <-chan struct{} { return d.up }

// Active returns the alerts in force now, read from the store (nil before
// start).
func (d *Daemon) Active(ctx context.Context) ([]alert.Alert, error) {
	d.mu.Lock()
	e := d.engine
	d.mu.Unlock()
	if e == nil {
		return nil, nil
	}
	return e.Active(ctx)
}

func (d *Daemon) readiness() (bool, string) {
	if waiting, h := d.standby(); waiting {
		if h.Instance == "" {
			return false, "standby: waiting for the lease on the streams"
		}
		return false, "standby: the streams are held by " + h.String()
	}
	if !d.ready.Load() {
		return false, "starting"
	}
	d.mu.Lock()
	b := d.bus
	d.mu.Unlock()
	if b == nil || !b.Ready() {
		return false, "bus not connected"
	}
	if b.StoreBroken() {
		return false, "bus store not writable (disk full or read-only?)"
	}
	return true, ""
}

// Run starts every component, serves until ctx is done, then stops them in
// reverse order: collectors first (their runs finish), then exporters
// (deliveries in flight finish, unless the lease was lost), then HTTP, then
// the bus. Reloads are applied here, one at a time.
func (d *Daemon) Run(ctx context.Context) error {
	httpErr := make(chan error, 1)
	go func() { httpErr <- d.http.Serve() }()
	d.log.Info("http listening", "addr", d.http.Addr().String())

	// act is the context of everything that acts on the streams (polls,
	// decisions, the sweeper): the renewer ends it the moment the lease is
	// lost, without waiting for this loop (lease.go).
	act, stopActing := context.WithCancel(ctx)
	defer stopActing()
	d.lease.stopActing = stopActing
	err := d.start(act)
	if err != nil && act.Err() != nil && ctx.Err() == nil {
		// act ended under the start, ctx did not: only the renewer ends it
		// so, having found the lease lost (and saying so next).
		lost := <-d.leaseLost()
		err = fmt.Errorf("%w: %w", errLeaseLost, lost)
		d.log.Error("lease lost while starting: stopping", "err", lost)
	}
	if err == nil {
		d.ready.Store(true)
		close(d.up)
		d.log.Info("hazardwire running", "collectors", len(d.collectors), "exporters", len(d.exporters))
	loop:
		for {
			select {
			case <-ctx.Done():
				break loop
			case err = <-httpErr:
				err = fmt.Errorf("http: %w", err)
				break loop
			case req := <-d.reloads:
				req.reply <- d.apply(act, req.cfg, req.err)
			case <-d.busRestarts:
				d.restartExporters(act)
			case lost := <-d.leaseLost():
				err = fmt.Errorf("%w: %w", errLeaseLost, lost)
				d.log.Error("lease lost: stopping", "err", lost)
				break loop
			}
		}
	}
	if errors.Is(err, errStoppedWaiting) {
		err = nil // stopped as a standby: a clean stop
	}
	d.ready.Store(false)
	d.cancelStreams()
	// A lost lease leaves no time to let deliveries in flight end: another
	// daemon may deliver them already.
	d.stopAll(!errors.Is(err, errLeaseLost))
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = d.http.Shutdown(sctx)
	return err
}

func (d *Daemon) start(ctx context.Context) error {
	c := d.cfg.Bus
	b, err := bus.Open(ctx, bus.Config{
		StoreDir: c.StoreDir, URL: c.URL, Listen: c.Listen, Credentials: c.Credentials,
		MaxMemory: int64(c.MaxMemory), MaxStore: int64(c.MaxStore), MaxAge: c.MaxAge,
		MaxBytes: int64(c.MaxBytes), Duplicates: c.Duplicates, Replicas: c.Replicas,
		SyncInterval: c.SyncInterval, SyncAlways: c.SyncAlways,
		KeepExisting: c.URL != "", // until this daemon holds the lease
	}, d.log.With("component", "bus"))
	if err != nil {
		return err
	}
	d.mu.Lock()
	d.bus = b
	d.decoded = exporters.NewDecoded(8192)
	d.mu.Unlock()
	if c.URL != "" {
		// Before anything reads the state: the standby reads it once it
		// holds the lease, after the last holder's final changes.
		if err := d.acquireLease(ctx, b, c.LeaseTTL); err != nil {
			return err
		}
		if err := b.Ensure(ctx); err != nil {
			return err
		}
	}
	b.OnServerRestart(func() {
		select {
		case d.busRestarts <- struct{}{}:
		default: // one restart of the exporters is pending already
		}
	})

	// Before anything publishes: the stream's end, to find what a power
	// loss took from it (bus.Tail); then the records and the stream are
	// made to agree (Adopt, Restore).
	tail, err := b.ReadTail(ctx)
	if err != nil {
		return err
	}
	// seen is the highest sequence anything saved names: past the stream's
	// end, those numbers were lost and the next changes take them again.
	seen := tail.Last
	if cp := b.Checkpoints(); cp != nil {
		moved, err := cp.Clamp(ctx, tail.Last)
		if err != nil {
			return err
		}
		for name, floor := range moved {
			seen = max(seen, floor)
			d.log.Warn("the exporter's saved position was past the alert stream's end (its store lost its last writes: a power loss or a crash of the machine?); it goes on from the end",
				"exporter", name, "saved", floor, "end", tail.Last)
		}
	}

	engine := lifecycle.NewEngine(gatedPublisher{b, d.acting}, b.States(), d.log.With("component", "lifecycle"), d.lcMetrics, d.opts.Now)
	engine.OnPublish(func(c bus.Encoded) { d.decoded.Put(c.Alert.ID, c.Data, c.Alert) }) // exporters need not decode it
	if err := engine.Load(ctx); err != nil {
		return err
	}
	seen = max(seen, engine.LastNamed())
	if _, err := engine.Adopt(ctx, tail.End, b.EachFrom); err != nil {
		return err
	}
	if _, err := engine.Restore(ctx, tail); err != nil {
		return err
	}
	d.mu.Lock()
	d.started = startTail{known: true, end: tail.End, seen: seen}
	d.engine = engine
	d.mu.Unlock()

	for _, e := range d.exporters {
		if err := d.startExporter(ctx, e); err != nil {
			return err
		}
	}

	// Expiry first, so alerts that ended while the daemon was down end now.
	engine.Sweep(ctx)
	sched := hwcollectors.NewScheduler(ctx, engine, d.log.With("component", "scheduler"), d.colMetrics)
	for _, c := range d.collectors {
		d.lcMetrics.Init(c.Info.Name)
		if err := sched.Add(c.Info, c.Collector); err != nil {
			return err
		}
	}
	sweepCtx, stopSweep := context.WithCancel(ctx)
	var sweepWG sync.WaitGroup
	sweepWG.Add(1)
	go func() { defer sweepWG.Done(); engine.RunSweeper(sweepCtx, d.opts.SweepEvery) }()
	d.mu.Lock()
	d.sched = sched
	d.stopSweep = func() { stopSweep(); sweepWG.Wait() }
	d.mu.Unlock()
	sched.Start()
	// A first run of every collector now, not at its first tick.
	for name := range d.collectors {
		sched.RunNow(name)
	}
	return nil
}

// startExporter creates the runner of e and starts it.
func (d *Daemon) startExporter(ctx context.Context, e *runningExporter) error {
	b := e.built
	r := exporters.NewRunner(exporters.RunnerConfig{
		Name: b.Config.Name, Exporter: b.Exporter, Filter: b.Config.Filter, Policy: b.Config.Retry,
		Concurrency: b.Config.Concurrency, MaxRPS: b.Config.MaxRPS, Supersede: b.Config.Supersede, Heartbeat: b.Config.Heartbeat,
		Stream: bus.StreamAlerts, Subjects: []string{bus.SubjectAlerts + ".>"}, Decoded: d.decoded,
		Checkpoints: d.checkpoints(),
	}, d.bus.ConsumerJetStream(b.Config.Name), d.bus, d.expMetrics, d.log.With("component", "exporter"))
	if err := r.Start(ctx); err != nil {
		return err
	}
	d.mu.Lock() // the status page may be reading e already
	e.runner = r
	d.mu.Unlock()
	return nil
}

// checkpoints is where exporters keep their positions: with the embedded
// server, whose consumers keep their state in memory (bus.Checkpoints); nil
// with an external one.
func (d *Daemon) checkpoints() exporters.Checkpointer {
	if c := d.bus.Checkpoints(); c != nil {
		return c
	}
	return nil
}

// restartExporters starts every exporter again after the embedded server
// restarted on a repaired store: their consumers, kept in memory, went with
// the old server, and each new one starts after its exporter's saved
// position. The connections reconnect by themselves, so a start is tried
// again until it succeeds or the daemon stops.
func (d *Daemon) restartExporters(ctx context.Context) {
	if d.checkpoints() == nil {
		return
	}
	d.mu.Lock()
	old := maps.Clone(d.exporters)
	d.mu.Unlock()
	stopCtx, cancel := context.WithTimeout(ctx, d.opts.ShutdownTimeout)
	defer cancel()
	var runners []*exporters.Runner
	for _, e := range old {
		runners = append(runners, e.runner)
	}
	stopRunners(stopCtx, runners)
	for name, e := range old {
		re := &runningExporter{built: e.built}
		for wait := 100 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
			err := d.startExporter(ctx, re)
			if err == nil {
				break
			}
			d.log.Warn("exporter not restarted after the bus restarted; trying again", "exporter", name, "err", err, "in", wait)
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
		d.mu.Lock()
		d.exporters[name] = re
		d.mu.Unlock()
	}
	d.log.Info("exporters restarted after the bus restarted", "exporters", len(old))
}

// stopRunners stops runners together, each letting its deliveries in
// flight end until ctx is done: one slow partner does not take the others'
// time.
func stopRunners(ctx context.Context, runners []*exporters.Runner) {
	var wg sync.WaitGroup
	for _, r := range runners {
		if r != nil {
			wg.Go(func() { r.Stop(ctx) })
		}
	}
	wg.Wait()
}

// stopAll stops every component; with drain, exporters let their
// deliveries in flight end until ShutdownTimeout, else they are cancelled
// at once (left unacknowledged on the bus for whoever acts next).
func (d *Daemon) stopAll(drain bool) {
	d.mu.Lock()
	sched, stopSweep, b := d.sched, d.stopSweep, d.bus
	var runners []*exporters.Runner
	for _, e := range d.exporters {
		if e.runner != nil {
			runners = append(runners, e.runner)
		}
	}
	d.mu.Unlock()
	if sched != nil {
		sched.Stop()
	}
	if stopSweep != nil {
		stopSweep()
	}
	// Deliveries in flight may end until ShutdownTimeout, or until the
	// lease is lost (another daemon may deliver them then).
	parent := context.Background()
	if d.lease.gone != nil {
		parent = d.lease.gone
	}
	ctx, cancel := context.WithTimeout(parent, d.opts.ShutdownTimeout)
	defer cancel()
	if !drain {
		cancel()
	}
	stopRunners(ctx, runners)
	d.stopLease() // after the last delivery, before the connection closes
	if b != nil {
		b.Close()
	}
	d.log.Info("hazardwire stopped")
}
