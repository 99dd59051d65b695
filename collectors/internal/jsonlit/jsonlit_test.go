package jsonlit

import (
	"encoding/json"
	"testing"
)

var samples = []string{
	`""`, `"a"`, `" 12 "`, `"서울"`, `"a\"b"`, `"a\\b"`, `"\u00e9"`, `"a` + "\t" + `b"`, `"` + "\xff" + `"`,
	`"`, `a"`, `"a`, `null`, `true`, `{}`, `[]`, ``,
	`0`, `-0`, `12`, `-12.5`, `1e9`, `1E+9`, `2.5e-3`, `01`, `-`, `1.`, `.5`, `1e`, `+1`, `1x`, `0x1`, `1 `, ` 1`, `NaN`,
}

// TestAgreesWithEncodingJSON checks String and Number against json.Unmarshal:
// whatever they take, encoding/json reads the same.
func TestAgreesWithEncodingJSON(t *testing.T) {
	for _, in := range samples {
		checkAgrees(t, []byte(in))
	}
}

func FuzzAgreesWithEncodingJSON(f *testing.F) {
	for _, in := range samples {
		f.Add([]byte(in))
	}
	f.Fuzz(checkAgrees)
}

func checkAgrees(t *testing.T, b []byte) {
	var want string
	werr := json.Unmarshal(b, &want)
	if got, ok := String(b); ok && (werr != nil || got != want) {
		t.Errorf("String(%q) = %q, but json.Unmarshal gives %q, %v", b, got, want, werr)
	}
	if werr == nil && b[0] == '"' && !hasEscape(b) && validUTF8(b) {
		if _, ok := String(b); !ok {
			t.Errorf("String(%q) refuses a plain string", b)
		}
	}
	var n json.Number
	nerr := json.Unmarshal(b, &n)
	isNum := nerr == nil && len(b) > 0 && b[0] != '"' && n.String() == string(b)
	if Number(b) != isNum {
		t.Errorf("Number(%q) = %v, json.Unmarshal into json.Number: %q, %v", b, Number(b), n, nerr)
	}
}

func hasEscape(b []byte) bool {
	for _, c := range b {
		if c == '\\' {
			return true
		}
	}
	return false
}

func validUTF8(b []byte) bool {
	var s string
	_ = json.Unmarshal(b, &s)
	return string(b[1:len(b)-1]) == s
}

// TestNumberEnd: a number followed by what ends a JSON value ends there;
// what is not a number, at its start, gives -1.
func TestNumberEnd(t *testing.T) {
	for _, tc := range []struct {
		in   string
		from int
		want int
	}{
		{`12,`, 0, 2}, {`[-0.5e+3]`, 1, 8}, {`{"a":7}`, 5, 6}, {`1.5 `, 0, 3},
		{`x`, 0, -1}, {`-`, 0, -1}, {`1.,`, 0, -1}, {`1e]`, 0, -1}, {`.5`, 0, -1},
		{`01`, 0, 1}, // the number 0; what follows is the caller's to refuse
	} {
		if got := NumberEnd([]byte(tc.in), tc.from); got != tc.want {
			t.Errorf("NumberEnd(%q, %d) = %d, want %d", tc.in, tc.from, got, tc.want)
		}
	}
}
