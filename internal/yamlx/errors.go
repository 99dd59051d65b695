package yamlx

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Error is one problem at a place in a YAML file. Line and Col are 1-based;
// zero means the place is not known.
type Error struct {
	File string // the file name given to Load or Options.File; may be empty
	Line int    // 1-based line of the offending key or value
	Col  int    // 1-based column, in characters
	Msg  string // what is wrong, with a hint where one helps
}

// Error formats e as "file:line:col: msg", leaving out the file when it is
// empty and the position when it is unknown.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(":")
	}
	if e.Line > 0 {
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteString(":")
		b.WriteString(strconv.Itoa(e.Col))
		b.WriteString(":")
	}
	if b.Len() > 0 {
		b.WriteString(" ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is a list of problems, sorted by line then column. It implements
// error; because a nil Errors stored in an error interface is not a nil
// error, return es.Err() rather than es where an error is expected.
type Errors []*Error

// Error joins the messages of all errors with newlines.
func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Err returns es as an error, or a nil error when es is empty.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

// errKey identifies an error for de-duplication: a node reached through
// several aliases would otherwise report the same problem once per alias.
type errKey struct {
	line, col int
	msg       string
}

// errSet collects errors for one Decode call.
type errSet struct {
	file string
	list Errors
	seen map[errKey]bool
}

func newErrSet(file string) *errSet {
	return &errSet{file: file, seen: map[errKey]bool{}}
}

// add records e unless an identical error was recorded before. An empty
// File is filled in.
func (s *errSet) add(e *Error) {
	if e == nil {
		return
	}
	k := errKey{e.Line, e.Col, e.Msg}
	if s.seen[k] {
		return
	}
	s.seen[k] = true
	if e.File == "" {
		e.File = s.file
	}
	s.list = append(s.list, e)
}

// at records a message at the position of n.
func (s *errSet) at(n *yaml.Node, format string, args ...any) {
	e := &Error{Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Col = n.Line, n.Column
	}
	s.add(e)
}

// result returns the errors sorted by position, or nil.
func (s *errSet) result() Errors {
	if len(s.list) == 0 {
		return nil
	}
	out := slices.Clone(s.list)
	sortErrors(out)
	return out
}

func sortErrors(es Errors) {
	slices.SortStableFunc(es, func(a, b *Error) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Col - b.Col
	})
}

// describe names what a node at path holds for messages: the quoted scalar
// text (shortened; hidden where path may hold a secret) or "a mapping", "a
// sequence".
func describe(n *yaml.Node, path string) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a sequence"
	case yaml.ScalarNode:
		if secretPath(path) {
			return hidden
		}
		return quote(n.Value)
	}
	return "this value"
}

// hidden stands for the text of a value that may be a secret.
const hidden = "a value (not shown: it may be a secret)"

// secretPath reports whether the value at path may be a secret or part of
// one: a token, a secret, a password, a service or auth key, or anything
// under one (not a *_file path, which names where a secret is). Messages
// reach logs, the status page and /api/v1/status: they never quote such a
// value.
func secretPath(path string) bool {
	for _, el := range strings.FieldsFunc(strings.ToLower(path), func(r rune) bool { return r == '.' || r == '[' || r == ']' }) {
		if strings.HasSuffix(el, "_file") {
			continue
		}
		if strings.Contains(el, "token") || strings.Contains(el, "secret") || strings.Contains(el, "password") || strings.HasSuffix(el, "_key") {
			return true
		}
	}
	return false
}

// quote quotes s for a message, cutting it to a readable length.
func quote(s string) string {
	const max = 40
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "…"
	}
	return strconv.Quote(s)
}

// forPath returns ` for "path"`, or nothing for the root.
func forPath(path string) string {
	if path == "" {
		return ""
	}
	return " for " + strconv.Quote(path)
}
