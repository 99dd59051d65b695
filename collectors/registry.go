package collectors

import (
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/hazardwire/hazardwire/internal/secret"
)

// Decode fills a kind's options struct from the collector's config entry,
// strictly: unknown keys are errors, ${ENV} is expanded, and every error names
// its file, line and column. Kinds call it once in their factory.
type Decode func(options any) error

// Env is what a kind's factory is given besides its options.
type Env struct {
	// Info is the common configuration of this collector.
	Info Info
	// URL is the feed's URL as configured (may be empty for kinds that build it).
	URL string
	// Fetcher is this collector's HTTP fetcher, built by the daemon.
	Fetcher *Fetcher
	// Files reads the files the kind's options name (secret.Files: Path,
	// ReadFile), beside the config file.
	secret.Files
}

// Factory builds a collector of one kind. It validates the options and does no
// network I/O; it may read the files its options name (a *_file secret).
type Factory func(env Env, decode Decode) (Collector, error)

// Kind describes a registered source kind.
type Kind struct {
	Name string
	New  Factory
	// Sample is the kind's sample configuration (YAML, one collectors entry).
	Sample []byte
	// DefaultSchedule is used when the config gives none.
	DefaultSchedule string
	// Accept is the Accept header the kind's fetcher sends (empty: none).
	Accept string
	// Options is a zero value of the kind's options struct, for the config's
	// JSON Schema.
	Options any
	// Snapshot says whether the kind's feeds are snapshots (for docs and check).
	Snapshot bool
}

var (
	mu    sync.RWMutex
	kinds = map[string]Kind{}
)

// Register adds a kind. It panics if the name is taken: two kinds with one
// name is a programming error found at start-up.
func Register(k Kind) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := kinds[k.Name]; dup {
		panic(fmt.Sprintf("collectors: kind %q registered twice", k.Name))
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

// Kinds returns the names of every registered kind, sorted.
func Kinds() []string {
	mu.RLock()
	defer mu.RUnlock()
	return slices.Sorted(maps.Keys(kinds))
}
