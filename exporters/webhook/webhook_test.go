package webhook

import (
	"net/http"
	"strconv"
	"testing"
	"time"
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
