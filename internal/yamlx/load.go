package yamlx

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load parses the YAML document in data and returns its root mapping node
// (the DocumentNode's content). An empty document, or one holding only
// comments or null, gives an empty mapping. Syntax errors, a top level that
// is not a mapping and a second document are reported with their position;
// when the first document is a usable mapping it is returned beside such
// errors, so that a caller may Decode it and report everything together.
func Load(file string, data []byte) (*yaml.Node, Errors) {
	errs := newErrSet(file)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	err := dec.Decode(&doc)
	if errors.Is(err, io.EOF) {
		return emptyMapping(1, 1), nil
	}
	if err != nil {
		errs.add(syntaxError(data, err))
		return nil, errs.result()
	}
	root := &doc
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return emptyMapping(doc.Line, doc.Column), nil
		}
		root = doc.Content[0]
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		errs.add(syntaxError(data, err))
	default:
		errs.at(&extra, "a second YAML document is not supported; put all settings in one document")
	}
	switch {
	case isNull(root):
		root = emptyMapping(root.Line, root.Column)
	case root.Kind != yaml.MappingNode:
		errs.at(root, "the top level must be a mapping of keys to values, not %s", describe(root, ""))
		return nil, errs.result()
	}
	return root, errs.result()
}

func emptyMapping(line, col int) *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: line, Column: col}
}

// Sub returns a new mapping node holding only the key/value pairs of m
// whose keys are not in drop, for handing "the rest" of a mapping to
// another Decode. Nodes are shared, so positions are kept. Merge keys (<<)
// in m are applied first, so merged keys are filtered like written ones.
// If m is not a mapping, Sub returns an empty one at m's position: the
// Decode of m reports that problem.
func Sub(m *yaml.Node, drop []string) *yaml.Node {
	out := emptyMapping(0, 0)
	if m != nil && m.Kind == yaml.DocumentNode && len(m.Content) > 0 {
		m = m.Content[0]
	}
	if m = follow(m); m == nil {
		return out
	}
	out.Line, out.Column = m.Line, m.Column
	if m.Kind != yaml.MappingNode {
		return out
	}
	for _, p := range pairs(m, nil) {
		if k := follow(p.k); k != nil && k.Kind == yaml.ScalarNode && slices.Contains(drop, k.Value) {
			continue
		}
		out.Content = append(out.Content, p.k, p.v)
	}
	return out
}

// syntaxError turns a yaml.v3 parse error into a positioned Error. yaml.v3
// gives at most a line, and sometimes the line where the broken construct
// began, so the position is refined from the text where a cause is
// recognizable, and a hint is added for common mistakes.
func syntaxError(data []byte, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.Index(rest, ": "); i > 0 {
			if n, e := strconv.Atoi(rest[:i]); e == nil {
				line, msg = n, rest[i+2:]
			}
		}
	}
	if isParserProblem(msg) {
		// yaml.v3 prints the 0-based line for these, or none for line 1.
		line++
	}
	lines := strings.Split(string(data), "\n")
	e := &Error{Msg: "syntax error: " + msg}
	hint := ""
	col := 0
	switch {
	case strings.Contains(msg, "UTF-8") || strings.Contains(msg, "Unicode") || strings.Contains(msg, "control characters"):
		line, col = badChar(data)
	case strings.HasPrefix(msg, "unknown anchor '"):
		name := strings.TrimSuffix(strings.TrimPrefix(msg, "unknown anchor '"), "' referenced")
		if i := bytes.Index(data, []byte("*"+name)); i >= 0 {
			line, col = offsetPos(data, i)
		}
		hint = "define it with &" + name + " before using *" + name
	case strings.Contains(msg, "did not find expected key"),
		strings.Contains(msg, "did not find expected <document start>"):
		if l, c := badIndent(lines); l >= line && l > 0 {
			line, col = l, c
		}
		hint = "check the indentation: keys of one mapping must start in the same column"
	case strings.Contains(msg, "found character that cannot start any token"):
		line = max(line, 1)
		if line <= len(lines) {
			if l := lines[line-1]; strings.Contains(l[:len(l)-len(strings.TrimLeft(l, " \t"))], "\t") {
				col = runeCol(l, strings.IndexByte(l, '\t'))
				hint = "tabs cannot be used for indentation; use spaces"
			} else if i := strings.IndexAny(l, "@`"); i >= 0 {
				col = runeCol(l, i)
				hint = "a value starting with @ or ` must be quoted"
			}
		}
	case strings.Contains(msg, "mapping values are not allowed"):
		hint = `a value containing ": " must be quoted, or the line is indented too far`
	case strings.Contains(msg, "could not find expected ':'"):
		hint = "a key is missing its ':', or a value goes on over a line that is not indented"
	case strings.Contains(msg, "found unexpected end of stream"):
		hint = "is a quote or a bracket left open?"
	case strings.Contains(msg, "did not find expected ','"):
		hint = "is a bracket left open or a comma missing?"
		if line > 0 && line <= len(lines) {
			if i := strings.LastIndexAny(lines[line-1], "[{"); i >= 0 {
				col = runeCol(lines[line-1], i)
			}
		}
	}
	if line <= 0 {
		line = 1
	}
	last := len(lines)
	for last > 1 && strings.TrimSpace(lines[last-1]) == "" {
		last--
	}
	if line > last {
		// Past the end of the text: point just after its last character.
		line = last
		col = len([]rune(lines[last-1])) + 1
	}
	if col <= 0 {
		l := lines[line-1]
		col = runeCol(l, len(l)-len(strings.TrimLeft(l, " ")))
	}
	e.Line, e.Col = line, col
	if hint != "" {
		e.Msg += " (" + hint + ")"
	}
	return e
}

// isParserProblem reports whether msg comes from yaml.v3's parser rather
// than its scanner; the two number lines differently.
func isParserProblem(msg string) bool {
	for _, p := range []string{
		"did not find expected <", "found undefined tag handle",
		"did not find expected node content", "did not find expected '-' indicator",
		"did not find expected key", "did not find expected ',' or ",
		"found duplicate %", "found incompatible YAML document",
	} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// runeCol turns a byte offset in a line into a 1-based column in runes.
func runeCol(line string, off int) int {
	return len([]rune(line[:off])) + 1
}

// offsetPos turns a byte offset in data into a 1-based line and column.
func offsetPos(data []byte, off int) (int, int) {
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	start := bytes.LastIndexByte(before, '\n') + 1
	return line, len([]rune(string(before[start:]))) + 1
}

// badChar finds the first byte yaml.v3's reader rejects: invalid UTF-8 or
// a control character other than tab, newline and carriage return.
func badChar(data []byte) (int, int) {
	s := string(data)
	for i, r := range s {
		bad := r == 0xFFFD && !strings.HasPrefix(s[i:], "\uFFFD") ||
			r < 0x20 && r != '\t' && r != '\n' && r != '\r' ||
			r >= 0x7F && r <= 0x9F && r != 0x85 || r == 0xFFFE || r == 0xFFFF
		if bad {
			return offsetPos(data, i)
		}
	}
	return 0, 0
}

// badIndent finds the first line whose indentation goes back to a column
// no enclosing block started at, which is what yaml.v3 calls "did not find
// expected key". It returns 0, 0 if every line lines up.
func badIndent(lines []string) (int, int) {
	var stack []int
	for i, l := range lines {
		t := strings.TrimLeft(l, " ")
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if strings.HasPrefix(t, "---") || strings.HasPrefix(t, "...") {
			stack = stack[:0]
			continue
		}
		ind := len(l) - len(t)
		if len(stack) == 0 || ind > stack[len(stack)-1] {
			stack = append(stack, ind)
			continue
		}
		for len(stack) > 0 && stack[len(stack)-1] > ind {
			stack = stack[:len(stack)-1]
		}
		if len(stack) == 0 || stack[len(stack)-1] != ind {
			return i + 1, ind + 1
		}
	}
	return 0, 0
}
