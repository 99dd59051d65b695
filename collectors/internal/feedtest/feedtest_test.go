package feedtest

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
)

func get(t *testing.T, url, etag string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestServer(t *testing.T) {
	s := NewServer(t)
	s.Set("/a", []byte("<a/>"))
	resp, body := get(t, s.URL+"/a", "")
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != 200 || body != "<a/>" || etag == "" {
		t.Fatalf("first = %d %q %q", resp.StatusCode, body, etag)
	}
	if resp, _ := get(t, s.URL+"/a", etag); resp.StatusCode != http.StatusNotModified {
		t.Errorf("conditional = %d, want 304", resp.StatusCode)
	}
	s.Fail("/a", 503)
	if resp, body := get(t, s.URL+"/a", ""); resp.StatusCode != 503 || body != "upstream trouble" {
		t.Errorf("failing = %d %q", resp.StatusCode, body)
	}
	if resp, _ := get(t, s.URL+"/none", ""); resp.StatusCode != 404 {
		t.Errorf("unknown = %d", resp.StatusCode)
	}
	if s.Count("/a") != 3 || s.Total() != 4 || s.LastHeader(t, "/a").Get("If-None-Match") != "" {
		t.Errorf("count %d, total %d", s.Count("/a"), s.Total())
	}
}

func TestClocks(t *testing.T) {
	tick := TickingClock()
	if a, b := tick(), tick(); b.Sub(a) != time.Hour {
		t.Errorf("ticking clock moved %v", b.Sub(a))
	}
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	c := NewManualClock(start)
	c.Advance(time.Minute)
	if got := c.Now(); !got.Equal(start.Add(time.Minute)) || !c.Now().Equal(got) {
		t.Errorf("manual clock = %v", got)
	}
}

func TestCheckResultAcceptsPublishable(t *testing.T) {
	a := alert.Alert{Key: "fuzz:k", Source: "fuzz", SourceKind: "k", Hazard: alert.HazardFlood, Status: alert.StatusActual,
		Sent: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Event: "Flood", Language: "en-US",
		Severity: alert.SeveritySevere, Urgency: alert.ParseUrgency("Expected"), Certainty: alert.ParseCertainty("Likely")}
	if err := a.Validate(); err != nil {
		t.Fatalf("the test's alert does not validate: %v", err)
	}
	CheckResult(t, collectors.Result{Items: []collectors.Item{{Alert: a, Intent: collectors.IntentActive}}, Fetched: 2, Dropped: map[string]int{"unmapped": 1}}, "fuzz:")
}
