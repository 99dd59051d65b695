package kma

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// opPath is the path of an operation on the test server, as on data.go.kr.
const opPath = "/1360000/WthrWrnInfoService/"

// testNow is 05:00 KST on 2026-09-27 (20:00 UTC the day before).
var testNow = time.Date(2026, 9, 26, 20, 0, 0, 0, time.UTC)

// answer is what the test server sends for one request.
type answer struct {
	status      int
	contentType string
	body        []byte
}

// server plays data.go.kr: answer decides per operation and query, and
// every request is recorded.
type server struct {
	mu       sync.Mutex
	answer   func(op string, q url.Values) answer
	requests []*http.Request
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r.Clone(context.Background()))
	s.mu.Unlock()
	a := s.answer(strings.TrimPrefix(r.URL.Path, opPath), r.URL.Query())
	if a.contentType == "" {
		a.contentType = "application/json;charset=UTF-8"
	}
	w.Header().Set("Content-Type", a.contentType)
	if a.status == 0 {
		a.status = http.StatusOK
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

func (s *server) ops() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.requests {
		out = append(out, strings.TrimPrefix(r.URL.Path, opPath)+"?pageNo="+r.URL.Query().Get("pageNo"))
	}
	return out
}

// serve starts s and a collector that reads it through a real fetcher,
// built as the daemon builds it (Accept from the registered kind).
func serve(t *testing.T, s *server, optionsYAML string) *collector {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	k, _ := collectors.Lookup(kindName)
	fetcher := golden.Fetcher(collectors.FetchOptions{Accept: k.Accept})
	return newTestCollector(t, srv.URL+opPath+"getPwnCd", optionsYAML, fetcher, testNow)
}

func file(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// byOp answers each operation with a file, and anything else with 404.
func byOp(t *testing.T, files map[string]string) func(string, url.Values) answer {
	bodies := map[string][]byte{}
	for op, f := range files {
		bodies[op] = file(t, f)
	}
	return func(op string, _ url.Values) answer {
		if b, ok := bodies[op]; ok {
			return answer{body: b}
		}
		return answer{status: http.StatusNotFound, body: []byte("no such operation")}
	}
}

func TestCollectHTTP(t *testing.T) {
	for _, form := range []string{"decoded", "encoded"} {
		t.Run(form, func(t *testing.T) {
			key := testKey
			if form == "encoded" {
				key = url.QueryEscape(testKey)
			}
			s := &server{answer: byOp(t, map[string]string{"getPwnCd": "getPwnCd.json"})}
			c := serve(t, s, "service_key: \""+key+"\"\n")
			res, err := c.Collect(context.Background())
			if err != nil {
				t.Fatalf("Collect: %v", err)
			}
			golden.Eq(t, "requests", strings.Join(s.ops(), " "), "getPwnCd?pageNo=1")
			r := s.requests[0]
			q := r.URL.Query()
			golden.Eq(t, "serviceKey (as the server decodes it)", q.Get("serviceKey"), testKey)
			if !strings.Contains(r.URL.RawQuery, "serviceKey="+url.QueryEscape(testKey)) {
				t.Errorf("raw query %q does not carry the key encoded once", r.URL.RawQuery)
			}
			golden.Eq(t, "dataType", q.Get("dataType"), "JSON")
			golden.Eq(t, "numOfRows", q.Get("numOfRows"), "1000")
			golden.Eq(t, "fromTmFc (KST date 72h back)", q.Get("fromTmFc"), "20260924")
			golden.Eq(t, "toTmFc (KST date, not the UTC 20260926)", q.Get("toTmFc"), "20260927")
			golden.Eq(t, "stnId (not sent by default)", q.Has("stnId"), false)
			golden.Eq(t, "Accept", r.Header.Get("Accept"), "application/json")
			golden.Eq(t, "Snapshot", res.Snapshot, false)
			golden.Eq(t, "Fetched", res.Fetched, 3)
			if len(res.Items) != 2 || res.Items[0].Alert.Key != "kma:L1090500/2" || res.Items[0].Intent != collectors.IntentCancel {
				t.Fatalf("items = %s", golden.JSON(t, res.Items))
			}
			golden.Eq(t, "sent in KST", golden.RFC3339(&res.Items[1].Alert.Sent), "2026-09-26T10:00:00+09:00")
		})
	}
}

func TestCollectText(t *testing.T) {
	s := &server{answer: byOp(t, map[string]string{"getPwnCd": "getPwnCd.json", "getWthrWrnMsg": "getWthrWrnMsg.json"})}
	c := serve(t, s, "fetch_text: true\narea_code: L1090500\n")
	res, err := c.Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	golden.Eq(t, "requests", strings.Join(s.ops(), " "), "getPwnCd?pageNo=1 getWthrWrnMsg?pageNo=1")
	golden.Eq(t, "getPwnCd areaCode", s.requests[0].URL.Query().Get("areaCode"), "L1090500")
	text := s.requests[1].URL.Query()
	golden.Eq(t, "text stnId", text.Get("stnId"), "108")
	golden.Eq(t, "text fromTmFc", text.Get("fromTmFc"), "20260924")
	golden.Eq(t, "text serviceKey", text.Get("serviceKey"), testKey)
	golden.Eq(t, "text areaCode (not a getWthrWrnMsg parameter)", text.Has("areaCode"), false)
	golden.Eq(t, "headline", res.Items[0].Alert.Headline, "호우경보·호우주의보 해제")

	// Nothing maps: no text request.
	s = &server{answer: byOp(t, map[string]string{"getPwnCd": "getPwnCd.json", "getWthrWrnMsg": "getWthrWrnMsg.json"})}
	c = serve(t, s, "fetch_text: true\nheavy_rain_flood: false\n")
	if _, err := c.Collect(context.Background()); err != nil {
		t.Fatal(err)
	}
	golden.Eq(t, "requests without mapped rows", strings.Join(s.ops(), " "), "getPwnCd?pageNo=1")

	// The text request failing fails the run: no items now and text later.
	s = &server{answer: byOp(t, map[string]string{"getPwnCd": "getPwnCd.json", "getWthrWrnMsg": "error-err-99.json"})}
	c = serve(t, s, "fetch_text: true\n")
	res, err = c.Collect(context.Background())
	var api *APIError
	if !errors.As(err, &api) || api.Code != "99" || len(res.Items) != 0 {
		t.Fatalf("Collect = %d items, %v; want no item and error 99", len(res.Items), err)
	}
	if !strings.HasPrefix(err.Error(), "getWthrWrnMsg: parse http://127.0.0.1:") {
		t.Errorf("error %q does not say which operation and URL", err)
	}
	noKey(t, "text error", err.Error())
}

// rowsPage answers getPwnCd with rows [from, to) of n rows made from the
// capture's first row, each in its own zone.
func rowsPage(t *testing.T, n int) func(string, url.Values) answer {
	var env map[string]any
	if err := json.Unmarshal(file(t, "getPwnCd.json"), &env); err != nil {
		t.Fatal(err)
	}
	body := env["response"].(map[string]any)["body"].(map[string]any)
	proto := body["items"].(map[string]any)["item"].([]any)[2].(map[string]any)
	return func(_ string, q url.Values) answer {
		size, _ := strconv.Atoi(q.Get("numOfRows"))
		page, _ := strconv.Atoi(q.Get("pageNo"))
		var items []any
		for i := (page - 1) * size; i < min(page*size, n); i++ {
			row := map[string]any{}
			for k, v := range proto {
				row[k] = v
			}
			row["areaCode"] = "L10" + strconv.Itoa(10000+i)
			items = append(items, row)
		}
		body["items"] = map[string]any{"item": items}
		b, _ := json.Marshal(env)
		return answer{body: b}
	}
}

func TestCollectPages(t *testing.T) {
	s := &server{answer: rowsPage(t, 5)}
	c := serve(t, s, "num_of_rows: 2\n")
	res, err := c.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	golden.Eq(t, "requests", strings.Join(s.ops(), " "), "getPwnCd?pageNo=1 getPwnCd?pageNo=2 getPwnCd?pageNo=3")
	golden.Eq(t, "items", len(res.Items), 5)

	// Exactly full pages: one more request finds the short (empty) page.
	s = &server{answer: rowsPage(t, 4)}
	res, err = serve(t, s, "num_of_rows: 2\n").Collect(context.Background())
	if err != nil || len(res.Items) != 4 || len(s.requests) != 3 {
		t.Fatalf("4 rows in pages of 2: %d items, %d requests, %v", len(res.Items), len(s.requests), err)
	}

	// More than max_pages full pages: the items read, and ErrPartial.
	s = &server{answer: rowsPage(t, 7)}
	res, err = serve(t, s, "num_of_rows: 2\nmax_pages: 2\n").Collect(context.Background())
	if !errors.Is(err, ErrPartial) || len(res.Items) != 4 {
		t.Fatalf("partial run: %d items, %v", len(res.Items), err)
	}
	golden.Eq(t, "requests (bounded)", len(s.requests), 2)
	noKey(t, "partial error", err.Error())
}

func TestCollectErrors(t *testing.T) {
	gatewayXML := file(t, "xml-gateway-error/input.json")
	// echo reflects the request back, key included, as a careless proxy might.
	echo := func(status int) func(string, url.Values) answer {
		return func(_ string, q url.Values) answer {
			return answer{status: status, contentType: "text/plain", body: []byte("bad key " + q.Get("serviceKey") + " in " + q.Encode())}
		}
	}
	tests := []struct {
		name   string
		answer func(string, url.Values) answer
		want   string
		code   string // APIError code expected, "" for none
		status int    // FetchError status expected, 0 for none
	}{
		{name: "err 30 in JSON with 200", answer: byOp(t, map[string]string{"getPwnCd": "error-err-30.json"}),
			want: `data.go.kr gateway error "30": SERVICE_KEY_IS_NOT_REGISTERED_ERROR`, code: "30"},
		{name: "err 99 with 200", answer: byOp(t, map[string]string{"getPwnCd": "error-err-99.json"}), want: `data.go.kr error "99"`, code: "99"},
		{name: "gateway XML with 403", answer: func(string, url.Values) answer {
			return answer{status: http.StatusForbidden, contentType: "text/xml", body: gatewayXML}
		}, want: `HTTP 403: data.go.kr gateway error "30": SERVICE ERROR`, code: "30", status: http.StatusForbidden},
		{name: "gateway XML with 200", answer: func(string, url.Values) answer {
			return answer{contentType: "text/xml;charset=UTF-8", body: gatewayXML}
		}, want: `gateway error "30"`, code: "30"},
		{name: "key echoed with 500", answer: echo(http.StatusInternalServerError), want: "HTTP 500", status: http.StatusInternalServerError},
		{name: "key echoed with 200", answer: echo(http.StatusOK), want: "malformed JSON"},
		{name: "page 2 fails", answer: func(_ string, q url.Values) answer {
			if q.Get("pageNo") == "2" {
				return answer{status: http.StatusBadGateway}
			}
			return rowsPage(t, 10)("getPwnCd", q)
		}, want: "HTTP 502", status: http.StatusBadGateway},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := serve(t, &server{answer: tt.answer}, "num_of_rows: 2\n")
			res, err := c.Collect(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
			golden.Eq(t, "items beside the error", len(res.Items), 0)
			noKey(t, "error", err.Error())
			var api *APIError
			if tt.code != "" && (!errors.As(err, &api) || api.Code != tt.code) {
				t.Errorf("error %v is not an APIError %q", err, tt.code)
			}
			var fe *collectors.FetchError
			if tt.status != 0 && (!errors.As(err, &fe) || fe.Status != tt.status) {
				t.Errorf("error %v is not a FetchError %d", err, tt.status)
			}
			if fe != nil {
				noKey(t, "the fetcher's own error", fe.Error()) // the key is registered with the fetcher
			}
			if tt.status != 0 {
				golden.Eq(t, "metrics reason", collectors.Reason(err), "http_status")
			}
		})
	}
	t.Run("server gone", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close()
		fetcher := golden.Fetcher(collectors.FetchOptions{})
		c := newTestCollector(t, srv.URL+opPath+"getPwnCd", "", fetcher, testNow)
		_, err := c.Collect(context.Background())
		if err == nil {
			t.Fatal("Collect against a closed server succeeded")
		}
		noKey(t, "network error", err.Error())
	})
	t.Run("no fetcher", func(t *testing.T) {
		if _, err := newTestCollector(t, "", "", nil, testNow).Collect(context.Background()); err == nil {
			t.Fatal("Collect without a fetcher succeeded")
		}
	})
}
