package kma

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"

	"github.com/hazardwire/hazardwire/collectors/internal/jsonlit"
)

// APIError is an error envelope of data.go.kr: the service's own
// (response.header with a resultCode other than 00 or 03) or the gateway's
// (OpenAPI_ServiceResponse, often XML even when JSON was asked for).
type APIError struct {
	// Code is resultCode or returnReasonCode ("30", "99", "22").
	Code string
	// Message is resultMsg, or the gateway's errMsg.
	Message string
	// AuthMessage is the gateway's returnAuthMsg, when it gives one.
	AuthMessage string
	// Gateway is true for an OpenAPI_ServiceResponse envelope.
	Gateway bool
}

// Error says who answered, the code and the messages, and for the codes
// operators meet most what to do.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("data.go.kr ")
	if e.Gateway {
		b.WriteString("gateway ")
	}
	fmt.Fprintf(&b, "error %q", e.Code)
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.AuthMessage != "" && e.AuthMessage != e.Message {
		fmt.Fprintf(&b, " (%s)", e.AuthMessage)
	}
	if hint := codeHints(e.Code); hint != "" {
		b.WriteString(" — ")
		b.WriteString(hint)
	}
	return b.String()
}

// codeHints explains the codes of FORMATS.md §5.2 that an operator can act on.
func codeHints(code string) string {
	switch code {
	case "20", "30", "31", "32", "33":
		return "check service_key (registered for WthrWrnInfoService, not expired, IP allowed)"
	case "22":
		return "the key's daily request quota is used up: poll less often"
	case "10", "11":
		return "bad request parameter (lookback, num_of_rows, stn_id, area_code)"
	case "12":
		return "no such service: check url"
	}
	return ""
}

// codeNoData is the envelope's resultCode 03: the window holds no rows.
const codeNoData = "03"

// flex is a JSON value that data.go.kr writes as a string in one answer and
// as a number in another (tmFc, tmSeq, warnVar): its text either way.
type flex string

// UnmarshalJSON reads a string, a number, or null (as "").
func (f *flex) UnmarshalJSON(b []byte) error {
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
		*f = flex(strings.TrimSpace(s))
		return nil
	case jsonlit.Number(b):
		*f = flex(b)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("want a string or a number, got %.20s", b)
	}
	*f = flex(n.String())
	return nil
}

// envelope is a JSON answer of data.go.kr: the service's response, or the
// gateway's OpenAPI_ServiceResponse.
type envelope struct {
	Response *struct {
		Header *struct {
			ResultCode flex   `json:"resultCode"`
			ResultMsg  string `json:"resultMsg"`
		} `json:"header"`
		Body *struct {
			Items json.RawMessage `json:"items"`
		} `json:"body"`
	} `json:"response"`
	Gateway *gatewayHeader `json:"OpenAPI_ServiceResponse"`
}

// gatewayHeader is the gateway's error in JSON.
type gatewayHeader struct {
	Header cmmMsgHeader `json:"cmmMsgHeader"`
}

// cmmMsgHeader is the gateway's error, in JSON or XML.
type cmmMsgHeader struct {
	ErrMsg           string `json:"errMsg" xml:"errMsg"`
	ReturnAuthMsg    string `json:"returnAuthMsg" xml:"returnAuthMsg"`
	ReturnReasonCode flex   `json:"returnReasonCode" xml:"returnReasonCode"`
}

func (h cmmMsgHeader) err() *APIError {
	return &APIError{Code: strings.TrimSpace(string(h.ReturnReasonCode)), Message: strings.TrimSpace(h.ErrMsg),
		AuthMessage: strings.TrimSpace(h.ReturnAuthMsg), Gateway: true}
}

// decodeEnvelope reads one answer of a WthrWrnInfoService operation, already
// checked to be UTF-8, and returns its items: none for resultCode 03 (no
// data). Error envelopes, JSON or XML, are *APIError; anything else that is
// not the expected JSON is an error that says what came instead.
func decodeEnvelope(body []byte) ([]json.RawMessage, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, errors.New("empty answer")
	}
	if body[0] == '<' {
		return nil, xmlAnswer(body)
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, fmt.Errorf("malformed JSON at byte %d: %w", syn.Offset, err)
		}
		return nil, fmt.Errorf("not a data.go.kr JSON answer: %w", err)
	}
	if env.Gateway != nil {
		return nil, env.Gateway.Header.err()
	}
	if env.Response == nil || env.Response.Header == nil {
		return nil, errors.New("not a data.go.kr JSON answer: no response.header")
	}
	h := env.Response.Header
	switch code := strings.TrimSpace(string(h.ResultCode)); code {
	case "00", "0":
	case codeNoData:
		return nil, nil
	default:
		return nil, &APIError{Code: code, Message: strings.TrimSpace(h.ResultMsg)}
	}
	if env.Response.Body == nil {
		return nil, nil
	}
	return itemsOf(env.Response.Body.Items)
}

// itemsOf reads body.items: {"item": [...]}, {"item": {...}} (one item, as
// data.go.kr's XML-to-JSON conversion writes it), or an empty string, null
// or absent item when there is none.
func itemsOf(raw json.RawMessage) ([]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) || bytes.Equal(raw, []byte(`""`)) {
		return nil, nil
	}
	var items struct {
		Item json.RawMessage `json:"item"`
	}
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("body.items: %w", err)
	}
	item := bytes.TrimSpace(items.Item)
	switch {
	case len(item) == 0 || bytes.Equal(item, []byte("null")):
		return nil, nil
	case item[0] == '{':
		return []json.RawMessage{item}, nil
	case item[0] == '[':
		var list []json.RawMessage
		if err := json.Unmarshal(item, &list); err != nil {
			return nil, fmt.Errorf("body.items.item: %w", err)
		}
		return list, nil
	}
	return nil, errors.New("body.items.item is neither an object nor an array")
}

// xmlAnswer reads an XML answer: data.go.kr's gateway answers its errors in
// XML whatever dataType says, and so does the service for some of its own.
// An XML answer without an error is an error too: dataType=JSON was ignored.
func xmlAnswer(body []byte) error {
	var doc struct {
		XMLName xml.Name
		Gateway cmmMsgHeader `xml:"cmmMsgHeader"`
		Header  struct {
			ResultCode string `xml:"resultCode"`
			ResultMsg  string `xml:"resultMsg"`
		} `xml:"header"`
	}
	if err := xml.Unmarshal(body, &doc); err != nil {
		return fmt.Errorf("malformed XML answer: %w", err)
	}
	switch {
	case doc.XMLName.Local == "OpenAPI_ServiceResponse":
		return doc.Gateway.err()
	case doc.XMLName.Local == "response" && strings.TrimSpace(doc.Header.ResultCode) != "":
		code := strings.TrimSpace(doc.Header.ResultCode)
		if code == "00" || code == codeNoData {
			return fmt.Errorf("an XML answer (resultCode %q), not JSON: the request needs dataType=JSON", code)
		}
		return &APIError{Code: code, Message: strings.TrimSpace(doc.Header.ResultMsg)}
	}
	return fmt.Errorf("an XML answer <%s>, not a data.go.kr JSON answer", doc.XMLName.Local)
}
