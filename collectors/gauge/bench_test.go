package gauge

import (
	"testing"

	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// BenchmarkParse parses the golden cases that parse, as TestGolden does (see
// golden.Bench).
func BenchmarkParse(b *testing.B) {
	golden.Bench(b, cases, casePayload)
}
