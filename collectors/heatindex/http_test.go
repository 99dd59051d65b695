package heatindex

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/encoding/korean"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// testKey is a data.go.kr-like key: characters that URL encoding changes.
const testKey = "Zk9+tEst/KEY0secret=="

// kmaServer answers getUltraSrtNcst like data.go.kr: per grid point, the
// temperature set in temps, for the key testKey only.
type kmaServer struct {
	mu       sync.Mutex
	temps    map[string]string // "nx,ny" → T1H; a missing grid is a 500
	requests []url.Values
	accept   []string
}

func (s *kmaServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := r.URL.Query()
	s.requests = append(s.requests, q)
	s.accept = append(s.accept, r.Header.Get("Accept"))
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	if q.Get("serviceKey") != testKey {
		// data.go.kr's gateway answers a bad key with this envelope.
		fmt.Fprintf(w, `{"OpenAPI_ServiceResponse":{"cmmMsgHeader":{"errMsg":"SERVICE ERROR","returnAuthMsg":"SERVICE_KEY_IS_NOT_REGISTERED_ERROR","returnReasonCode":"30"}}}`)
		return
	}
	grid := q.Get("nx") + "," + q.Get("ny")
	temp, ok := s.temps[grid]
	if !ok {
		// An error page that echoes the request, key included.
		http.Error(w, "upstream failure for "+r.URL.RawQuery+" key="+q.Get("serviceKey"), http.StatusBadGateway)
		return
	}
	items := []map[string]any{}
	for cat, v := range map[string]string{"T1H": temp, "REH": "58", "WSD": "2.2"} {
		items = append(items, map[string]any{"baseDate": q.Get("base_date"), "baseTime": q.Get("base_time"),
			"category": cat, "nx": json.Number(q.Get("nx")), "ny": json.Number(q.Get("ny")), "obsrValue": v})
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"response": map[string]any{
		"header": map[string]string{"resultCode": "00", "resultMsg": "NORMAL_SERVICE"},
		"body":   map[string]any{"dataType": "JSON", "items": map[string]any{"item": items}, "pageNo": 1, "numOfRows": 10, "totalCount": len(items)},
	}})
}

// serveKMA starts the server and a collector reading it through a real
// fetcher, configured as the daemon does, with the key given as key.
func serveKMA(t *testing.T, s *kmaServer, key string) *collector {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	k, _ := collectors.Lookup(kindName)
	fetcher := golden.Fetcher(collectors.FetchOptions{Accept: k.Accept})
	u := srv.URL + "/1360000/VilageFcstInfoService_2.0/getUltraSrtNcst?pageNo=1&numOfRows=100&dataType=JSON&base_date={base_date}&base_time={base_time}&nx={nx}&ny={ny}"
	opts := fmt.Sprintf("service_key: %q\nstations:\n  \"60,127\": {name: 서울 종로구, lat: 37.5735, lon: 126.979}\n  \"98,76\": {name: 부산 중구}\n", key)
	return newTestCollector(t, u, opts, fetcher, time.Time{})
}

func collectAt(t *testing.T, c *collector, now string) (collectors.Result, error) {
	t.Helper()
	at := golden.Time(t, now)
	c.now = func() time.Time { return at }
	return c.Collect(context.Background())
}

// TestCollectHTTP polls two grid points on two days: the hot one gets a
// 폭염경보-level alert on the second day, sent at the KST observation time.
func TestCollectHTTP(t *testing.T) {
	s := &kmaServer{temps: map[string]string{"60,127": "35", "98,76": "30"}}
	c := serveKMA(t, s, testKey)
	res, err := collectAt(t, c, "2025-08-01T15:45:00+09:00")
	if err != nil {
		t.Fatalf("first day: %v", err)
	}
	golden.Eq(t, "first day items", len(res.Items), 0)
	golden.Eq(t, "Fetched", res.Fetched, 2)
	q := s.requests[0]
	golden.Eq(t, "base_date", q.Get("base_date"), "20250801")
	golden.Eq(t, "base_time", q.Get("base_time"), "1500")
	golden.Eq(t, "Accept", s.accept[0], "application/json")

	res, err = collectAt(t, c, "2025-08-02T15:45:00+09:00")
	if err != nil {
		t.Fatalf("second day: %v", err)
	}
	if len(res.Items) != 1 {
		t.Fatalf("items = %s", golden.JSON(t, res.Items))
	}
	a := res.Items[0].Alert
	golden.Eq(t, "key", a.Key, "heat:60,127")
	golden.Eq(t, "severity", a.Severity, alert.SeveritySevere)
	golden.Eq(t, "sent (KST)", a.Sent.Format(time.RFC3339), "2025-08-02T15:00:00+09:00")
	golden.Eq(t, "area", a.Areas[0].Description, "서울 종로구")
	golden.Eq(t, "Snapshot", res.Snapshot, true)
}

// TestServiceKeyNeverLeaks: whatever fails, no error carries the key, in
// any of its forms.
func TestServiceKeyNeverLeaks(t *testing.T) {
	forms := []string{testKey, url.QueryEscape(testKey), url.PathEscape(testKey), "Zk9+tEst", "KEY0secret"}
	check := func(t *testing.T, err error) {
		t.Helper()
		if err == nil {
			t.Fatal("no error")
		}
		for _, f := range forms {
			if strings.Contains(err.Error(), f) {
				t.Errorf("error %q contains the key as %q", err, f)
			}
		}
	}
	t.Run("error page echoing the key", func(t *testing.T) {
		// 60,127 is fetched first; 98,76 fails. (A failure first would make
		// the fetcher back off the host for the rest of the run.)
		c := serveKMA(t, &kmaServer{temps: map[string]string{"60,127": "30"}}, testKey)
		res, err := collectAt(t, c, "2025-08-02T15:45:00+09:00")
		check(t, err)
		var fe *collectors.FetchError
		if !errors.As(err, &fe) || fe.Status != http.StatusBadGateway {
			t.Errorf("error %v: want the FetchError kept inspectable", err)
		}
		golden.Eq(t, "reason", collectors.Reason(err), "http_status")
		golden.Eq(t, "partial: the other grid's fetch counted", res.Fetched, 1)
	})
	t.Run("key rejected", func(t *testing.T) {
		c := serveKMA(t, &kmaServer{temps: map[string]string{"60,127": "35", "98,76": "30"}}, "wrong-"+testKey)
		_, err := collectAt(t, c, "2025-08-02T15:45:00+09:00")
		check(t, err)
		if !strings.Contains(err.Error(), `data.go.kr error "30"`) {
			t.Errorf("error %q does not give the agency's code", err)
		}
	})
	t.Run("server gone", func(t *testing.T) {
		s := &kmaServer{}
		srv := httptest.NewServer(s)
		srv.Close()
		fetcher := golden.Fetcher(collectors.FetchOptions{})
		c := newTestCollector(t, srv.URL+"/getUltraSrtNcst?nx={nx}&ny={ny}", fmt.Sprintf("service_key: %q\nstations:\n  \"60,127\": {}\n", testKey), fetcher, time.Now())
		_, err := c.Collect(context.Background())
		check(t, err)
	})
	t.Run("the Encoding form of the key", func(t *testing.T) {
		c := serveKMA(t, &kmaServer{temps: map[string]string{"60,127": "30"}}, url.QueryEscape(testKey))
		_, err := collectAt(t, c, "2025-08-02T15:45:00+09:00")
		check(t, err)
	})
}

// TestCollectEUCKR: a body declared EUC-KR is decoded; names arrive intact.
func TestCollectEUCKR(t *testing.T) {
	doc := `[{"station": "108", "name": "서울", "time": "2025-08-01 15:00", "temp_c": 35, "rh": 58},` +
		`{"station": "108", "name": "서울", "time": "2025-08-02 15:00", "temp_c": 35, "rh": 58}]`
	body, err := korean.EUCKR.NewEncoder().Bytes([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=EUC-KR")
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	fetcher := golden.Fetcher(collectors.FetchOptions{})
	c := newTestCollector(t, srv.URL+"/obs.json", "", fetcher, golden.Time(t, "2025-08-02T16:00:00+09:00"))
	res, err := c.Collect(context.Background())
	if err != nil || len(res.Items) != 1 {
		t.Fatalf("Collect: %v, %s", err, golden.JSON(t, res.Items))
	}
	golden.Eq(t, "name", res.Items[0].Alert.Areas[0].Description, "서울")
	golden.Eq(t, "sent", res.Items[0].Alert.Sent.Format(time.RFC3339), "2025-08-02T15:00:00+09:00")
}

func TestCollectNoFetcher(t *testing.T) {
	c := newTestCollector(t, testURL, "", nil, time.Now())
	if _, err := c.Collect(context.Background()); err == nil {
		t.Fatal("Collect without a fetcher succeeded")
	}
}
