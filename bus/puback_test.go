package bus

import (
	"encoding/json"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// pubAckCases are acknowledgements as the server writes them, and shapes it
// does not write, each with what it must read as. fast says whether
// parsePubAck reads it itself.
var pubAckCases = []struct {
	name   string
	data   string
	status string // the status header, for an empty message
	fast   bool
	seq    uint64
	dup    bool
	err    string
}{
	{name: "server", data: `{"stream":"HAZARDWIRE_ALERTS","seq":42}`, fast: true, seq: 42},
	{name: "server with domain", data: `{"stream":"S","domain":"hub","seq":42}`, fast: true, seq: 42},
	{name: "server duplicate", data: `{"stream":"S","seq":42,"duplicate": true}`, fast: true, seq: 42, dup: true},
	{name: "domain and duplicate", data: `{"stream":"S","domain":"d","seq":1,"duplicate": true}`, fast: true, seq: 1, dup: true},
	{name: "duplicate without space", data: `{"stream":"S","seq":1,"duplicate":true}`, fast: true, seq: 1, dup: true},
	{name: "duplicate false", data: `{"stream":"S","seq":1,"duplicate":false}`, fast: true, seq: 1},
	{name: "other order", data: `{"duplicate":true,"seq":7,"stream":"S"}`, fast: true, seq: 7, dup: true},
	{name: "white space", data: "\r\n{ \"stream\" : \"S\" ,\n\t\"seq\" : 7 }\n", fast: true, seq: 7},
	{name: "empty domain", data: `{"stream":"S","seq":1,"domain":""}`, fast: true, seq: 1},
	{name: "largest seq", data: `{"stream":"S","seq":18446744073709551615}`, fast: true, seq: 1<<64 - 1},
	{name: "seq 0", data: `{"stream":"S","seq":0}`, fast: true},
	{name: "stream of punctuation", data: `{"stream":"a-b_c{}[],: ~","seq":3}`, fast: true, seq: 3},

	{name: "escapes in stream", data: `{"stream":"a\"b\\c\u00e9","seq":1}`, seq: 1},
	{name: "escaped key", data: `{"s\u0074ream":"S","seq":1}`, seq: 1},
	{name: "non-ASCII stream", data: `{"stream":"é","seq":1}`, seq: 1},
	{name: "invalid UTF-8 in stream", data: "{\"stream\":\"\xff\",\"seq\":1}", seq: 1},
	{name: "tab in stream", data: "{\"stream\":\"a\tb\",\"seq\":1}", err: jetstream.ErrInvalidJSAck.Error()},
	{name: "upper-case keys", data: `{"STREAM":"S","Seq":5}`, seq: 5},
	{name: "repeated member", data: `{"stream":"S","seq":1,"seq":2}`, seq: 2},
	{name: "no seq", data: `{"stream":"S"}`},
	{name: "duplicate null", data: `{"stream":"S","seq":1,"duplicate":null}`, seq: 1},
	{name: "counter value", data: `{"stream":"S","seq":1,"val":"5"}`, seq: 1},
	{name: "batch commit", data: `{"stream":"S","seq":3,"batch":"b1","count":3}`, seq: 3},
	{name: "type member", data: `{"type":"io.nats.jetstream.api.v1.pub_ack_response","stream":"S","seq":4}`, seq: 4},

	{
		name: "API error",
		data: `{"error":{"code":400,"err_code":10060,"description":"expected stream does not match"}}`,
		err:  "nats: API error: code=400 err_code=10060 description=expected stream does not match",
	},
	{
		name: "API error with a stream",
		data: `{"stream":"S","seq":1,"error":{"code":503,"err_code":10077,"description":"maximum messages exceeded"}}`,
		err:  "nats: API error: code=503 err_code=10077 description=maximum messages exceeded",
	},
	{name: "no responders", status: "503", err: jetstream.ErrNoStreamResponse.Error()},
	{name: "empty", err: jetstream.ErrInvalidJSAck.Error()},
	{name: "empty object", data: `{}`, err: jetstream.ErrInvalidJSAck.Error()},
	{name: "null", data: `null`, err: jetstream.ErrInvalidJSAck.Error()},
	{name: "empty stream", data: `{"stream":"","seq":1}`, err: jetstream.ErrInvalidJSAck.Error()},
	{name: "no stream", data: `{"seq":1}`, err: jetstream.ErrInvalidJSAck.Error()},
	{name: "leading zero", data: `{"stream":"S","seq":01}`, err: jetstream.ErrInvalidJSAck.Error()},
	{name: "seq overflow", data: `{"stream":"S","seq":18446744073709551616}`, err: jetstream.ErrInvalidJSAck.Error()},
	{name: "negative seq", data: `{"stream":"S","seq":-1}`, err: jetstream.ErrInvalidJSAck.Error()},
	{name: "fraction", data: `{"stream":"S","seq":1.0}`, err: jetstream.ErrInvalidJSAck.Error()},
	{name: "exponent", data: `{"stream":"S","seq":1e2}`, err: jetstream.ErrInvalidJSAck.Error()},
	{name: "seq as a string", data: `{"stream":"S","seq":"1"}`, err: jetstream.ErrInvalidJSAck.Error()},
	{name: "duplicate as a string", data: `{"stream":"S","seq":1,"duplicate":"true"}`, err: jetstream.ErrInvalidJSAck.Error()},
	{name: "duplicate misspelt", data: `{"stream":"S","seq":1,"duplicate":tru}`, err: jetstream.ErrInvalidJSAck.Error()},
	{name: "trailing garbage", data: `{"stream":"S","seq":1}x`, err: jetstream.ErrInvalidJSAck.Error()},
	{name: "trailing comma", data: `{"stream":"S","seq":1,}`, err: jetstream.ErrInvalidJSAck.Error()},
	{name: "unterminated", data: `{"stream":"S","seq":1`, err: jetstream.ErrInvalidJSAck.Error()},
	{name: "unterminated string", data: `{"stream":"S`, err: jetstream.ErrInvalidJSAck.Error()},
}

func TestDecodeAck(t *testing.T) {
	for _, tc := range pubAckCases {
		t.Run(tc.name, func(t *testing.T) {
			m := &nats.Msg{Data: []byte(tc.data)}
			if tc.status != "" {
				m.Header = nats.Header{"Status": {tc.status}}
			}
			if _, fast := parsePubAck(m.Data); fast != tc.fast {
				t.Errorf("read by the fast path: %v, want %v", fast, tc.fast)
			}
			got := decodeAck(m)
			if got.Seq != tc.seq || got.Duplicate != tc.dup || errText(got.Err) != tc.err {
				t.Errorf("decodeAck = %+v, want seq %d, duplicate %v, error %q", got, tc.seq, tc.dup, tc.err)
			}
			checkAgainstJSON(t, m.Data)
		})
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// checkAgainstJSON fails t if parsePubAck reads data other than
// encoding/json does, or reads what encoding/json refuses.
func checkAgainstJSON(t *testing.T, data []byte) {
	t.Helper()
	fast, ok := parsePubAck(data)
	if !ok {
		return
	}
	var r struct {
		Error *jetstream.APIError `json:"error"`
		jetstream.PubAck
	}
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatalf("parsePubAck read %q, which encoding/json refuses: %v", data, err)
	}
	got := jetstream.PubAck{Stream: string(fast.stream), Sequence: fast.seq, Duplicate: fast.dup, Domain: string(fast.domain)}
	if r.Error != nil || r.Stream == "" || got != r.PubAck {
		t.Fatalf("parsePubAck read %q as %+v; encoding/json reads %+v, error %v", data, got, r.PubAck, r.Error)
	}
}

func FuzzParsePubAck(f *testing.F) {
	for _, tc := range pubAckCases {
		f.Add([]byte(tc.data))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkAgainstJSON(t, data)
		m := &nats.Msg{Data: data}
		if got, want := decodeAck(m), decodeAckJSON(m); got.Seq != want.Seq || got.Duplicate != want.Duplicate ||
			errText(got.Err) != errText(want.Err) {
			t.Fatalf("decodeAck(%q) = %+v, encoding/json alone %+v", data, got, want)
		}
	})
}

// TestParsePubAckAllocs: the server's acknowledgements cost no allocation.
func TestParsePubAckAllocs(t *testing.T) {
	data := []byte(`{"stream":"HAZARDWIRE_ALERTS","domain":"hub","seq":123456,"duplicate": true}`)
	if n := testing.AllocsPerRun(100, func() { _, _ = parsePubAck(data) }); n != 0 {
		t.Errorf("parsePubAck allocates %v times", n)
	}
}

// BenchmarkDecodeAck compares the fast path with encoding/json on the
// server's usual acknowledgement.
func BenchmarkDecodeAck(b *testing.B) {
	m := &nats.Msg{Data: []byte(`{"stream":"HAZARDWIRE_ALERTS","seq":123456}`)}
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			decodeAck(m)
		}
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			decodeAckJSON(m)
		}
	})
}
