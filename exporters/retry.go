package exporters

import (
	"math/rand/v2"
	"time"

	"github.com/hazardwire/hazardwire/alert"
)

// RetryPolicy bounds retries.
type RetryPolicy struct {
	// MaxAttempts is the most delivery attempts per change (default 12).
	MaxAttempts int `yaml:"max_attempts"`
	// MaxAge is how long after publication a change is still retried
	// (default 24h).
	MaxAge time.Duration `yaml:"max_age"`
	// MinBackoff and MaxBackoff bound the wait between attempts (defaults 1s
	// and 5m).
	MinBackoff time.Duration `yaml:"min_backoff"`
	MaxBackoff time.Duration `yaml:"max_backoff"`
}

// Defaults fills zero fields.
func (p *RetryPolicy) Defaults() {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 12
	}
	if p.MaxAge <= 0 {
		p.MaxAge = 24 * time.Hour
	}
	if p.MinBackoff <= 0 {
		p.MinBackoff = time.Second
	}
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = 5 * time.Minute
	}
}

// Next decides what follows a failed attempt: the wait before the next one,
// or a bounded reason to give up (empty when retrying). attempt counts from
// 1; published is when the change reached the bus.
func (p RetryPolicy) Next(o Outcome, a *alert.Alert, attempt int, published, now time.Time) (wait time.Duration, giveUp string) {
	switch {
	case !o.Retry:
		return 0, o.Reason
	case attempt >= p.MaxAttempts:
		return 0, "max_attempts"
	case now.Sub(published) >= p.MaxAge:
		return 0, "max_age"
	}
	// A new or update past its alert's end is no use to anyone; a cancel or
	// expire is always delivered, so partners do not keep a stale alert.
	if a != nil && (a.Change == alert.ChangeNew || a.Change == alert.ChangeUpdate) {
		if end := a.End(); !end.IsZero() && !end.After(now) {
			return 0, "expired"
		}
	}
	wait = p.MinBackoff
	for i := 1; i < attempt && wait < p.MaxBackoff; i++ {
		wait *= 2
	}
	wait = min(wait, p.MaxBackoff)
	wait += time.Duration(rand.Int64N(int64(wait)/4 + 1)) // jitter: up to +25%
	if o.RetryAfter > wait {
		wait = min(o.RetryAfter, max(p.MaxBackoff, time.Hour))
	}
	return wait, ""
}
