package collectors_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// collectFunc is a Collector made of a function.
type collectFunc func(ctx context.Context) (collectors.Result, error)

func (f collectFunc) Collect(ctx context.Context) (collectors.Result, error) { return f(ctx) }

// run is what the sink saw of one collector run.
type run struct {
	info collectors.Info
	res  collectors.Result
	err  error
	at   time.Time
}

// recordingSink hands every run to its channel.
type recordingSink struct {
	runs chan run
	// patience is how long next waits: seconds of real time, or hours of a
	// synctest bubble's fake time, which passes at once.
	patience time.Duration
}

func newSink() *recordingSink {
	return &recordingSink{runs: make(chan run, 100), patience: 10 * time.Second}
}

func (s *recordingSink) Handle(_ context.Context, info collectors.Info, res collectors.Result, err error) {
	s.runs <- run{info: info, res: res, err: err, at: time.Now()}
}

// next waits for the next run, failing the test after a while.
func (s *recordingSink) next(t *testing.T) run {
	t.Helper()
	select {
	case r := <-s.runs:
		return r
	case <-time.After(s.patience):
		t.Fatalf("no collector run reached the sink in %s", s.patience)
		return run{}
	}
}

type fixture struct {
	s    *collectors.Scheduler
	sink *recordingSink
	reg  *prometheus.Registry
	m    *collectors.Metrics
}

// newBubbleFixture is newFixture inside a synctest bubble.
func newBubbleFixture(ctx context.Context) *fixture {
	f := newFixture(ctx)
	f.sink.patience = 24 * time.Hour
	return f
}

func newFixture(ctx context.Context) *fixture {
	reg := prometheus.NewRegistry()
	m := collectors.NewMetrics(reg)
	sink := newSink()
	return &fixture{s: collectors.NewScheduler(ctx, sink, slog.New(slog.DiscardHandler), m), sink: sink, reg: reg, m: m}
}

func (f *fixture) add(t *testing.T, info collectors.Info, c collectors.Collector) {
	t.Helper()
	if err := f.s.Add(info, c); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) runs(name, result string) float64 {
	return testutil.ToFloat64(f.m.Runs.WithLabelValues(name, result))
}

func (f *fixture) errs(name, reason string) float64 {
	return testutil.ToFloat64(f.m.Errors.WithLabelValues(name, reason))
}

func (f *fixture) status(t *testing.T, name string) collectors.Status {
	t.Helper()
	for _, st := range f.s.Statuses() {
		if st.Info.Name == name {
			return st
		}
	}
	t.Fatalf("no status for %q", name)
	return collectors.Status{}
}

func items(n int) []collectors.Item {
	out := make([]collectors.Item, n)
	for i := range out {
		out[i] = collectors.Item{Alert: alert.Alert{Key: fmt.Sprintf("t:%d", i)}, Intent: collectors.IntentActive}
	}
	return out
}

// hourly never ticks during a test: runs come from RunNow.
const hourly = "0 0 * * * *"

func TestParseSchedule(t *testing.T) {
	from := time.Date(2024, 8, 1, 0, 1, 2, 0, time.UTC)
	for _, tc := range []struct {
		spec string
		next time.Time // first run after from
	}{
		{"@every 1s", from.Add(time.Second)},
		{"@every 30s", from.Add(30 * time.Second)},
		{"0 */5 * * * *", time.Date(2024, 8, 1, 0, 5, 0, 0, time.UTC)},
		{"*/5 * * * *", time.Date(2024, 8, 1, 0, 5, 0, 0, time.UTC)},
		{"30 */5 * * * *", time.Date(2024, 8, 1, 0, 5, 30, 0, time.UTC)},
		{"@hourly", time.Date(2024, 8, 1, 1, 0, 0, 0, time.UTC)},
		{"CRON_TZ=Asia/Seoul 0 9 * * *", time.Date(2024, 8, 2, 0, 0, 0, 0, time.UTC)},
	} {
		s, err := collectors.ParseSchedule(tc.spec)
		if err != nil {
			t.Errorf("%q: %v", tc.spec, err)
			continue
		}
		if got := s.Next(from); !got.Equal(tc.next) {
			t.Errorf("%q: next after %s = %s, want %s", tc.spec, from, got, tc.next)
		}
	}
	for _, spec := range []string{"", "* * * *", "0 0 */5 * * * *", "@often", "61 * * * *", "every 5m"} {
		_, err := collectors.ParseSchedule(spec)
		if err == nil {
			t.Errorf("%q: accepted", spec)
			continue
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("%q", spec)) {
			t.Errorf("%q: error %q does not quote the schedule", spec, err)
		}
	}
}

func TestSchedulerAddValidates(t *testing.T) {
	f := newFixture(t.Context())
	ok := collectFunc(func(context.Context) (collectors.Result, error) { return collectors.Result{}, nil })
	if err := f.s.Add(collectors.Info{Name: "a", Schedule: "* * * *"}, ok); err == nil {
		t.Fatal("bad schedule accepted")
	}
	f.add(t, collectors.Info{Name: "a", Schedule: hourly}, ok)
	if err := f.s.Add(collectors.Info{Name: "a", Schedule: hourly}, ok); err == nil || !strings.Contains(err.Error(), `"a"`) {
		t.Fatalf("duplicate name: %v", err)
	}
	if n := len(f.s.Statuses()); n != 1 {
		t.Fatalf("%d statuses, want 1", n)
	}
}

func TestSchedulerSuccess(t *testing.T) {
	f := newFixture(t.Context())
	info := collectors.Info{Name: "nws-or", Kind: "nws", Schedule: hourly, Timeout: 10 * time.Second}
	f.add(t, info, collectFunc(func(ctx context.Context) (collectors.Result, error) {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("run context has no deadline")
		}
		return collectors.Result{Items: items(3), Snapshot: true, Fetched: 5}, nil
	}))
	before := time.Now()
	if !f.s.RunNow("nws-or") {
		t.Fatal("RunNow refused")
	}
	r := f.sink.next(t)
	after := time.Now()
	f.s.Stop()
	if r.err != nil || len(r.res.Items) != 3 || r.info != info || !r.res.Snapshot || r.res.Fetched != 5 {
		t.Fatalf("sink saw %+v", r)
	}
	if got := f.runs("nws-or", collectors.RunSuccess); got != 1 {
		t.Errorf("runs{success} = %v", got)
	}
	last := testutil.ToFloat64(f.m.LastSuccess.WithLabelValues("nws-or"))
	if last < float64(before.Unix()) || last > float64(after.Unix())+1 {
		t.Errorf("last success timestamp %v, want between %d and %d", last, before.Unix(), after.Unix())
	}
	if got := testutil.ToFloat64(f.m.Items.WithLabelValues("nws-or")); got != 3 {
		t.Errorf("items = %v, want 3", got)
	}
	if got := histogramCount(t, f.reg, "hazardwire_collector_fetch_duration_seconds"); got != 1 {
		t.Errorf("fetch duration observations = %d, want 1", got)
	}
	st := f.status(t, "nws-or")
	if st.LastItems != 3 || st.LastError != "" || st.LastSuccess.IsZero() || st.LastRun.IsZero() || st.Running || st.Info != info {
		t.Errorf("status %+v", st)
	}
}

func histogramCount(t *testing.T, reg *prometheus.Registry, name string) uint64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				n += m.GetHistogram().GetSampleCount()
			}
		}
	}
	return n
}

func TestSchedulerErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		collect func(ctx context.Context) (collectors.Result, error)
		reason  string
	}{
		{"parse", func(context.Context) (collectors.Result, error) {
			return collectors.Result{}, errors.New("xml: unexpected EOF")
		}, "parse"},
		{"http status", func(context.Context) (collectors.Result, error) {
			return collectors.Result{}, fmt.Errorf("index: %w", &collectors.FetchError{Reason: "http_status", Status: 502})
		}, "http_status"},
		{"backoff", func(context.Context) (collectors.Result, error) {
			return collectors.Result{}, &collectors.FetchError{Reason: "backoff", RetryAfter: time.Second}
		}, "backoff"},
		{"partial", func(context.Context) (collectors.Result, error) {
			return collectors.Result{Items: items(2)}, fmt.Errorf("document 3: %w", &collectors.FetchError{Reason: "timeout"})
		}, "partial"},
		{"canceled", func(context.Context) (collectors.Result, error) {
			return collectors.Result{}, fmt.Errorf("fetch: %w", context.Canceled)
		}, "canceled"},
		{"panic", func(context.Context) (collectors.Result, error) {
			var m map[string]int
			m["boom"]++ // a real runtime panic
			return collectors.Result{}, nil
		}, "panic"},
		{"panic with a value", func(context.Context) (collectors.Result, error) {
			panic(fmt.Sprintf("bad item %d", 7))
		}, "panic"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t.Context())
			f.add(t, collectors.Info{Name: "c", Schedule: hourly}, collectFunc(tc.collect))
			if !f.s.RunNow("c") {
				t.Fatal("RunNow refused")
			}
			r := f.sink.next(t)
			f.s.Stop()
			if r.err == nil {
				t.Fatal("the sink saw no error")
			}
			if got := f.runs("c", collectors.RunError); got != 1 {
				t.Errorf("runs{error} = %v", got)
			}
			if got := f.runs("c", collectors.RunSuccess); got != 0 {
				t.Errorf("runs{success} = %v", got)
			}
			if got := f.errs("c", tc.reason); got != 1 {
				t.Errorf("errors{%s} = %v", tc.reason, got)
			}
			if got := testutil.CollectAndCount(f.m.Errors); got != 9 {
				t.Errorf("%d error series: a reason outside the initialized set was used", got)
			}
			if got := testutil.ToFloat64(f.m.LastSuccess.WithLabelValues("c")); got != 0 {
				t.Errorf("last success set by a failed run: %v", got)
			}
			st := f.status(t, "c")
			if st.LastError == "" || !st.LastSuccess.IsZero() || st.LastRun.IsZero() {
				t.Errorf("status %+v", st)
			}
			if tc.reason == "panic" && !strings.Contains(r.err.Error(), "panicked") {
				t.Errorf("panic error %q", r.err)
			}
		})
	}
}

func TestSchedulerPanicKeepsRunning(t *testing.T) {
	// Cron drives the runs here: a panic must neither kill the process nor
	// leave the job skipped forever (robfig/cron v3.0.1 chain-order bug).
	synctest.Test(t, func(t *testing.T) {
		f := newBubbleFixture(t.Context())
		var calls atomic.Int64
		f.add(t, collectors.Info{Name: "p", Schedule: "@every 1s"}, collectFunc(func(context.Context) (collectors.Result, error) {
			if calls.Add(1) <= 2 {
				panic("parser bug")
			}
			return collectors.Result{Items: items(1)}, nil
		}))
		f.s.Start()
		for i := range 4 {
			r := f.sink.next(t)
			if (r.err != nil) != (i < 2) {
				t.Fatalf("run %d: err %v", i+1, r.err)
			}
		}
		f.s.Stop()
		if got := f.errs("p", "panic"); got != 2 {
			t.Errorf("errors{panic} = %v, want 2", got)
		}
		if got := f.runs("p", collectors.RunSuccess); got != 2 {
			t.Errorf("runs{success} = %v, want 2", got)
		}
		if got := f.runs("p", collectors.RunSkipped); got != 0 {
			t.Errorf("runs{skipped} = %v, want 0", got)
		}
	})
}

func TestSchedulerOverlapRunNow(t *testing.T) {
	f := newFixture(t.Context())
	started, release := make(chan struct{}, 1), make(chan struct{})
	f.add(t, collectors.Info{Name: "slow", Schedule: hourly}, collectFunc(func(context.Context) (collectors.Result, error) {
		started <- struct{}{}
		<-release
		return collectors.Result{}, nil
	}))
	if !f.s.RunNow("slow") {
		t.Fatal("first RunNow refused")
	}
	<-started
	if !f.status(t, "slow").Running {
		t.Error("status does not say running")
	}
	if f.s.RunNow("slow") {
		t.Fatal("second RunNow started while the first was running")
	}
	if got := f.runs("slow", collectors.RunSkipped); got != 1 {
		t.Errorf("runs{skipped} = %v, want 1", got)
	}
	close(release)
	f.sink.next(t)
	f.s.Stop()
	if f.status(t, "slow").Running {
		t.Error("status says running after Stop")
	}
	if got := f.runs("slow", collectors.RunSuccess); got != 1 {
		t.Errorf("runs{success} = %v, want 1", got)
	}
}

func TestSchedulerOverlapCronTick(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newBubbleFixture(t.Context())
		start := time.Now()
		started, release := make(chan time.Time, 10), make(chan struct{})
		f.add(t, collectors.Info{Name: "slow", Schedule: "@every 1s", Timeout: time.Hour}, collectFunc(func(context.Context) (collectors.Result, error) {
			started <- time.Now()
			<-release
			return collectors.Result{}, nil
		}))
		f.s.Start()
		if at := <-started; at.Sub(start) != time.Second {
			t.Fatalf("first tick after %s, want 1s", at.Sub(start))
		}
		// Ticks at 2s, 3s and 4s come while the first run holds.
		time.Sleep(3*time.Second + 500*time.Millisecond)
		synctest.Wait()
		if got := f.runs("slow", collectors.RunSkipped); got != 3 {
			t.Errorf("runs{skipped} = %v after 3 ticks during a run, want 3", got)
		}
		// RunNow meets the same guard.
		if f.s.RunNow("slow") {
			t.Error("RunNow started beside a cron run")
		}
		if got := f.runs("slow", collectors.RunSkipped); got != 4 {
			t.Errorf("runs{skipped} = %v, want 4", got)
		}
		select {
		case <-started:
			t.Fatal("a second run started beside the first")
		default:
		}
		close(release)
		f.sink.next(t)
		// The next tick (5s) runs again.
		if at := <-started; at.Sub(start) != 5*time.Second {
			t.Errorf("next run after %s, want 5s", at.Sub(start))
		}
		f.s.Stop()
		if got := f.runs("slow", collectors.RunSuccess); got != 2 {
			t.Errorf("runs{success} = %v, want 2", got)
		}
	})
}

func TestSchedulerRunTimeout(t *testing.T) {
	for _, tc := range []struct {
		timeout, want time.Duration
	}{
		{5 * time.Second, 5 * time.Second},
		{0, time.Minute}, // the default
	} {
		t.Run(tc.want.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newBubbleFixture(t.Context())
				f.add(t, collectors.Info{Name: "stuck", Schedule: hourly, Timeout: tc.timeout}, collectFunc(func(ctx context.Context) (collectors.Result, error) {
					<-ctx.Done()
					return collectors.Result{}, fmt.Errorf("fetch: %w", ctx.Err())
				}))
				start := time.Now()
				f.s.RunNow("stuck")
				r := f.sink.next(t)
				if d := r.at.Sub(start); d != tc.want {
					t.Errorf("run cancelled after %s, want %s", d, tc.want)
				}
				if !errors.Is(r.err, context.DeadlineExceeded) {
					t.Errorf("err %v, want the deadline", r.err)
				}
				f.s.Stop()
				if got := f.errs("stuck", "timeout"); got != 1 {
					t.Errorf("errors{timeout} = %v", got)
				}
			})
		})
	}
}

func TestSchedulerStopWaitsForRun(t *testing.T) {
	for _, byCron := range []bool{false, true} {
		t.Run(fmt.Sprintf("cron=%v", byCron), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newBubbleFixture(t.Context())
				started, release := make(chan struct{}, 1), make(chan struct{})
				var finished atomic.Bool
				f.add(t, collectors.Info{Name: "slow", Schedule: "@every 1s", Timeout: time.Hour}, collectFunc(func(context.Context) (collectors.Result, error) {
					started <- struct{}{}
					<-release
					finished.Store(true)
					return collectors.Result{}, nil
				}))
				if byCron {
					f.s.Start()
				} else {
					f.s.RunNow("slow")
				}
				<-started
				stopped := make(chan struct{})
				go func() { f.s.Stop(); close(stopped) }()
				synctest.Wait()
				select {
				case <-stopped:
					t.Fatal("Stop returned while a run was in progress")
				default:
				}
				close(release)
				<-stopped
				if !finished.Load() {
					t.Fatal("Stop returned before the run finished")
				}
				if len(f.sink.runs) != 1 {
					t.Fatalf("%d runs reached the sink, want 1", len(f.sink.runs))
				}
			})
		})
	}
}

func TestSchedulerRunNowUnknownOrStopped(t *testing.T) {
	f := newFixture(t.Context())
	var calls atomic.Int64
	f.add(t, collectors.Info{Name: "a", Schedule: hourly}, collectFunc(func(context.Context) (collectors.Result, error) {
		calls.Add(1)
		return collectors.Result{}, nil
	}))
	if f.s.RunNow("nope") {
		t.Error("RunNow of an unknown collector")
	}
	f.s.Remove("a")
	if f.s.RunNow("a") {
		t.Error("RunNow of a removed collector")
	}
	f.add(t, collectors.Info{Name: "a", Schedule: hourly}, collectFunc(func(context.Context) (collectors.Result, error) {
		calls.Add(1)
		return collectors.Result{}, nil
	}))
	f.s.Stop()
	if f.s.RunNow("a") {
		t.Error("RunNow after Stop")
	}
	if calls.Load() != 0 || f.runs("a", collectors.RunSkipped) != 0 {
		t.Errorf("%d calls, %v skips", calls.Load(), f.runs("a", collectors.RunSkipped))
	}
}

func TestSchedulerReAddKeepsOverlapGuard(t *testing.T) {
	// On reload a changed collector is removed and added again under its name;
	// the new one must not run beside the old one's run in progress.
	f := newFixture(t.Context())
	started, release := make(chan struct{}, 1), make(chan struct{})
	f.add(t, collectors.Info{Name: "c", Schedule: hourly}, collectFunc(func(context.Context) (collectors.Result, error) {
		started <- struct{}{}
		<-release
		return collectors.Result{}, nil
	}))
	f.s.RunNow("c")
	<-started
	f.s.Remove("c")
	var newCalls atomic.Int64
	f.add(t, collectors.Info{Name: "c", Schedule: hourly}, collectFunc(func(context.Context) (collectors.Result, error) {
		newCalls.Add(1)
		return collectors.Result{}, nil
	}))
	if f.s.RunNow("c") {
		t.Error("the re-added collector started beside its predecessor's run")
	}
	if got := f.runs("c", collectors.RunSkipped); got != 1 {
		t.Errorf("runs{skipped} = %v, want 1", got)
	}
	close(release)
	f.sink.next(t)
	waitIdle(t, f.s, "c")
	if !f.s.RunNow("c") {
		t.Fatal("RunNow refused after the old run ended")
	}
	f.sink.next(t)
	f.s.Stop()
	if newCalls.Load() != 1 {
		t.Errorf("new collector ran %d times, want 1", newCalls.Load())
	}
}

// waitIdle waits until the collector's run has released its guard (the sink
// sees a run just before that).
func waitIdle(t *testing.T, s *collectors.Scheduler, name string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		idle := true
		for _, st := range s.Statuses() {
			if st.Info.Name == name && st.Running {
				idle = false
			}
		}
		if idle {
			return
		}
		runtime.Gosched()
	}
	t.Fatalf("%q still running", name)
}

func TestSchedulerStatusesDoNotCauseSkips(t *testing.T) {
	// Reading the status must not take the overlap guard, or a tick or RunNow
	// that comes at that moment is skipped.
	f := newFixture(t.Context())
	f.add(t, collectors.Info{Name: "c", Schedule: hourly}, collectFunc(func(context.Context) (collectors.Result, error) {
		return collectors.Result{}, nil
	}))
	done := make(chan struct{})
	var readers sync.WaitGroup
	for range max(2, runtime.GOMAXPROCS(0)-1) {
		readers.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
					f.s.Statuses()
				}
			}
		})
	}
	for i := range 2000 {
		if !f.s.RunNow("c") {
			t.Fatalf("RunNow %d refused with no run in progress", i)
		}
		f.sink.next(t)
		waitIdle(t, f.s, "c")
	}
	close(done)
	readers.Wait()
	f.s.Stop()
	if got := f.runs("c", collectors.RunSkipped); got != 0 {
		t.Errorf("runs{skipped} = %v, want 0", got)
	}
}

func TestSchedulerCronScheduleInUTC(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// The bubble's clock starts at 2000-01-01 00:00:00 UTC.
		f := newBubbleFixture(t.Context())
		ok := collectFunc(func(context.Context) (collectors.Result, error) { return collectors.Result{}, nil })
		f.add(t, collectors.Info{Name: "six", Schedule: "0 */5 * * * *"}, ok)
		f.add(t, collectors.Info{Name: "five", Schedule: "*/5 * * * *"}, ok)
		f.s.Start()
		synctest.Wait()
		want := time.Date(2000, 1, 1, 0, 5, 0, 0, time.UTC)
		for _, name := range []string{"six", "five"} {
			if next := f.status(t, name).Next; !next.Equal(want) {
				t.Errorf("%s: next run %s, want %s", name, next, want)
			}
		}
		time.Sleep(5 * time.Minute)
		for range 2 {
			if r := f.sink.next(t); !r.at.Equal(want) {
				t.Errorf("%s ran at %s, want %s", r.info.Name, r.at, want)
			}
		}
		f.s.Stop()
	})
}

func TestSchedulerJitter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newBubbleFixture(t.Context())
		start := time.Now()
		f.add(t, collectors.Info{Name: "j", Schedule: "@every 1m", Jitter: 30 * time.Second}, collectFunc(func(context.Context) (collectors.Result, error) {
			return collectors.Result{}, nil
		}))
		f.s.Start()
		for i := 1; i <= 3; i++ {
			d := f.sink.next(t).at.Sub(start)
			lo := time.Duration(i) * time.Minute
			if d < lo || d >= lo+30*time.Second {
				t.Errorf("run %d after %s, want in [%s, %s)", i, d, lo, lo+30*time.Second)
			}
		}
		f.s.Stop()
	})
}

func TestSchedulerDaemonContextCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		ctx, cancel := context.WithCancel(t.Context())
		f := newBubbleFixture(ctx)
		var calls atomic.Int64
		f.add(t, collectors.Info{Name: "j", Schedule: "@every 1m", Jitter: time.Hour}, collectFunc(func(context.Context) (collectors.Result, error) {
			calls.Add(1)
			return collectors.Result{}, nil
		}))
		f.s.Start()
		time.Sleep(time.Minute + time.Second) // the tick came; the run waits out its jitter
		cancel()
		stopped := make(chan struct{})
		go func() { f.s.Stop(); close(stopped) }()
		<-stopped
		if d := time.Since(start); d != time.Minute+time.Second {
			t.Errorf("Stop returned after %s: it waited for the jitter", d)
		}
		if calls.Load() != 0 || len(f.sink.runs) != 0 {
			t.Errorf("collector called %d times after the daemon stopped", calls.Load())
		}
	})
}

func TestSchedulerStopsItsGoroutines(t *testing.T) {
	// goleak is not a dependency of the module; count goroutines instead.
	before := runtime.NumGoroutine()
	f := newFixture(t.Context())
	f.add(t, collectors.Info{Name: "a", Schedule: "@every 1s"}, collectFunc(func(context.Context) (collectors.Result, error) {
		return collectors.Result{}, nil
	}))
	f.s.Start()
	f.s.RunNow("a")
	f.sink.next(t)
	f.s.Stop()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines before, %d after Stop:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		runtime.Gosched()
	}
}
