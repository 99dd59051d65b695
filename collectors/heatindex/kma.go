package heatindex

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
)

// kmaItem is one item of a VilageFcstInfoService answer: one category's value
// at one grid point and hour. Observations (getUltraSrtNcst) carry
// obsrValue at baseDate/baseTime; forecasts (getVilageFcst, getUltraSrtFcst)
// fcstValue at fcstDate/fcstTime. Numbers come as strings or numbers.
type kmaItem struct {
	BaseDate  json.RawMessage `json:"baseDate"`
	BaseTime  json.RawMessage `json:"baseTime"`
	Category  string          `json:"category"`
	FcstDate  json.RawMessage `json:"fcstDate"`
	FcstTime  json.RawMessage `json:"fcstTime"`
	FcstValue json.RawMessage `json:"fcstValue"`
	ObsrValue json.RawMessage `json:"obsrValue"`
	NX        json.RawMessage `json:"nx"`
	NY        json.RawMessage `json:"ny"`
}

// Categories read: air temperature (T1H observed or ultra-short forecast,
// TMP short-range forecast, T3H before 2021) and relative humidity.
var temperatureCategories = []string{"T1H", "TMP", "T3H"}

const humidityCategory = "REH"

// kmaHour gathers the values of one grid point and hour.
type kmaHour struct {
	station, when string
	temp, rh      *float64
	errs          []error
}

// parseKMA reads `response`: the header's resultCode must be "00", then
// items.item is an array, a single object, or "" when there is nothing.
func (c *collector) parseKMA(raw json.RawMessage) (*parsed, error) {
	var r struct {
		Header struct {
			ResultCode json.RawMessage `json:"resultCode"`
			ResultMsg  string          `json:"resultMsg"`
		} `json:"header"`
		Body *struct {
			Items json.RawMessage `json:"items"`
		} `json:"body"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("data.go.kr response: %w", err)
	}
	// "03" (NO_DATA) too: an hour not published yet is not "no heat", and
	// an error ends nothing.
	if code := flexString(r.Header.ResultCode); code != "00" {
		return nil, fmt.Errorf("data.go.kr resultCode %q: %s", code, r.Header.ResultMsg)
	}
	if r.Body == nil {
		return nil, errors.New("data.go.kr response without a body")
	}
	items, err := kmaItems(r.Body.Items)
	if err != nil {
		return nil, err
	}
	p := newParsed()
	hours := map[string]*kmaHour{}
	for i, it := range items {
		c.kmaValue(p, hours, i, it)
	}
	p.res.Fetched = len(hours)
	for _, k := range slices.Sorted(maps.Keys(hours)) {
		h := hours[k]
		if h.temp == nil || h.rh == nil {
			h.errs = append(h.errs, errors.New("needs both a temperature (T1H/TMP/T3H) and a humidity (REH)"))
		}
		var o obs
		if len(h.errs) == 0 {
			o, err = c.kmaObs(h)
			h.errs = append(h.errs, err)
		}
		if err := errors.Join(h.errs...); err != nil {
			p.drop(collectors.DropInvalid, fmt.Errorf("grid %s at %s: %w", h.station, h.when, err))
			continue
		}
		p.obs = append(p.obs, o)
	}
	return p, nil
}

// kmaItems reads items: {"item": [...]}, {"item": {...}}, or "".
func kmaItems(raw json.RawMessage) ([]kmaItem, error) {
	var s string
	if !present(raw) || (json.Unmarshal(raw, &s) == nil && s == "") {
		return nil, nil
	}
	var wrap struct {
		Item json.RawMessage `json:"item"`
	}
	if err := json.Unmarshal(raw, &wrap); err != nil {
		return nil, fmt.Errorf("data.go.kr items: %w", err)
	}
	item := bytes.TrimSpace(wrap.Item)
	var items []kmaItem
	var err error
	switch {
	case !present(item):
	case item[0] == '[':
		err = json.Unmarshal(item, &items)
	default:
		var one kmaItem
		err = json.Unmarshal(item, &one)
		items = []kmaItem{one}
	}
	if err != nil {
		return nil, fmt.Errorf("data.go.kr items.item: %w", err)
	}
	return items, nil
}

// kmaValue files item i under its grid point and hour, when it is a
// temperature or a humidity; the other categories (wind, rain, sky) are not
// read.
func (c *collector) kmaValue(p *parsed, hours map[string]*kmaHour, i int, it kmaItem) {
	isTemp := slices.Contains(temperatureCategories, it.Category)
	if !isTemp && it.Category != humidityCategory {
		return
	}
	date, hm, value := flexString(it.BaseDate), flexString(it.BaseTime), it.ObsrValue
	if present(it.FcstValue) {
		date, hm, value = flexString(it.FcstDate), flexString(it.FcstTime), it.FcstValue
	}
	if issued, err := alert.ParseTimeIn(flexString(it.BaseDate)+flexString(it.BaseTime), c.cfg.loc, "200601021504"); err == nil && issued.After(p.issued) {
		p.issued = issued
	}
	station := flexString(it.NX) + "," + flexString(it.NY)
	key := station + "@" + date + hm
	h := hours[key]
	if h == nil {
		h = &kmaHour{station: station, when: date + hm}
		hours[key] = h
	}
	v, err := strconv.ParseFloat(flexString(value), 64)
	if err != nil {
		h.errs = append(h.errs, fmt.Errorf("item %d %s: value %s is not a number", i, it.Category, value))
		return
	}
	if isTemp {
		h.temp = &v
	} else {
		h.rh = &v
	}
}

// kmaObs turns a complete hour into an observation. KMA times carry no
// offset: they are read in time_zone (KST).
func (c *collector) kmaObs(h *kmaHour) (obs, error) {
	if _, _, ok := gridOf(h.station); !ok {
		return obs{}, fmt.Errorf("grid %q is not nx,ny", h.station)
	}
	t, err := alert.ParseTimeIn(h.when, c.cfg.loc, "200601021504")
	if err != nil {
		return obs{}, err
	}
	if err := checkValues(*h.temp, *h.rh); err != nil {
		return obs{}, err
	}
	o := obs{station: h.station, time: t, tempC: *h.temp, rh: *h.rh,
		info: stationInfo{name: "KMA grid " + strings.ReplaceAll(h.station, ",", ", "), geocode: geocodeKMAGrid}}
	return c.withConfig(o), nil
}

// kstDay is the KST calendar day of t, "2006-01-02": the KMA criteria count
// days in Korea whatever zone a time came in.
func kstDay(t time.Time) string { return t.In(alert.KST).Format(time.DateOnly) }
