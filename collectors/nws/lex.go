package nws

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hazardwire/hazardwire/collectors/internal/jsonlit"
)

// maxSkipDepth bounds the nesting the lexer skips over. encoding/json
// rejects nesting deeper than 10,000; anything deeper than this is left to it
// (parse's slow path), so that the lexer never accepts what it rejects.
const maxSkipDepth = 1000

// lexer reads JSON from b for the fast decoder (decode.go). It is strict: a
// value it accepts is valid JSON, read as encoding/json reads it. It stops at
// the first byte it does not accept, or the first value of a shape the
// decoder does not read, and sets failed; every method is then a no-op, so
// that callers check failed only once per loop. It does not say why: the
// caller reads the input again with encoding/json, whose errors are the ones
// parse reports.
type lexer struct {
	b      []byte
	pos    int
	failed bool
	// strs, when not nil, interns short strings.
	strs strCache
	// sc holds what decoding a feature's properties reuses (decode.go);
	// only decodeFeature's lexer has one.
	sc *scratch
}

// fail stops the lexer.
func (l *lexer) fail() { l.failed = true }

// peek skips white space and returns the next byte, or 0 at the end (0 is
// not valid JSON, so it reads as anything unexpected).
func (l *lexer) peek() byte {
	for l.pos < len(l.b) {
		switch c := l.b[l.pos]; c {
		case ' ', '\t', '\n', '\r':
			l.pos++
		default:
			return c
		}
	}
	return 0
}

// expect consumes c, the next byte after white space.
func (l *lexer) expect(c byte) {
	if l.failed || l.peek() != c {
		l.fail()
		return
	}
	l.pos++
}

// open consumes the opening bracket c of an object or array and reports
// whether it has a first element; close is its closing bracket.
func (l *lexer) open(c, close byte) bool {
	l.expect(c)
	if l.failed {
		return false
	}
	if l.peek() == close {
		l.pos++
		return false
	}
	return true
}

// more is called after each element of an object or array: it consumes the
// comma and reports true, or the closing bracket and reports false.
func (l *lexer) more(close byte) bool {
	if l.failed {
		return false
	}
	switch l.peek() {
	case ',':
		l.pos++
		return true
	case close:
		l.pos++
		return false
	}
	l.fail()
	return false
}

// key reads an object member's name and its colon. The bytes are b's own
// when the name has no escapes: they are valid until b changes.
func (l *lexer) key() []byte {
	raw, escaped := l.quoted()
	if escaped {
		raw = []byte(l.unquote(raw))
	}
	l.expect(':')
	if l.failed {
		return nil
	}
	return raw
}

// null consumes a null and reports whether there was one.
func (l *lexer) null() bool {
	if l.failed || l.peek() != 'n' {
		return false
	}
	l.literal("null")
	return !l.failed
}

// literal consumes lit (true, false or null).
func (l *lexer) literal(lit string) {
	if !bytes.HasPrefix(l.b[l.pos:], []byte(lit)) {
		l.fail()
		return
	}
	l.pos += len(lit)
}

// str reads a string value.
func (l *lexer) str() string {
	raw, escaped := l.quoted()
	if escaped {
		return l.unquote(raw)
	}
	return l.intern(raw)
}

// quoted reads a string and returns its bytes between the quotes, still
// escaped, and whether it has escapes. It accepts what JSON accepts: no
// control characters, and only the escapes JSON defines. The input is valid
// UTF-8 (parse checks it first), so runes need no checking.
func (l *lexer) quoted() (raw []byte, escaped bool) {
	if l.failed || l.peek() != '"' {
		l.fail()
		return nil, false
	}
	start := l.pos + 1
	for i := start; i < len(l.b); {
		if i = plainEnd(l.b, i); i >= len(l.b) {
			break
		}
		c := l.b[i]
		if c == '"' {
			l.pos = i + 1
			return l.b[start:i], escaped
		}
		if c != '\\' || i+1 >= len(l.b) { // a control character
			break
		}
		escaped = true
		switch l.b[i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			i += 2
		case 'u':
			if i+6 > len(l.b) || !isHex4(l.b[i+2:i+6]) {
				l.fail()
				return nil, false
			}
			i += 6
		default:
			l.fail()
			return nil, false
		}
	}
	l.fail()
	return nil, false
}

// plainEnd returns the end of the run of plain string content at b[i:]: the
// index of the next quote, backslash or control character, or len(b). It
// tests eight bytes at a time while it can: strings are most of an answer.
func plainEnd(b []byte, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		q, bs := x^(ones*'"'), x^(ones*'\\')
		// A byte below 0x20, or a zero byte of q or bs, sets its high bit
		// (exact for whether any byte does; which one is found below).
		if ((x-ones*0x20)&^x|(q-ones)&^q|(bs-ones)&^bs)&highs != 0 {
			break
		}
	}
	for i < len(b) && !strSpecial[b[i]] {
		i++
	}
	return i
}

// strSpecial marks the bytes that end a run of plain string content: the
// quote, the backslash and the control characters JSON strings must escape.
var strSpecial = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// isHex4 reports whether b is four hexadecimal digits.
func isHex4(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// unquote decodes the escapes of raw, a string checked by quoted. A \u
// escape is left to encoding/json, whose handling of lone surrogates this
// must match; such strings are rare.
func (l *lexer) unquote(raw []byte) string {
	if bytes.Contains(raw, []byte(`\u`)) {
		var s string
		if err := json.Unmarshal(append(append([]byte{'"'}, raw...), '"'), &s); err != nil {
			l.fail()
		}
		return s
	}
	// A Builder hands out the bytes it wrote as its string: one allocation,
	// sized once (the decoded string is never longer than raw).
	var out strings.Builder
	out.Grow(len(raw))
	for {
		// Copy the run up to the next escape in one go: in the long texts
		// (description, instruction) escapes are line breaks, far apart.
		i := bytes.IndexByte(raw, '\\')
		if i < 0 {
			out.Write(raw)
			return out.String()
		}
		out.Write(raw[:i])
		c := raw[i+1] // quoted checked that an escape is complete
		switch c {
		case 'b':
			c = '\b'
		case 'f':
			c = '\f'
		case 'n':
			c = '\n'
		case 'r':
			c = '\r'
		case 't':
			c = '\t'
		} // '"', '\\' and '/' stand for themselves
		out.WriteByte(c)
		raw = raw[i+2:]
	}
}

// number reads a number as encoding/json reads it into a float64.
func (l *lexer) number() float64 {
	if l.failed {
		return 0
	}
	l.peek()
	end := jsonlit.NumberEnd(l.b, l.pos)
	if end < 0 {
		l.fail()
		return 0
	}
	f, err := strconv.ParseFloat(string(l.b[l.pos:end]), 64)
	if err != nil { // out of range: encoding/json says so
		l.fail()
		return 0
	}
	l.pos = end
	return f
}

// skip consumes one value of any kind, checking that it is valid JSON.
func (l *lexer) skip() { l.skipDepth(0) }

func (l *lexer) skipDepth(depth int) {
	if depth > maxSkipDepth {
		l.fail()
	}
	if l.failed {
		return
	}
	switch c := l.peek(); {
	case c == '{':
		for more := l.open('{', '}'); more; more = l.more('}') {
			l.key()
			l.skipDepth(depth + 1)
		}
	case c == '[':
		for more := l.open('[', ']'); more; more = l.more(']') {
			l.skipDepth(depth + 1)
		}
	case c == '"':
		l.quoted()
	case c == 't':
		l.literal("true")
	case c == 'f':
		l.literal("false")
	case c == 'n':
		l.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		if end := jsonlit.NumberEnd(l.b, l.pos); end >= 0 {
			l.pos = end
		} else {
			l.fail()
		}
	default:
		l.fail()
	}
}

// skipUnknown skips the value of a member that is none of the fields of
// the struct encoding/json would read the object into, whose names are
// folded. A name that encoding/json would still match to one of them,
// ignoring case, stops the lexer rather than be read differently.
func (l *lexer) skipUnknown(key []byte, folded map[string]bool) {
	var buf [32]byte
	lower := buf[:0]
	for _, c := range key {
		if c >= utf8.RuneSelf { // encoding/json folds some runes onto ASCII
			l.fail()
			return
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower = append(lower, c)
	}
	if folded[string(lower)] {
		l.fail()
		return
	}
	l.skip()
}

// end checks that nothing but white space is left.
func (l *lexer) end() {
	if !l.failed && l.peek() != 0 {
		l.fail()
	}
	if l.pos != len(l.b) {
		l.fail()
	}
}
