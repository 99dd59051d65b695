package gauge

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
)

// eaItem is one element of an EA flood-monitoring `items`: a reading
// (/id/stations/{id}/readings, /data/readings) or a station (/id/stations,
// /id/stations/{id}). Fields that the API sends as a string or an object, or
// as one value or an array (FORMATS.md §4.2), are kept raw and read
// tolerantly.
type eaItem struct {
	// A reading.
	DateTime string          `json:"dateTime"`
	Measure  json.RawMessage `json:"measure"`
	Value    json.RawMessage `json:"value"`
	// A station.
	StationReference string          `json:"stationReference"`
	Notation         string          `json:"notation"`
	Label            json.RawMessage `json:"label"`
	Lat              json.RawMessage `json:"lat"`
	Long             json.RawMessage `json:"long"`
	RLOIid           json.RawMessage `json:"RLOIid"`
	Measures         json.RawMessage `json:"measures"`
	StageScale       json.RawMessage `json:"stageScale"`
}

// eaMeasure is a measure of a station document.
type eaMeasure struct {
	ID            string          `json:"@id"`
	Notation      string          `json:"notation"`
	Parameter     string          `json:"parameter"`
	UnitName      string          `json:"unitName"`
	LatestReading json.RawMessage `json:"latestReading"`
}

// candidate is one measure's latest reading, before a station's measure is
// chosen.
type candidate struct {
	r   reading
	err error
}

// parseEA reads `items`, an array or (a single station) an object. One raw
// item is one station of a station document, or one measure of a readings
// list (its readings reduced to the latest).
func (c *collector) parseEA(raw json.RawMessage) (*parsed, error) {
	var items []json.RawMessage
	if err := unmarshalOneOrMany(raw, &items); err != nil {
		return nil, fmt.Errorf("EA items: %w", err)
	}
	p := newParsed()
	byMeasure := map[string][]candidate{} // measure notation → its readings
	for i, ri := range items {
		var it eaItem
		if err := json.Unmarshal(ri, &it); err != nil {
			p.res.Fetched++
			p.drop(collectors.DropInvalid, fmt.Errorf("items[%d]: %w", i, err))
			continue
		}
		switch {
		case present(it.Measure):
			notation := notationOf(it.Measure)
			r, err := eaReading(it.DateTime, it.Value)
			r.code = notation
			byMeasure[notation] = append(byMeasure[notation], candidate{r, err})
		case it.StationReference != "" || it.Notation != "" || present(it.Measures):
			p.res.Fetched++
			c.eaStation(p, &it)
		default:
			p.res.Fetched++
			p.drop(collectors.DropInvalid, fmt.Errorf("items[%d]: neither a reading nor a station", i))
		}
	}
	c.eaReadings(p, byMeasure)
	return p, nil
}

// eaReadings reduces each measure to its latest reading, then picks one
// measure per configured station.
func (c *collector) eaReadings(p *parsed, byMeasure map[string][]candidate) {
	perStation := map[string][]candidate{}
	for _, notation := range slices.Sorted(maps.Keys(byMeasure)) {
		p.res.Fetched++
		id := c.stationOfMeasure(notation)
		if id == "" {
			p.drop(collectors.DropUnmapped, nil)
			continue
		}
		var best candidate
		var errs []error
		for _, cd := range byMeasure[notation] {
			if cd.err != nil {
				errs = append(errs, cd.err)
			} else if best.r.time.IsZero() || cd.r.time.After(best.r.time) {
				best = cd
			}
		}
		if best.r.time.IsZero() {
			p.drop(collectors.DropInvalid, fmt.Errorf("measure %s: %w", notation, errors.Join(errs...)))
			continue
		}
		best.r.station, best.r.format, best.r.unit = id, formatEA, unitOfNotation(notation)
		perStation[id] = append(perStation[id], best)
	}
	for _, id := range slices.Sorted(maps.Keys(perStation)) {
		cands := perStation[id]
		i := c.chooseMeasure(id, cands)
		for j, cd := range cands {
			if j == i {
				p.add(cd.r)
			} else {
				p.drop(collectors.DropUnmapped, nil) // another measure of the station: flow, rainfall, downstage
			}
		}
	}
}

// chooseMeasure returns the index of the measure evaluated for station id:
// the configured one, else the stage level measure, else the only level
// measure; -1 for none.
func (c *collector) chooseMeasure(id string, cands []candidate) int {
	if m := c.cfg.stations[id].measure; m != "" {
		return slices.IndexFunc(cands, func(cd candidate) bool { return cd.r.code == m })
	}
	if i := slices.IndexFunc(cands, func(cd candidate) bool { return strings.Contains(cd.r.code, "-level-stage-") }); i >= 0 {
		return i
	}
	levels := 0
	idx := -1
	for i, cd := range cands {
		if strings.Contains(cd.r.code, "-level-") {
			levels++
			idx = i
		}
	}
	if levels == 1 {
		return idx
	}
	return -1
}

// eaStation reads one station document: its chosen measure's latestReading,
// its place and its published typical range.
func (c *collector) eaStation(p *parsed, it *eaItem) {
	id := cmp.Or(it.StationReference, it.Notation)
	if _, ok := c.cfg.stations[id]; !ok {
		p.drop(collectors.DropUnmapped, nil)
		return
	}
	var measures []eaMeasure
	if err := unmarshalOneOrMany(it.Measures, &measures); err != nil {
		p.drop(collectors.DropInvalid, fmt.Errorf("station %s: measures: %w", id, err))
		return
	}
	var cands []candidate
	var errs []error
	for _, m := range measures {
		notation := cmp.Or(m.Notation, notationOf(json.RawMessage(quoteJSON(m.ID))))
		if m.Parameter != "" && m.Parameter != "level" && c.cfg.stations[id].measure == "" {
			continue
		}
		var lr struct {
			DateTime string          `json:"dateTime"`
			Value    json.RawMessage `json:"value"`
		}
		// latestReading is a URL string when the measure has no recent
		// reading: nothing to evaluate then.
		if json.Unmarshal(m.LatestReading, &lr) != nil || lr.DateTime == "" {
			continue
		}
		r, err := eaReading(lr.DateTime, lr.Value)
		if err != nil {
			errs = append(errs, fmt.Errorf("measure %s: %w", notation, err))
			continue
		}
		r.station, r.format, r.code = id, formatEA, notation
		r.unit = cmp.Or(m.UnitName, unitOfNotation(notation))
		cands = append(cands, candidate{r: r})
	}
	i := c.chooseMeasure(id, cands)
	if i < 0 {
		errs = append(errs, errors.New("no level measure with a latest reading"))
		p.drop(collectors.DropInvalid, fmt.Errorf("station %s: %w", id, errors.Join(errs...)))
		return
	}
	r := cands[i].r
	r.info = eaInfo(it)
	p.add(r)
}

// eaInfo reads a station document's label, place, page and typical range.
func eaInfo(it *eaItem) stationInfo {
	var info stationInfo
	_ = json.Unmarshal(it.Label, &info.name) // an array of labels: keep none
	var lat, lon float64
	if json.Unmarshal(it.Lat, &lat) == nil && json.Unmarshal(it.Long, &lon) == nil && present(it.Lat) && present(it.Long) && validPosition(lat, lon) {
		info.lat, info.lon, info.hasPos = lat, lon, true
	}
	var rloi string
	if json.Unmarshal(it.RLOIid, &rloi) == nil && rloi != "" {
		info.web = "https://check-for-flooding.service.gov.uk/station/" + rloi
	}
	var scale struct {
		TypicalRangeHigh *float64 `json:"typicalRangeHigh"`
	}
	if json.Unmarshal(it.StageScale, &scale) == nil { // a URL string in list views
		info.typicalHigh = scale.TypicalRangeHigh
	}
	return info
}

// eaReading reads one reading's time (which must carry its zone: EA sends
// "Z") and value (a number).
func eaReading(dateTime string, value json.RawMessage) (reading, error) {
	t, err := alert.ParseTime(dateTime)
	if err != nil {
		return reading{}, err
	}
	var v float64
	if err := json.Unmarshal(value, &v); err != nil || !present(value) {
		return reading{}, fmt.Errorf("value %s is not a number", truncate(string(value), 40))
	}
	return reading{value: v, time: t, timeRaw: dateTime}, nil
}

// stationOfMeasure returns the configured station whose reference starts
// the measure notation ("690140-level-stage-i-15_min-m" → "690140"), or "".
func (c *collector) stationOfMeasure(notation string) string {
	id, _, ok := strings.Cut(notation, "-")
	if !ok {
		return ""
	}
	if _, ok := c.cfg.stations[id]; ok {
		return id
	}
	return ""
}

// notationOf returns a measure's notation from its URL or its {"@id"}
// object: the last path segment.
func notationOf(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		var o struct {
			ID       string `json:"@id"`
			Notation string `json:"notation"`
		}
		if json.Unmarshal(raw, &o) != nil {
			return ""
		}
		if o.Notation != "" {
			return o.Notation
		}
		s = o.ID
	}
	return s[strings.LastIndexByte(s, '/')+1:]
}

// unitOfNotation returns the unit a measure notation ends with ("…-m",
// "…-mASD"), or "m".
func unitOfNotation(notation string) string {
	if i := strings.LastIndexByte(notation, '-'); i >= 0 && i < len(notation)-1 {
		return notation[i+1:]
	}
	return "m"
}

// unmarshalOneOrMany reads a JSON array into out, or a single object as a
// one-element array: the EA sends `items` and `measures` either way.
func unmarshalOneOrMany[T any](raw json.RawMessage, out *[]T) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		*out = nil
		return nil
	}
	if raw[0] == '[' {
		return json.Unmarshal(raw, out)
	}
	var one T
	if err := json.Unmarshal(raw, &one); err != nil {
		return err
	}
	*out = []T{one}
	return nil
}

func quoteJSON(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}

// truncate shortens s to n runes for a message.
func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
