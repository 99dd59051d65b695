package daemon_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/internal/daemon"
)

func TestStatusPageAndAPI(t *testing.T) {
	now := time.Now()
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/broken" {
			http.Error(w, "upstream down", http.StatusBadGateway)
			return
		}
		fmt.Fprintf(w, capAlert, now.Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))
	}))
	defer feed.Close()
	yaml := fmt.Sprintf(`bus: {store_dir: %q}
http: {listen: "127.0.0.1:0"}
collectors:
  - {name: kma, kind: cap, schedule: "@every 1h", url: %q}
  - {name: broken, kind: cap, schedule: "@every 1h", url: %q}
exporters:
  - {name: portal, kind: webhook, url: "http://127.0.0.1:1/hook", secret: "whsec_%s"}
`, t.TempDir(), feed.URL+"/kma", feed.URL+"/broken", base64.StdEncoding.EncodeToString([]byte("0123456789abcdef")))
	d := run(t, yaml)
	base := "http://" + d.Addr().String()
	waitUntil(t, "both collectors to run", func() bool {
		s := d.Status()
		return len(s.Collectors) == 2 && !s.Collectors[0].LastRun.IsZero() && !s.Collectors[1].LastRun.IsZero() && len(active(t, d)) == 1
	})

	waitUntil(t, "a failed delivery to the unreachable partner", func() bool {
		s := d.Status()
		return len(s.Exporters) == 1 && s.Exporters[0].Failures > 0
	})
	var st daemon.Status
	_, body := get(t, base+"/api/v1/status")
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatal(err)
	}
	if st.Collectors[0].Name != "broken" || !st.Collectors[0].Failing || !strings.Contains(st.Collectors[0].LastError, "HTTP 502") {
		t.Errorf("broken collector status: %+v", st.Collectors[0])
	}
	if st.Collectors[1].Name != "kma" || st.Collectors[1].Failing || st.Collectors[1].Items != 1 {
		t.Errorf("kma collector status: %+v", st.Collectors[1])
	}
	if e := st.Exporters[0]; e.Name != "portal" || e.Delivered != 0 || e.LastError == "" {
		t.Errorf("exporter status: %+v", e)
	}
	if st.Active["heat/moderate"] != 1 || len(st.Exporters) != 1 || !st.Reload.Successful {
		t.Errorf("status: %+v", st)
	}

	code, page := get(t, base+"/")
	if code != 200 || !strings.Contains(page, `data-collector="kma"`) || !strings.Contains(page, "attention needed") {
		t.Errorf("status page %d:\n%s", code, page)
	}
	if !strings.Contains(page, `<tr class="failing" data-collector="broken">`) {
		t.Error("the failing collector is not shown as failing")
	}
	if strings.Contains(page, "http://") && strings.Contains(page, "<script src") {
		t.Error("the status page loads external assets")
	}

	for q, want := range map[string]int{"": 1, "?hazard=heat": 1, "?hazard=flood": 0, "?min_severity=severe": 0,
		"?geocode=KMA_REG:L11": 1, "?geocode=KMA_REG:L12": 0, "?source=kma,nws": 1} {
		var res struct {
			Count int `json:"count"`
		}
		_, body := get(t, base+"/api/v1/alerts"+q)
		if err := json.Unmarshal([]byte(body), &res); err != nil || res.Count != want {
			t.Errorf("/api/v1/alerts%s: count %d (%v), want %d", q, res.Count, err, want)
		}
	}
	if code, _ := get(t, base+"/api/v1/alerts?bbox=1,2"); code != http.StatusBadRequest {
		t.Errorf("bad bbox: %d", code)
	}
}

// runWithAlert runs a daemon whose one collector polls capFeed hourly, with
// more http keys when httpKeys is not empty, and waits until its alert is
// in force.
func runWithAlert(t *testing.T, httpKeys string) *daemon.Daemon {
	t.Helper()
	if httpKeys != "" {
		httpKeys = ", " + httpKeys
	}
	d := run(t, fmt.Sprintf("bus: {store_dir: %q}\nhttp: {listen: \"127.0.0.1:0\"%s}\ncollectors:\n  - {name: kma, kind: cap, schedule: \"@every 1h\", url: %q}\n",
		t.TempDir(), httpKeys, capFeed(t).URL))
	waitUntil(t, "the alert", func() bool { return len(active(t, d)) == 1 })
	return d
}

// TestAtomLinksFromPublicURL: behind a proxy that ends TLS, the Atom feed's
// id and links are made from http.public_url, not from the request's Host
// over http (which a partner reaching https://… could not follow).
func TestAtomLinksFromPublicURL(t *testing.T) {
	d := runWithAlert(t, `public_url: "https://alerts.example.org/hw/"`)
	code, atom := get(t, "http://"+d.Addr().String()+"/feeds/cap.atom?hazard=heat")
	var f struct {
		ID   string `xml:"id"`
		Link struct {
			Href string `xml:"href,attr"`
		} `xml:"link"`
		Entries []struct {
			Link struct {
				Href string `xml:"href,attr"`
			} `xml:"link"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal([]byte(atom), &f); code != 200 || err != nil || len(f.Entries) != 1 {
		t.Fatalf("cap.atom %d (%v):\n%s", code, err, atom)
	}
	const base = "https://alerts.example.org/hw"
	if f.ID != base+"/feeds/cap.atom" || f.Link.Href != base+"/feeds/cap.atom?hazard=heat" ||
		!strings.HasPrefix(f.Entries[0].Link.Href, base+"/feeds/alerts/") {
		t.Errorf("id %q, self %q, entry %q: want them under %s", f.ID, f.Link.Href, f.Entries[0].Link.Href, base)
	}
}

func TestVersionsAndEventStream(t *testing.T) {
	d := runWithAlert(t, "")
	base := "http://" + d.Addr().String()

	key := "kma:kma@example,KMA-1/ko-KR"
	var v struct {
		Versions []struct {
			ID string `json:"id"`
		} `json:"versions"`
	}
	_, body := get(t, base+"/api/v1/alerts/"+url.PathEscape(key))
	if err := json.Unmarshal([]byte(body), &v); err != nil || len(v.Versions) != 1 || v.Versions[0].ID != key+"#1" {
		t.Fatalf("versions: %s (%v)", body, err)
	}
	if code, _ := get(t, base+"/api/v1/alerts/nope"); code != http.StatusNotFound {
		t.Errorf("unknown key: %d", code)
	}

	// The CAP feed: an Atom index of the alerts in force linking each as CAP 1.2.
	code, atom := get(t, base+"/feeds/cap.atom")
	if code != 200 || !strings.Contains(atom, `type="application/cap+xml"`) || !strings.Contains(atom, "폭염주의보 발표") {
		t.Fatalf("cap.atom %d:\n%s", code, atom)
	}
	var index struct {
		Entries []struct {
			Link struct {
				Href string `xml:"href,attr"`
			} `xml:"link"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal([]byte(atom), &index); err != nil || len(index.Entries) != 1 {
		t.Fatalf("cap.atom entries: %v %+v", err, index)
	}
	// RFC 4287 4.1.1: a feed has an author unless every entry has one.
	var authors struct {
		Feed    []string `xml:"author>name"`
		Entries []struct {
			Authors []string `xml:"author>name"`
		} `xml:"entry"`
	}
	err := xml.Unmarshal([]byte(atom), &authors)
	everyEntry := len(authors.Entries) > 0
	for _, e := range authors.Entries {
		everyEntry = everyEntry && len(e.Authors) > 0
	}
	if err != nil || len(authors.Feed) == 0 && !everyEntry {
		t.Errorf("cap.atom has no atom:author, so it is not a valid Atom feed (%v):\n%s", err, atom)
	}
	code, doc := get(t, index.Entries[0].Link.Href)
	var capDoc struct {
		Identifier string `xml:"identifier"`
		MsgType    string `xml:"msgType"`
		Event      string `xml:"info>event"`
	}
	if err := xml.Unmarshal([]byte(doc), &capDoc); code != 200 || err != nil || capDoc.MsgType != "Alert" || capDoc.Event != "폭염주의보" {
		t.Fatalf("CAP document %d (%v):\n%s", code, err, doc)
	}
	if id, ok := alert.ParseCAPIdentifier(capDoc.Identifier); !ok || id != key+"#1" {
		t.Errorf("CAP identifier %q", capDoc.Identifier)
	}
	if code, _ := get(t, base+"/feeds/alerts/"+url.PathEscape("nope#1")+".xml"); code != http.StatusNotFound {
		t.Errorf("unknown CAP document: %d", code)
	}

	// A client that saw nothing (Last-Event-ID 0) gets the first change.
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/api/v1/stream?hazard=heat", nil)
	req.Header.Set("Last-Event-ID", "0")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if strings.HasPrefix(sc.Text(), "data: ") {
			break
		}
	}
	got := strings.Join(lines, "\n")
	if !strings.Contains(got, "id: 1\nevent: new\ndata: {") || !strings.Contains(got, key+"#1") {
		t.Fatalf("event stream:\n%s", got)
	}
}

// TestPollNow: POST /api/v1/collectors/{name}/poll runs a collector at once,
// long before its hourly tick; an unknown name is a 404.
func TestPollNow(t *testing.T) {
	var mu sync.Mutex
	polls := 0
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		polls++
		mu.Unlock()
		now := time.Now()
		fmt.Fprintf(w, capAlert, now.Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))
	}))
	defer feed.Close()
	hook := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer hook.Close()
	yaml := fmt.Sprintf(`bus: {store_dir: %q}
http: {listen: "127.0.0.1:0"}
collectors:
  - {name: kma, kind: cap, schedule: "@every 1h", url: %q}
`, t.TempDir(), feed.URL)
	d := run(t, yaml)
	count := func() int { mu.Lock(); defer mu.Unlock(); return polls }
	waitUntil(t, "the first poll at start", func() bool { return count() == 1 })

	base := "http://" + d.Addr().String() + "/api/v1/collectors/"
	post := func(name string) int {
		res, err := http.Post(base+name+"/poll", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	waitUntil(t, "a poll accepted", func() bool { return post("kma") == http.StatusAccepted })
	waitUntil(t, "the second poll", func() bool { return count() == 2 })
	if code := post("nope"); code != http.StatusNotFound {
		t.Errorf("unknown collector: %d, want 404", code)
	}
}

// active returns the daemon's alerts in force, failing the test on error.
func active(t *testing.T, d *daemon.Daemon) []alert.Alert {
	t.Helper()
	as, err := d.Active(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return as
}

// TestFilterParametersMistyped: a mistyped, repeated or unreadable filter
// parameter is a 400 naming it on every endpoint that filters, never the
// unfiltered list (a partner asking for ?hazards=flood must not receive every
// heat alert as if they were floods).
func TestFilterParametersMistyped(t *testing.T) {
	d := runWithAlert(t, "")
	base := "http://" + d.Addr().String()

	for _, path := range []string{"/api/v1/alerts", "/feeds/cap.atom", "/api/v1/stream"} {
		for q, want := range map[string]string{
			"hazards=flood":    "hazards",
			"severity=extreme": "severity",
			"Hazard=flood":     "Hazard",
			"hazard=flo%zzod":  "invalid URL escape",
			"min_severity=minor&min_severity=extreme": "min_severity",
			"bbox=0,0,1,1&bbox=126,37,128,38":         "bbox",
			"bbox=NaN,NaN,NaN,NaN":                    "bbox",
		} {
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+path+"?"+q, nil)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				cancel()
				t.Fatalf("%s?%s: %v", path, q, err)
			}
			var body []byte
			if res.StatusCode == http.StatusBadRequest {
				body, _ = io.ReadAll(res.Body)
			}
			res.Body.Close()
			cancel()
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), want) {
				t.Errorf("%s?%s: %d %q, want 400 naming %q", path, q, res.StatusCode, body, want)
			}
		}
	}
}

// TestCrossSiteRequestsRefused: with no http.tokens the operator endpoints
// trust loopback clients, and a browser on the daemon's host is one; a page
// from another site it visits must not make it reload the config, poll a
// feed or replay dead letters to partners. Requests without browser headers
// (curl, the CLI) and same-origin ones still pass.
func TestCrossSiteRequestsRefused(t *testing.T) {
	feed := capFeed(t)
	yaml := fmt.Sprintf("bus: {store_dir: %q}\nhttp: {listen: \"127.0.0.1:0\"}\ncollectors:\n  - {name: kma, kind: cap, schedule: \"@every 1h\", url: %q}\n", t.TempDir(), feed.URL)
	d := run(t, yaml)
	base := "http://" + d.Addr().String()
	post := func(path string, header map[string]string) int {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, base+path, strings.NewReader("x=1"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range header {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	crossSite := []map[string]string{
		{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
		{"Origin": "https://evil.example"}, // an older browser
	}
	for _, path := range []string{"/-/reload", "/api/v1/collectors/kma/poll", "/api/v1/dlq/nope/replay?all=true", "/api/v1/exporters/nope/replay?since=1h"} {
		for _, h := range crossSite {
			if code := post(path, h); code != http.StatusForbidden {
				t.Errorf("POST %s from another site (%v): %d, want 403", path, h, code)
			}
		}
	}
	waitUntil(t, "a poll from curl accepted", func() bool { return post("/api/v1/collectors/kma/poll", nil) == http.StatusAccepted })
	waitUntil(t, "a same-origin poll accepted", func() bool {
		return post("/api/v1/collectors/kma/poll", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": base}) == http.StatusAccepted
	})
}
