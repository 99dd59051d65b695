package nws

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
)

// collection is the top level of an /alerts answer: a GeoJSON
// FeatureCollection, or an RFC 7807 problem document, or (with the wrong
// Accept header) JSON-LD.
type collection struct {
	Type     string             `json:"type"`
	Features *[]json.RawMessage `json:"features"`
	Graph    json.RawMessage    `json:"@graph"`
}

// decodedCollection is a collection whose every feature decoded in one pass.
type decodedCollection struct {
	Type     string     `json:"type"`
	Features *[]feature `json:"features"`
}

// feature is one GeoJSON feature of the collection.
type feature struct {
	Geometry   json.RawMessage `json:"geometry"`
	Properties *properties     `json:"properties"`
	// geo is Geometry decoded, when the fast decoder could (decode.go);
	// readAreas decodes Geometry itself when it is nil.
	geo *alert.Geometry
}

// properties are the alert fields NWS puts in a feature (FORMATS.md §2.2).
// Nullable strings (ends, instruction, headline) read as "".
type properties struct {
	ID          string             `json:"id"`
	AreaDesc    string             `json:"areaDesc"`
	Geocode     map[string]strList `json:"geocode"`
	References  []reference        `json:"references"`
	Sent        string             `json:"sent"`
	Effective   string             `json:"effective"`
	Onset       string             `json:"onset"`
	Expires     string             `json:"expires"`
	Ends        string             `json:"ends"`
	Status      string             `json:"status"`
	MessageType string             `json:"messageType"`
	Severity    string             `json:"severity"`
	Certainty   string             `json:"certainty"`
	Urgency     string             `json:"urgency"`
	Event       string             `json:"event"`
	Sender      string             `json:"sender"`
	SenderName  string             `json:"senderName"`
	Headline    string             `json:"headline"`
	Description string             `json:"description"`
	Instruction string             `json:"instruction"`
	Response    string             `json:"response"`
	Web         string             `json:"web"`
	Language    string             `json:"language"`
	EventCode   map[string]strList `json:"eventCode"`
	Parameters  map[string]strList `json:"parameters"`
}

// reference is one earlier message that a feature replaces.
type reference struct {
	Identifier string `json:"identifier"`
	Sender     string `json:"sender"`
	Sent       string `json:"sent"`
}

// strList is a list of strings that also accepts a single string or null, so
// that a parameter sent once as a bare string still reads.
type strList []string

// UnmarshalJSON reads an array of strings, a string or null.
func (l *strList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*l = nil
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*l = strList{s}
		return nil
	}
	var ss []string
	if err := json.Unmarshal(b, &ss); err != nil {
		return errors.New("want an array of strings")
	}
	*l = ss
	return nil
}

// ProblemError is an RFC 7807 problem document served where a
// FeatureCollection was expected (api.weather.gov's error format).
type ProblemError struct {
	Status        int
	Type          string
	Title         string
	Detail        string
	Instance      string
	CorrelationID string
}

// Error says what the problem document says: status, title, detail and the
// correlation id to quote to NWS.
func (e *ProblemError) Error() string {
	var b strings.Builder
	b.WriteString("api.weather.gov answered with a problem document")
	if e.Status != 0 {
		fmt.Fprintf(&b, ", status %d", e.Status)
	}
	if e.Title != "" {
		fmt.Fprintf(&b, ", title %q", e.Title)
	}
	if e.Detail != "" {
		fmt.Fprintf(&b, ", detail %q", e.Detail)
	}
	if e.CorrelationID != "" {
		fmt.Fprintf(&b, " (correlationId %q)", e.CorrelationID)
	}
	return b.String()
}

// problemOf reads body as a problem document; ok is false when it is not one.
func problemOf(body []byte) (*ProblemError, bool) {
	var p struct {
		Type          string          `json:"type"`
		Title         string          `json:"title"`
		Status        json.RawMessage `json:"status"`
		Detail        string          `json:"detail"`
		Instance      string          `json:"instance"`
		CorrelationID string          `json:"correlationId"`
	}
	if json.Unmarshal(body, &p) != nil || (p.Title == "" && p.Detail == "" && len(p.Status) == 0) {
		return nil, false
	}
	status, _ := strconv.Atoi(strings.Trim(string(p.Status), `"`))
	return &ProblemError{Status: status, Type: p.Type, Title: p.Title, Detail: p.Detail,
		Instance: p.Instance, CorrelationID: p.CorrelationID}, true
}

// parse reads one /alerts answer. A body that is not a FeatureCollection is
// an error; a feature that cannot be read is dropped as invalid, and problems
// says why (for tests and debugging: reasons stay bounded in the Result).
func (m *mapper) parse(body []byte) (res collectors.Result, problems []error, err error) {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(body) {
		return collectors.Result{}, nil, errors.New("body is not valid UTF-8")
	}
	if items, ok := m.parseFast(body); ok {
		b := newBuilder(len(items))
		for i := range items {
			b.addFeature(items[i], i, &problems)
		}
		return b.result(), problems, nil
	}
	return m.parseSlow(body)
}

// parseSlow is parse with encoding/json, for the bodies the fast decoder
// gives up on: one that is not valid JSON, not a FeatureCollection, or not
// plainly one. It reports what is wrong with them.
func (m *mapper) parseSlow(body []byte) (res collectors.Result, problems []error, err error) {
	// Most answers decode whole in one pass. One with a feature that does
	// not (a value of the wrong type) is read again feature by feature, so
	// that only that feature is dropped.
	var whole decodedCollection
	if json.Unmarshal(body, &whole) == nil && whole.Type == "FeatureCollection" && whole.Features != nil {
		b := newBuilder(len(*whole.Features))
		for i := range *whole.Features {
			b.addFeature(m.featureOf(&(*whole.Features)[i]), i, &problems)
		}
		return b.result(), problems, nil
	}
	var top collection
	if err := json.Unmarshal(body, &top); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return collectors.Result{}, nil, fmt.Errorf("malformed JSON at byte %d: %w", syn.Offset, err)
		}
		if p, ok := problemOf(body); ok {
			return collectors.Result{}, nil, p
		}
		return collectors.Result{}, nil, fmt.Errorf("not a GeoJSON FeatureCollection: %w", err)
	}
	switch {
	case top.Type == "FeatureCollection":
	case top.Graph != nil:
		return collectors.Result{}, nil, errors.New("a JSON-LD document, not GeoJSON: the request needs Accept: application/geo+json")
	default:
		if p, ok := problemOf(body); ok {
			return collectors.Result{}, nil, p
		}
		return collectors.Result{}, nil, fmt.Errorf("not a GeoJSON FeatureCollection (type %q)", top.Type)
	}
	if top.Features == nil {
		return collectors.Result{}, nil, errors.New("FeatureCollection without a features array")
	}
	b := newBuilder(len(*top.Features))
	for i, raw := range *top.Features {
		b.addFeature(m.feature(raw), i, &problems)
	}
	return b.result(), problems, nil
}

// addFeature adds feature i's items, or counts it dropped; its problem, if
// any, is added to problems.
func (b *builder) addFeature(fi featureItems, i int, problems *[]error) {
	if fi.problem != nil {
		*problems = append(*problems, fmt.Errorf("feature %d %q: %w", i, fi.id, fi.problem))
	}
	b.res.Unreadable = append(b.res.Unreadable, fi.unreadable...)
	if fi.drop != "" {
		b.res.Drop(fi.drop)
		return
	}
	for _, it := range fi.items {
		b.add(it, i, fi.id)
	}
}
