package mois

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/hazardwire/hazardwire/collectors/internal/jsonlit"
)

// envelope is one answer of DSSP-IF-00247 (FORMATS.md §9): no "response"
// wrapper, paging fields at the top level, body an array of messages (null on
// errors and, sometimes, when there is nothing).
type envelope struct {
	Header     *header         `json:"header"`
	NumOfRows  flexString      `json:"numOfRows"`
	PageNo     flexString      `json:"pageNo"`
	TotalCount flexString      `json:"totalCount"`
	Body       json.RawMessage `json:"body"`
}

type header struct {
	ResultCode flexString `json:"resultCode"`
	ResultMsg  flexString `json:"resultMsg"`
	ErrorMsg   flexString `json:"errorMsg"`
}

// page is what one answer holds.
type page struct {
	rows []json.RawMessage
	// total is totalCount, or -1 when the answer does not say.
	total int
}

// Result codes (data.go.kr's table, which safetydata.go.kr follows: 30 is
// seen in a real answer, the others are documented [D]).
const (
	codeOK     = "00"
	codeNoData = "03"
)

// codeHints say what an operator should do about an error code.
var codeHints = map[string]string{
	"20": "access denied: the key is not approved for DSSP-IF-00247",
	"22": "the key's request quota is used up: poll less often (schedule) or ask for more traffic",
	"30": "the service_key is not registered: check it, and that it was issued for DSSP-IF-00247",
	"31": "the key's period of use has ended: renew it on safetydata.go.kr",
	"32": "this machine's IP address is not registered for the key on safetydata.go.kr",
}

// APIError is an error answer of safetydata.go.kr: a resultCode other than
// "00", in the JSON envelope or in a gateway's XML.
type APIError struct {
	Code    string // resultCode, two digits ("30")
	Message string // resultMsg ("SERVICE KEY IS NOT REGISTERED ERROR")
	Detail  string // errorMsg, often in Korean
}

// Error gives the code, the agency's messages and what to do about it.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "safetydata.go.kr answered resultCode %q", e.Code)
	var msgs []string
	for _, m := range []string{e.Message, e.Detail} {
		if m != "" {
			msgs = append(msgs, strconv.Quote(m))
		}
	}
	if len(msgs) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(msgs, ", "))
	}
	if h := codeHints[e.Code]; h != "" {
		b.WriteString(": " + h)
	}
	return b.String()
}

// parsePage reads one answer (UTF-8). An error envelope is an *APIError; a
// body that is not the envelope is an error; a row is kept raw, to be read
// on its own, so that one bad message does not lose the page.
func parsePage(body []byte) (page, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '<' {
		return page{}, xmlError(trimmed)
	}
	var env envelope
	if err := json.Unmarshal(trimmed, &env); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return page{}, fmt.Errorf("malformed JSON at byte %d: %w", syn.Offset, err)
		}
		return page{}, fmt.Errorf("not a DSSP-IF-00247 answer: %w", err)
	}
	if env.Header == nil {
		return page{}, errors.New("not a DSSP-IF-00247 answer: no header")
	}
	code := normCode(string(env.Header.ResultCode))
	switch code {
	case codeOK:
	case codeNoData:
		return page{total: 0}, nil
	case "":
		return page{}, errors.New("DSSP-IF-00247 answer without a resultCode")
	default:
		return page{}, &APIError{Code: code, Message: clean(string(env.Header.ResultMsg)), Detail: clean(string(env.Header.ErrorMsg))}
	}
	p := page{total: -1}
	if n, err := strconv.Atoi(strings.TrimSpace(string(env.TotalCount))); err == nil && n >= 0 {
		p.total = n
	}
	b := bytes.TrimSpace(env.Body)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return p, nil
	}
	if err := json.Unmarshal(b, &p.rows); err != nil {
		return page{}, errors.New("body is not an array of messages")
	}
	return p, nil
}

// normCode writes a numeric result code with two digits, so that 0, "0" and
// "00" are one code.
func normCode(s string) string {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return fmt.Sprintf("%02d", n)
	}
	return s
}

// clean makes an agency message one bounded printable line.
func clean(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}

// xmlError reads an XML answer where JSON was asked for: the data.go.kr
// gateway answers key and quota errors that way whatever returnType says
// (<OpenAPI_ServiceResponse><cmmMsgHeader>…<returnReasonCode>30<…), and the
// agency's XML envelope has resultCode/resultMsg.
func xmlError(body []byte) error {
	d := xml.NewDecoder(bytes.NewReader(body))
	// The body is UTF-8 already (collectors.DecodeText); a declared charset
	// must not stop the reading.
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	fields := map[string]string{}
	var name string
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name = t.Name.Local
		case xml.CharData:
			if s := strings.TrimSpace(string(t)); s != "" && name != "" && fields[name] == "" {
				fields[name] = s
			}
		case xml.EndElement:
			name = ""
		}
	}
	code := normCode(first(fields["returnReasonCode"], fields["resultCode"]))
	if code == "" || code == codeOK {
		return errors.New("an XML or HTML answer, not the JSON asked for with returnType=json")
	}
	return &APIError{Code: code, Message: clean(first(fields["returnAuthMsg"], fields["resultMsg"])), Detail: clean(fields["errMsg"])}
}

func first(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// flexString reads a JSON string, number or null as text: the API sends SN
// as a number and clients report it as a string, and paging fields vary too.
type flexString string

// UnmarshalJSON accepts a string, a number or null.
func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*f = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		s, ok := jsonlit.String(b)
		if !ok {
			if err := json.Unmarshal(b, &s); err != nil {
				return err
			}
		}
		*f = flexString(s)
		return nil
	case jsonlit.Number(b):
		*f = flexString(b)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return errors.New("want a string or a number")
	}
	*f = flexString(n)
	return nil
}
