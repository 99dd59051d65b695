package hrfco

import (
	"strconv"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// testKey is the service key of every test collector. Tests check that it
// appears in no error.
const testKey = "TEST-KEY-5A1B-4C2D-9E8F-0123456789AB"

// testNow is the clock of the golden cases: a few minutes after their
// latest readings (2023-07-15 14:50 KST).
var testNow = time.Date(2023, 7, 15, 15, 0, 0, 0, alert.KST)

// testEnv is the environment of a collector named "hrfco" for url.
func testEnv(url string, fetcher *collectors.Fetcher) collectors.Env {
	return collectors.Env{Info: collectors.Info{Name: "hrfco", Kind: kindName}, URL: url, Fetcher: fetcher}
}

// newTestCollector builds a collector configured with optionsYAML plus the
// test key, on the test clock.
func newTestCollector(t testing.TB, url, optionsYAML string, fetcher *collectors.Fetcher) *collector {
	t.Helper()
	c, err := New(testEnv(url, fetcher), golden.Decode("service_key: "+testKey+"\n"+optionsYAML, nil))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	cc := c.(*collector)
	cc.now = func() time.Time { return testNow }
	return cc
}

// readCase returns testdata/<name>/<file>, nil when there is none.
func readCase(t testing.TB, name, file string) []byte {
	t.Helper()
	b, _ := golden.At(name).ReadOptional(t, file)
	return b
}

// runCase parses golden case name as one run would: info.json gives the
// stations, fldfct.json the forecasts, levels.json the levels (from an empty
// state), read at testNow.
func runCase(t testing.TB, name string) (collectors.Result, []error, error) {
	t.Helper()
	return casePayload(t, name).Parse()
}

// casePayload is golden case name made ready for runCase: the collector
// built, the answers read.
func casePayload(t testing.TB, name string) golden.Payload {
	t.Helper()
	c := newTestCollector(t, "", string(readCase(t, name, "options.yaml")), nil)
	info, fldfct, levels := readCase(t, name, "info.json"), readCase(t, name, "fldfct.json"), readCase(t, name, "levels.json")
	return golden.Payload{Bytes: len(info) + len(fldfct) + len(levels), Parse: func() (collectors.Result, []error, error) {
		return parseCase(&c.mapper, info, fldfct, levels)
	}}
}

// parseCase is the whole parse of one run, from bodies (nil: not read).
func parseCase(m *mapper, info, fldfct, levels []byte) (collectors.Result, []error, error) {
	var stations map[string]station
	if info != nil {
		raws, err := rows(info, "application/json", testKey)
		if err != nil {
			return collectors.Result{}, nil, err
		}
		if stations, err = parseStations(raws); err != nil {
			return collectors.Result{}, nil, err
		}
	}
	res := collectors.Result{Snapshot: true}
	var problems []error
	if fldfct != nil {
		raws, err := rows(fldfct, "application/json; charset=utf-8", testKey)
		if err != nil {
			return collectors.Result{}, nil, err
		}
		r, p := m.forecasts(raws, stations)
		res, problems = r, p
	}
	if levels != nil {
		raws, err := rows(levels, "application/json", testKey)
		if err != nil {
			return collectors.Result{}, nil, err
		}
		if len(raws) == 0 { // as collectLevels
			return collectors.Result{}, nil, errNoReadings
		}
		r, _, p := m.levels(raws, stations, nil, testNow)
		res.Items = append(res.Items, r.Items...)
		res.Fetched += r.Fetched
		for k, n := range r.Dropped {
			if res.Dropped == nil {
				res.Dropped = map[string]int{}
			}
			res.Dropped[k] += n
		}
		problems = append(problems, p...)
	}
	return res, problems, nil
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
