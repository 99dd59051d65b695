package gauge

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// agency serves fixed bodies by request path and counts the requests.
type agency struct {
	mu     sync.Mutex
	bodies map[string][]byte // path → body; a missing path is a 500
	etag   string
	hits   map[string]int
	accept []string
}

func (a *agency) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.hits == nil {
		a.hits = map[string]int{}
	}
	a.hits[r.URL.Path]++
	a.accept = append(a.accept, r.Header.Get("Accept"))
	body, ok := a.bodies[r.URL.Path]
	if !ok {
		http.Error(w, "upstream unavailable", http.StatusInternalServerError)
		return
	}
	if a.etag != "" {
		if r.Header.Get("If-None-Match") == a.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", a.etag)
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

func (a *agency) count(path string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.hits[path]
}

// serve starts the agency and a collector reading it through a real fetcher
// configured as the daemon does (Accept from the kind), with a settable clock.
func serve(t *testing.T, a *agency, path, options string, now *time.Time) *collector {
	t.Helper()
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	k, _ := collectors.Lookup(kindName)
	fetcher := golden.Fetcher(collectors.FetchOptions{Accept: k.Accept})
	c := newTestCollector(t, srv.URL+path, options, fetcher, *now)
	c.now = func() time.Time { return *now }
	return c
}

func TestCollectHTTP(t *testing.T) {
	a := &agency{bodies: map[string][]byte{"/nwis/iv/": golden.Fixture(t, usgsCapture)}, etag: `"v1"`}
	now := golden.Time(t, usgsNow)
	c := serve(t, a, "/nwis/iv/?format=json&sites=01541000&parameterCd=00065", "stations:\n  \"01541000\":\n    minor: 6.5\n", &now)

	res, err := c.Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	golden.Eq(t, "Accept", a.accept[0], "application/json")
	golden.Eq(t, "Snapshot", res.Snapshot, true)
	golden.Eq(t, "Fetched", res.Fetched, 1)
	if len(res.Items) != 1 || res.Items[0].Alert.Key != "gauges:01541000" || res.Items[0].Alert.Sent.Format(time.RFC3339) != "2019-02-17T14:30:00-05:00" {
		t.Fatalf("items = %s", golden.JSON(t, res.Items))
	}
	res, err = c.Collect(context.Background())
	if err != nil {
		t.Fatalf("second Collect: %v", err)
	}
	golden.Eq(t, "NotModified", res.NotModified, true)
	golden.Eq(t, "items after 304", len(res.Items), 1)
}

// eaStationDoc is the real station document, made into station id with the
// given typical range high.
func eaStationDoc(t *testing.T, id string) []byte {
	t.Helper()
	return bytes.ReplaceAll(golden.Fixture(t, "id-station.json"), []byte("690142"), []byte(id))
}

// TestCollectPerStationPublished reads EA readings once per station ({id} in
// the url) and takes the minor level from the station document, fetched at
// most hourly.
func TestCollectPerStationPublished(t *testing.T) {
	a := &agency{bodies: map[string][]byte{
		"/flood-monitoring/id/stations/690140/readings": golden.Fixture(t, "measure-readings.json"),
		"/flood-monitoring/id/stations/690140":          eaStationDoc(t, "690140"), // typicalRangeHigh 0.339
	}}
	now := golden.Time(t, eaNow)
	c := serve(t, a, "/flood-monitoring/id/stations/{id}/readings?_sorted&_limit=4", "format: ea\nuse_published: true\nstations:\n  \"690140\": {}\n", &now)

	res, err := c.Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	if len(res.Items) != 1 {
		t.Fatalf("items = %s", golden.JSON(t, res.Items))
	}
	al := res.Items[0].Alert
	golden.Eq(t, "event", al.Event, "River level above typical range (derived)")
	golden.Eq(t, "threshold", al.Parameters["threshold"][0], "0.339")
	golden.Eq(t, "name from the station document", al.Areas[0].Description, "Little Bridge")
	golden.Eq(t, "geometry from the station document", al.Geometry != nil, true)
	golden.Eq(t, "station document requests", a.count("/flood-monitoring/id/stations/690140"), 1)

	now = now.Add(30 * time.Minute)
	if _, err := c.Collect(context.Background()); err != nil {
		t.Fatal(err)
	}
	golden.Eq(t, "station document requests within the hour", a.count("/flood-monitoring/id/stations/690140"), 1)

	// An hour on, it is fetched again; a failure then keeps the last one.
	now = now.Add(31 * time.Minute)
	a.mu.Lock()
	delete(a.bodies, "/flood-monitoring/id/stations/690140")
	a.mu.Unlock()
	res, err = c.Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect with a failing station document and one cached: %v", err)
	}
	golden.Eq(t, "station document requests after an hour", a.count("/flood-monitoring/id/stations/690140"), 2)
	golden.Eq(t, "items with the cached document", len(res.Items), 1)
}

// TestCollectPartial: one station's fetch failing makes the run partial, with
// the other stations' items and an error, so that the lifecycle ends nothing.
func TestCollectPartial(t *testing.T) {
	a := &agency{bodies: map[string][]byte{
		"/flood-monitoring/id/stations/690140/readings": golden.Fixture(t, "measure-readings.json"),
	}}
	now := golden.Time(t, eaNow)
	c := serve(t, a, "/flood-monitoring/id/stations/{id}/readings", "stations:\n  \"690140\":\n    minor: 0.7\n  \"E72639\":\n    minor: 1\n", &now)
	res, err := c.Collect(context.Background())
	var fe *collectors.FetchError
	if !errors.As(err, &fe) || fe.Status != http.StatusInternalServerError || !strings.Contains(fe.URL, "/E72639/readings") {
		t.Fatalf("error = %v, want the failed station's FetchError", err)
	}
	if len(res.Items) != 1 || res.Items[0].Alert.Key != "gauges:690140" {
		t.Fatalf("items = %s, want the station that answered", golden.JSON(t, res.Items))
	}

	// Every fetch failing: an error and nothing else.
	a.mu.Lock()
	a.bodies = map[string][]byte{}
	a.mu.Unlock()
	c.fetcher = golden.Fetcher(collectors.FetchOptions{}) // no backoff carried over
	res, err = c.Collect(context.Background())
	if err == nil || len(res.Items) != 0 || res.Snapshot {
		t.Fatalf("all failing: %v, %s", err, golden.JSON(t, res))
	}
}

func TestCollectPublishedFailureWithoutCache(t *testing.T) {
	a := &agency{bodies: map[string][]byte{"/flood-monitoring/data/readings": golden.Fixture(t, "measure-readings.json")}}
	now := golden.Time(t, eaNow)
	c := serve(t, a, "/flood-monitoring/data/readings?latest", "format: ea\nuse_published: true\nstations:\n  \"690140\":\n    moderate: 0.7\n", &now)
	res, err := c.Collect(context.Background())
	if err == nil || !strings.Contains(err.Error(), "station 690140 document") {
		t.Fatalf("error = %v, want the station document's failure", err)
	}
	// The configured level still counts, so the item is there beside the error.
	if len(res.Items) != 1 || res.Items[0].Alert.Severity != "moderate" {
		t.Fatalf("items = %s", golden.JSON(t, res.Items))
	}
}

func TestCollectNoFetcher(t *testing.T) {
	c := newTestCollector(t, testURL, oneStation, nil, time.Now())
	if _, err := c.Collect(context.Background()); err == nil {
		t.Fatal("Collect without a fetcher succeeded")
	}
}
