package hrfco

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/jsonlit"
)

// Agency result codes (FORMATS.md §8). A body without a code, or with one of
// the success codes, carries data; 990 is "자료 없음": nothing to report,
// which for fldfct is the normal state outside flood season.
const (
	codeNoData = "990"
	codeAuth   = "940"
)

// successCodes are the result codes that mean "here is the data".
var successCodes = []string{"", "0", "00", "000", "200"}

// APIError is an error envelope of api.hrfco.go.kr: a result code other than
// success or 990 (no data). Its message never holds the service key.
type APIError struct {
	Code    string
	Message string
}

// Error names the code and message, and explains code 940.
func (e *APIError) Error() string {
	s := fmt.Sprintf("api.hrfco.go.kr answered code %q", e.Code)
	if e.Message != "" {
		s += fmt.Sprintf(" (%q)", e.Message)
	}
	if e.Code == codeAuth {
		s += ": authentication failed: the service_key is wrong, expired, or not registered for this host's IP address or domain"
	}
	return s
}

// str is a field that HRFCO sends as a string, read tolerantly: a number or
// a boolean reads as its JSON text, null as "". Objects and arrays are errors.
type str string

// UnmarshalJSON reads a string, a number, a boolean or null.
func (s *str) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		return errors.New("empty value")
	case b[0] == '"':
		v, ok := jsonlit.String(b)
		if !ok {
			if err := json.Unmarshal(b, &v); err != nil {
				return err
			}
		}
		*s = str(strings.TrimSpace(v))
	case bytes.Equal(b, []byte("null")):
		*s = ""
	case b[0] == '{' || b[0] == '[':
		return errors.New("want a string, got an object or array")
	default:
		*s = str(b)
	}
	return nil
}

// envelope is the top level of every answer: {"content": [...]}, sometimes
// with a result code and message. encoding/json matches keys without regard
// to case, so "CONTENT" and "Code" read too (some clients saw upper case).
type envelope struct {
	Content *json.RawMessage `json:"content"`
	Code    str              `json:"code"`
	Message str              `json:"message"`
	Msg     str              `json:"msg"`
}

// rows reads an answer's envelope and returns its rows, each still raw so
// that one unreadable row is dropped alone. A 990 code is an empty, normal
// answer; any other non-success code is an *APIError. secret is removed
// from the agency's message, should it echo the request.
func rows(body []byte, contentType, secret string) ([]json.RawMessage, error) {
	body, err := collectors.DecodeText(body, contentType, "")
	if err != nil {
		return nil, err
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, fmt.Errorf("malformed JSON at byte %d: %w (body starts %q)", syn.Offset, err, start(body, secret))
		}
		return nil, errors.New(`not an HRFCO answer: want a JSON object {"content": [...]}`)
	}
	code := strings.TrimSpace(string(env.Code))
	switch {
	case code == codeNoData:
		return nil, nil
	case !isSuccess(code):
		msg := string(env.Message)
		if msg == "" {
			msg = string(env.Msg)
		}
		return nil, &APIError{Code: code, Message: scrub(msg, secret)}
	}
	if env.Content == nil || bytes.Equal(bytes.TrimSpace(*env.Content), []byte("null")) {
		if code == "" {
			return nil, errors.New(`not an HRFCO answer: no "content" array and no result code`)
		}
		return nil, nil // a success code without content: nothing to report
	}
	var out []json.RawMessage
	if err := json.Unmarshal(*env.Content, &out); err != nil {
		return nil, errors.New(`"content" is not an array`)
	}
	return out, nil
}

// start returns the first characters of a body for an error message, on
// one line. The key is removed before cutting, so that no part of it shows.
func start(body []byte, secret string) string {
	s := scrub(strings.Join(strings.Fields(string(body)), " "), secret)
	if r := []rune(s); len(r) > 60 {
		s = string(r[:60]) + "…"
	}
	return s
}

func isSuccess(code string) bool {
	for _, c := range successCodes {
		if code == c {
			return true
		}
	}
	return false
}

// maxNumber bounds the values read: no level or discharge comes near it,
// and it keeps millimetre arithmetic far from overflow.
const maxNumber = 1e9

// number reads a decimal number sent as a string; blank is "not given".
// NaN and infinities, which strconv accepts, are refused: they could not be
// compared with a threshold nor encoded as JSON.
func number(s str) (v float64, ok bool, err error) {
	t := strings.TrimSpace(string(s))
	if t == "" {
		return 0, false, nil
	}
	if strings.Trim(t, "+-0123456789.eE") != "" {
		return 0, false, fmt.Errorf("%q is not a number", t)
	}
	v, err = strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(v) || math.Abs(v) > maxNumber {
		return 0, false, fmt.Errorf("%q is not a number", t)
	}
	return v, true, nil
}
