package meteoalarm

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/internal/yamlx"
)

// yamlDecode returns a Decode that reads src strictly with the daemon's own
// decoder, and counts its calls in *calls (when calls is not nil).
func yamlDecode(src string, calls *int) collectors.Decode {
	return func(v any) error {
		if calls != nil {
			*calls++
		}
		node, errs := yamlx.Load("options.yaml", []byte(src))
		if errs != nil {
			return errs.Err()
		}
		return yamlx.Decode(node, v, yamlx.Options{File: "options.yaml"}).Err()
	}
}

// newCollector builds a collector named "test" for url, with a real fetcher
// sending the kind's Accept header, whose clock is clock (default: one that
// moves an hour per reading, so that the fetcher's backoff after a failure
// never holds back the next request).
func newCollector(t testing.TB, url, optionsYAML string, clock func() time.Time) *collector {
	t.Helper()
	if clock == nil {
		clock = tickingClock()
	}
	client := collectors.NewClient(collectors.ClientOptions{Now: clock})
	fetcher := client.NewFetcher(collectors.FetchOptions{Accept: accept, MinBackoff: time.Minute, MaxBackoff: time.Minute})
	env := collectors.Env{Info: collectors.Info{Name: "test", Kind: kindName}, URL: url, Fetcher: fetcher}
	c, err := New(env, yamlDecode(optionsYAML, nil))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c.(*collector)
}

func tickingClock() func() time.Time {
	var mu sync.Mutex
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Hour)
		return now
	}
}

// manualClock is a clock that moves only when told to.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// feedServer serves bodies by request URI with an ETag of their content, answers a
// matching If-None-Match with 304, and records what it was asked.
type feedServer struct {
	*httptest.Server
	mu      sync.Mutex
	bodies  map[string][]byte
	status  map[string]int
	hits    map[string]int
	headers map[string][]http.Header // request headers, per URI
}

func newFeedServer(t testing.TB) *feedServer {
	f := &feedServer{bodies: map[string][]byte{}, status: map[string]int{}, hits: map[string]int{}, headers: map[string][]http.Header{}}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		uri := r.URL.RequestURI()
		f.hits[uri]++
		f.headers[uri] = append(f.headers[uri], r.Header.Clone())
		if code := f.status[uri]; code != 0 {
			w.WriteHeader(code)
			_, _ = w.Write([]byte("upstream trouble"))
			return
		}
		body, ok := f.bodies[uri]
		if !ok {
			http.NotFound(w, r)
			return
		}
		etag := fmt.Sprintf(`"%x"`, sha256.Sum256(body))
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		_, _ = w.Write(body)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *feedServer) set(uri string, body []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bodies[uri] = body
	delete(f.status, uri)
}

func (f *feedServer) fail(uri string, code int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status[uri] = code
}

func (f *feedServer) count(uri string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[uri]
}

// total returns how many requests the server got.
func (f *feedServer) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, h := range f.hits {
		n += h
	}
	return n
}

// lastHeader returns the headers of the last request for uri.
func (f *feedServer) lastHeader(t *testing.T, uri string) http.Header {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	hs := f.headers[uri]
	if len(hs) == 0 {
		t.Fatalf("no request for %s", uri)
	}
	return hs[len(hs)-1]
}

// serveFeed serves the feed of testdata/<name>/feed.atom.xml with its
// feeds.meteoalarm.org links pointing at f, and each testdata/<name>/docs/<id>.xml
// at /api/v1/warnings/feeds-france/<id>. It returns the feed's URL.
func serveFeed(t testing.TB, f *feedServer, name string) string {
	t.Helper()
	feed := readFile(t, "testdata/"+name+"/feed.atom.xml")
	f.set("/feeds/meteoalarm-legacy-atom-france", []byte(strings.ReplaceAll(string(feed), "https://feeds.meteoalarm.org", f.URL)))
	docs, err := os.ReadDir("testdata/" + name + "/docs")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		id := strings.TrimSuffix(d.Name(), ".xml")
		f.set(docPath(id), readFile(t, "testdata/"+name+"/docs/"+d.Name()))
	}
	return f.URL + "/feeds/meteoalarm-legacy-atom-france"
}

func docPath(id string) string { return "/api/v1/warnings/feeds-france/" + id }

func collect(t testing.TB, c *collector) (collectors.Result, error) {
	t.Helper()
	return c.Collect(context.Background())
}

func mustCollect(t testing.TB, c *collector) collectors.Result {
	t.Helper()
	res, err := collect(t, c)
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	return res
}

func keys(res collectors.Result) []string {
	var ks []string
	for _, it := range res.Items {
		ks = append(ks, it.Alert.Key)
	}
	return ks
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(b)
}

// rfc3339 formats an optional time as the alert JSON does, offset kept.
func rfc3339(t *time.Time) string {
	if t == nil {
		return "<nil>"
	}
	return t.Format(time.RFC3339)
}

// wantEq compares got and want by their JSON, which shows both on failure.
func wantEq[T any](t testing.TB, what string, got, want T) {
	t.Helper()
	if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
		t.Errorf("%s = %s, want %s", what, g, w)
	}
}
