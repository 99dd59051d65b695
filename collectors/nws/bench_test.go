package nws

import (
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/collectors/internal/golden"
	"github.com/hazardwire/hazardwire/internal/nwsfeed"
)

// BenchmarkParse parses the golden cases that parse, as runCase does (see
// golden.Bench).
func BenchmarkParse(b *testing.B) {
	golden.Bench(b, cases, func(tb testing.TB, name string, _ facts) golden.Payload { return casePayload(tb, name) })
}

// largeFeatures is the size of the collection BenchmarkParseLarge reads: as
// many flood warnings as the daemon benchmark's single scenario serves.
const largeFeatures = 5000

// BenchmarkParseLarge parses one large /alerts/active answer, the shape the
// daemon benchmark (internal/bench) serves: largeFeatures flood warnings of
// about 2.3 KB, each its own VTEC event.
func BenchmarkParseLarge(b *testing.B) {
	body := largeCollection(largeFeatures)
	m := newTestCollector(b, "", "", nil).mapper
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		res, _, err := m.parse(body)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Items) != largeFeatures {
			b.Fatalf("%d items, want %d", len(res.Items), largeFeatures)
		}
	}
}

// largeCollection returns a FeatureCollection of n distinct flood warnings,
// the daemon benchmark's synthetic feed (internal/nwsfeed).
func largeCollection(n int) []byte {
	sent := time.Date(2026, 5, 1, 15, 0, 0, 0, time.UTC)
	features := make([][]byte, n)
	for i := range features {
		features[i] = nwsfeed.Feature("", i, sent)
	}
	return nwsfeed.Collection(features)
}
