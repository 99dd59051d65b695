package main_test

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/text/encoding/korean"

	"github.com/hazardwire/hazardwire/alert"
)

// TestFaultFeeds runs the built daemon against feeds that misbehave, one
// fault at a time: a cap collector reading an Atom index of three CAP
// documents, an nws collector and a kma collector, all polled every second,
// with their alerts first delivered to a partner. For each fault it checks
// that the collector's run failed with the expected bounded reason on
// hazardwire_collector_errors_total, that the alerts in force are the same
// (GET /api/v1/alerts), that nothing was cancelled, expired or updated (the
// bus's change counters and the partner's deliveries), and that once the
// feed recovers the collector succeeds again. Two cases are not failures:
// an index that is briefly empty (the lifecycle's feed-glitch guard keeps
// the alerts) and a kma answer in EUC-KR (read correctly).
func TestFaultFeeds(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test builds and runs the binary")
	}
	start := time.Now()
	secretKey := []byte("ff-secret-key-0123456789abcdef!!")
	feeds := &ffFeed{docs: map[string]ffDoc{}, faults: map[string]http.HandlerFunc{}, stop: make(chan struct{})}
	srv := httptest.NewServer(feeds)
	p := &partner{key: secretKey, attempts: map[string]int{}}
	hooks := httptest.NewServer(p)
	// Registered before the daemon's cleanup, so run after it: the daemon is
	// killed first, then hanging handlers are released and the servers closed.
	t.Cleanup(func() {
		close(feeds.stop)
		srv.Close()
		hooks.Close()
	})

	addr := ffFreeAddr(t)
	config := filepath.Join(t.TempDir(), "hazardwire.yaml")
	yaml := fmt.Sprintf(`bus:
  store_dir: ./store
http:
  listen: %[3]s
collectors:
  - name: floods
    kind: cap
    schedule: "@every 1s"
    url: %[1]s/cap/index.atom
    timeout: 3s
    max_body: 1MiB
    max_backoff: 20s
  - name: heat
    kind: nws
    schedule: "@every 1s"
    url: %[1]s/nws/active
    user_agent: "hazardwire-fault (ops@example.org)"
    timeout: 3s
    max_body: 1MiB
    max_backoff: 20s
  - name: kma
    kind: kma
    schedule: "@every 1s"
    url: %[1]s/kma/getPwnCd
    service_key: ff-service-key
    timeout: 3s
    max_body: 1MiB
    max_backoff: 20s
exporters:
  - name: partner
    kind: webhook
    url: %[2]s/hooks
    secret: ${PARTNER_SECRET}
    retry:
      min_backoff: 200ms
      max_backoff: 1s
`, srv.URL, hooks.URL, addr)
	if err := os.WriteFile(config, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}

	t0 := time.Now().Truncate(time.Second)
	floodIDs := []string{"F-1", "F-2", "F-3"}
	for i, id := range floodIDs {
		feeds.set("/cap/"+id+".xml", "application/cap+xml",
			[]byte(floodDoc(id, "Alert", "", "홍수주의보", "Prepare", "Moderate", t0.Add(time.Duration(i)*time.Second))))
	}
	goodIndex := ffAtomIndex(t0, floodIDs...)
	feeds.set("/cap/index.atom", "application/atom+xml", goodIndex)
	feeds.set("/nws/active", "application/geo+json", []byte(heatDoc(t0, t0.Add(6*time.Hour))))
	kmaRow1 := ffKMARow{area: "L1100200", name: "서울동남권", sent: t0.Add(-time.Hour)}
	kmaRow2 := ffKMARow{area: "L1100400", name: "서울동북권", sent: t0.Add(-30 * time.Minute)}
	feeds.set("/kma/getPwnCd", "application/json;charset=UTF-8", []byte(ffKMAPage(kmaRow1)))

	d := startDaemon(t, config, "PARTNER_SECRET=whsec_"+base64.StdEncoding.EncodeToString(secretKey))
	api := &ffAPI{base: "http://" + addr, d: d}

	keys := []string{"heat:KCHS.HT.Y.0007", "kma:L1100200/12"}
	for _, id := range floodIDs {
		keys = append(keys, "floods:flood@hrfco.example,"+id+"/ko-KR")
	}
	for _, k := range keys {
		ffAwait(t, d, "delivery of "+k+"#1", 60*time.Second, func() bool { return p.has(k + "#1") })
	}
	baseline := api.active(t)
	for _, k := range keys {
		if baseline[k] != k+"#1" {
			t.Fatalf("alerts in force %v: want %s#1", baseline, k)
		}
	}
	t.Logf("%d alerts in force and delivered after %s", len(baseline), time.Since(start).Round(time.Millisecond))

	// The faults, each on a fresh connection to a local server.
	var hugeWritten atomic.Int64   // bytes of the 1 GB body the server wrote
	bomb := ffGzipMember(t, 8<<20) // 8 MiB of zeros, about 8 KiB compressed
	const bombMembers = 128        // 1 GiB decompressed
	cases := []ffCase{
		{name: "http_500", collector: "floods", reason: "http_status", fault: func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "internal server error", http.StatusInternalServerError)
		}},
		{name: "connection_reset", collector: "floods", reason: "network", fault: ffReset},
		{name: "timeout", collector: "floods", reason: "timeout", fault: feeds.hang},
		{name: "slow_trickle", collector: "floods", reason: "timeout", fault: feeds.trickle(goodIndex)},
		{name: "body_1GB", collector: "floods", reason: "too_large", fault: ffStream(1<<30, &hugeWritten),
			check: func(t *testing.T) {
				// The fetcher stops reading at max_body (1 MiB): what the
				// server managed to write is that plus socket buffers.
				n := hugeWritten.Load()
				if n > 64<<20 {
					t.Errorf("the server wrote %d MiB of the 1 GiB body before the daemon hung up", n>>20)
				}
				rss := api.metrics(t).value("process_resident_memory_bytes", nil)
				if rss > 512<<20 {
					t.Errorf("daemon resident memory %d MiB after the 1 GiB body", int64(rss)>>20)
				}
				t.Logf("the server wrote %d KiB of the body; daemon resident memory %d MiB", n>>10, int64(rss)>>20)
			}},
		{name: "gzip_bomb", collector: "floods", reason: "too_large", fault: ffGzipBomb(bomb, bombMembers),
			check: func(t *testing.T) {
				// The bomb is small (1 MiB) and fits in the socket buffers;
				// too_large says the decoded body was cut at max_body.
				rss := api.metrics(t).value("process_resident_memory_bytes", nil)
				if rss > 512<<20 {
					t.Errorf("daemon resident memory %d MiB after the gzip bomb", int64(rss)>>20)
				}
				t.Logf("daemon resident memory %d MiB", int64(rss)>>20)
			}},
		{name: "malformed_xml", collector: "floods", reason: "parse",
			fault: ffServe("application/atom+xml", goodIndex[:len(goodIndex)/2])},
		{name: "invalid_utf8", collector: "floods", reason: "parse",
			fault: ffServe("application/atom+xml", bytes.Replace(goodIndex, []byte("hazardwire fault feed"), []byte("hazardwire \xff\xfe feed"), 1))},
		{name: "redirect_loop", collector: "floods", reason: "network", fault: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.Path, http.StatusFound)
		}},
		{name: "malformed_json", collector: "heat", reason: "parse",
			fault: ffServe("application/geo+json", []byte(heatDoc(t0, t0.Add(6*time.Hour))[:200]))},
		{name: "empty_list", collector: "floods", suspect: true, fault: ffServe("application/atom+xml", ffAtomIndex(t0))},
		{name: "euc_kr", collector: "kma", fault: ffServe("application/json;charset=EUC-KR", ffEUCKR(t, ffKMAPage(kmaRow1, kmaRow2))),
			newKey: "kma:L1100400/12", check: func(t *testing.T) {
				var got *alert.Alert
				for _, a := range api.alerts(t) {
					if a.Key == "kma:L1100400/12" {
						got = &a
					}
				}
				if got == nil || got.Event != "폭염주의보" || len(got.Areas) != 1 || got.Areas[0].Description != "서울동북권" {
					t.Errorf("alert read from the EUC-KR answer: %+v; want event 폭염주의보 in 서울동북권", got)
				}
				// Recovered, the feed answers in UTF-8 with both rows.
				feeds.set("/kma/getPwnCd", "application/json;charset=UTF-8", []byte(ffKMAPage(kmaRow1, kmaRow2)))
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := map[string]string{"floods": "/cap/index.atom", "heat": "/nws/active", "kma": "/kma/getPwnCd"}[c.collector]
			baseline = ffRunCase(t, d, api, p, feeds, path, c, baseline)
		})
	}

	// Every reason the daemon counted is one of the bounded set.
	bounded := []string{"http_status", "timeout", "network", "too_large", "backoff", "parse", "partial", "panic", "canceled"}
	for _, s := range api.metrics(t).series("hazardwire_collector_errors_total") {
		if !slices.Contains(bounded, s.labels["reason"]) {
			t.Errorf("unbounded reason label: %v", s.labels)
		}
		if r := s.labels["reason"]; (r == "panic" || r == "partial" || r == "canceled") && s.value > 0 {
			t.Errorf("%v = %v: no fault should end that way", s.labels, s.value)
		}
	}
	// The partner heard of each alert once, as new: nothing was updated,
	// cancelled or expired by a fault.
	for _, dl := range p.got() {
		if dl.alert.Change != alert.ChangeNew || dl.alert.Version != 1 {
			t.Errorf("partner received %s (%s v%d)", dl.webhookID, dl.alert.Change, dl.alert.Version)
		}
	}
	t.Logf("all cases in %s", time.Since(start).Round(time.Millisecond))
}

// ffCase is one fault of TestFaultFeeds.
type ffCase struct {
	name      string
	collector string
	// reason is the error reason the fault must be counted under; "" for
	// a case that is no failure.
	reason string
	// suspect: a successful poll that the lifecycle must take for a glitch.
	suspect bool
	// newKey: the case brings this new alert (read from a new encoding).
	newKey string
	fault  http.HandlerFunc
	check  func(t *testing.T)
}

// ffRunCase applies c's fault to the collector's feed at path, waits for the
// run that shows it, checks that the alerts in force and what the partner
// heard are unchanged, then restores the feed and waits for a successful
// run. It returns the alerts in force afterwards.
func ffRunCase(t *testing.T, d *daemon, api *ffAPI, p *partner, feeds *ffFeed, path string, c ffCase, want map[string]string) map[string]string {
	started := time.Now()
	m0 := api.metrics(t)
	col := map[string]string{"collector": c.collector}
	errs0 := m0.sum("hazardwire_collector_errors_total", col)
	deliveries := len(p.got())

	feeds.setFault(path, c.fault)
	faultAt := time.Now()
	var m1 ffMetrics
	switch {
	case c.reason != "":
		what := fmt.Sprintf("%s run failing with reason %s", c.collector, c.reason)
		n0 := m0.value("hazardwire_collector_errors_total", map[string]string{"collector": c.collector, "reason": c.reason})
		ffAwait(t, d, what, 30*time.Second, func() bool {
			m1 = api.metrics(t)
			return m1.value("hazardwire_collector_errors_total", map[string]string{"collector": c.collector, "reason": c.reason}) > n0
		})
		// Meanwhile the collector failed for this fault's reason only, or
		// because the fetcher was backing off after it.
		for _, sr := range m1.series("hazardwire_collector_errors_total") {
			r := sr.labels["reason"]
			if n := sr.value - m0.value("hazardwire_collector_errors_total", sr.labels); sr.labels["collector"] == c.collector && n > 0 && r != c.reason && r != "backoff" {
				t.Errorf("%v more %s runs failed with reason %s", n, c.collector, r)
			}
		}
	case c.suspect:
		n0 := m0.value("hazardwire_lifecycle_suspect_polls_total", map[string]string{"source": c.collector})
		ffAwait(t, d, "two polls taken for a feed glitch", 30*time.Second, func() bool {
			m1 = api.metrics(t)
			return m1.value("hazardwire_lifecycle_suspect_polls_total", map[string]string{"source": c.collector}) >= n0+2
		})
	default:
		ffAwait(t, d, c.newKey+" delivered", 30*time.Second, func() bool { return p.has(c.newKey + "#1") })
		m1 = api.metrics(t)
		deliveries++
		want = maps.Clone(want)
		want[c.newKey] = c.newKey + "#1"
	}
	if c.reason == "" {
		if n := m1.sum("hazardwire_collector_errors_total", col); n != errs0 {
			t.Errorf("%s runs failed %v times during a case that is no failure", c.collector, n-errs0)
		}
	}
	counted := map[string]float64{}
	for _, sr := range m1.series("hazardwire_collector_errors_total") {
		if n := sr.value - m0.value("hazardwire_collector_errors_total", sr.labels); sr.labels["collector"] == c.collector && n > 0 {
			counted[sr.labels["reason"]] = n
		}
	}
	t.Logf("fault seen after %s; errors counted by reason %v; last error: %s",
		time.Since(faultAt).Round(time.Millisecond), counted, api.lastError(t, c.collector))
	ffCheckKept(t, api, p, m1, want, deliveries, "during the fault")
	if c.check != nil {
		c.check(t)
	}

	// Recovery: a run that ends from now on succeeds, with items (not the
	// empty index of a glitch that was still being read). The fetcher
	// spares the host after an error of the host's (5xx, network, timeout),
	// and answers "backoff" meanwhile: 5 s after the first, doubling with
	// each one more in a row, up to the collectors' max_backoff (20 s here,
	// so that a fault held longer at other timings does not leave a wait of
	// up to the default 10 minutes).
	feeds.setFault(path, nil)
	recovered := time.Now()
	failures := 0
	for reason, n := range counted {
		if reason != "backoff" {
			failures += int(n)
		}
	}
	const maxBackoff = 20 * time.Second // the config's max_backoff
	spared := 5 * time.Second
	for i := 1; i < failures && spared < maxBackoff; i++ {
		spared *= 2
	}
	ffAwait(t, d, c.collector+" succeeding again", 30*time.Second+min(spared, maxBackoff), func() bool {
		m1 = api.metrics(t)
		return m1.value("hazardwire_collector_last_success_timestamp_seconds", col) > float64(recovered.UnixNano())/1e9 &&
			m1.value("hazardwire_collector_items", col) > 0
	})
	t.Logf("recovered after %s (case %s)", time.Since(recovered).Round(time.Millisecond), time.Since(started).Round(time.Millisecond))
	ffCheckKept(t, api, p, m1, want, deliveries, "after recovery")
	return want
}

// ffCheckKept checks that the alerts in force are want (key → id), that
// nothing was cancelled or expired, and that the partner has heard nothing
// beyond its deliveries so far.
func ffCheckKept(t *testing.T, api *ffAPI, p *partner, m ffMetrics, want map[string]string, deliveries int, when string) {
	t.Helper()
	if got := api.active(t); !maps.Equal(got, want) {
		t.Errorf("%s: alerts in force %v, want %v", when, got, want)
	}
	for _, change := range []string{"cancel", "expire", "update"} {
		if n := m.sum("hazardwire_alerts_changes_total", map[string]string{"change": change}); n != 0 {
			t.Errorf("%s: %v %s changes published", when, n, change)
		}
	}
	if got := p.got(); len(got) != deliveries {
		t.Errorf("%s: partner has %d deliveries, want %d", when, len(got), deliveries)
	}
	for _, dl := range p.got() {
		if dl.alert.Change == alert.ChangeCancel || dl.alert.Change == alert.ChangeExpire {
			t.Errorf("%s: partner received %s (%s)", when, dl.webhookID, dl.alert.Change)
		}
	}
}

// ffAwait polls cond until it holds, the daemon exits, or within passes.
func ffAwait(t *testing.T, d *daemon, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		select {
		case <-d.done:
			t.Fatalf("daemon exited while waiting for %s", what)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ffFreeAddr returns a loopback address with a port free a moment ago, for
// the daemon's http.listen.
func ffFreeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// ffDoc is one good body.
type ffDoc struct {
	contentType string
	body        []byte
}

// ffFeed serves a good body per path, or the fault set for the path.
type ffFeed struct {
	mu     sync.Mutex
	docs   map[string]ffDoc
	faults map[string]http.HandlerFunc
	// stop releases hanging handlers when the test ends.
	stop chan struct{}
}

func (f *ffFeed) set(path, contentType string, body []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.docs[path] = ffDoc{contentType: contentType, body: body}
}

func (f *ffFeed) setFault(path string, h http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if h == nil {
		delete(f.faults, path)
	} else {
		f.faults[path] = h
	}
}

func (f *ffFeed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	doc, ok := f.docs[r.URL.Path]
	fault := f.faults[r.URL.Path]
	f.mu.Unlock()
	switch {
	case fault != nil:
		fault(w, r)
	case !ok:
		http.NotFound(w, r)
	default:
		w.Header().Set("Content-Type", doc.contentType)
		_, _ = w.Write(doc.body)
	}
}

// hang never answers: the client gives up first.
func (f *ffFeed) hang(_ http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-f.stop:
	case <-time.After(time.Minute):
	}
}

// trickle answers 200 at once, then sends body one byte a second.
func (f *ffFeed) trickle(body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/atom+xml")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		rc := http.NewResponseController(w)
		for _, b := range body {
			if _, err := w.Write([]byte{b}); err != nil {
				return
			}
			if rc.Flush() != nil {
				return
			}
			select {
			case <-r.Context().Done():
				return
			case <-f.stop:
				return
			case <-time.After(time.Second):
			}
		}
	}
}

// ffReset cuts the connection with a TCP reset before answering.
func ffReset(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // close sends RST
	}
	conn.Close()
}

// ffServe answers 200 with body.
func ffServe(contentType string, body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", contentType)
		_, _ = w.Write(body)
	}
}

// ffStream answers a body of size bytes, streamed from one small buffer,
// counting what it could write before the client hung up.
func ffStream(size int64, written *atomic.Int64) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		written.Store(0)
		w.Header().Set("Content-Type", "application/atom+xml")
		w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
		chunk := bytes.Repeat([]byte("<!-- 1 GB of nothing -->\n"), 1<<10)
		for n := int64(0); n < size; {
			k, err := w.Write(chunk[:min(int64(len(chunk)), size-n)])
			n += int64(k)
			written.Store(n)
			if err != nil {
				return
			}
		}
	}
}

// ffGzipMember returns one gzip member holding n zero bytes.
func ffGzipMember(t *testing.T, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(make([]byte, n)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// ffGzipBomb answers Content-Encoding: gzip with member repeated times: a
// multi-member gzip stream (RFC 1952) whose decompressed size is times the
// member's.
func ffGzipBomb(member []byte, times int) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/atom+xml")
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Length", strconv.Itoa(len(member)*times))
		for range times {
			if _, err := w.Write(member); err != nil {
				return
			}
		}
	}
}

// ffAtomIndex is an Atom index linking the CAP documents /cap/<id>.xml.
func ffAtomIndex(updated time.Time, ids ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>urn:hazardwire:fault-feed</id>
  <title>hazardwire fault feed</title>
  <updated>%s</updated>
`, updated.UTC().Format(time.RFC3339))
	for _, id := range ids {
		fmt.Fprintf(&b, `  <entry>
    <id>urn:hazardwire:fault-feed:%[1]s</id>
    <title>Flood advisory %[1]s</title>
    <updated>%[2]s</updated>
    <link rel="alternate" type="application/cap+xml" href="/cap/%[1]s.xml"/>
  </entry>
`, id, updated.UTC().Format(time.RFC3339))
	}
	b.WriteString("</feed>\n")
	return []byte(b.String())
}

// ffKMARow is one getPwnCd row: a heat advisory (폭염주의보) issued.
type ffKMARow struct {
	area, name string
	sent       time.Time
}

// ffKMAPage is a getPwnCd answer holding rows.
func ffKMAPage(rows ...ffKMARow) string {
	var items []string
	for i, r := range rows {
		tm := r.sent.In(alert.KST).Format("200601021504")
		items = append(items, fmt.Sprintf(`{"allEndTime":0,"areaCode":%q,"areaName":%q,"cancel":"0","command":"1","endTime":0,`+
			`"stnId":"108","tmFc":%s,"tmSeq":%d,"warnVar":12,"warnStress":0,"startTime":%s}`, r.area, r.name, tm, i+1, tm))
	}
	return `{"response":{"header":{"resultCode":"00","resultMsg":"NORMAL_SERVICE"},"body":{"dataType":"JSON",` +
		`"items":{"item":[` + strings.Join(items, ",") + `]},"pageNo":1,"numOfRows":1000,"totalCount":` + strconv.Itoa(len(rows)) + `}}}`
}

// ffEUCKR encodes s in EUC-KR.
func ffEUCKR(t *testing.T, s string) []byte {
	t.Helper()
	b, err := korean.EUCKR.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(b, []byte(s)) {
		t.Fatal("EUC-KR encoding changed nothing")
	}
	return b
}

// ffAPI asks the daemon's HTTP listener.
type ffAPI struct {
	base string
	d    *daemon
}

func (a *ffAPI) get(t *testing.T, path string) []byte {
	t.Helper()
	c := http.Client{Timeout: 10 * time.Second}
	res, err := c.Get(a.base + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v: %s", path, res.StatusCode, err, body)
	}
	return body
}

// alerts returns the alerts in force (GET /api/v1/alerts, from loopback).
func (a *ffAPI) alerts(t *testing.T) []alert.Alert {
	t.Helper()
	var out struct {
		Alerts []alert.Alert `json:"alerts"`
	}
	if err := json.Unmarshal(a.get(t, "/api/v1/alerts"), &out); err != nil {
		t.Fatal(err)
	}
	return out.Alerts
}

// active returns the alerts in force as key → id.
func (a *ffAPI) active(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, al := range a.alerts(t) {
		out[al.Key] = al.ID
	}
	return out
}

// lastError returns the last error of a collector (GET /api/v1/status).
func (a *ffAPI) lastError(t *testing.T, collector string) string {
	t.Helper()
	var st struct {
		Collectors []struct {
			Name      string `json:"name"`
			LastError string `json:"lastError"`
		} `json:"collectors"`
	}
	if err := json.Unmarshal(a.get(t, "/api/v1/status"), &st); err != nil {
		t.Fatal(err)
	}
	for _, c := range st.Collectors {
		if c.Name == collector {
			return c.LastError
		}
	}
	return ""
}

// metrics scrapes /metrics.
func (a *ffAPI) metrics(t *testing.T) ffMetrics {
	t.Helper()
	return ffParseMetrics(string(a.get(t, "/metrics")))
}

// ffSeries is one sample of the Prometheus text format.
type ffSeries struct {
	name   string
	labels map[string]string
	value  float64
}

type ffMetrics []ffSeries

var (
	ffSampleRE = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)`)
	ffLabelRE  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)
)

func ffParseMetrics(text string) ffMetrics {
	var out ffMetrics
	for line := range strings.Lines(text) {
		m := ffSampleRE.FindStringSubmatch(line)
		if m == nil || strings.HasPrefix(line, "#") {
			continue
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			continue
		}
		s := ffSeries{name: m[1], labels: map[string]string{}, value: v}
		for _, l := range ffLabelRE.FindAllStringSubmatch(m[2], -1) {
			s.labels[l[1]] = l[2]
		}
		out = append(out, s)
	}
	return out
}

// series returns the samples of name.
func (m ffMetrics) series(name string) []ffSeries {
	var out []ffSeries
	for _, s := range m {
		if s.name == name {
			out = append(out, s)
		}
	}
	return out
}

// sum adds the samples of name whose labels include match.
func (m ffMetrics) sum(name string, match map[string]string) float64 {
	var total float64
	for _, s := range m.series(name) {
		ok := true
		for k, v := range match {
			if s.labels[k] != v {
				ok = false
			}
		}
		if ok {
			total += s.value
		}
	}
	return total
}

// value is sum, for labels naming one series.
func (m ffMetrics) value(name string, labels map[string]string) float64 {
	return m.sum(name, labels)
}
