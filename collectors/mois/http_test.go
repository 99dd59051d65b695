package mois

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/encoding/korean"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// feed serves DSSP-IF-00247 answers from rows per crtDt, paged as asked,
// and records what it was asked.
type feed struct {
	mu       sync.Mutex
	days     map[string][]json.RawMessage
	requests []*http.Request
	// answer, when set, answers instead of the paged rows.
	answer func(w http.ResponseWriter, r *http.Request)
	// afterRequest, when set, runs after each answer (to change the rows
	// while a day is being paged).
	afterRequest func(f *feed)
	etag         string
}

func (f *feed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.Clone(context.Background()))
	if f.afterRequest != nil {
		defer f.afterRequest(f)
	}
	if f.answer != nil {
		f.answer(w, r)
		return
	}
	if f.etag != "" {
		if r.Header.Get("If-None-Match") == f.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", f.etag)
	}
	q := r.URL.Query()
	rows := f.days[q.Get("crtDt")]
	n, _ := strconv.Atoi(q.Get("numOfRows"))
	p, _ := strconv.Atoi(q.Get("pageNo"))
	lo, hi := min((p-1)*n, len(rows)), min(p*n, len(rows))
	var body any = rows[lo:hi]
	if len(rows) == 0 {
		body = nil // what the API sends for an empty day
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"header":    map[string]any{"resultMsg": "NORMAL SERVICE", "resultCode": "00", "errorMsg": nil},
		"numOfRows": n, "pageNo": p, "totalCount": len(rows), "body": body,
	})
}

// asked returns "crtDt/pageNo" of every request.
func (f *feed) asked() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, r := range f.requests {
		out = append(out, r.URL.Query().Get("crtDt")+"/"+r.URL.Query().Get("pageNo"))
	}
	return strings.Join(out, " ")
}

// rowsOf returns the rows of a golden case's input.
func rowsOf(t *testing.T, name string) []json.RawMessage {
	t.Helper()
	var env struct{ Body []json.RawMessage }
	if err := json.Unmarshal(caseInput(t, name), &env); err != nil {
		t.Fatal(err)
	}
	return env.Body
}

// serve starts f and a collector that reads it through a real fetcher,
// configured as the daemon does (Accept from the kind), with its clock at now.
func serve(t *testing.T, f *feed, optionsYAML, now string) (*collector, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	k, _ := collectors.Lookup(kindName)
	fetcher := golden.Fetcher(collectors.FetchOptions{Accept: k.Accept})
	c := newTestCollector(t, srv.URL+"/V2/api/DSSP-IF-00247", optionsYAML, fetcher)
	at, err := time.Parse(time.RFC3339, now)
	if err != nil {
		t.Fatal(err)
	}
	c.now = func() time.Time { return at }
	return c, srv
}

// noKey fails the test when s shows the service key in any form.
func noKey(t *testing.T, what, s string) {
	t.Helper()
	for _, form := range keyForms(testKey) {
		if strings.Contains(s, form) {
			t.Errorf("%s shows the service key (%q): %s", what, form, s)
		}
	}
}

func keysOf(res collectors.Result) string {
	var out []string
	for _, it := range res.Items {
		out = append(out, it.Alert.Key)
	}
	return strings.Join(out, " ")
}

func TestCollectHTTP(t *testing.T) {
	f := &feed{days: map[string][]json.RawMessage{"20260818": rowsOf(t, "flood-and-heat-types")}}
	// 15:30 UTC is 00:30 KST on the 19th: today is the 19th (empty so far),
	// yesterday the 18th.
	c, _ := serve(t, f, "page_size: 4\n", "2026-08-18T15:30:00Z")
	res, err := c.Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	golden.Eq(t, "requests", f.asked(), "20260819/1 20260818/1 20260818/2 20260818/3")
	r := f.requests[1]
	q := r.URL.Query()
	golden.Eq(t, "path", r.URL.Path, "/V2/api/DSSP-IF-00247")
	golden.Eq(t, "serviceKey (decoded by the server)", q.Get("serviceKey"), testKey)
	golden.Eq(t, "returnType", q.Get("returnType"), "json")
	golden.Eq(t, "numOfRows", q.Get("numOfRows"), "4")
	golden.Eq(t, "rgnNm", q.Has("rgnNm"), false)
	golden.Eq(t, "Accept", r.Header.Get("Accept"), "application/json")
	golden.Eq(t, "Snapshot", res.Snapshot, false)
	golden.Eq(t, "Fetched", res.Fetched, 9)
	golden.Eq(t, "Dropped", golden.JSON(t, res.Dropped), golden.JSON(t, map[string]int{collectors.DropUnmapped: 5}))
	golden.Eq(t, "NotModified", res.NotModified, false)
	golden.Eq(t, "keys", keysOf(res), "mois:266810 mois:266811 mois:266799 mois:266809")
	golden.Eq(t, "sent (KST kept)", res.Items[0].Alert.Sent.Format(time.RFC3339), "2026-08-18T14:05:10+09:00")
	noKey(t, "items", golden.JSON(t, res.Items))
}

func TestCollectHTTPRegion(t *testing.T) {
	f := &feed{days: map[string][]json.RawMessage{}}
	c, _ := serve(t, f, "region: 서울특별시\nlookback_days: 0\n", "2026-08-18T03:00:00Z")
	res, err := c.Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	golden.Eq(t, "requests", f.asked(), "20260818/1")
	golden.Eq(t, "rgnNm", f.requests[0].URL.Query().Get("rgnNm"), "서울특별시")
	golden.Eq(t, "items", len(res.Items), 0)
	golden.Eq(t, "Fetched", res.Fetched, 0)
}

// TestCollectHTTPShiftingPages: a message that arrives while a day is paged
// (newest first) pushes a row onto the next page. It is read once; the new
// message is read by the next run.
func TestCollectHTTPShiftingPages(t *testing.T) {
	rows := rowsOf(t, "flood-and-heat-types")
	arrived := json.RawMessage(`{"MSG_CN":"호우경보 발효.","RCPTN_RGN_NM":"서울특별시 전체","CRT_DT":"2026/08/18 17:00:00","EMRG_STEP_NM":"긴급재난","SN":266820,"DST_SE_NM":"호우"}`)
	once := sync.Once{}
	f := &feed{days: map[string][]json.RawMessage{"20260818": rows}}
	f.afterRequest = func(f *feed) {
		once.Do(func() { f.days["20260818"] = append([]json.RawMessage{arrived}, f.days["20260818"]...) })
	}
	c, _ := serve(t, f, "page_size: 4\nlookback_days: 0\n", "2026-08-18T09:00:00Z")
	res, err := c.Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	golden.Eq(t, "requests", f.asked(), "20260818/1 20260818/2 20260818/3")
	golden.Eq(t, "Fetched (the repeated row once)", res.Fetched, 9)
	golden.Eq(t, "keys", keysOf(res), "mois:266810 mois:266811 mois:266799 mois:266809")

	res, err = c.Collect(context.Background())
	if err != nil {
		t.Fatalf("second Collect: %v", err)
	}
	golden.Eq(t, "Fetched", res.Fetched, 10)
	golden.Eq(t, "keys", keysOf(res), "mois:266820 mois:266810 mois:266811 mois:266799 mois:266809")
}

func TestCollectHTTPPartial(t *testing.T) {
	older := json.RawMessage(`{"MSG_CN":"폭염주의보 발효.","RCPTN_RGN_NM":"대구광역시 전체","CRT_DT":"2026/08/17 22:00:00","EMRG_STEP_NM":"안전안내","SN":266700,"DST_SE_NM":"폭염"}`)
	f := &feed{days: map[string][]json.RawMessage{"20260818": rowsOf(t, "flood-and-heat-types"), "20260817": {older}}}
	c, _ := serve(t, f, "page_size: 2\nmax_pages: 2\n", "2026-08-18T09:00:00Z")
	res, err := c.Collect(context.Background())
	if !errors.Is(err, ErrPartial) {
		t.Fatalf("error = %v, want ErrPartial", err)
	}
	golden.Eq(t, "error", err.Error(), "partial run: crtDt 20260818 has more than max_pages 2 × page_size 2 messages")
	golden.Eq(t, "requests (the next day still read)", f.asked(), "20260818/1 20260818/2 20260817/1")
	golden.Eq(t, "items beside the error", keysOf(res), "mois:266810 mois:266811 mois:266799 mois:266700")
	golden.Eq(t, "Fetched", res.Fetched, 5)
}

// TestCollectHTTPBounded: an API that pages forever (here: the real capture,
// totalCount 60685, served for every page, as when crtDt is not applied)
// costs max_pages requests and makes the run partial.
func TestCollectHTTPBounded(t *testing.T) {
	body := caseInput(t, "DSSP-IF-00247-ok")
	f := &feed{answer: func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}}
	c, _ := serve(t, f, "page_size: 2\nmax_pages: 3\nlookback_days: 0\n", "2026-08-18T09:00:00Z")
	res, err := c.Collect(context.Background())
	if !errors.Is(err, ErrPartial) {
		t.Fatalf("error = %v, want ErrPartial", err)
	}
	golden.Eq(t, "requests", f.asked(), "20260818/1 20260818/2 20260818/3")
	golden.Eq(t, "Fetched (each message once)", res.Fetched, 2)
	golden.Eq(t, "keys", keysOf(res), "mois:266799")
}

func TestCollectHTTPAgencyError(t *testing.T) {
	body := caseInput(t, "DSSP-IF-00247-error")
	f := &feed{answer: func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}}
	c, _ := serve(t, f, "", "2026-08-18T09:00:00Z")
	res, err := c.Collect(context.Background())
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != "30" {
		t.Fatalf("error = %v, want an APIError with code 30", err)
	}
	if !strings.HasPrefix(err.Error(), "parse http://127.0.0.1:") || !strings.Contains(err.Error(), "serviceKey=REDACTED") {
		t.Errorf("error %q does not name the redacted URL", err)
	}
	noKey(t, "error", err.Error())
	golden.Eq(t, "requests (the next day spared)", f.asked(), "20260818/1")
	golden.Eq(t, "items", len(res.Items), 0)
	golden.Eq(t, "reason", collectors.Reason(err), "parse")
}

// TestCollectHTTPSecrets: whatever a failing server echoes, and whatever the
// transport says, no error shows the key.
func TestCollectHTTPSecrets(t *testing.T) {
	echo := func(status int, contentType string) func(w http.ResponseWriter, r *http.Request) {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", contentType)
			w.WriteHeader(status)
			key := r.URL.Query().Get("serviceKey")
			fmt.Fprintf(w, `{"header":{"resultCode":"30","resultMsg":"key %s is not registered","errorMsg":"%s"},"body":null,"asked":"%s"}`,
				key, strings.ReplaceAll(key, "+", "%2B"), r.URL.RequestURI())
		}
	}
	for _, tt := range []struct {
		name   string
		answer func(w http.ResponseWriter, r *http.Request)
		reason string
	}{
		{"HTTP 500 echoing the key", echo(http.StatusInternalServerError, "application/json"), "http_status"},
		{"HTTP 401 echoing the key", echo(http.StatusUnauthorized, "text/plain"), "http_status"},
		{"error envelope echoing the key", echo(http.StatusOK, "application/json"), "parse"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := serve(t, &feed{answer: tt.answer}, "", "2026-08-18T09:00:00Z")
			_, err := c.Collect(context.Background())
			if err == nil {
				t.Fatal("Collect succeeded")
			}
			noKey(t, "error", err.Error())
			golden.Eq(t, "reason", collectors.Reason(err), tt.reason)
			var fe *collectors.FetchError
			if errors.As(err, &fe) {
				noKey(t, "FetchError.Detail", fe.Detail)
				noKey(t, "FetchError.URL", fe.URL)
			}
		})
	}
	t.Run("server gone", func(t *testing.T) {
		c, srv := serve(t, &feed{}, "", "2026-08-18T09:00:00Z")
		srv.Close()
		_, err := c.Collect(context.Background())
		if err == nil {
			t.Fatal("Collect succeeded")
		}
		noKey(t, "error", err.Error())
		golden.Eq(t, "reason", collectors.Reason(err), "network")
	})
}

func TestCollectHTTPNotModified(t *testing.T) {
	f := &feed{days: map[string][]json.RawMessage{"20260818": rowsOf(t, "flood-and-heat-types")}, etag: `"v1"`}
	c, _ := serve(t, f, "lookback_days: 0\n", "2026-08-18T09:00:00Z")
	res, err := c.Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	want := golden.JSON(t, res.Items)
	res, err = c.Collect(context.Background())
	if err != nil {
		t.Fatalf("second Collect: %v", err)
	}
	golden.Eq(t, "If-None-Match", f.requests[1].Header.Get("If-None-Match"), `"v1"`)
	golden.Eq(t, "NotModified", res.NotModified, true)
	golden.Eq(t, "items after 304", golden.JSON(t, res.Items), want)
}

// TestCollectHTTPForget: the cached pages of a day no longer read are
// dropped, so a new day does not add to the fetcher's cache for ever.
func TestCollectHTTPForget(t *testing.T) {
	f := &feed{days: map[string][]json.RawMessage{"20260818": rowsOf(t, "flood-and-heat-types")}, etag: `"v1"`}
	c, _ := serve(t, f, "lookback_days: 0\n", "2026-08-18T09:00:00Z")
	run := func(now string) {
		t.Helper()
		at, _ := time.Parse(time.RFC3339, now)
		c.now = func() time.Time { return at }
		if _, err := c.Collect(context.Background()); err != nil {
			t.Fatalf("Collect: %v", err)
		}
	}
	run("2026-08-18T09:00:00Z")
	run("2026-08-18T09:02:00Z") // conditional: the page is cached
	run("2026-08-19T09:00:00Z") // a new day: the 18th is forgotten
	run("2026-08-18T09:04:00Z") // asked again, unconditionally
	golden.Eq(t, "requests", f.asked(), "20260818/1 20260818/1 20260819/1 20260818/1")
	var conditional []string
	for _, r := range f.requests {
		conditional = append(conditional, strconv.FormatBool(r.Header.Get("If-None-Match") != ""))
	}
	golden.Eq(t, "conditional", strings.Join(conditional, " "), "false true false false")
}

func TestCollectHTTPCharsets(t *testing.T) {
	body := caseInput(t, "flood-and-heat-types")
	t.Run("EUC-KR", func(t *testing.T) {
		euc, err := korean.EUCKR.NewEncoder().Bytes(body)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := serve(t, &feed{answer: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json; charset=EUC-KR")
			_, _ = w.Write(euc)
		}}, "lookback_days: 0\n", "2026-08-18T09:00:00Z")
		res, err := c.Collect(context.Background())
		if err != nil {
			t.Fatalf("Collect: %v", err)
		}
		golden.Eq(t, "keys", keysOf(res), "mois:266810 mois:266811 mois:266799 mois:266809")
		golden.Eq(t, "description decoded", res.Items[2].Alert.Description, "오늘 새벽 03:00 호우주의보 발효.")
	})
	t.Run("EUC-KR bytes labelled UTF-8", func(t *testing.T) {
		euc, _ := korean.EUCKR.NewEncoder().Bytes(body)
		c, _ := serve(t, &feed{answer: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json;charset=UTF-8")
			_, _ = w.Write(euc)
		}}, "lookback_days: 0\n", "2026-08-18T09:00:00Z")
		if _, err := c.Collect(context.Background()); !errors.Is(err, collectors.ErrInvalidUTF8) {
			t.Fatalf("error = %v, want ErrInvalidUTF8", err)
		}
	})
}

func TestCollectCanceled(t *testing.T) {
	c, _ := serve(t, &feed{days: map[string][]json.RawMessage{}}, "", "2026-08-18T09:00:00Z")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Collect(ctx)
	if err == nil {
		t.Fatal("Collect with a canceled context succeeded")
	}
	golden.Eq(t, "reason", collectors.Reason(err), "canceled")
}

func TestCollectNoFetcher(t *testing.T) {
	if _, err := newTestCollector(t, "", "", nil).Collect(context.Background()); err == nil {
		t.Fatal("Collect without a fetcher succeeded")
	}
}
