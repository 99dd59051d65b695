package golden

import (
	"context"
	"net/http"
	"sync"
	"testing"
)

// Feed is an http.Handler that serves one fixed answer, conditionally on
// ETag, and records the requests it got. Serve it with httptest.NewServer.
type Feed struct {
	// Status is the answer's status code.
	Status int
	// ContentType is the answer's Content-Type ("": none set).
	ContentType string
	// Body is the answer's body.
	Body []byte
	// ETag, when set, is sent with the answer, and a request with
	// If-None-Match: ETag gets 304 Not Modified.
	ETag string

	mu       sync.Mutex
	requests []*http.Request
}

// ServeHTTP records r and answers it.
func (f *Feed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.Clone(context.Background()))
	if f.ETag != "" {
		if r.Header.Get("If-None-Match") == f.ETag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", f.ETag)
	}
	if f.ContentType != "" {
		w.Header().Set("Content-Type", f.ContentType)
	}
	w.WriteHeader(f.Status)
	_, _ = w.Write(f.Body)
}

// Last returns the last request the feed got, failing the test when it got
// none.
func (f *Feed) Last(t testing.TB) *http.Request {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) == 0 {
		t.Fatal("the feed got no request")
	}
	return f.requests[len(f.requests)-1]
}
