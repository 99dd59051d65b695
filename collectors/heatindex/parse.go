package heatindex

import (
	"bytes"
	"cmp"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/jsonlit"
)

// Geocode systems of the station areas.
const (
	geocodeStation = "station"  // the documented format's station id
	geocodeKMAGrid = "KMA_GRID" // KMA forecast grid "nx,ny"
)

// stationInfo describes a station's area.
type stationInfo struct {
	name     string
	lat, lon float64
	hasPos   bool
	geocode  string
}

// obs is one observation (or forecast hour) of one station.
type obs struct {
	station string
	info    stationInfo
	time    time.Time
	tempC   float64
	rh      float64
}

// parsed is what one or more fetched documents gave.
type parsed struct {
	res      collectors.Result // Fetched and Dropped only
	obs      []obs
	issued   time.Time // the forecast's issue time, when the document says
	problems []error
}

func newParsed() *parsed { return &parsed{} }

func (p *parsed) drop(reason string, problem error) {
	p.res.Drop(reason)
	p.problems = append(p.problems, problem)
}

func (p *parsed) merge(q *parsed) {
	p.res.Fetched += q.res.Fetched
	for k, n := range q.res.Dropped {
		for range n {
			p.res.Drop(k)
		}
	}
	p.obs = append(p.obs, q.obs...)
	p.problems = append(p.problems, q.problems...)
	if q.issued.After(p.issued) {
		p.issued = q.issued
	}
}

// parse reads one document: the documented observations format or a
// data.go.kr VilageFcstInfoService answer. A body that is neither, or an
// agency error envelope, is an error; an unreadable observation is dropped
// as invalid and the others go on.
func (c *collector) parse(body []byte, contentType string) (*parsed, error) {
	text, err := collectors.DecodeText(body, contentType, "")
	if err != nil {
		return nil, err
	}
	trimmed := bytes.TrimSpace(text)
	if len(trimmed) > 0 && trimmed[0] == '<' {
		return nil, xmlError(trimmed)
	}
	var top struct {
		Observations json.RawMessage `json:"observations"`
		Issued       string          `json:"issued"`
		Response     json.RawMessage `json:"response"`
		OpenAPI      json.RawMessage `json:"OpenAPI_ServiceResponse"`
	}
	isList := len(trimmed) > 0 && trimmed[0] == '['
	if !isList {
		if err := json.Unmarshal(trimmed, &top); err != nil {
			var syn *json.SyntaxError
			if errors.As(err, &syn) {
				return nil, fmt.Errorf("malformed JSON at byte %d: %w", syn.Offset, err)
			}
			return nil, fmt.Errorf("not an observations list or a data.go.kr answer: %w", err)
		}
	}
	switch {
	case present(top.OpenAPI):
		return nil, openAPIError(top.OpenAPI)
	case present(top.Response):
		if c.cfg.format == formatObservations {
			return nil, errors.New("a data.go.kr answer, but format: observations")
		}
		return c.parseKMA(top.Response)
	case isList || present(top.Observations):
		if c.cfg.format == formatKMA {
			return nil, errors.New("an observations list, but format: kma")
		}
		list := trimmed
		if !isList {
			list = top.Observations
		}
		return c.parseObservations(list, top.Issued)
	}
	return nil, errors.New(`neither an observations list ([…] or {"observations": […]}) nor a data.go.kr answer ({"response": …})`)
}

func present(raw json.RawMessage) bool {
	return len(raw) > 0 && !bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// ownObs is one element of the documented observations format (README).
type ownObs struct {
	Station json.RawMessage `json:"station"`
	Name    string          `json:"name"`
	Lat     *float64        `json:"lat"`
	Lon     *float64        `json:"lon"`
	Time    string          `json:"time"`
	TempC   *float64        `json:"temp_c"`
	TempF   *float64        `json:"temp_f"`
	RH      *float64        `json:"rh"`
}

// timeLayouts are read in order; those without a zone are in time_zone.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", "200601021504"}

// parseObservations reads the documented list.
func (c *collector) parseObservations(raw json.RawMessage, issued string) (*parsed, error) {
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("observations: want an array: %w", err)
	}
	p := newParsed()
	if issued != "" {
		t, err := alert.ParseTimeIn(issued, c.cfg.loc, timeLayouts...)
		if err != nil {
			return nil, fmt.Errorf("issued: %w", err)
		}
		p.issued = t
	}
	p.res.Fetched = len(list)
	for i, r := range list {
		o, err := c.ownObs(r)
		if err != nil {
			p.drop(collectors.DropInvalid, fmt.Errorf("observations[%d]: %w", i, err))
			continue
		}
		p.obs = append(p.obs, o)
	}
	return p, nil
}

func (c *collector) ownObs(raw json.RawMessage) (obs, error) {
	var in ownObs
	if err := json.Unmarshal(raw, &in); err != nil {
		return obs{}, err
	}
	id := flexString(in.Station)
	if id == "" {
		return obs{}, errors.New("no station")
	}
	t, err := alert.ParseTimeIn(in.Time, c.cfg.loc, timeLayouts...)
	if err != nil {
		return obs{}, err
	}
	var temp float64
	switch {
	case in.TempC != nil:
		temp = *in.TempC
	case in.TempF != nil:
		temp = fToCelsius(*in.TempF)
	default:
		return obs{}, fmt.Errorf("station %s: no temp_c or temp_f", id)
	}
	if in.RH == nil {
		return obs{}, fmt.Errorf("station %s: no rh", id)
	}
	o := obs{station: id, time: t, tempC: temp, rh: *in.RH, info: stationInfo{name: in.Name, geocode: geocodeStation}}
	if in.Lat != nil && in.Lon != nil && validPosition(*in.Lat, *in.Lon) {
		o.info.lat, o.info.lon, o.info.hasPos = *in.Lat, *in.Lon, true
	}
	if err := checkValues(o.tempC, o.rh); err != nil {
		return obs{}, fmt.Errorf("station %s: %w", id, err)
	}
	return c.withConfig(o), nil
}

// checkValues rejects values no thermometer or hygrometer gives: missing
// markers (KMA's ±900 and beyond), NaN, impossible humidity.
func checkValues(tempC, rh float64) error {
	if math.IsNaN(tempC) || tempC < -90 || tempC > 70 {
		return fmt.Errorf("temperature %v °C is out of range", tempC)
	}
	if math.IsNaN(rh) || rh < 0 || rh > 100 {
		return fmt.Errorf("relative humidity %v %% is out of range", rh)
	}
	return nil
}

// withConfig gives the configured name and place precedence.
func (c *collector) withConfig(o obs) obs {
	s, ok := c.cfg.stations[o.station]
	if !ok {
		return o
	}
	o.info.name = cmp.Or(s.Name, o.info.name)
	if s.Lat != nil {
		o.info.lat, o.info.lon, o.info.hasPos = *s.Lat, *s.Lon, true
	}
	return o
}

func validPosition(lat, lon float64) bool {
	return lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180
}

// flexString reads a JSON string or number as a string ("" otherwise).
func flexString(raw json.RawMessage) string {
	if s, ok := jsonlit.String(raw); ok {
		return strings.TrimSpace(s)
	}
	if jsonlit.Number(raw) {
		return string(raw)
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// openAPIError reads data.go.kr's gateway error envelope (a bad, expired or
// unregistered key, quota exceeded): an error with its code and message.
func openAPIError(raw json.RawMessage) error {
	var e struct {
		Header struct {
			ErrMsg           string          `json:"errMsg"`
			ReturnAuthMsg    string          `json:"returnAuthMsg"`
			ReturnReasonCode json.RawMessage `json:"returnReasonCode"`
		} `json:"cmmMsgHeader"`
	}
	_ = json.Unmarshal(raw, &e)
	return gatewayError(flexString(e.Header.ReturnReasonCode), e.Header.ErrMsg, e.Header.ReturnAuthMsg)
}

func gatewayError(code, msg, auth string) error {
	return fmt.Errorf("data.go.kr error %q: %s (%s)", code, cmp.Or(msg, "no message"), auth)
}

// xmlError reads an XML answer: data.go.kr sends its errors as XML whatever
// dataType asked for.
func xmlError(body []byte) error {
	var e struct {
		Header struct {
			ErrMsg           string `xml:"errMsg"`
			ReturnAuthMsg    string `xml:"returnAuthMsg"`
			ReturnReasonCode string `xml:"returnReasonCode"`
		} `xml:"cmmMsgHeader"`
		ResultCode string `xml:"header>resultCode"`
		ResultMsg  string `xml:"header>resultMsg"`
	}
	if xml.Unmarshal(body, &e) != nil {
		return errors.New("an XML body that is not a data.go.kr error: ask for JSON (dataType=JSON)")
	}
	switch {
	case e.Header.ReturnReasonCode != "" || e.Header.ErrMsg != "":
		return gatewayError(e.Header.ReturnReasonCode, e.Header.ErrMsg, e.Header.ReturnAuthMsg)
	case e.ResultCode != "":
		return fmt.Errorf("data.go.kr resultCode %q: %s", e.ResultCode, e.ResultMsg)
	}
	return errors.New("an XML body that is not a data.go.kr error: ask for JSON (dataType=JSON)")
}
