package collectors

import (
	"bytes"
	"io"
	"testing"
	"testing/iotest"
)

// TestReadBody reads bodies whose declared size is absent, right, too small,
// too large or over the limit, through readers that return a byte or half a
// buffer at a time: every case must give exactly the body's bytes (or, over
// the limit, limit+1 of them, which the caller turns into too_large).
func TestReadBody(t *testing.T) {
	const limit = 1000
	body := bytes.Repeat([]byte("0123456789"), 50) // 500 bytes
	big := bytes.Repeat([]byte("x"), limit+300)
	cases := []struct {
		name string
		data []byte
		size int64
		want int
	}{
		{"no size", body, -1, len(body)},
		{"exact size", body, int64(len(body)), len(body)},
		{"size too small", body, 10, len(body)},
		{"size too large", body, 900, len(body)},
		{"size zero", body, 0, len(body)},
		{"empty", nil, 0, 0},
		{"at the limit", big[:limit], limit, limit},
		{"over the limit, no size", big, -1, limit + 1},
		{"over the limit, size says so", big, int64(len(big)), limit + 1},
		{"over the limit, size lies", big, 100, limit + 1},
	}
	readers := map[string]func(io.Reader) io.Reader{
		"whole":    func(r io.Reader) io.Reader { return r },
		"one byte": iotest.OneByteReader,
		"half":     iotest.HalfReader,
	}
	for _, tc := range cases {
		for rname, wrap := range readers {
			got, err := readBody(wrap(bytes.NewReader(tc.data)), tc.size, limit)
			if err != nil {
				t.Fatalf("%s, %s: %v", tc.name, rname, err)
			}
			if len(got) != tc.want || !bytes.Equal(got, tc.data[:tc.want]) {
				t.Errorf("%s, %s: got %d bytes, want the first %d of the body", tc.name, rname, len(got), tc.want)
			}
		}
	}
	if _, err := readBody(iotest.ErrReader(io.ErrUnexpectedEOF), 10, limit); err != io.ErrUnexpectedEOF {
		t.Errorf("a failing reader: err %v, want %v", err, io.ErrUnexpectedEOF)
	}
}

// BenchmarkReadBody reads a 12 MB body (a 5,000-alert NWS answer) the way the
// fetcher did (io.ReadAll) and with its declared size.
func BenchmarkReadBody(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 12<<20)
	for _, bc := range []struct {
		name string
		size int64
	}{{"io.ReadAll", -1}, {"sized", int64(len(body))}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := readBody(bytes.NewReader(body), bc.size, 16<<20); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
