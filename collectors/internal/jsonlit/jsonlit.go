// Package jsonlit reads the simplest JSON literals without encoding/json,
// for the UnmarshalJSON methods of the kinds' tolerant fields (a value sent
// as a string in one answer and as a number in another). json.Unmarshal of
// a single field costs a fresh decoder, a validation pass and reflection;
// most fields are plain strings or numbers, which these read directly. A
// literal they do not take (a string with escapes, say) is left to
// encoding/json by the caller, so the results are the same either way.
package jsonlit

import "unicode/utf8"

// String returns the text of b when b is a JSON string without escape
// sequences, in valid UTF-8: exactly what json.Unmarshal would store in a
// string. ok is false for anything else, escaped strings included.
func String(b []byte) (s string, ok bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", false
	}
	in := b[1 : len(b)-1]
	for _, c := range in {
		if c < 0x20 || c == '"' || c == '\\' {
			return "", false
		}
	}
	if !utf8.Valid(in) {
		return "", false
	}
	return string(in), true
}

// Number reports whether b is a JSON number, as the JSON grammar writes it:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func Number(b []byte) bool { return NumberEnd(b, 0) == len(b) }

// NumberEnd returns the end of the JSON number that starts at b[i], or -1
// when none does (the grammar of Number).
func NumberEnd(b []byte, i int) int {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(b, i)
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}

// digits returns the index of the first byte at or after i that is not a
// decimal digit.
func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}
