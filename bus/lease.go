package bus

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// BucketLeases holds the lease a daemon takes on the streams of an external
// cluster, so that a second daemon started on the same streams waits as a
// standby instead of polling, deciding and delivering beside the first (each
// from its own copy of the state: a change one published could be lost
// under the other's id).
const BucketLeases = "hazardwire_leases"

// leaseKey is the one lease: the whole daemon, collectors and exporters.
const leaseKey = "daemon"

// ErrLeaseLost is returned by Lease.Renew when another daemon holds the
// lease, or when this one could not renew it within its time: it must stop
// acting on the streams at once.
var ErrLeaseLost = errors.New("the lease on the streams is lost")

// Holder says who holds a lease.
type Holder struct {
	Host     string    `json:"host"`
	PID      int       `json:"pid"`
	Instance string    `json:"instance"` // random, one per process
	Since    time.Time `json:"since"`
}

func (h Holder) String() string {
	return fmt.Sprintf("%s pid %d (since %s)", h.Host, h.PID, h.Since.UTC().Format(time.RFC3339))
}

// Lease is this daemon's claim on the streams: taken with TryAcquire,
// renewed well within ttl, released on a clean stop. The bucket's TTL ends
// a lease its holder stopped renewing (a killed process, a lost machine).
type Lease struct {
	kv  jetstream.KeyValue
	ttl time.Duration
	me  Holder
	val []byte

	rev     uint64    // of this daemon's lease entry; 0 while not held
	renewed time.Time // when the last write that holds it began
}

// Lease opens the lease bucket for this process, creating it with ttl as
// its TTL if it does not exist. The TTL is the bucket's, one for every
// daemon on the streams: a bucket that exists keeps its TTL, and the lease
// follows it whatever ttl says (changing it under a holder would end the
// holder's lease between two of its renewals, and let a standby act beside
// it). To change it, stop every daemon and remove the bucket.
func (b *Bus) Lease(ctx context.Context, ttl time.Duration) (*Lease, error) {
	kv, err := b.js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      BucketLeases,
		Description: "the hazardwire daemon acting on these streams",
		History:     1,
		TTL:         ttl,
		Storage:     jetstream.FileStorage,
		Replicas:    b.cfg.Replicas,
	})
	if errors.Is(err, jetstream.ErrBucketExists) { // with another config
		kv, err = b.js.KeyValue(ctx, BucketLeases)
	}
	if err != nil {
		return nil, fmt.Errorf("bucket %s: %w", BucketLeases, err)
	}
	st, err := kv.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("bucket %s: %w", BucketLeases, err)
	}
	if st.TTL() <= 0 {
		return nil, fmt.Errorf("bucket %s has no TTL: a lease in it would never end; remove it (nats kv rm %s) with every daemon stopped", BucketLeases, BucketLeases)
	}
	if st.TTL() != ttl {
		b.log.Warn("lease: the bucket's TTL is not bus.lease_ttl; the lease follows the bucket's (to change it, stop every daemon and remove the bucket)",
			"bucket", BucketLeases, "bucket_ttl", st.TTL(), "lease_ttl", ttl)
		ttl = st.TTL()
	}
	host, _ := os.Hostname()
	id := make([]byte, 8)
	_, _ = rand.Read(id)
	me := Holder{Host: host, PID: os.Getpid(), Instance: hex.EncodeToString(id), Since: time.Now()}
	val, err := json.Marshal(me)
	if err != nil {
		return nil, err
	}
	return &Lease{kv: kv, ttl: ttl, me: me, val: val}, nil
}

// TryAcquire takes the lease if no one holds it. When another daemon does,
// it returns false and who.
func (l *Lease) TryAcquire(ctx context.Context) (bool, Holder, error) {
	start := time.Now()
	rev, err := l.kv.Create(ctx, leaseKey, l.val)
	if err == nil {
		l.rev, l.renewed = rev, start
		return true, l.me, nil
	}
	if !errors.Is(err, jetstream.ErrKeyExists) {
		return false, Holder{}, fmt.Errorf("lease: %w", err)
	}
	h, mine, err := l.holder(ctx)
	if err != nil || !mine {
		return false, h.Holder, err
	}
	// Ours already (a create whose answer was lost): hold it.
	l.rev, l.renewed = h.rev, start
	return true, l.me, nil
}

type heldBy struct {
	Holder
	rev uint64
}

// holder reads the lease entry: who holds it, and whether it is this
// process. A lease gone since (expired, released) reads as no one's.
func (l *Lease) holder(ctx context.Context) (heldBy, bool, error) {
	e, err := l.kv.Get(ctx, leaseKey)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return heldBy{}, false, nil
	}
	if err != nil {
		return heldBy{}, false, fmt.Errorf("lease: %w", err)
	}
	var h Holder
	if err := json.Unmarshal(e.Value(), &h); err != nil {
		return heldBy{}, false, fmt.Errorf("lease: the holder's entry: %w", err)
	}
	return heldBy{h, e.Revision()}, h.Instance == l.me.Instance, nil
}

// Renew writes the lease again, so that its TTL starts over. It returns
// ErrLeaseLost when another daemon holds it, or when the last renewal that
// held it began longer than ttl ago less the margin this one must have to
// stop (Valid); other errors (the cluster out of reach) leave it held until
// then. A lease whose entry is gone while still valid here (a cluster
// restarted without its store) is taken again.
func (l *Lease) Renew(ctx context.Context) error {
	if l.rev == 0 {
		return ErrLeaseLost
	}
	start := time.Now()
	rev, err := l.kv.Update(ctx, leaseKey, l.val, l.rev)
	if err == nil {
		l.rev, l.renewed = rev, start
		return nil
	}
	if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists) {
		h, mine, herr := l.holder(ctx)
		switch {
		case herr != nil:
			err = herr
		case mine && h.rev > l.rev: // our write landed and its answer was lost
			l.rev, l.renewed = h.rev, start
			return nil
		case mine:
			// Our entry as it was before the write failed: a replica behind
			// the others (direct gets) may say so while another daemon holds
			// it. Not ours for sure: tried again at the next renewal.
			err = errors.New("the lease entry read back is older than this daemon's last write")
		case h.Instance != "":
			l.rev = 0
			return fmt.Errorf("%w: held by %s", ErrLeaseLost, h.Holder)
		case l.Valid(time.Now()):
			if rev, cerr := l.kv.Create(ctx, leaseKey, l.val); cerr == nil {
				l.rev, l.renewed = rev, start
				return nil
			}
			err = errors.New("the entry is gone and could not be written again")
		}
	}
	if !l.Valid(time.Now()) {
		l.rev = 0
		return fmt.Errorf("%w: not renewed for %v: %v", ErrLeaseLost, time.Since(l.renewed).Round(time.Millisecond), err)
	}
	return fmt.Errorf("lease: renew: %w", err)
}

// Valid reports whether this daemon may still act on the streams at now:
// it holds the lease, and its last renewal began less than two thirds of
// the TTL ago. The last third is its time to stop before another daemon
// can take the lease.
func (l *Lease) Valid(now time.Time) bool {
	return l.rev != 0 && now.Before(l.ValidUntil())
}

// ValidUntil is when the lease stops being valid (Valid) unless renewed.
func (l *Lease) ValidUntil() time.Time { return l.renewed.Add(l.ttl * 2 / 3) }

// TTL is the lease's TTL: the bucket's.
func (l *Lease) TTL() time.Duration { return l.ttl }

// Every is how often a holder renews the lease, and a standby tries it.
func (l *Lease) Every() time.Duration { return l.ttl / 6 }

// Release gives the lease up, so that a standby takes it at its next try
// rather than after the TTL.
func (l *Lease) Release(ctx context.Context) error {
	if l.rev == 0 {
		return nil
	}
	rev := l.rev
	l.rev = 0
	if err := l.kv.Delete(ctx, leaseKey, jetstream.LastRevision(rev)); err != nil {
		return fmt.Errorf("lease: release: %w", err)
	}
	return nil
}
