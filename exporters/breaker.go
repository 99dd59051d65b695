package exporters

import (
	"sync"
	"time"
)

// Circuit states, the values of hazardwire_exporter_circuit_state.
const (
	CircuitClosed   = 0 // deliveries flow
	CircuitHalfOpen = 1 // one probe is allowed through
	CircuitOpen     = 2 // the partner keeps failing: no attempts until the cool-down ends
)

// Breaker stops hammering a partner that keeps failing: after Threshold
// failed attempts in a row it opens for a cool-down that doubles up to
// MaxCooldown, then lets one probe through; a success closes it.
type Breaker struct {
	Threshold   int
	MinCooldown time.Duration
	MaxCooldown time.Duration

	mu       sync.Mutex
	state    int
	failures int
	cooldown time.Duration
	until    time.Time // end of the open period
	probing  bool
}

// Wait returns how long an attempt must wait before it may go (0: go now).
// In half-open state only one caller at a time is let through as the probe.
func (b *Breaker) Wait(now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case CircuitOpen:
		if now.Before(b.until) {
			return b.until.Sub(now)
		}
		b.state = CircuitHalfOpen
		fallthrough
	case CircuitHalfOpen:
		if b.probing {
			return min(b.MinCooldown, time.Second)
		}
		b.probing = true
	}
	return 0
}

// Record notes an attempt's result: ok, or whether the failure was the
// partner's (only those count: a 400 for one bad change says nothing of the
// partner's health).
func (b *Breaker) Record(ok, partnerFailure bool, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probing = false
	if ok || !partnerFailure {
		if ok {
			b.state, b.failures, b.cooldown = CircuitClosed, 0, 0
		}
		return
	}
	b.failures++
	if b.state == CircuitHalfOpen || b.failures >= b.Threshold {
		if b.cooldown == 0 {
			b.cooldown = b.MinCooldown
		} else {
			b.cooldown = min(2*b.cooldown, b.MaxCooldown)
		}
		b.state = CircuitOpen
		b.until = now.Add(b.cooldown)
	}
}

// State returns the circuit state.
func (b *Breaker) State() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state
}
