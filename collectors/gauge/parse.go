package gauge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
)

// stationInfo is what a feed says about a station besides its reading.
type stationInfo struct {
	name        string
	lat, lon    float64
	hasPos      bool
	typicalHigh *float64 // EA stageScale.typicalRangeHigh
	web         string
}

// reading is the latest usable reading of one station.
type reading struct {
	station    string
	format     string
	info       stationInfo
	value      float64
	unit       string
	time       time.Time
	timeRaw    string // as sent
	code       string // USGS parameter code, or EA measure notation
	qualifiers []string
}

// parsed is what one or more fetched documents gave.
type parsed struct {
	res         collectors.Result // Fetched and Dropped only
	readings    map[string]reading
	problems    []error
	notModified bool
}

func newParsed() *parsed { return &parsed{readings: map[string]reading{}} }

// add keeps r if it is the station's latest reading so far.
func (p *parsed) add(r reading) {
	if cur, ok := p.readings[r.station]; ok && !r.time.After(cur.time) {
		return
	}
	p.readings[r.station] = r
}

// drop counts one raw item left out, and why.
func (p *parsed) drop(reason string, problem error) {
	p.res.Drop(reason)
	if problem != nil {
		p.problems = append(p.problems, problem)
	}
}

// merge adds the documents of q to p.
func (p *parsed) merge(q *parsed) {
	p.res.Fetched += q.res.Fetched
	for k, n := range q.res.Dropped {
		for range n {
			p.res.Drop(k)
		}
	}
	for _, r := range q.readings {
		p.add(r)
	}
	p.problems = append(p.problems, q.problems...)
}

// parse reads one document. A body that is not UTF-8 JSON of the configured
// (or detected) format is an error; an unreadable series or reading is
// dropped as invalid, one of a station not configured as unmapped.
func (c *collector) parse(body []byte, contentType string) (*parsed, error) {
	text, err := collectors.DecodeText(body, contentType, "")
	if err != nil {
		return nil, err
	}
	var top struct {
		Value json.RawMessage `json:"value"`
		Items json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(text, &top); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, fmt.Errorf("malformed JSON at byte %d: %w", syn.Offset, err)
		}
		return nil, fmt.Errorf("not a USGS WaterML-JSON or EA flood-monitoring document: %w", err)
	}
	format := c.cfg.format
	if format == formatAuto {
		switch {
		case present(top.Value):
			format = formatUSGS
		case present(top.Items):
			format = formatEA
		default:
			return nil, errors.New("neither a USGS WaterML-JSON document (value.timeSeries) nor an EA flood-monitoring document (items)")
		}
	}
	if format == formatUSGS {
		if !present(top.Value) {
			return nil, errors.New("not a USGS WaterML-JSON document: no value.timeSeries (format: usgs)")
		}
		return c.parseUSGS(top.Value)
	}
	if !present(top.Items) {
		return nil, errors.New("not an EA flood-monitoring document: no items (format: ea)")
	}
	return c.parseEA(top.Items)
}

func present(raw json.RawMessage) bool {
	return len(raw) > 0 && !bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// WaterML-JSON, as served by waterservices.usgs.gov/nwis/iv (FORMATS.md §11).
type wmlValue struct {
	TimeSeries *[]json.RawMessage `json:"timeSeries"`
}

type wmlSeries struct {
	SourceInfo struct {
		SiteName string `json:"siteName"`
		SiteCode []struct {
			Value string `json:"value"`
		} `json:"siteCode"`
		GeoLocation struct {
			GeogLocation struct {
				Latitude  *float64 `json:"latitude"`
				Longitude *float64 `json:"longitude"`
			} `json:"geogLocation"`
		} `json:"geoLocation"`
	} `json:"sourceInfo"`
	Variable struct {
		VariableCode []struct {
			Value string `json:"value"`
		} `json:"variableCode"`
		Unit struct {
			UnitCode string `json:"unitCode"`
		} `json:"unit"`
		NoDataValue *float64 `json:"noDataValue"`
	} `json:"variable"`
	Values []struct {
		Value []wmlPoint `json:"value"`
	} `json:"values"`
}

type wmlPoint struct {
	Value      string   `json:"value"`
	Qualifiers []string `json:"qualifiers"`
	DateTime   string   `json:"dateTime"`
}

// parseUSGS reads value.timeSeries: one raw item per series (site ×
// parameter). Series of another parameter or of a site not configured are
// unmapped.
func (c *collector) parseUSGS(raw json.RawMessage) (*parsed, error) {
	var v wmlValue
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("USGS value: %w", err)
	}
	if v.TimeSeries == nil {
		return nil, errors.New("USGS document without value.timeSeries")
	}
	p := newParsed()
	p.res.Fetched = len(*v.TimeSeries)
	for i, rs := range *v.TimeSeries {
		var s wmlSeries
		if err := json.Unmarshal(rs, &s); err != nil {
			p.drop(collectors.DropInvalid, fmt.Errorf("timeSeries[%d]: %w", i, err))
			continue
		}
		if len(s.SourceInfo.SiteCode) == 0 || len(s.Variable.VariableCode) == 0 {
			p.drop(collectors.DropInvalid, fmt.Errorf("timeSeries[%d]: no siteCode or variableCode", i))
			continue
		}
		site, param := s.SourceInfo.SiteCode[0].Value, s.Variable.VariableCode[0].Value
		if _, ok := c.cfg.stations[site]; !ok || param != c.cfg.parameter {
			p.drop(collectors.DropUnmapped, nil)
			continue
		}
		r, err := latestUSGS(&s)
		if err != nil {
			p.drop(collectors.DropInvalid, fmt.Errorf("site %s parameter %s: %w", site, param, err))
			continue
		}
		r.station, r.format, r.code = site, formatUSGS, param
		r.info.name = s.SourceInfo.SiteName
		if g := s.SourceInfo.GeoLocation.GeogLocation; g.Latitude != nil && g.Longitude != nil && validPosition(*g.Latitude, *g.Longitude) {
			r.info.lat, r.info.lon, r.info.hasPos = *g.Latitude, *g.Longitude, true
		}
		r.info.web = "https://waterdata.usgs.gov/monitoring-location/" + site + "/"
		p.add(r)
	}
	return p, nil
}

// latestUSGS returns the series' latest point with a value: a missing value
// (noDataValue, an empty or non-numeric string, the "Eqp" of a broken
// sensor) is skipped for the one before it, so one gap does not end a flood.
func latestUSGS(s *wmlSeries) (reading, error) {
	var best reading
	var errs []error
	found := false
	for _, vs := range s.Values {
		for _, pt := range vs.Value {
			t, err := alert.ParseTime(pt.DateTime)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			v, err := strconv.ParseFloat(strings.TrimSpace(pt.Value), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || (s.Variable.NoDataValue != nil && v == *s.Variable.NoDataValue) {
				continue
			}
			if !found || t.After(best.time) {
				best = reading{value: v, time: t, timeRaw: pt.DateTime, qualifiers: pt.Qualifiers, unit: s.Variable.Unit.UnitCode}
				found = true
			}
		}
	}
	if !found {
		return reading{}, errors.Join(append([]error{errors.New("no point with a value and a time")}, errs...)...)
	}
	return best, nil
}
