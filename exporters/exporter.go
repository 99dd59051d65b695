// Package exporters delivers alert changes from the bus to partner platforms:
// the Exporter interface, the registry of kinds, filters, and the delivery
// engine that retries, keeps each key's changes in order and dead-letters
// what cannot be delivered.
package exporters

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/internal/secret"
)

// Delivery is one change to deliver.
type Delivery struct {
	Alert *alert.Alert
	// Body is the alert JSON exactly as published on the bus.
	Body []byte
	// Attempt counts from 1.
	Attempt int
}

// Outcome is the result of one delivery attempt.
type Outcome struct {
	// Err is nil when the partner acknowledged the change.
	Err error
	// Retry says whether a later attempt may succeed (timeouts, 408, 429, 5xx).
	Retry bool
	// RetryAfter is the partner's requested wait, if it gave one.
	RetryAfter time.Duration
	// Status is the HTTP status, when there was one.
	Status int
	// Reason is a bounded word for metrics and dead letters: ok, timeout,
	// network, http_4xx, http_5xx, http_429, gone, encode.
	Reason string
}

// Exporter delivers changes to one partner endpoint.
type Exporter interface {
	Deliver(ctx context.Context, d Delivery) Outcome
}

// Decode fills a kind's options struct from the exporter's config entry,
// strictly (unknown keys are errors, ${ENV} expanded, positions in errors).
type Decode func(options any) error

// Env is what a kind's factory is given besides its options.
type Env struct {
	Name string
	// Files reads the files the kind's options name (secret.Files: Path,
	// ReadFile), beside the config file.
	secret.Files
}

// Factory builds an exporter of one kind; it validates and does no network
// I/O (it may read the files its options name: a *_file secret, tls files).
type Factory func(env Env, decode Decode) (Exporter, error)

// Kind describes a registered exporter kind.
type Kind struct {
	Name   string
	New    Factory
	Sample []byte
	// Options is a zero value of the kind's options struct, for the config's
	// JSON Schema.
	Options any
}

var (
	mu    sync.RWMutex
	kinds = map[string]Kind{}
)

// Register adds a kind; it panics when the name is taken.
func Register(k Kind) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := kinds[k.Name]; dup {
		panic(fmt.Sprintf("exporters: kind %q registered twice", k.Name))
	}
	kinds[k.Name] = k
}

// Lookup returns the kind registered under name.
func Lookup(name string) (Kind, bool) {
	mu.RLock()
	defer mu.RUnlock()
	k, ok := kinds[name]
	return k, ok
}

// Kinds returns the registered kind names, sorted.
func Kinds() []string {
	mu.RLock()
	defer mu.RUnlock()
	return slices.Sorted(maps.Keys(kinds))
}
