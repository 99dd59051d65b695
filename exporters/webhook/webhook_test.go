package webhook

import (
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/exporters"
	"github.com/hazardwire/hazardwire/internal/secret"
)

// The Standard Webhooks reference vector; the npm package standardwebhooks
// 1.1.1 signs it to the same value.
func TestSignMatchesStandardWebhooksVector(t *testing.T) {
	key, err := ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	got := Sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("signature %q, want %q", got, want)
	}
}

func TestVerify(t *testing.T) {
	key := []byte("0123456789abcdef")
	other := []byte("fedcba9876543210")
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"id":"k#1"}`)
	h := func(ts int64, keys ...[]byte) http.Header {
		x := http.Header{}
		x.Set(HeaderID, "k#1")
		x.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
		x.Set(HeaderSignature, SignatureHeader(keys, "k#1", ts, body))
		return x
	}
	tests := []struct {
		name string
		hdr  http.Header
		body []byte
		want error
	}{
		{"valid", h(now.Unix(), key), body, nil},
		{"rotation: second of two signatures", h(now.Unix(), other, key), body, nil},
		{"wrong key", h(now.Unix(), other), body, ErrSignature},
		{"tampered body", h(now.Unix(), key), []byte(`{"id":"k#2"}`), ErrSignature},
		{"too old", h(now.Add(-10*time.Minute).Unix(), key), body, ErrTimestamp},
		{"missing headers", http.Header{}, body, ErrMissingHeaders},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Verify(key, tt.hdr, tt.body, now, 5*time.Minute); err != tt.want {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	tests := []struct {
		status     int
		retryAfter string
		ok, retry  bool
		reason     string
		wait       time.Duration
	}{
		{200, "", true, false, "ok", 0},
		{204, "", true, false, "ok", 0},
		{408, "", false, true, "timeout", 0},
		{429, "7", false, true, "http_429", 7 * time.Second},
		{503, now.Add(30 * time.Second).UTC().Format(http.TimeFormat), false, true, "http_5xx", 30 * time.Second},
		{500, "garbage", false, true, "http_5xx", 0},
		{400, "", false, false, "http_4xx", 0},
		{401, "", false, false, "http_4xx", 0},
		{410, "", false, false, "gone", 0},
	}
	for _, tt := range tests {
		o := Classify(tt.status, tt.retryAfter, now)
		if (o.Err == nil) != tt.ok || o.Retry != tt.retry || o.Reason != tt.reason || o.RetryAfter != tt.wait {
			t.Errorf("Classify(%d, %q) = %+v, want ok=%v retry=%v reason=%s wait=%s", tt.status, tt.retryAfter, o, tt.ok, tt.retry, tt.reason, tt.wait)
		}
	}
}

func TestRenderCloudEvents(t *testing.T) {
	sent := time.Date(2026, 7, 1, 9, 0, 0, 0, time.FixedZone("", 9*3600))
	exp := sent.Add(6 * time.Hour)
	a := &alert.Alert{ID: "kma:L1100000/12#2", Key: "kma:L1100000/12", Version: 2, Change: alert.ChangeUpdate, Source: "kma", Sent: sent, Expires: &exp}
	published := []byte(`{"id":"kma:L1100000/12#2","version":2}`)
	if b, err := Render(FormatJSON, a, published); err != nil || string(b) != string(published) {
		t.Fatalf("json body %s, %v: want the published bytes unchanged", b, err)
	}
	b, err := Render(FormatCloudEvents, a, published)
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"specversion": "1.0", "id": a.ID, "type": "org.hazardwire.alert.update",
		"source": "/hazardwire/collectors/kma", "subject": a.Key, "time": "2026-07-01T09:00:00+09:00", "datacontenttype": "application/json",
		"expirytime": "2026-07-01T15:00:00+09:00", "sequence": "2"}
	for k, v := range want {
		if ev[k] != v {
			t.Errorf("%s = %v, want %v", k, ev[k], v)
		}
	}
	if data, _ := json.Marshal(ev["data"]); string(data) != string(published) {
		t.Errorf("data = %s, want the alert", data)
	}
	if ContentType(FormatCloudEvents) != "application/cloudevents+json" || ContentType(FormatJSON) != "application/json" {
		t.Error("content types")
	}
}

func TestBuildRejectsBadOptions(t *testing.T) {
	good := "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))
	for _, tt := range []struct {
		o    Options
		want string
	}{
		{Options{URL: "ftp://x", Secret: good}, "want an http(s) URL"},
		{Options{URL: "https://p.example/h"}, "secret is required"},
		{Options{URL: "https://p.example/h", Secret: "plain"}, `must start with "whsec_"`},
		{Options{URL: "https://p.example/h", Secret: "whsec_c2hvcnQ="}, "at least 16"},
		{Options{URL: "https://p.example/h", Secret: good, Format: "xml"}, `format "xml"`},
		{Options{URL: "https://p.example/h", Secret: good, Format: "cap", CAPSender: "a b"}, "cap_sender"},
		{Options{URL: "https://p.example/h", Secret: good, SecretFile: "/x"}, "set one of secret and secret_file, not both"},
		{Options{URL: "https://p.example/h", Secret: good, BearerToken: "tok", BearerTokenFile: "/x"}, "set one of bearer_token and bearer_token_file, not both"},
	} {
		if _, err := build("p", tt.o, nil, nil); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: error %v, want %q", tt.o, err, tt.want)
		}
	}
}

func TestHeartbeatIsASignedCloudEvent(t *testing.T) {
	key := []byte("0123456789abcdef")
	got := make(chan map[string]any, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := Verify(key, r.Header, body, time.Now(), time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var ev map[string]any
		_ = json.Unmarshal(body, &ev)
		ev["content-type"] = r.Header.Get("Content-Type")
		got <- ev
	}))
	defer srv.Close()
	w, err := build("portal", Options{URL: srv.URL, Secret: "whsec_" + base64.StdEncoding.EncodeToString(key)}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Heartbeat(t.Context()); err != nil {
		t.Fatal(err)
	}
	ev := <-got
	if ev["type"] != "org.hazardwire.heartbeat" || ev["specversion"] != "1.0" || ev["content-type"] != "application/cloudevents+json" {
		t.Errorf("heartbeat %v", ev)
	}
}

// TestCAPDelivery: format cap posts a CAP 1.2 document whose identifier and
// msgType follow the change.
func TestCAPDelivery(t *testing.T) {
	type capAlert struct {
		Identifier string `xml:"identifier"`
		Sender     string `xml:"sender"`
		MsgType    string `xml:"msgType"`
		References string `xml:"references"`
	}
	got := make(chan capAlert, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var c capAlert
		if r.Header.Get("Content-Type") != "application/cap+xml" || xml.Unmarshal(body, &c) != nil {
			http.Error(w, "not CAP", http.StatusUnsupportedMediaType)
			return
		}
		got <- c
	}))
	defer srv.Close()
	w, err := build("p", Options{URL: srv.URL, Format: FormatCAP, CAPSender: "hazardwire@example.org",
		Secret: "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	sent := time.Date(2026, 8, 1, 9, 0, 0, 0, alert.KST)
	exp := sent.Add(3 * time.Hour)
	a := &alert.Alert{ID: "kma:L1100000/12#2", Key: "kma:L1100000/12", Version: 2, Change: alert.ChangeCancel, State: alert.StateEnded,
		Source: "kma", SourceKind: "kma", Hazard: alert.HazardHeat, Event: "폭염주의보", Status: alert.StatusActual,
		Severity: alert.SeverityModerate, Urgency: alert.UrgencyPast, Certainty: alert.CertaintyObserved, Sent: sent, Expires: &exp,
		Language: "ko-KR", References: []string{"kma:L1100000/12#1"}}
	if o := w.Deliver(t.Context(), exporters.Delivery{Alert: a, Body: []byte(`{}`)}); o.Err != nil {
		t.Fatal(o.Err)
	}
	c := <-got
	if id, ok := alert.ParseCAPIdentifier(c.Identifier); !ok || id != a.ID || c.MsgType != "Cancel" || c.Sender != "hazardwire@example.org" {
		t.Errorf("CAP document: %+v", c)
	}
	if !strings.Contains(c.References, alert.CAPIdentifier("kma:L1100000/12#1")) {
		t.Errorf("references %q lack the first version", c.References)
	}
}

// TestSecretFiles: secret_file and bearer_token_file are read beside the
// config, trimmed; set with their inline keys, or missing, they are errors
// that name the key and show no secret.
func TestSecretFiles(t *testing.T) {
	const token = "partner-bearer-token-0123"
	good := "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "secrets"), 0o700); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]string{"secret": good, "token": token} {
		if err := os.WriteFile(filepath.Join(dir, "secrets", name), []byte(v+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	build := func(o Options) (exporters.Exporter, error) {
		o.URL = "https://p.example/h"
		return New(exporters.Env{Name: "p", Files: secret.Files{Dir: dir}}, func(v any) error { *v.(*Options) = o; return nil })
	}
	e, err := build(Options{SecretFile: "secrets/secret", BearerTokenFile: "secrets/token"})
	if err != nil {
		t.Fatalf("files beside the config: %v", err)
	}
	if got := e.(*Webhook).fixed; len(got) != 1 || got[0] != (header{"Authorization", "Bearer " + token}) {
		t.Errorf("headers %q, want the bearer token from its file", got)
	}
	if len(e.(*Webhook).signers) != 1 {
		t.Errorf("%d signing keys, want 1 from secret_file", len(e.(*Webhook).signers))
	}
	for _, tt := range []struct {
		o    Options
		want string
	}{
		{Options{Secret: good, BearerToken: token, BearerTokenFile: "secrets/token"}, "set one of bearer_token and bearer_token_file, not both"},
		{Options{Secret: good, BearerTokenFile: "secrets/absent"}, "bearer_token_file: open " + filepath.Join(dir, "secrets", "absent")},
		{Options{Secret: good, SecretFile: "secrets/secret"}, "set one of secret and secret_file, not both"},
		{Options{SecretFile: "secrets/absent"}, "secret_file: open " + filepath.Join(dir, "secrets", "absent")},
	} {
		_, err := build(tt.o)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: error %v, want %q", tt.o, err, tt.want)
		} else if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), good) {
			t.Errorf("the error shows a secret: %v", err)
		}
	}
}
