package webhook

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/exporters"
)

// rawRequest delivers a (its JSON body) with a webhook built from o, whose
// URL it sets to a loopback listener, at a fixed time; it reads the request
// exactly as the client wrote it, answers 204 and returns the bytes.
func rawRequest(t *testing.T, o Options, a *alert.Alert, body []byte) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- "accept: " + err.Error()
			return
		}
		defer c.Close()
		var raw bytes.Buffer
		br := bufio.NewReader(io.TeeReader(c, &raw))
		n := 0
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				got <- "read: " + err.Error()
				return
			}
			if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
				n, _ = strconv.Atoi(strings.TrimSpace(v))
			}
			if line == "\r\n" {
				break
			}
		}
		if _, err := io.ReadFull(br, make([]byte, n)); err != nil {
			got <- "body: " + err.Error()
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.1 204 No Content\r\n\r\n")
		got <- strings.ReplaceAll(raw.String(), ln.Addr().String(), "HOST")
	}()
	o.URL = "http://" + ln.Addr().String() + "/hook?token=t"
	w, err := build("p", o, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.now = func() time.Time { return time.Unix(1_800_000_000, 0) }
	if out := w.Deliver(context.Background(), exporters.Delivery{Alert: a, Body: body, Attempt: 1}); out.Err != nil {
		t.Error(out.Err)
	}
	return <-got
}

// TestRequestOnTheWire pins the delivery request byte for byte: the headers
// (their names, values and order), the two signatures of a key rotation and
// the body as published. Any change here is a change of the partner contract.
func TestRequestOnTheWire(t *testing.T) {
	k1, k2 := []byte("old-key-0123456789abcdef"), []byte("new-key-0123456789abcdef")
	secrets := "whsec_" + base64.StdEncoding.EncodeToString(k1) + " whsec_" + base64.StdEncoding.EncodeToString(k2)
	body := []byte(`{"id":"nws:KLWX.FL.W.0042#1","key":"nws:KLWX.FL.W.0042","version":1}`)
	a := &alert.Alert{ID: "nws:KLWX.FL.W.0042#1", Key: "nws:KLWX.FL.W.0042", Version: 1, Change: alert.ChangeNew}
	raw := rawRequest(t, Options{Secret: secrets, BearerToken: "tok",
		Headers: map[string]string{"x-partner-tenant": "acme", "X-Trace": "on"}}, a, body)
	want := "POST /hook?token=t HTTP/1.1\r\n" +
		"Host: HOST\r\n" +
		"User-Agent: hazardwire\r\n" +
		"Content-Length: 68\r\n" +
		"Authorization: Bearer tok\r\n" +
		"Content-Type: application/json\r\n" +
		"Webhook-Id: nws:KLWX.FL.W.0042#1\r\n" +
		"Webhook-Signature: v1,mCCMnpIBDlQwaDtB404QiyuThWhHiPVG1aiO5PB7UYQ= v1,2IRRGSFEiWWT8I5F0AkoYVcoXIhgkL3u+LoRo7fXh14=\r\n" +
		"Webhook-Timestamp: 1800000000\r\n" +
		"X-Partner-Tenant: acme\r\n" +
		"X-Trace: on\r\n" +
		"Accept-Encoding: gzip\r\n" +
		"\r\n" + string(body)
	if raw != want {
		t.Errorf("request on the wire:\n%s\nwant:\n%s", raw, want)
	}
}

// TestHeadersOverride: configured headers replace Content-Type and
// User-Agent, never the authorization or the Standard Webhooks headers.
func TestHeadersOverride(t *testing.T) {
	key := []byte("0123456789abcdef")
	body := []byte(`{"id":"k#1"}`)
	a := &alert.Alert{ID: "k#1", Key: "k", Version: 1, Change: alert.ChangeNew}
	raw := rawRequest(t, Options{Secret: "whsec_" + base64.StdEncoding.EncodeToString(key), BearerToken: "tok",
		Headers: map[string]string{"content-type": "application/vnd.partner+json", "User-Agent": "partner-ua",
			"Authorization": "Basic xyz", "webhook-id": "forged", "Webhook-Timestamp": "1", "webhook-signature": "v1,forged"}}, a, body)
	want := "POST /hook?token=t HTTP/1.1\r\n" +
		"Host: HOST\r\n" +
		"User-Agent: partner-ua\r\n" +
		"Content-Length: 12\r\n" +
		"Authorization: Bearer tok\r\n" +
		"Content-Type: application/vnd.partner+json\r\n" +
		"Webhook-Id: k#1\r\n" +
		"Webhook-Signature: " + Sign(key, a.ID, 1_800_000_000, body) + "\r\n" +
		"Webhook-Timestamp: 1800000000\r\n" +
		"Accept-Encoding: gzip\r\n" +
		"\r\n" + string(body)
	if raw != want {
		t.Errorf("request on the wire:\n%s\nwant:\n%s", raw, want)
	}
}

// TestSignatureHeaderMatchesSign: the header is each key's Sign, space
// separated, whatever the sizes (an empty body, one of several blocks).
func TestSignatureHeaderMatchesSign(t *testing.T) {
	keys := [][]byte{[]byte("0123456789abcdef"), bytes.Repeat([]byte("k"), 100), []byte("fedcba9876543210fedcba9876543210")}
	for _, n := range []int{0, 1, 55, 64, 2300} {
		body := bytes.Repeat([]byte("x"), n)
		for i := 1; i <= len(keys); i++ {
			var want []string
			for _, k := range keys[:i] {
				want = append(want, Sign(k, "id#1", 1_800_000_000, body))
			}
			if got := SignatureHeader(keys[:i], "id#1", 1_800_000_000, body); got != strings.Join(want, " ") {
				t.Errorf("%d keys, %d bytes: %q, want %q", i, n, got, strings.Join(want, " "))
			}
		}
	}
}

// stubTransport answers every request 204 without a network, so that the
// benchmarks measure what the exporter does around the round trip.
type stubTransport struct{}

func (stubTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	return &http.Response{StatusCode: http.StatusNoContent, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
}

func benchAlert() (*alert.Alert, []byte) {
	body := append([]byte(`{"id":"nws:KLWX.FL.W.0042#1","description":"`), bytes.Repeat([]byte("x"), 2200)...)
	body = append(body, `"}`...)
	return &alert.Alert{ID: "nws:KLWX.FL.W.0042#1", Key: "nws:KLWX.FL.W.0042", Version: 1, Change: alert.ChangeNew}, body
}

// BenchmarkDeliver: one delivery of a 2.3 KB change, without the network.
func BenchmarkDeliver(b *testing.B) {
	w, err := build("p", Options{URL: "http://127.0.0.1:1/hook", Secret: "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))}, stubTransport{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	a, body := benchAlert()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if o := w.Deliver(b.Context(), exporters.Delivery{Alert: a, Body: body, Attempt: 1}); o.Err != nil {
			b.Fatal(o.Err)
		}
	}
}

// BenchmarkSignatureHeader: the signature of one 2.3 KB change with one key.
func BenchmarkSignatureHeader(b *testing.B) {
	keys := [][]byte{[]byte("0123456789abcdef0123456789abcdef")}
	a, body := benchAlert()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		_ = SignatureHeader(keys, a.ID, 1_800_000_000, body)
	}
}

// BenchmarkSignatures: the same with the exporter's reused HMAC state, as
// a delivery signs.
func BenchmarkSignatures(b *testing.B) {
	signers := []*signer{newSigner([]byte("0123456789abcdef0123456789abcdef"))}
	a, body := benchAlert()
	var dst []byte
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		dst = appendSignatures(dst[:0], signers, a.ID, 1_800_000_000, body)
	}
}
