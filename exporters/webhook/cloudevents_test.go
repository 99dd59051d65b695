package webhook

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/binding"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/exporters"
)

// TestCloudEventsSDKReadsDeliveries: a partner using the CloudEvents Go SDK
// reads a `format: cloudevents` delivery as a valid structured event.
func TestCloudEventsSDKReadsDeliveries(t *testing.T) {
	got := make(chan error, 1)
	var ev map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e, err := binding.ToEvent(r.Context(), cehttp.NewMessageFromHttpRequest(r))
		if err == nil {
			err = e.Validate()
		}
		if err == nil {
			var data alert.Alert
			if err = e.DataAs(&data); err == nil {
				ev = map[string]any{"type": e.Type(), "id": e.ID(), "subject": e.Subject(), "source": e.Source(),
					"sequence": e.Extensions()["sequence"], "expirytime": e.Extensions()["expirytime"], "data.id": data.ID}
			}
		}
		got <- err
	}))
	defer srv.Close()
	w, err := build("p", Options{URL: srv.URL, Format: FormatCloudEvents, Secret: "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	sent := time.Date(2026, 8, 1, 9, 0, 0, 0, alert.KST)
	exp := sent.Add(3 * time.Hour)
	a := &alert.Alert{ID: "kma:L1100000/12#3", Key: "kma:L1100000/12", Version: 3, Change: alert.ChangeCancel, State: alert.StateEnded,
		Source: "kma", Sent: sent, Expires: &exp}
	body, _ := json.Marshal(a)
	if o := w.Deliver(t.Context(), exporters.Delivery{Alert: a, Body: body}); o.Err != nil {
		t.Fatal(o.Err)
	}
	if err := <-got; err != nil {
		t.Fatalf("the CloudEvents SDK rejected the delivery: %v", err)
	}
	want := map[string]any{"type": "org.hazardwire.alert.cancel", "id": a.ID, "subject": a.Key, "source": "/hazardwire/collectors/kma",
		"sequence": "3", "data.id": a.ID}
	for k, v := range want {
		if ev[k] != v {
			t.Errorf("%s = %v, want %v", k, ev[k], v)
		}
	}
	if ev["expirytime"] == nil {
		t.Error("no expirytime extension")
	}
}

// TestKeyRotation: with two secrets configured, a partner holding either key
// accepts the delivery.
func TestKeyRotation(t *testing.T) {
	oldKey, newKey := []byte("old-key-0123456789abcdef"), []byte("new-key-0123456789abcdef")
	results := make(chan [2]error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		results <- [2]error{Verify(oldKey, r.Header, body, time.Now(), time.Minute), Verify(newKey, r.Header, body, time.Now(), time.Minute)}
	}))
	defer srv.Close()
	secrets := "whsec_" + base64.StdEncoding.EncodeToString(oldKey) + " whsec_" + base64.StdEncoding.EncodeToString(newKey)
	w, err := build("p", Options{URL: srv.URL, Secret: secrets}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := &alert.Alert{ID: "k#1", Key: "k", Version: 1, Change: alert.ChangeNew, Sent: time.Now()}
	if o := w.Deliver(t.Context(), exporters.Delivery{Alert: a, Body: []byte(`{"id":"k#1"}`)}); o.Err != nil {
		t.Fatal(o.Err)
	}
	r := <-results
	if r[0] != nil || r[1] != nil {
		t.Fatalf("old key: %v, new key: %v", r[0], r[1])
	}
}
