package heatindex

import (
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// testEnv is the environment of a collector named "heat" for url.
func testEnv(url string, fetcher *collectors.Fetcher) collectors.Env {
	return collectors.Env{
		Info:    collectors.Info{Name: "heat", Kind: kindName},
		URL:     url,
		Fetcher: fetcher,
	}
}

// testURL is the url of collectors that never fetch.
const testURL = "https://example.org/observations.json"

// newTestCollector builds a collector configured with optionsYAML whose clock
// reads now.
func newTestCollector(t testing.TB, url, optionsYAML string, fetcher *collectors.Fetcher, now time.Time) *collector {
	t.Helper()
	c, err := New(testEnv(url, fetcher), golden.Decode(optionsYAML, nil))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	g := c.(*collector)
	g.now = func() time.Time { return now }
	return g
}

// runOnce parses body and evaluates it, as one successful run of c does.
func runOnce(c *collector, body []byte) (collectors.Result, []error, error) {
	p, err := c.parse(body, "application/json")
	if err != nil {
		return collectors.Result{}, nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	res := c.evaluate(p, c.now())
	return res, p.problems, nil
}
