package yamlx

import (
	"strconv"
	"strings"
)

// expand replaces ${NAME}, ${NAME:-default} and $$ in s using lookup. It
// returns the expanded text and one message per problem found; when there
// are problems the text is not to be used.
func expand(s string, lookup func(string) (string, bool)) (string, []string) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	var problems []string
	for i := 0; i < len(s); {
		c := s[i]
		if c != '$' || i+1 >= len(s) {
			b.WriteByte(c)
			i++
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i += 2
			continue
		case '{':
		default:
			b.WriteByte(c)
			i++
			continue
		}
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			problems = append(problems, `unterminated "${" in value; write "$$" for a literal "$"`)
			return "", problems
		}
		ref := s[i+2 : i+2+end]
		i += 2 + end + 1
		name, def, hasDef := strings.Cut(ref, ":-")
		if !validEnvName(name) {
			problems = append(problems, "invalid environment variable reference "+
				strconv.Quote("${"+ref+"}")+"; use ${NAME} or ${NAME:-default}")
			continue
		}
		val, ok := lookup(name)
		switch {
		case hasDef && (!ok || val == ""):
			b.WriteString(def)
		case ok:
			b.WriteString(val)
		default:
			problems = append(problems, "environment variable "+strconv.Quote(name)+" is not set")
		}
	}
	if problems != nil {
		return "", problems
	}
	return b.String(), nil
}

// validEnvName reports whether name is [A-Za-z_][A-Za-z0-9_]*.
func validEnvName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
