package gauge

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
)

// Geocode systems of the station areas.
const (
	geocodeUSGS = "USGS_SITE"
	geocodeEA   = "EA_STATION"
)

// evaluate turns the latest reading of each station into the run's Result and
// moves the stations' levels. complete says that every document was read:
// only then does a station missing from them lose its level. Call it with
// c.mu held.
func (c *collector) evaluate(p *parsed, now time.Time, complete bool) collectors.Result {
	res := p.res
	res.Snapshot = true
	res.NotModified = p.notModified
	seen := map[string]bool{}
	for _, id := range slices.Sorted(maps.Keys(p.readings)) {
		r := p.readings[id]
		sc := c.cfg.stations[id]
		// A stuck or silent gauge must not hold an alert for ever: its last
		// reading stops counting after max_age.
		if c.cfg.maxAge > 0 && now.Sub(r.time) > c.cfg.maxAge {
			delete(c.levels, id)
			continue
		}
		seen[id] = true
		limits, info := sc.limits, r.info
		if c.cfg.usePublished {
			doc, ok := c.published[id]
			if info.typicalHigh == nil && ok {
				info.typicalHigh = doc.info.typicalHigh
			}
			if ok {
				info = fillInfo(info, doc.info)
			}
			limits = limits.withPublished(info.typicalHigh)
		}
		if !limits.any() {
			delete(c.levels, id)
			p.problems = append(p.problems, fmt.Errorf("station %s: no threshold (no typicalRangeHigh published)", id))
			res.Drop(collectors.DropInvalid)
			continue
		}
		lvl := limits.classify(r.value, c.levels[id], c.cfg.hysteresis)
		if lvl == levelNone {
			delete(c.levels, id)
			continue
		}
		it, err := c.item(r, sc, info, limits, lvl)
		if err != nil {
			delete(c.levels, id)
			p.problems = append(p.problems, fmt.Errorf("station %s: %w", id, err))
			res.Drop(collectors.DropInvalid)
			continue
		}
		c.levels[id] = lvl
		res.Items = append(res.Items, it)
	}
	if complete {
		for id := range c.levels {
			if !seen[id] {
				delete(c.levels, id)
			}
		}
	}
	return res
}

// fillInfo completes a with what b knows and a does not.
func fillInfo(a, b stationInfo) stationInfo {
	a.name = cmp.Or(a.name, b.name)
	a.web = cmp.Or(a.web, b.web)
	if !a.hasPos && b.hasPos {
		a.lat, a.lon, a.hasPos = b.lat, b.lon, true
	}
	return a
}

// item builds the derived alert of station r.station in level lvl.
func (c *collector) item(r reading, sc stationConfig, info stationInfo, limits thresholds, lvl int) (collectors.Item, error) {
	name := cmp.Or(sc.name, info.name, r.station)
	system, lang, agency, codeSystem := geocodeUSGS, "en-US", "USGS instantaneous values", "USGS_PARAMETER"
	if r.format == formatEA {
		system, lang, agency, codeSystem = geocodeEA, "en-GB", "Environment Agency flood-monitoring readings", "EA_MEASURE"
	}
	area := alert.Area{Description: name, Geocodes: map[string][]string{system: {r.station}}}
	switch {
	case sc.lat != nil:
		area.Circles = []alert.Circle{{Lon: *sc.lon, Lat: *sc.lat}}
	case info.hasPos:
		area.Circles = []alert.Circle{{Lon: info.lon, Lat: info.lat}}
	}
	stage := stageName(lvl, limits.origin[lvl])
	unit := cmp.Or(r.unit, "unknown unit")
	a := alert.Alert{
		Key:        alert.MakeKey(c.source, r.station),
		Source:     c.source,
		SourceKind: kindName,
		Hazard:     alert.HazardFlood,
		Event:      "River level above " + stage + " (derived)",
		EventCodes: map[string][]string{codeSystem: {r.code}},
		Status:     alert.StatusActual,
		Severity:   levelSeverity[lvl],
		Urgency:    alert.UrgencyImmediate,
		Certainty:  alert.CertaintyObserved,
		Sent:       r.time,
		Headline:   "River level above " + stage + " at " + name,
		// The text holds what changes only with the level: the reading
		// itself, which changes every poll, is in the parameters.
		Description: fmt.Sprintf("Derived by hazardwire from %s, not an official warning: the latest reading at %s is at or above the %s of %s %s%s.",
			agency, name, stage, num(limits.value[lvl]), unit, originNote(limits.origin[lvl])),
		Language:   lang,
		SenderName: "hazardwire (derived from " + agency + ")",
		Web:        info.web,
		Areas:      []alert.Area{area},
		Parameters: map[string][]string{
			"level":           {num(r.value)},
			"unit":            {unit},
			"time":            {r.timeRaw},
			"threshold":       {num(limits.value[lvl])},
			"thresholdLevel":  {levelNames[lvl]},
			"thresholdSource": {limits.origin[lvl]},
			"thresholds":      limits.list(),
			"hysteresis":      {num(c.cfg.hysteresis)},
		},
		Derived: true,
	}
	if len(r.qualifiers) > 0 {
		a.Parameters["qualifiers"] = slices.Clone(r.qualifiers)
	}
	a.Geometry = alert.GeometryOf(a.Areas)
	if err := a.Validate(); err != nil {
		return collectors.Item{}, err
	}
	return collectors.Item{Alert: a, Intent: collectors.IntentActive}, nil
}

// stageName names a level for the event: the NWS flood categories, or the
// EA's typical range when the level is the published one.
func stageName(lvl int, origin string) string {
	if origin == fromPublished {
		return "typical range"
	}
	return levelNames[lvl] + " flood stage"
}

func originNote(origin string) string {
	if origin == fromPublished {
		return " (the typical range high published by the Environment Agency)"
	}
	return " configured for this station"
}

// list returns the thresholds as "name=value", lowest first.
func (t thresholds) list() []string {
	var out []string
	for i := levelMinor; i < numLevels; i++ {
		if t.set[i] {
			out = append(out, levelNames[i]+"="+num(t.value[i]))
		}
	}
	return out
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// refreshPublished fetches the EA station document of every evaluated
// station whose typical range the readings lack, at most once per
// publishedTTL. A failure leaves the last document in use; with none, it is
// returned, so the run is partial and ends nothing.
func (c *collector) refreshPublished(ctx context.Context, readings map[string]reading) error {
	if !c.cfg.usePublished {
		return nil
	}
	var errs []error
	for _, id := range slices.Sorted(maps.Keys(readings)) {
		if readings[id].info.typicalHigh != nil {
			continue // the feed is the station document itself
		}
		c.mu.Lock()
		doc, ok := c.published[id]
		now := c.now()
		c.mu.Unlock()
		if ok && now.Sub(doc.fetched) < publishedTTL {
			continue
		}
		info, err := c.fetchStation(ctx, id)
		if err != nil {
			if !ok {
				errs = append(errs, fmt.Errorf("station %s document: %w", id, err))
			}
			continue
		}
		c.mu.Lock()
		c.published[id] = publishedDoc{fetched: now, info: info}
		c.mu.Unlock()
	}
	return errors.Join(errs...)
}

// fetchStation fetches and reads one EA station document.
func (c *collector) fetchStation(ctx context.Context, id string) (stationInfo, error) {
	u := strings.ReplaceAll(c.stationURL, idPlaceholder, url.PathEscape(id))
	resp, err := c.fetcher.Get(ctx, u)
	if err != nil {
		return stationInfo{}, err
	}
	text, err := collectors.DecodeText(resp.Body, resp.Header.Get("Content-Type"), "")
	if err != nil {
		return stationInfo{}, err
	}
	var top struct {
		Items json.RawMessage `json:"items"`
	}
	var items []eaItem
	if err := json.Unmarshal(text, &top); err != nil {
		return stationInfo{}, fmt.Errorf("parse %s: %w", c.fetcher.Redact(u), err)
	}
	if err := unmarshalOneOrMany(top.Items, &items); err != nil {
		return stationInfo{}, fmt.Errorf("parse %s: items: %w", c.fetcher.Redact(u), err)
	}
	for i := range items {
		if cmp.Or(items[i].StationReference, items[i].Notation) == id {
			return eaInfo(&items[i]), nil
		}
	}
	return stationInfo{}, fmt.Errorf("parse %s: no station %q in it", c.fetcher.Redact(u), id)
}
