package hrfco

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// answer is what the fake API serves for one endpoint.
type answer struct {
	status int
	body   []byte
	etag   string
}

// api is a fake api.hrfco.go.kr: answers by endpoint path, the key checked
// in the path as the real service does (a wrong key gets code 940).
type api struct {
	mu       sync.Mutex
	answers  map[string]answer
	requests []*http.Request
}

func (a *api) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.requests = append(a.requests, r.Clone(context.Background()))
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	path, ok := strings.CutPrefix(r.URL.Path, "/"+testKey+"/")
	if !ok {
		fmt.Fprint(w, `{"code":"940","message":"인증키 오류"}`)
		return
	}
	ans, ok := a.answers[path]
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	if ans.etag != "" {
		if r.Header.Get("If-None-Match") == ans.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", ans.etag)
	}
	if ans.status != 0 {
		w.WriteHeader(ans.status)
	}
	_, _ = w.Write(ans.body)
}

func (a *api) set(path string, ans answer) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.answers[path] = ans
}

// count returns how many requests asked for path.
func (a *api) count(path string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, r := range a.requests {
		if strings.HasSuffix(r.URL.Path, "/"+path) {
			n++
		}
	}
	return n
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// serve starts the fake API and a collector reading it through a real
// fetcher, configured as the daemon does (the kind's Accept header); the
// fetcher's backoff is made negligible so that runs after a failure reach
// the server.
func serve(t *testing.T, a *api, options string) (*collector, *clock, *httptest.Server) {
	t.Helper()
	if a.answers == nil {
		a.answers = map[string]answer{}
	}
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	k, _ := collectors.Lookup(kindName)
	fetcher := golden.Fetcher(collectors.FetchOptions{
		Accept: k.Accept, MinBackoff: time.Nanosecond, MaxBackoff: time.Nanosecond})
	c := newTestCollector(t, srv.URL, options, fetcher)
	clk := &clock{t: testNow}
	c.now = clk.now
	return c, clk, srv
}

func ok(body []byte) answer { return answer{body: body} }

func keys(res collectors.Result) string {
	var ks []string
	for _, it := range res.Items {
		ks = append(ks, it.Alert.Key+"/"+string(it.Alert.Severity))
	}
	return strings.Join(ks, " ")
}

func TestCollectHTTP(t *testing.T) {
	a := &api{}
	a.set2(t, "fldfct-warnings", "levels-thresholds")
	c, clk, _ := serve(t, a, "mode: both\n")

	res, err := c.Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	golden.Eq(t, "items", keys(res), "hrfco:1018683/moderate hrfco:1019630/severe hrfco:2022680/moderate "+
		"hrfco:level:1018662/minor hrfco:level:1018683/moderate hrfco:level:1019630/extreme")
	golden.Eq(t, "Snapshot", res.Snapshot, true)
	golden.Eq(t, "Fetched", res.Fetched, 3+8)
	golden.Eq(t, "Accept", a.requests[0].Header.Get("Accept"), "application/json")
	golden.Eq(t, "first request", a.requests[0].URL.Path, "/"+testKey+"/fldfct/list.json")
	golden.Eq(t, "info requests", a.count(pathInfo), 1)
	golden.Eq(t, "levels requests", a.count(pathLevels), 1)
	golden.Eq(t, "circle from the station list", circleOf(res.Items[0].Alert), hangang)

	// The station list is reused until info_refresh has passed.
	clk.add(10 * time.Minute)
	if _, err := c.Collect(context.Background()); err != nil {
		t.Fatal(err)
	}
	golden.Eq(t, "info requests after 10m", a.count(pathInfo), 1)
	golden.Eq(t, "levels requests after 10m", a.count(pathLevels), 2)
	clk.add(50 * time.Minute)
	if _, err := c.Collect(context.Background()); err != nil {
		t.Fatal(err)
	}
	golden.Eq(t, "info requests after 1h", a.count(pathInfo), 2)
}

// set2 serves the inputs of a forecast case and a levels case.
func (a *api) set2(t *testing.T, fcase, lcase string) {
	t.Helper()
	if a.answers == nil {
		a.answers = map[string]answer{}
	}
	a.set(pathForecasts, ok(readCase(t, fcase, "fldfct.json")))
	a.set(pathInfo, ok(readCase(t, lcase, "info.json")))
	a.set(pathLevels, ok(readCase(t, lcase, "levels.json")))
}

func TestCollectHTTPNoForecast(t *testing.T) {
	a := &api{}
	c, _, _ := serve(t, a, "")
	a.set(pathForecasts, answer{body: readCase(t, "fldfct-no-data", "fldfct.json"), etag: `"e1"`})
	for run := range 2 {
		res, err := c.Collect(context.Background())
		if err != nil {
			t.Fatalf("run %d: code 990 is no forecast, not an error: %v", run, err)
		}
		golden.Eq(t, "items", len(res.Items), 0)
		golden.Eq(t, "Snapshot (all forecasts ended)", res.Snapshot, true)
		golden.Eq(t, "NotModified", res.NotModified, run == 1)
	}
	golden.Eq(t, "the station list is not read without forecasts", a.count(pathInfo), 0)
	golden.Eq(t, "levels are not read in mode forecasts", a.count(pathLevels), 0)
}

// TestCollectHTTPKeyNeverShown makes every kind of failure happen and checks
// that no error shows the key, which sits in the URL path.
func TestCollectHTTPKeyNeverShown(t *testing.T) {
	echo := func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, "internal error at %s (key %s)", r.URL.String(), testKey)
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc
		closed  bool
		reason  string
		want    string
	}{
		{name: "HTTP 500 echoing the path", handler: echo, reason: "http_status",
			want: "fetch " + "http://127.0.0.1:"},
		{name: "HTTP 502, key cut at the end of the detail", reason: "http_status", want: "HTTP 502: ", handler: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, strings.Repeat("x", 190)+testKey)
		}},
		{name: "connection refused", closed: true, reason: "network", want: "/REDACTED/fldfct/list.json"},
		{name: "code 940 echoing the key", reason: "parse", want: `code "940"`, handler: func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `{"code":"940","message":"등록되지 않은 키: %s"}`, testKey)
		}},
		{name: "malformed body", reason: "parse", want: "parse http://127.0.0.1:", handler: func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `<html>`+r.URL.Path+`</html>`)
		}},
		{name: "timeout", reason: "timeout", want: "/REDACTED/", handler: func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.handler
			if h == nil {
				h = echo
			}
			srv := httptest.NewServer(h)
			if tt.closed {
				srv.Close()
			} else {
				t.Cleanup(srv.Close)
			}
			fetcher := golden.Fetcher(collectors.FetchOptions{})
			c := newTestCollector(t, srv.URL, "mode: both\n", fetcher)
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			res, err := c.Collect(ctx)
			if err == nil {
				t.Fatal("Collect succeeded")
			}
			golden.Eq(t, "items", len(res.Items), 0)
			msg := err.Error() + fmt.Sprintf(" %+v %#v", err, err)
			if strings.Contains(msg, testKey) {
				t.Fatalf("error shows the key: %s", msg)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			t.Logf("error: %v", err)
			golden.Eq(t, "reason", collectors.Reason(err), tt.reason)
			var fe *collectors.FetchError
			if errors.As(err, &fe) {
				inner := ""
				if fe.Err != nil {
					inner = fe.Err.Error()
				}
				if strings.Contains(fe.URL+fe.Detail+inner, testKey) || strings.Contains(fe.Detail, testKey[:8]) {
					t.Errorf("FetchError fields show the key: %+v", fe)
				}
			}
			var ae *APIError
			if errors.As(err, &ae) && strings.Contains(ae.Message, testKey) {
				t.Errorf("APIError message shows the key: %q", ae.Message)
			}
		})
	}
}

func TestCollectHTTPWrongKey(t *testing.T) {
	a := &api{}
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	a.answers = map[string]answer{}
	fetcher := golden.Fetcher(collectors.FetchOptions{})
	c, err := New(testEnv(srv.URL, fetcher), golden.Decode("service_key: OTHER-KEY-0000\n", nil))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Collect(context.Background())
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != "940" {
		t.Fatalf("error = %v, want code 940", err)
	}
	if !strings.Contains(err.Error(), "authentication failed") || strings.Contains(err.Error(), "OTHER-KEY-0000") {
		t.Errorf("error = %q", err)
	}
}

// TestCollectHTTPPartial: one part failing leaves the other's items, with an
// error, so that the lifecycle ends nothing.
func TestCollectHTTPPartial(t *testing.T) {
	a := &api{}
	a.set2(t, "fldfct-warnings", "levels-thresholds")
	c, clk, _ := serve(t, a, "mode: both\n")
	a.set(pathLevels, answer{status: http.StatusServiceUnavailable, body: []byte("maintenance")})
	res, err := c.Collect(context.Background())
	if err == nil || !strings.Contains(err.Error(), "HTTP 503") {
		t.Fatalf("error = %v, want the levels' 503", err)
	}
	golden.Eq(t, "forecast items kept", keys(res), "hrfco:1018683/moderate hrfco:1019630/severe hrfco:2022680/moderate")

	// A failed refresh of the station list keeps the list read before; the
	// levels are still derived, and the run says what failed.
	a.set(pathLevels, ok(readCase(t, "levels-thresholds", "levels.json")))
	a.set(pathInfo, answer{status: http.StatusBadGateway})
	clk.add(time.Hour)
	res, err = c.Collect(context.Background())
	if err == nil || !strings.Contains(err.Error(), "station list: fetch") {
		t.Fatalf("error = %v, want the station list's failure", err)
	}
	golden.Eq(t, "items", len(res.Items), 6)

	// Without any station list, levels cannot be derived.
	c2, _, _ := serve(t, a, "mode: levels\n")
	before := a.count(pathLevels)
	res, err = c2.Collect(context.Background())
	if err == nil || len(res.Items) != 0 {
		t.Fatalf("no station list: %d items, error %v", len(res.Items), err)
	}
	golden.Eq(t, "levels not fetched without a station list", a.count(pathLevels), before)
}

// TestCollectHTTPStateAcrossRuns: the stage of a station is remembered from
// run to run, and a failed run does not forget or change it. A level list
// without any reading (code 990) is such a failure, not "every river is
// low"; a station whose reading cannot be read keeps its stage, and its
// alert its last good state (Result.Unreadable).
func TestCollectHTTPStateAcrossRuns(t *testing.T) {
	a := &api{}
	a.set2(t, "fldfct-no-data", "levels-thresholds")
	c, clk, _ := serve(t, a, "mode: levels\nstations: [\"1019630\"]\n")
	level := func(ymdhm, wl string) answer {
		return ok([]byte(`{"content":[{"wlobscd":"1019630","ymdhm":"` + ymdhm + `","wl":"` + wl + `","fw":"1.0"}]}`))
	}
	runs := []struct {
		ans  answer
		want string // items, or "error"
	}{
		{level("202307151500", "6.00"), "hrfco:level:1019630/severe"},
		{level("202307151510", "5.92"), "hrfco:level:1019630/severe"},
		{answer{status: http.StatusInternalServerError}, "error"},
		{ok([]byte(`{"code":"990","message":"자료 없음"}`)), "error"},
		{ok([]byte(`{"content":[]}`)), "error"},
		{level("202307151520", "-"), "unreadable hrfco:level:1019630"},
		{level("202307151530", "5.91"), "hrfco:level:1019630/severe"},
		{level("202307151540", "5.89"), "hrfco:level:1019630/moderate"},
		{level("202307151550", "4.95"), "hrfco:level:1019630/moderate"},
		{level("202307151600", "3.89"), ""},
	}
	for i, r := range runs {
		clk.add(10 * time.Minute)
		a.set(pathLevels, r.ans)
		res, err := c.Collect(context.Background())
		got := keys(res)
		if len(res.Unreadable) > 0 {
			got = strings.TrimSpace(got + " unreadable " + strings.Join(res.Unreadable, " "))
		}
		if err != nil {
			got = "error"
		}
		golden.Eq(t, fmt.Sprintf("run %d", i), got, r.want)
	}
	golden.Eq(t, "state emptied", len(c.state), 0)
}

func TestCollectNoFetcher(t *testing.T) {
	if _, err := newTestCollector(t, "", "", nil).Collect(context.Background()); err == nil {
		t.Fatal("Collect without a fetcher succeeded")
	}
}
