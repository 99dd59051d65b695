package golden

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hazardwire/hazardwire/collectors"
)

// Payload is one golden case made ready to parse: the bytes of its bodies
// and the parse a run of the collector makes of them.
type Payload struct {
	// Bytes is the number of body bytes one Parse reads.
	Bytes int
	// Parse decodes the bodies and maps them to items, as the collector
	// does with what it fetched. It may be called many times.
	Parse func() (collectors.Result, []error, error)
}

// Bench benchmarks the parse of every golden case of cases that parses:
// one iteration parses them all, in name order. The cases whose golden file
// is an expected.err (the broken payloads the parser must reject) are left
// out. prepare builds each case's Payload (the collector with the case's
// options and the bodies, read once); its cost is not timed.
//
// It reports the bytes parsed per iteration (so MB/s), the allocations and
// alerts/s (the items the parses produced per second) and alerts/op.
func Bench[F any](b *testing.B, cases map[string]F, prepare func(tb testing.TB, name string, f F) Payload) {
	b.Helper()
	var payloads []Payload
	size := 0
	for _, name := range slices.Sorted(maps.Keys(cases)) {
		if _, err := os.Stat(filepath.Join(At(name).Dir, "expected.err")); err == nil {
			continue
		}
		p := prepare(b, name, cases[name])
		payloads = append(payloads, p)
		size += p.Bytes
	}
	if len(payloads) == 0 {
		b.Fatal("no golden case parses")
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	alerts := 0
	for b.Loop() {
		for _, p := range payloads {
			res, _, err := p.Parse()
			if err != nil {
				b.Fatal(err)
			}
			alerts += len(res.Items)
		}
	}
	b.ReportMetric(float64(alerts)/b.Elapsed().Seconds(), "alerts/s")
	b.ReportMetric(float64(alerts)/float64(b.N), "alerts/op")
}
