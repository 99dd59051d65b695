package eafloods

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
)

// warning is one item of an /id/floods answer (FORMATS.md §4.2). Every field
// is read leniently: the API has served numbers as strings, single objects
// where a list was expected, and floodArea both as an object and as a URL.
type warning struct {
	ID                  text      `json:"@id"`
	Description         text      `json:"description"`
	EAAreaName          text      `json:"eaAreaName"`
	EARegionName        text      `json:"eaRegionName"`
	FloodArea           floodArea `json:"floodArea"`
	FloodAreaID         text      `json:"floodAreaID"`
	IsTidal             boolean   `json:"isTidal"`
	Message             text      `json:"message"`
	Severity            text      `json:"severity"`
	SeverityLevel       level     `json:"severityLevel"`
	TimeMessageChanged  text      `json:"timeMessageChanged"`
	TimeRaised          text      `json:"timeRaised"`
	TimeSeverityChanged text      `json:"timeSeverityChanged"`
}

// area is the part of a flood area the collector uses. The single-warning
// answer (/id/floods/{id}) expands it with label, lat, long, envelope, ...,
// which are not needed: the warning names the area itself.
type area struct {
	ID         text            `json:"@id"`
	County     text            `json:"county"`
	Notation   text            `json:"notation"`
	Polygon    json.RawMessage `json:"polygon"`
	RiverOrSea text            `json:"riverOrSea"`
}

// text is a string field that also reads a number or a boolean (as written),
// null (as ""), or a list of those (joined with ", "). An object is an error.
type text string

// UnmarshalJSON reads a scalar or a list of scalars as text.
func (t *text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var parts []text
		if err := json.Unmarshal(b, &parts); err != nil {
			return err
		}
		var out []string
		for _, p := range parts {
			if s := strings.TrimSpace(string(p)); s != "" {
				out = append(out, s)
			}
		}
		*t = text(strings.Join(out, ", "))
		return nil
	}
	s, err := scalar(b)
	if err != nil {
		return err
	}
	*t = text(s)
	return nil
}

// scalar returns a JSON string, number or boolean as text, and null as "".
func scalar(b []byte) (string, error) {
	switch {
	case len(b) == 0:
		return "", errors.New("empty value")
	case bytes.Equal(b, []byte("null")):
		return "", nil
	case b[0] == '"':
		var s string
		err := json.Unmarshal(b, &s)
		return s, err
	case b[0] == '{':
		return "", errors.New("want a string, got an object")
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return "", err
	}
	return string(b), nil
}

// String returns the text with surrounding white space removed.
func (t text) String() string { return strings.TrimSpace(string(t)) }

// level is severityLevel: an integer, also when sent as a string ("3") or a
// whole float (3.0). Zero means absent.
type level int

// UnmarshalJSON reads an integer level from a number or a string.
func (l *level) UnmarshalJSON(b []byte) error {
	s, err := scalar(bytes.TrimSpace(b))
	if err != nil {
		return fmt.Errorf("severityLevel: %w", err)
	}
	if s = strings.TrimSpace(s); s == "" {
		*l = 0
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || f < 1 || f > 4 {
		return fmt.Errorf("severityLevel %q is not a level 1 to 4", s)
	}
	*l = level(f)
	return nil
}

// boolean is isTidal: a JSON boolean, or "true"/"false" as a string; set is false when
// it was absent or null.
type boolean struct{ set, value bool }

// UnmarshalJSON reads a boolean, a boolean string, or null.
func (f *boolean) UnmarshalJSON(b []byte) error {
	s, err := scalar(bytes.TrimSpace(b))
	if err != nil {
		return fmt.Errorf("isTidal: %w", err)
	}
	if strings.TrimSpace(s) == "" {
		*f = boolean{}
		return nil
	}
	v, err := strconv.ParseBool(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("isTidal %q is not a boolean", s)
	}
	*f = boolean{set: true, value: v}
	return nil
}

// floodArea is the warning's flood area: an object in the list answer (and an
// expanded one in the single-warning answer), a bare URL in some answers, or a
// list of objects, of which the one whose notation is the warning's area is
// used (else the first).
type floodArea struct {
	areas []area
	url   string
}

// UnmarshalJSON reads an object, a URL string, a list of objects, or null.
func (a *floodArea) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '{':
		var one area
		if err := json.Unmarshal(b, &one); err != nil {
			return fmt.Errorf("floodArea: %w", err)
		}
		*a = floodArea{areas: []area{one}}
	case len(b) > 0 && b[0] == '[':
		var many []area
		if err := json.Unmarshal(b, &many); err != nil {
			return fmt.Errorf("floodArea: %w", err)
		}
		*a = floodArea{areas: many}
	default:
		s, err := scalar(b)
		if err != nil {
			return fmt.Errorf("floodArea: %w", err)
		}
		*a = floodArea{url: strings.TrimSpace(s)}
	}
	return nil
}

// of returns the area whose notation is id, else the first, else nil.
func (a *floodArea) of(id string) *area {
	for i := range a.areas {
		if a.areas[i].Notation.String() == id {
			return &a.areas[i]
		}
	}
	if len(a.areas) > 0 {
		return &a.areas[0]
	}
	return nil
}

// listMeta is the answer's meta block; only the publisher is used.
type listMeta struct {
	Publisher text `json:"publisher"`
}

// parse reads one /id/floods answer (or an /id/floods/{id} answer, whose
// items is a single object). A body that is not such a document is an error;
// a warning that cannot be read is dropped as invalid, and problems says why
// (for tests and debugging: reasons stay bounded in the Result).
func (m *mapper) parse(body []byte, contentType string) (res collectors.Result, problems []error, err error) {
	body, err = collectors.DecodeText(body, contentType, "")
	if err != nil {
		return collectors.Result{}, nil, err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return collectors.Result{}, nil, fmt.Errorf("malformed JSON at byte %d: %w", syn.Offset, err)
		}
		return collectors.Result{}, nil, fmt.Errorf("not a flood-monitoring JSON object: %w", err)
	}
	items, err := itemsOf(top["items"])
	if err != nil {
		return collectors.Result{}, nil, err
	}
	var meta listMeta
	_ = json.Unmarshal(top["meta"], &meta) // the meta block is optional and only decorates
	b := builder{res: collectors.Result{Snapshot: true, Fetched: len(items)}, byKey: map[string]int{}}
	for i, raw := range items {
		it, native, err := m.item(raw, meta.Publisher.String())
		if err != nil {
			problems = append(problems, fmt.Errorf("item %d %q: %w", i, native, err))
			b.res.Drop(collectors.DropInvalid)
			if native != "" && !lifted(raw) { // a lifted warning unread keeps nothing alive
				b.res.Unreadable = append(b.res.Unreadable, alert.MakeKey(m.source, native))
			}
			continue
		}
		b.add(it)
	}
	return b.res, problems, nil
}

// lifted reports whether a warning that could not be read says, at least,
// that it is no longer in force (level 4, by number or by name).
func lifted(raw json.RawMessage) bool {
	var k struct {
		Level    json.RawMessage `json:"severityLevel"`
		Severity json.RawMessage `json:"severity"`
	}
	if json.Unmarshal(raw, &k) != nil {
		return false
	}
	var l level
	if l.UnmarshalJSON(k.Level) == nil && l != 0 {
		return l == 4
	}
	var name text
	return name.UnmarshalJSON(k.Severity) == nil && levelOfName(name.String()) == 4
}

// itemsOf returns the warnings of an answer's items: a list, or one object.
// A missing or null items is an error, not an empty list: an answer broken
// that way must not end every warning in force.
func itemsOf(raw json.RawMessage) ([]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0:
		return nil, errors.New(`not a flood-monitoring list: no "items"`)
	case raw[0] == '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, fmt.Errorf("items: %w", err)
		}
		return items, nil
	case raw[0] == '{':
		return []json.RawMessage{raw}, nil
	}
	return nil, fmt.Errorf("items is %.20s, want a list or an object", raw)
}
