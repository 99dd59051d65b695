package cap

import (
	"fmt"
	"testing"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// BenchmarkParse parses the golden cases that parse (see golden.Bench).
func BenchmarkParse(b *testing.B) {
	golden.Bench(b, goldenCases, casePayload)
}

// casePayload is golden case name made ready to parse as Collect parses a
// fetched CAP document: the root sniffed, then the document mapped.
func casePayload(tb testing.TB, name string, _ goldenCase) golden.Payload {
	tb.Helper()
	c := golden.At(name)
	m := newMapper(tb, c.Options(tb))
	in := c.Read(tb, "input.xml")
	return golden.Payload{Bytes: len(in), Parse: func() (collectors.Result, []error, error) {
		kind, root, err := sniff(in)
		if err != nil {
			return collectors.Result{}, nil, err
		}
		if kind != rootCAP {
			return collectors.Result{}, nil, fmt.Errorf("root <%s> is not a CAP alert", root.Local)
		}
		res, err := m.documentResult(in)
		return res, nil, err
	}}
}
