package lifecycle

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/bus"
	"github.com/hazardwire/hazardwire/collectors"
)

// Publisher publishes changes of different keys on the bus and returns once
// the bus has stored them, with each one's stream sequence or error.
type Publisher interface {
	PublishAll(ctx context.Context, cs []bus.Encoded) ([]bus.Stored, []error)
	// AlertAt reads the change stored at a stream sequence.
	AlertAt(ctx context.Context, seq uint64) (*alert.Alert, error)
}

// Store keeps records across restarts, as opaque values.
type Store interface {
	// PutAll stores the entries; it keeps no reference to the Value of an
	// entry it stored (nil error): the engine reuses those buffers.
	PutAll(ctx context.Context, entries []bus.StateEntry) []error
	Get(ctx context.Context, source, key string) ([]byte, error)
	All(ctx context.Context) ([][]byte, error)
}

// Metrics are the lifecycle's metrics.
type Metrics struct {
	Changes       *prometheus.CounterVec
	Active        *prometheus.GaugeVec
	Dropped       *prometheus.CounterVec
	PublishErrors *prometheus.CounterVec
	SuspectPolls  *prometheus.CounterVec
	Restored      *prometheus.CounterVec
}

// NewMetrics registers the lifecycle metrics on reg, with every hazard and
// severity of the active gauge at zero.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	m := &Metrics{
		Changes: f.NewCounterVec(prometheus.CounterOpts{
			Name: "hazardwire_alerts_changes_total",
			Help: "Lifecycle changes published on the bus, by source, hazard and change (new, update, cancel, expire).",
		}, []string{"source", "hazard", "change"}),
		Active: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: "hazardwire_alerts_active",
			Help: "Alerts in force now, by hazard and severity.",
		}, []string{"hazard", "severity"}),
		Dropped: f.NewCounterVec(prometheus.CounterOpts{
			Name: "hazardwire_alerts_dropped_total",
			Help: "Feed items not turned into alerts, by source and reason: unmapped (neither flood nor heat), invalid (could not be read or failed validation).",
		}, []string{"source", "reason"}),
		PublishErrors: f.NewCounterVec(prometheus.CounterOpts{
			Name: "hazardwire_lifecycle_errors_total",
			Help: "Lifecycle changes that could not be published or recorded, by source and stage (publish, store, load: a record not read back from the store); they are retried on the next poll or sweep.",
		}, []string{"source", "stage"}),
		SuspectPolls: f.NewCounterVec(prometheus.CounterOpts{
			Name: "hazardwire_lifecycle_suspect_polls_total",
			Help: "Successful snapshot polls that lacked most of a source's alerts in force and were taken for a feed glitch: nothing was expired.",
		}, []string{"source"}),
		Restored: f.NewCounterVec(prometheus.CounterOpts{
			Name: "hazardwire_lifecycle_restored_total",
			Help: "What a start repaired, by source and what: change (a change the alert stream lost with the store's last writes, a power loss or a crash of the machine, published again from its record), record (a change on the stream without its record, because the daemon stopped between publishing and recording it or the store lost the record, recorded from the stream).",
		}, []string{"source", "what"}),
	}
	for _, h := range alert.Hazards {
		for _, s := range alert.Severities {
			m.Active.WithLabelValues(string(h), string(s))
		}
	}
	return m
}

// Init sets every series of a source to zero.
func (m *Metrics) Init(source string) {
	for _, h := range alert.Hazards {
		for _, c := range alert.Changes {
			m.Changes.WithLabelValues(source, string(h), string(c))
		}
	}
	for _, r := range []string{collectors.DropUnmapped, collectors.DropInvalid} {
		m.Dropped.WithLabelValues(source, r)
	}
	for _, s := range []string{"publish", "store", "load"} {
		m.PublishErrors.WithLabelValues(source, s)
	}
	m.SuspectPolls.WithLabelValues(source)
	m.Restored.WithLabelValues(source, "change")
	m.Restored.WithLabelValues(source, "record")
}

// Engine applies lifecycle decisions: it is the scheduler's sink, and it
// sweeps for alerts whose end has passed.
type Engine struct {
	pub     Publisher
	store   Store
	log     *slog.Logger
	metrics *Metrics
	now     func() time.Time

	mu      sync.Mutex       // serializes decisions, so each key's versions follow one another
	recs    map[string]*slim // by key; the whole records are in the store
	suspect map[string]int   // glitch-like snapshot polls in a row, per source
	// failed is set when the bus failed during the current Handle or Sweep:
	// its remaining changes are left for the next one (see apply).
	failed bool
	left   int // changes left so during the current Handle or Sweep
	// restoring is set during Restore, whose failed changes are tried again
	// at the next start, not the next poll.
	restoring bool

	// onPublish, when set, is handed every change about to be published.
	onPublish func(c bus.Encoded)

	// batch holds the pass's decisions not yet flushed, at most one per key
	// (queuedKeys), so that each is taken on its key's recorded state.
	batch      []queued
	queuedKeys map[string]bool
	// publishing and recording are the batches in flight (see pending),
	// nil between passes; inflightKeys holds their keys.
	publishing   *pending
	recording    *pending
	inflightKeys map[string]bool
	// unrecorded holds, by key, the last version the stream took whose
	// record the store refused: Version answers it until a record lands.
	unrecorded map[string]int
}

// NewEngine returns an engine; call Load before the first Handle.
func NewEngine(pub Publisher, store Store, log *slog.Logger, m *Metrics, now func() time.Time) *Engine {
	if now == nil {
		now = time.Now
	}
	return &Engine{pub: pub, store: store, log: log, metrics: m, now: now, recs: map[string]*slim{}, suspect: map[string]int{},
		queuedKeys: map[string]bool{}, inflightKeys: map[string]bool{}, unrecorded: map[string]int{}}
}

// OnPublish sets fn to be handed every change, encoded, just before it is
// published (the exporters' shared cache of decoded changes, so that they
// need not decode it). fn must not change it. Call before the first Handle.
func (e *Engine) OnPublish(fn func(c bus.Encoded)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.onPublish = fn
}

// Load reads every record from the store.
func (e *Engine) Load(ctx context.Context) error {
	values, err := e.store.All(ctx)
	if err != nil {
		return fmt.Errorf("load lifecycle state: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, v := range values {
		r := new(Record)
		if err := json.Unmarshal(v, r); err != nil {
			return fmt.Errorf("load lifecycle state: %w", err)
		}
		e.recs[r.Key] = slimOf(r)
	}
	e.updateActive()
	e.log.Info("lifecycle state loaded", "keys", len(values))
	return nil
}

// Handle takes one collector run's result. Items are decided in order of
// their sent time; a snapshot that succeeded also lets vanished keys count
// towards their grace. A failed or partial run ends nothing.
func (e *Engine) Handle(ctx context.Context, info collectors.Info, res collectors.Result, runErr error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	defer e.endPass(info.Name)
	for reason, n := range res.Dropped {
		e.metrics.Dropped.WithLabelValues(info.Name, reason).Add(float64(n))
	}
	now := e.now()
	seen := make(map[string]bool, len(res.Items)+len(res.Unreadable))
	// Alerts still served in force that could not be read (their collector
	// names them, or they fail Validate here) keep their last good state:
	// seen, but decided by nothing else of this poll.
	unreadable := map[string]bool{}
	for _, key := range res.Unreadable {
		unreadable[key] = true
	}
	// Every item is validated before any is decided, so that an alert in
	// force that fails holds a cancel of its key whatever their order.
	invalid := map[int]bool{}
	for i := range res.Items {
		it := &res.Items[i]
		if err := it.Alert.Validate(); err != nil {
			invalid[i] = true
			e.metrics.Dropped.WithLabelValues(info.Name, collectors.DropInvalid).Inc()
			e.log.Warn("invalid item dropped", "collector", info.Name, "key", it.Alert.Key, "err", err)
			if it.Intent == collectors.IntentActive && it.Alert.Key != "" {
				unreadable[it.Alert.Key] = true // a cancel or expiry unread ends nothing, nor keeps it
			}
		}
	}
	for _, i := range bySent(res.Items) {
		it := res.Items[i]
		if invalid[i] {
			continue
		}
		if it.Intent != collectors.IntentActive && unreadable[it.Alert.Key] {
			// The same poll serves the alert in force in a part that could
			// not be read (a segment, a language): ending it could be a
			// false all-clear. Its last good state stands.
			e.log.Warn("cancel or expiry held: the feed also serves the alert in force, unreadably", "collector", info.Name, "key", it.Alert.Key)
			continue
		}
		seen[it.Alert.Key] = true
		// A second item of a key is decided on the first one's outcome.
		switch {
		case e.queuedKeys[it.Alert.Key]:
			e.flush(ctx)
		case e.inflightKeys[it.Alert.Key]:
			e.settle(ctx)
		}
		e.apply(ctx, info.Name, Decide(e.recs[it.Alert.Key].record(it.Alert.Key), it, now))
	}
	e.flush(ctx)
	if !e.failed {
		// Served, though unreadable, also in a partial run: as a readable
		// item of one does, it breaks a row of misses.
		e.keepUnreadable(ctx, info, unreadable, seen)
	}
	if runErr == nil && res.Snapshot && !e.failed {
		e.vanish(ctx, info, seen, now)
	}
	e.updateActive()
}

// keepUnreadable takes the keys of a run (successful or partial) that the
// feed still serves but that could not be read, and that no readable item
// of the poll decided, as seen: an active one missing before starts its
// count of misses again (Unreadable).
func (e *Engine) keepUnreadable(ctx context.Context, info collectors.Info, unreadable, seen map[string]bool) {
	for _, key := range slices.Sorted(maps.Keys(unreadable)) {
		if seen[key] {
			continue // decided from a readable item of the same key
		}
		seen[key] = true
		r := e.recs[key]
		if r == nil || r.source != info.Name || !r.active || r.missing == 0 {
			continue
		}
		full, err := e.full(ctx, key)
		if err != nil {
			e.loadFailed(info.Name, key, err)
			continue
		}
		e.apply(ctx, info.Name, Unreadable(*full))
	}
	e.flush(ctx)
}

// bySent returns the indexes of items in order of their sent time, the
// order of the items among equals. An Item holds a whole alert: copying the
// items to sort them was 2% of the CPU of a large poll, for a feed that is
// most often in order already.
func bySent(items []collectors.Item) []int {
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	cmp := func(a, b int) int { return items[a].Alert.Sent.Compare(items[b].Alert.Sent) }
	if !slices.IsSortedFunc(order, cmp) {
		slices.SortStableFunc(order, cmp)
	}
	return order
}

// vanish counts a miss for every active key of the source that a successful
// snapshot lacked, unless the poll looks like a feed glitch.
func (e *Engine) vanish(ctx context.Context, info collectors.Info, seen map[string]bool, now time.Time) {
	var active, missing []string
	for _, key := range e.sortedKeys() {
		if r := e.recs[key]; r.source == info.Name && r.active {
			active = append(active, key)
			if !seen[key] {
				missing = append(missing, key)
			}
		}
	}
	if SuspectPoll(len(active), len(missing)) {
		e.suspect[info.Name]++
		if e.suspect[info.Name] < SuspectLimit {
			e.metrics.SuspectPolls.WithLabelValues(info.Name).Inc()
			e.log.Warn("snapshot lacks most of the alerts in force: counting it as a feed glitch, nothing expires",
				"collector", info.Name, "active", len(active), "missing", len(missing), "in_a_row", e.suspect[info.Name])
			return
		}
		// The feed has stayed that way too long to be a glitch: believe it.
	} else {
		e.suspect[info.Name] = 0
	}
	for _, key := range missing {
		r, err := e.full(ctx, key)
		if err != nil {
			e.loadFailed(info.Name, key, err)
			continue
		}
		e.apply(ctx, info.Name, Vanished(*r, info.Grace, now))
	}
	e.flush(ctx)
}

// SuspectLimit is how many glitch-like snapshot polls in a row are ignored
// before the feed is believed.
const SuspectLimit = 10

// SuspectPoll reports whether a successful snapshot that lacks missing of a
// source's active alerts looks like a feed glitch rather than the end of
// those alerts: it lacks more than half of them, and there are at least
// three. Warnings end one by one; a feed that drops most of them at once is
// more likely broken.
func SuspectPoll(active, missing int) bool {
	return active >= 3 && missing*2 > active
}

// Sweep expires every active alert whose end has passed.
func (e *Engine) Sweep(ctx context.Context) {
	e.mu.Lock()
	defer e.mu.Unlock()
	defer e.endPass("sweeper")
	now := e.now()
	for _, key := range e.sortedKeys() {
		if s := e.recs[key]; s.endPassed(now) {
			r, err := e.full(ctx, key)
			if err != nil {
				e.loadFailed(s.source, key, err)
				continue
			}
			e.apply(ctx, s.source, Sweep(*r, now))
		}
	}
	e.flush(ctx)
	e.updateActive()
}

// LastNamed is the highest stream sequence a record names as its key's last
// change.
func (e *Engine) LastNamed() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	var named uint64
	for _, s := range e.recs {
		if n := len(s.seqs); n > 0 {
			named = max(named, s.seqs[n-1])
		}
	}
	return named
}

// adoptBack is how far before the last change any record names Adopt
// reads the stream: a batch's records are written after its changes, with
// up to three batches in flight (flush.go), so a record the bucket lost can
// be of a change a little before the last one a surviving record names.
const adoptBack = 4 * MaxBatch

// adoptMost bounds how many of the stream's last messages Adopt reads, so
// that a stream far ahead of every record (the bucket emptied, messages
// published by another tool) does not make each start read it all. The
// records a power loss takes are those of the changes since the store's
// last sync (bus.sync_interval); beyond this many, a change whose record was
// lost is still adopted when the next poll publishes its id again within
// the duplicate window.
const adoptMost = 1 << 14

// Adopt makes the records agree with the alert stream's last changes: a
// change on the stream newer than its key's record, or of a key with no
// record, becomes the key's record. The daemon can stop between publishing
// a change and recording it, and the state bucket can lose its last writes
// with the machine while the stream keeps their changes (bus.Tail); the
// next poll would then decide those changes again, and once the stream's
// duplicate window has passed it would publish their ids again, with the
// feed's content of that day under an id partners already hold.
// end is the stream's last message (bus.Tail.End); each calls fn with the
// stream's messages from a sequence to its end (bus.EachFrom). Adopt reads
// from a little before the last change any record names, and at most the
// stream's last adoptMost messages. Call it after Load, before Restore. It
// returns how many records it wrote, and an error if some could not be.
func (e *Engine) Adopt(ctx context.Context, end uint64, each func(ctx context.Context, from uint64, fn func(seq uint64, id string, at time.Time, body []byte) error) error) (int, error) {
	named := min(e.LastNamed(), end) // records of a stream deleted and made again name its old sequences
	e.mu.Lock()
	defer e.mu.Unlock()
	from := uint64(1)
	if named > adoptBack {
		from = named - adoptBack
	}
	if end > adoptMost {
		from = max(from, end-adoptMost)
	}
	if from > end {
		return 0, nil
	}
	type found struct {
		seq     uint64
		version int
		at      time.Time
		body    []byte
	}
	newest := map[string]found{}
	err := each(ctx, from, func(seq uint64, id string, at time.Time, body []byte) error {
		key, version, ok := alert.SplitID(id)
		if !ok {
			return nil // not a change of ours
		}
		if s := e.recs[key]; s != nil && int(s.version) >= version {
			return nil
		}
		if f, ok := newest[key]; ok && f.version >= version {
			return nil
		}
		newest[key] = found{seq, version, at, slices.Clone(body)}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("compare the records with the alert stream: %w", err)
	}
	var entries []bus.StateEntry
	var recs []*Record
	for _, key := range slices.Sorted(maps.Keys(newest)) {
		f := newest[key]
		var a alert.Alert
		if err := json.Unmarshal(f.body, &a); err != nil || a.Key != key || a.Version != f.version {
			e.log.Warn("a message on the alert stream is not the change its id names; not taken as a record", "seq", f.seq, "key", key, "err", err)
			continue
		}
		r := &Record{Key: key, Source: a.Source}
		if s := e.recs[key]; s != nil {
			r.Seqs = slices.DeleteFunc(slices.Clone(s.seqs), func(q uint64) bool { return q >= f.seq })
		}
		r.Seqs = append(r.Seqs, f.seq)
		r.Seqs = r.Seqs[max(0, len(r.Seqs)-maxSeqs):]
		recordAs(r, &a)
		r.Published = f.at.Unix()
		value, err := storedRecord(nil, r, f.body)
		if err != nil {
			return 0, fmt.Errorf("record %s again: %w", a.ID, err)
		}
		entries = append(entries, bus.StateEntry{Source: r.Source, Key: key, Value: value})
		recs = append(recs, r)
	}
	if len(entries) == 0 {
		return 0, nil
	}
	adopted := 0
	for i, err := range e.store.PutAll(ctx, entries) {
		if err != nil {
			e.metrics.PublishErrors.WithLabelValues(recs[i].Source, "store").Inc()
			continue
		}
		e.recs[recs[i].Key] = slimOf(recs[i])
		e.metrics.Restored.WithLabelValues(recs[i].Source, "record").Inc()
		adopted++
	}
	e.updateActive()
	if adopted > 0 {
		e.log.Warn("changes on the alert stream without their record recorded from the stream (the daemon stopped between publishing and recording them, or the store lost its last writes)", "records", adopted)
	}
	if adopted < len(entries) {
		return adopted, fmt.Errorf("%d of %d records the state bucket lost could not be written again", len(entries)-adopted, len(entries))
	}
	return adopted, nil
}

// Restore publishes again, from their records, the last changes of keys
// that the alert stream lost (tail, the stream's end read before anything
// published): past the last message still there, or, when the stream holds
// nothing at all, published within its age limit. The record keeps the
// whole last change, so it goes out again under its id, and the exporters
// deliver it; versions before it that were lost too are not sent again (a
// partner takes the last). A change published longer ago than the stream's
// age limit is not sent again: it aged out (after the stream was deleted and
// made again, or purged, only the changes of its age window go out). Call
// it after Adopt, before any Handle or Sweep. It returns how many changes
// it published again, and an error if the bus failed for some: the
// daemon's start fails then, and the next start, before which nothing is
// published, tries them again.
func (e *Engine) Restore(ctx context.Context, tail bus.Tail) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	defer e.endPass("restore")
	e.restoring = true
	now := e.now().Unix()
	before := map[string]*slim{}
	for _, key := range e.sortedKeys() {
		s := e.recs[key]
		n := len(s.seqs)
		if n == 0 {
			continue
		}
		known := s.published != 0 // records older than the field do not say
		if known && tail.MaxAge > 0 && now-s.published > int64(tail.MaxAge/time.Second) {
			continue // aged out, not lost
		}
		if tail.Lost(s.seqs[n-1]) || (tail.Msgs == 0 && known) {
			before[key] = s
		}
	}
	if len(before) == 0 {
		return 0, nil
	}
	for _, key := range slices.Sorted(maps.Keys(before)) {
		r, err := e.full(ctx, key)
		if err == nil && r.Alert.ID == "" {
			err = fmt.Errorf("record of %q holds no change", key)
		}
		if err != nil {
			e.metrics.PublishErrors.WithLabelValues(before[key].source, "load").Inc()
			e.log.Error("a change the alert stream lost cannot be published again: its record cannot be read", "key", key, "err", err)
			continue
		}
		r.Seqs = slices.DeleteFunc(r.Seqs, tail.Lost) // they name other changes from now on
		a := r.Alert
		e.apply(ctx, r.Source, Decision{Publish: &a, Record: r, Why: "lost from the stream: published again"})
	}
	e.flush(ctx)
	// A change is back when its key's record was written again and names
	// a message that is there: the publish can land on the lost change's
	// own sequence (the stream's end moved back), or be taken for a
	// duplicate of a message deleted by hand (adoptStored).
	restored, failed := 0, 0
	for key, old := range before {
		s := e.recs[key]
		if s == old || len(s.seqs) == 0 {
			failed++
			continue
		}
		switch _, err := e.pub.AlertAt(ctx, s.seqs[len(s.seqs)-1]); {
		case errors.Is(err, bus.ErrGone):
			e.log.Warn("a change the alert stream lost was not published again: the bus still holds its id (was it deleted from the stream by hand?)", "key", key)
			continue
		case err != nil:
			e.log.Error("a change published again cannot be read back", "key", key, "err", err)
			failed++
			continue
		}
		restored++
		e.metrics.Restored.WithLabelValues(s.source, "change").Inc()
	}
	if restored > 0 {
		e.log.Warn("changes the alert stream had lost published again from their records (its store lost its last writes: a power loss or a crash of the machine?)", "changes", restored)
	}
	if failed > 0 {
		return restored, fmt.Errorf("%d of %d changes the alert stream lost could not be published again", failed, len(before))
	}
	return restored, nil
}

// RunSweeper sweeps every interval until ctx is done.
func (e *Engine) RunSweeper(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			e.Sweep(ctx)
		}
	}
}

// Version returns the last version published of key, 0 for a key never
// seen: the stream's, even when the store has not recorded it yet.
func (e *Engine) Version(key string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	v := e.unrecorded[key]
	if s := e.recs[key]; s != nil {
		v = max(v, int(s.version))
	}
	return v
}

// Seqs returns the stream sequences of a key's published versions, oldest
// first, or nil for a key never seen.
func (e *Engine) Seqs(key string) []uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	if s := e.recs[key]; s != nil {
		return slices.Clone(s.seqs)
	}
	return nil
}

// loadFailed counts a record that could not be read back from the store;
// the key is decided again on the next poll or sweep. e.mu is held.
func (e *Engine) loadFailed(source, key string, err error) {
	e.metrics.PublishErrors.WithLabelValues(source, "load").Inc()
	e.log.Error("reading a record from the store failed; the key is decided again on the next poll or sweep", "collector", source, "key", key, "err", err)
}

// endPass ends a Handle or Sweep: it says how many changes a bus failure
// left for the next one, and clears the failure. e.mu is held.
func (e *Engine) endPass(who string) {
	if e.left > 0 {
		e.log.Warn("bus failed: changes left for "+e.retry(), "pass", who, "changes", e.left)
	}
	e.failed, e.left, e.restoring = false, 0, false
}

// retry says when a change the bus failed is tried again. e.mu is held.
func (e *Engine) retry() string {
	if e.restoring {
		return "the next start"
	}
	return "the next poll or sweep"
}

func (e *Engine) sortedKeys() []string {
	keys := make([]string, 0, len(e.recs))
	for k := range e.recs {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, cmp.Compare)
	return keys
}

func (e *Engine) updateActive() {
	counts := e.counts()
	for _, h := range alert.Hazards {
		for _, s := range alert.Severities {
			e.metrics.Active.WithLabelValues(string(h), string(s)).Set(float64(counts[[2]string{string(h), string(s)}]))
		}
	}
}
