// Package collectors holds what every source kind shares: the Collector
// interface, the registry of kinds, the scheduler and the HTTP fetcher. Each
// kind lives in its own folder and registers itself in init.
package collectors

import (
	"context"
	"errors"
	"time"

	"github.com/hazardwire/hazardwire/alert"
)

// Collector fetches one feed and normalizes its flood and heat items. It knows
// nothing of the bus: it returns what it saw, and the scheduler hands it on.
type Collector interface {
	// Collect fetches the feed once. A non-nil error means the fetch failed or
	// was partial: the lifecycle then ends nothing, though any items returned
	// beside the error are still taken as seen.
	Collect(ctx context.Context) (Result, error)
}

// Result is what one run of a collector saw.
type Result struct {
	// Items are the flood and heat items found, content only: the lifecycle
	// assigns versions, ids and changes. They are the caller's: a collector
	// keeps no reference to them (a cache hands out copies), and nobody
	// changes an item's maps and slices once it is returned (see alert.Alert).
	Items []Item
	// Snapshot is true when Items is the whole current set of the feed, so
	// that an item missing from it may have left the feed (NWS active alerts,
	// EA floods). A delta feed (messages, an index of recent documents) leaves
	// it false, and its items end only by cancel or by their end time.
	Snapshot bool
	// Fetched is how many raw items the feed held before mapping.
	Fetched int
	// Dropped counts the items left out, by bounded reason: "unmapped" for
	// items that are neither flood nor heat, "invalid" for items that could
	// not be read.
	Dropped map[string]int
	// NotModified is true when the server answered 304 and the items are the
	// ones read from the cached body.
	NotModified bool
	// Unreadable holds the keys of items the feed still serves as in force
	// but that could not be read this time (counted in Dropped as well):
	// they did not leave a snapshot, so their alerts keep their last good
	// state rather than count towards vanishing. An unreadable cancel or
	// expiry is not named: it keeps nothing alive.
	Unreadable []string
}

// Drop records one dropped item under reason.
func (r *Result) Drop(reason string) {
	if r.Dropped == nil {
		r.Dropped = map[string]int{}
	}
	r.Dropped[reason]++
}

// Drop reasons.
const (
	DropUnmapped = "unmapped"
	DropInvalid  = "invalid"
)

// Intent is what the agency said about an item.
type Intent string

// The intents.
const (
	// IntentActive: the item is in force (issued, updated, continued).
	IntentActive Intent = "active"
	// IntentCancel: the agency ended it (CAP Cancel, responseType AllClear,
	// NWS VTEC CAN or UPG of the old event, KMA 해제, EA level 4).
	IntentCancel Intent = "cancel"
	// IntentExpire: the agency said it expired (NWS VTEC EXP).
	IntentExpire Intent = "expire"
)

// Item is one normalized source item.
type Item struct {
	// Alert holds the content. Key, Source and SourceKind are set; ID, Version,
	// Change, State and References are left for the lifecycle.
	Alert alert.Alert
	// Intent is what the agency said about the item.
	Intent Intent
}

// Info describes one configured collector to the rest of the daemon.
type Info struct {
	Name     string
	Kind     string
	Schedule string
	Timeout  time.Duration
	Jitter   time.Duration
	// Grace is how many successful snapshot polls an item may be missing
	// before it is expired.
	Grace int
	// UserAgent is the User-Agent sent to the feed (empty: the daemon's).
	UserAgent string
}

// ErrNotModified is returned by Fetcher.Get when the server answered 304 and
// there is no cached body to return; collectors never see it in normal use.
var ErrNotModified = errors.New("not modified")
