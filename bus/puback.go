package bus

import "math"

// fastAck is an acknowledgement read by parsePubAck; stream and domain are
// slices of the message, so that reading one allocates nothing.
type fastAck struct {
	stream, domain []byte
	seq            uint64
	dup            bool
}

// parsePubAck reads the acknowledgements the server writes on success,
// {"stream":"NAME","seq":N} with an optional "domain" member and an optional
// "duplicate" (the server writes `"duplicate": true`, with a space). It
// accepts an object of those members only, each at most once and in any
// order, "stream" non-empty and "seq" present, with strings of printable
// ASCII without escapes; anything else, errors included, reports false, to
// be read by encoding/json. What it accepts, it reads as encoding/json
// would (FuzzParsePubAck).
func parsePubAck(d []byte) (fastAck, bool) {
	var a fastAck
	const stream, seq, domain, dup = 1, 2, 4, 8
	var seen uint8
	i := skipSpace(d, 0)
	if i == len(d) || d[i] != '{' {
		return fastAck{}, false
	}
	for {
		key, j, ok := scanString(d, skipSpace(d, i+1)) // i is at '{' or ','
		if !ok {
			return fastAck{}, false
		}
		if i = skipSpace(d, j); i == len(d) || d[i] != ':' {
			return fastAck{}, false
		}
		i = skipSpace(d, i+1)
		var member uint8
		switch string(key) {
		case "stream":
			member = stream
			a.stream, i, ok = scanString(d, i)
			ok = ok && len(a.stream) > 0
		case "seq":
			member = seq
			a.seq, i, ok = scanUint(d, i)
		case "domain":
			member = domain
			a.domain, i, ok = scanString(d, i)
		case "duplicate":
			member = dup
			a.dup, i, ok = scanBool(d, i)
		default:
			return fastAck{}, false
		}
		if !ok || seen&member != 0 {
			return fastAck{}, false
		}
		seen |= member
		if i = skipSpace(d, i); i == len(d) {
			return fastAck{}, false
		}
		if d[i] == '}' {
			break
		}
		if d[i] != ',' {
			return fastAck{}, false
		}
	}
	if skipSpace(d, i+1) != len(d) || seen&(stream|seq) != stream|seq {
		return fastAck{}, false
	}
	return a, true
}

// skipSpace returns the index of the first byte from i on that is not JSON
// white space.
func skipSpace(d []byte, i int) int {
	for i < len(d) && (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r') {
		i++
	}
	return i
}

// scanString reads the string at i and returns its content and the index
// after it. Escapes and bytes outside printable ASCII are left to
// encoding/json, which unescapes them and replaces invalid UTF-8.
func scanString(d []byte, i int) ([]byte, int, bool) {
	if i == len(d) || d[i] != '"' {
		return nil, i, false
	}
	for j := i + 1; j < len(d); j++ {
		switch c := d[j]; {
		case c == '"':
			return d[i+1 : j], j + 1, true
		case c < ' ' || c == '\\' || c >= 0x80:
			return nil, i, false
		}
	}
	return nil, i, false
}

// scanUint reads the unsigned integer at i: digits without a leading zero,
// below 2^64. A sign, fraction or exponent ends the digits where the caller
// expects a delimiter, and so is refused.
func scanUint(d []byte, i int) (uint64, int, bool) {
	start := i
	var n uint64
	for ; i < len(d) && d[i] >= '0' && d[i] <= '9'; i++ {
		v := uint64(d[i] - '0')
		if n > (math.MaxUint64-v)/10 {
			return 0, start, false
		}
		n = n*10 + v
	}
	if i == start || d[start] == '0' && i-start > 1 {
		return 0, start, false
	}
	return n, i, true
}

// scanBool reads true or false at i.
func scanBool(d []byte, i int) (bool, int, bool) {
	switch {
	case len(d)-i >= 4 && string(d[i:i+4]) == "true":
		return true, i + 4, true
	case len(d)-i >= 5 && string(d[i:i+5]) == "false":
		return false, i + 5, true
	}
	return false, i, false
}
