package gdacs

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hazardwire/hazardwire/collectors"
)

// pageLimit is the most features the GDACS event API returns at once: a
// list that long may have been cut, so it cannot be taken as the whole set.
const pageLimit = 100

// mapper turns a fetched body into items for one configured source.
type mapper struct {
	source       string
	format       string // formatAuto, formatRSS or formatGeoJSON
	snapshot     bool
	expiresAfter time.Duration
	radiusKm     float64
	bboxPolygon  bool
}

// parse reads one body. A body that is not RSS or a GeoJSON
// FeatureCollection (or not the configured one) is an error; an event that
// cannot be read is dropped as invalid, and problems says why (for tests and
// debugging: reasons stay bounded in the Result).
func (m *mapper) parse(body []byte, contentType string) (collectors.Result, []error, error) {
	body, err := collectors.DecodeText(body, contentType, "")
	if err != nil {
		return collectors.Result{}, nil, err
	}
	format, err := m.detect(body)
	if err != nil {
		return collectors.Result{}, nil, err
	}
	var events []event
	snapshot := m.snapshot
	switch format {
	case formatRSS:
		events, err = readRSS(body)
	case formatGeoJSON:
		events, err = readGeoJSON(body)
		if len(events) >= pageLimit {
			// GDACS cuts lists at 100 features without saying so: the events
			// past the cut have not left the feed.
			snapshot = false
		}
	default: // an empty body where GeoJSON is expected: no events (HTTP 204)
	}
	if err != nil {
		return collectors.Result{}, nil, err
	}
	b := builder{res: collectors.Result{Snapshot: snapshot, Fetched: len(events)}, byKey: map[string]int{}}
	var problems []error
	for i := range events {
		e := &events[i]
		if !strings.EqualFold(e.eventType, "FL") {
			if e.eventType == "" {
				// Without its type, an event cannot be told to be a flood or not.
				why := cmp.Or(e.readErr, errors.New("no eventtype"))
				b.res.Drop(collectors.DropInvalid)
				problems = append(problems, fmt.Errorf("item %d: %w", i, why))
				continue
			}
			// GDACS has no heat events, and a drought is not a flood.
			b.res.Drop(collectors.DropUnmapped)
			continue
		}
		it, err := m.item(e)
		if err != nil {
			b.res.Drop(collectors.DropInvalid)
			problems = append(problems, fmt.Errorf("item %d (eventid %q): %w", i, e.eventID, err))
			if key, ok := m.unreadableKey(e); ok {
				b.res.Unreadable = append(b.res.Unreadable, key)
			}
			continue
		}
		b.add(it, e.episodeID)
	}
	return b.res, problems, nil
}

// detect returns the format to read body as: the configured one, checked
// against the body, or the one the body's first byte tells. It returns ""
// for an empty body read as GeoJSON.
func (m *mapper) detect(body []byte) (string, error) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	var sniffed string
	switch {
	case len(trimmed) == 0 && m.format == formatGeoJSON:
		// The event API answers a query without results with 204 No Content.
		return "", nil
	case len(trimmed) == 0:
		return "", errors.New("empty body (set format: geojson to read an empty answer of the event API as no events)")
	case trimmed[0] == '<':
		sniffed = formatRSS
	case trimmed[0] == '{' || trimmed[0] == '[':
		sniffed = formatGeoJSON
	default:
		return "", fmt.Errorf("body is neither XML nor JSON (starts with %q)", firstBytes(trimmed))
	}
	if m.format != formatAuto && m.format != sniffed {
		return "", fmt.Errorf("format is %s, but the body looks like %s (starts with %q)", m.format, sniffed, firstBytes(trimmed))
	}
	return sniffed, nil
}

// firstBytes returns the start of b for error messages.
func firstBytes(b []byte) string {
	s := string(b)
	if len(s) > 40 {
		s = s[:40]
	}
	return strings.ToValidUTF8(s, "?")
}

// builder gathers items into a Result with at most one item per key: the
// latest episode, then the latest sent.
type builder struct {
	res      collectors.Result
	byKey    map[string]int
	episodes []string
}

func (b *builder) add(it collectors.Item, episode string) {
	i, ok := b.byKey[it.Alert.Key]
	if !ok {
		b.byKey[it.Alert.Key] = len(b.res.Items)
		b.res.Items = append(b.res.Items, it)
		b.episodes = append(b.episodes, episode)
		return
	}
	c := cmp.Or(compareEpisodes(episode, b.episodes[i]), it.Alert.Sent.Compare(b.res.Items[i].Alert.Sent))
	if c > 0 {
		b.res.Items[i] = it
		b.episodes[i] = episode
	}
}

// compareEpisodes orders episode ids numerically; an id that is not a number
// sorts before any that is.
func compareEpisodes(a, b string) int {
	x, errA := strconv.ParseUint(a, 10, 64)
	y, errB := strconv.ParseUint(b, 10, 64)
	switch {
	case errA != nil && errB != nil:
		return 0
	case errA != nil:
		return -1
	case errB != nil:
		return 1
	}
	return cmp.Compare(x, y)
}
