package collectors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"
)

// Sink receives what each collector run saw. The lifecycle engine is the sink
// in the daemon; err non-nil means the run failed or was partial.
type Sink interface {
	Handle(ctx context.Context, info Info, res Result, err error)
}

// Parser is the cron spec parser used for schedules: an optional seconds
// field, so "0 */5 * * * *", "*/5 * * * *" and "@every 30s" are all valid.
var Parser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule checks a schedule with the scheduler's own parser.
func ParseSchedule(spec string) (cron.Schedule, error) {
	s, err := Parser.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %w", spec, err)
	}
	return s, nil
}

// Scheduler runs collectors on their cron schedules, in UTC. Each run gets the
// daemon's context with a per-run timeout and a random start jitter; an
// overlap guard on the collector skips a run while the previous one is still
// going, and skips, errors and panics are counted.
type Scheduler struct {
	ctx     context.Context
	sink    Sink
	log     *slog.Logger
	metrics *Metrics
	cron    *cron.Cron
	now     func() time.Time

	mu      sync.Mutex
	jobs    map[string]*job
	running map[string]*atomic.Bool // overlap guard per collector name, kept across Remove and Add
	stopped bool
	wg      sync.WaitGroup // runs started outside cron (RunNow)
}

// NewScheduler returns a stopped scheduler whose runs use ctx (the daemon's).
func NewScheduler(ctx context.Context, sink Sink, log *slog.Logger, m *Metrics) *Scheduler {
	return &Scheduler{
		ctx:     ctx,
		sink:    sink,
		log:     log,
		metrics: m,
		cron:    cron.New(cron.WithParser(Parser), cron.WithLocation(time.UTC), cron.WithLogger(cronLogger{log: log})),
		now:     time.Now,
		jobs:    map[string]*job{},
		running: map[string]*atomic.Bool{},
	}
}

// Status is what the scheduler knows of one collector.
type Status struct {
	Info        Info
	Next        time.Time
	LastRun     time.Time
	LastSuccess time.Time
	LastItems   int
	LastError   string
	Running     bool
}

// job is one scheduled collector. Its overlap guard is not only in the cron
// chain but kept by the scheduler per collector name: an entry removed and
// added again on reload must not run beside its predecessor's in-flight run.
type job struct {
	s       *Scheduler
	info    Info
	c       Collector
	entry   cron.EntryID
	running *atomic.Bool // true while a run is in progress

	mu     sync.Mutex
	status Status
}

// Add schedules collector c. The name must be new.
func (s *Scheduler) Add(info Info, c Collector) error {
	sched, err := ParseSchedule(info.Schedule)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.jobs[info.Name]; dup {
		return fmt.Errorf("collector %q is already scheduled", info.Name)
	}
	guard := s.running[info.Name]
	if guard == nil {
		guard = new(atomic.Bool)
		s.running[info.Name] = guard
	}
	j := &job{s: s, info: info, c: c, running: guard, status: Status{Info: info}}
	l := cronLogger{log: s.log.With("collector", info.Name), onSkip: j.skipped}
	j.entry = s.cron.Schedule(sched, cron.NewChain(cron.SkipIfStillRunning(l), cron.Recover(l)).Then(j))
	s.jobs[info.Name] = j
	s.metrics.Init(info.Name)
	return nil
}

// Remove unschedules a collector. A run in progress finishes on its own; the
// scheduler's Stop still waits for it.
func (s *Scheduler) Remove(name string) {
	s.mu.Lock()
	j, ok := s.jobs[name]
	delete(s.jobs, name)
	s.mu.Unlock()
	if ok {
		s.cron.Remove(j.entry)
	}
}

// Start starts the cron loop.
func (s *Scheduler) Start() { s.cron.Start() }

// Stop stops scheduling and waits for every run in progress. RunNow does
// nothing after Stop.
func (s *Scheduler) Stop() {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	<-s.cron.Stop().Done()
	s.wg.Wait()
}

// RunNow runs a collector once, outside its schedule, through the same guard;
// it returns false when the collector is unknown, the scheduler is stopped, or
// a run is in progress (then the skip is counted like a skipped tick).
func (s *Scheduler) RunNow(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[name]
	if !ok || s.stopped {
		return false
	}
	if !j.running.CompareAndSwap(false, true) {
		j.skipped()
		return false
	}
	// Added under s.mu, which Stop takes before it waits: never concurrent
	// with the Wait.
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer j.running.Store(false)
		j.once(false)
	}()
	return true
}

// Statuses returns the status of every scheduled collector.
func (s *Scheduler) Statuses() []Status {
	s.mu.Lock()
	jobs := make([]*job, 0, len(s.jobs))
	for _, j := range s.jobs {
		jobs = append(jobs, j)
	}
	s.mu.Unlock()
	out := make([]Status, 0, len(jobs))
	for _, j := range jobs {
		j.mu.Lock()
		st := j.status
		j.mu.Unlock()
		st.Next = s.cron.Entry(j.entry).Next
		// Only read the guard: taking it, even briefly, would make a tick
		// that comes at that moment skip.
		st.Running = j.running.Load()
		out = append(out, st)
	}
	return out
}

// Run is called by cron.
func (j *job) Run() {
	if !j.running.CompareAndSwap(false, true) {
		j.skipped()
		return
	}
	defer j.running.Store(false)
	j.once(true)
}

func (j *job) skipped() {
	j.s.metrics.Runs.WithLabelValues(j.info.Name, RunSkipped).Inc()
	j.s.log.Warn("collector run skipped: previous run still in progress", "collector", j.info.Name)
}

// once performs one run: jitter, fetch with timeout, hand the result on.
func (j *job) once(jitter bool) {
	ctx := j.s.ctx
	if jitter && j.info.Jitter > 0 {
		t := time.NewTimer(rand.N(j.info.Jitter))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
	}
	if ctx.Err() != nil {
		return
	}
	timeout := j.info.Timeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	runCtx, cancel := context.WithTimeout(ctx, timeout)
	start := time.Now()
	res, err := j.collect(runCtx)
	cancel()
	elapsed := time.Since(start)
	j.record(res, err, elapsed)
	j.s.sink.Handle(ctx, j.info, res, err)
}

// collect calls the collector, turning a panic into an error.
func (j *job) collect(ctx context.Context) (res Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			j.s.log.Error("collector panicked", "collector", j.info.Name, "panic", r, "stack", string(debug.Stack()))
			res, err = Result{}, &panicError{v: r}
		}
	}()
	return j.c.Collect(ctx)
}

type panicError struct{ v any }

func (p *panicError) Error() string { return fmt.Sprintf("collector panicked: %v", p.v) }

func (j *job) record(res Result, err error, elapsed time.Duration) {
	m, name := j.s.metrics, j.info.Name
	m.FetchDuration.WithLabelValues(name).Observe(elapsed.Seconds())
	now := j.s.now()
	j.mu.Lock()
	defer j.mu.Unlock()
	j.status.LastRun = now
	j.status.LastItems = len(res.Items)
	log := j.s.log.With("collector", name, "kind", j.info.Kind, "items", len(res.Items), "fetched", res.Fetched,
		"duration", elapsed.Round(time.Millisecond), "not_modified", res.NotModified)
	if err != nil {
		reason := Reason(err)
		var pe *panicError
		if errors.As(err, &pe) {
			reason = "panic"
		} else if len(res.Items) > 0 {
			reason = "partial"
		}
		m.Runs.WithLabelValues(name, RunError).Inc()
		m.Errors.WithLabelValues(name, reason).Inc()
		j.status.LastError = err.Error()
		log.Warn("collector run failed", "reason", reason, "err", err)
		return
	}
	m.Runs.WithLabelValues(name, RunSuccess).Inc()
	m.LastSuccess.WithLabelValues(name).Set(float64(now.UnixNano()) / 1e9)
	m.Items.WithLabelValues(name).Set(float64(len(res.Items)))
	j.status.LastSuccess = now
	j.status.LastError = ""
	log.Info("collector run", "dropped", res.Dropped)
}

// cronLogger adapts slog to cron's logger, and reports the skips of
// SkipIfStillRunning, which cron only logs.
type cronLogger struct {
	log    *slog.Logger
	onSkip func()
}

func (l cronLogger) Info(msg string, kv ...any) {
	if msg == "skip" && l.onSkip != nil {
		l.onSkip()
		return
	}
	l.log.Debug("cron: "+msg, kv...)
}

func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "err", err)...)
}
