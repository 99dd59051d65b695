package gdacs

import (
	"testing"

	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// BenchmarkParse parses the golden cases that parse, as runCase does (see
// golden.Bench).
func BenchmarkParse(b *testing.B) {
	golden.Bench(b, cases, func(tb testing.TB, name string, _ facts) golden.Payload { return casePayload(tb, name) })
}
