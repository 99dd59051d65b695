package cap

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/hazardwire/hazardwire/collectors"
)

// yamlDecode returns a Decode that reads src strictly, as the daemon's config
// loader does, and counts its calls in *calls (when calls is not nil).
func yamlDecode(src string, calls *int) collectors.Decode {
	return func(v any) error {
		if calls != nil {
			*calls++
		}
		dec := yaml.NewDecoder(strings.NewReader(src))
		dec.KnownFields(true)
		if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		return nil
	}
}

// newMapper builds the mapper of a collector configured with optionsYAML.
func newMapper(t *testing.T, optionsYAML string) *mapper {
	t.Helper()
	c := newCollector(t, "https://example.test/cap.xml", optionsYAML, nil)
	return &c.mapper
}

// newCollector builds a collector named "test" for url, with a fetcher whose
// clock is clock (default: one that moves an hour per reading, so that the
// fetcher's backoff after a failure never holds back the next request).
func newCollector(t *testing.T, url, optionsYAML string, clock func() time.Time) *collector {
	t.Helper()
	if clock == nil {
		clock = tickingClock()
	}
	client := collectors.NewClient(collectors.ClientOptions{Now: clock})
	fetcher := client.NewFetcher(collectors.FetchOptions{MinBackoff: time.Minute, MaxBackoff: time.Minute})
	env := collectors.Env{Info: collectors.Info{Name: "test", Kind: "cap"}, URL: url, Fetcher: fetcher}
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

// feedServer serves feeds and documents by request URI and counts requests.
type feedServer struct {
	*httptest.Server
	mu     sync.Mutex
	bodies map[string][]byte
	status map[string]int
	hits   map[string]int
}

func newFeedServer(t *testing.T) *feedServer {
	f := &feedServer{bodies: map[string][]byte{}, status: map[string]int{}, hits: map[string]int{}}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		uri := r.URL.RequestURI()
		f.hits[uri]++
		if code := f.status[uri]; code != 0 {
			w.WriteHeader(code)
			return
		}
		body, ok := f.bodies[uri]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/xml")
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

func (f *feedServer) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, h := range f.hits {
		n += h
	}
	return n
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(b)
}

// rfc3339 formats t with its own offset, as the alert JSON does.
func rfc3339(t *time.Time) string {
	if t == nil {
		return "<nil>"
	}
	return t.Format(time.RFC3339)
}
