package yamlx

import (
	"encoding"
	"fmt"
	"os"
	"reflect"
	"time"

	"go.yaml.in/yaml/v3"
)

// Options for Decode.
type Options struct {
	// File names the file in messages.
	File string
	// LookupEnv resolves ${NAME} references; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// Ignore lists mapping keys to skip silently at the top level of this
	// Decode call, when the target there is a struct or a map. They also
	// serve as did-you-mean candidates for unknown keys there.
	Ignore []string
	// AllowUnknown skips unknown keys at the top level instead of reporting
	// them, when the target there is a struct; nested structs stay strict.
	AllowUnknown bool
}

// Unmarshaler is implemented by types that decode themselves from a node.
// decode decodes a sub-node into a pointer with the same options (env
// expansion, strictness, file name) and returns its problems; the method
// returns every problem it wants reported. Errors without a position are
// placed at n. It is not called for null values.
type Unmarshaler interface {
	UnmarshalYAMLNode(n *yaml.Node, decode func(*yaml.Node, any) Errors) Errors
}

const (
	// maxAliasNodes bounds the nodes decoded through aliases, against
	// "billion laughs" documents.
	maxAliasNodes = 200_000
	// maxDepth bounds the nesting of decoded values.
	maxDepth = 1000
)

var (
	nodeType      = reflect.TypeFor[yaml.Node]()
	nodePtrType   = reflect.TypeFor[*yaml.Node]()
	durationType  = reflect.TypeFor[time.Duration]()
	hookType      = reflect.TypeFor[Unmarshaler]()
	yamlUnmarType = reflect.TypeFor[yaml.Unmarshaler]()
	textUnmarType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// state is shared by a Decode call and the nested decodes it hands to
// Unmarshaler hooks.
type state struct {
	opts       Options
	lookup     func(string) (string, bool)
	ignore     map[string]bool
	infos      map[reflect.Type]*structInfo
	active     map[*yaml.Node]bool // anchored nodes being decoded
	aliasDepth int                 // >0 while decoding through an alias
	aliasAt    *yaml.Node          // the outermost alias being decoded
	aliasNodes int
	depth      int
	aborted    bool
}

// decoder pairs the shared state with the error list being filled.
type decoder struct {
	st   *state
	errs *errSet
}

// Decode fills v (a non-nil pointer) from node, strictly, and returns every
// problem found, or nil. A DocumentNode is unwrapped; a nil node is a no-op.
func Decode(node *yaml.Node, v any, o Options) Errors {
	errs := newErrSet(o.File)
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		errs.at(node, "yamlx: Decode needs a non-nil pointer, got %T", v)
		return errs.result()
	}
	if node != nil && node.Kind == yaml.DocumentNode {
		if len(node.Content) == 0 {
			return nil
		}
		node = node.Content[0]
	}
	if node == nil {
		return nil
	}
	st := &state{
		opts:   o,
		lookup: o.LookupEnv,
		ignore: map[string]bool{},
		infos:  map[reflect.Type]*structInfo{},
		active: map[*yaml.Node]bool{},
	}
	if st.lookup == nil {
		st.lookup = os.LookupEnv
	}
	for _, k := range o.Ignore {
		st.ignore[k] = true
	}
	d := &decoder{st: st, errs: errs}
	d.value(node, rv.Elem(), "", true)
	return errs.result()
}

// value decodes n into v. top is true for the mapping this Decode call was
// given, where Options.Ignore and Options.AllowUnknown apply.
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string, top bool) {
	st := d.st
	if st.aborted || n == nil {
		return
	}
	if st.aliasDepth > 0 && !d.charge(n, 1) {
		return
	}
	if st.depth >= maxDepth {
		st.aborted = true
		d.errs.at(n, "values nested more than %d deep", maxDepth)
		return
	}
	st.depth++
	defer func() { st.depth-- }()

	if v.Type() == nodePtrType {
		if !isNull(n) {
			v.Set(reflect.ValueOf(n))
		}
		return
	}
	if v.Type() == nodeType {
		if !isNull(n) {
			v.Set(reflect.ValueOf(*n))
		}
		return
	}
	switch n.Kind {
	case yaml.AliasNode:
		d.alias(n, v, path, top)
		return
	case yaml.DocumentNode:
		if len(n.Content) > 0 {
			d.value(n.Content[0], v, path, top)
		}
		return
	case yaml.ScalarNode, yaml.MappingNode, yaml.SequenceNode:
	default:
		d.errs.at(n, "unsupported YAML node%s", forPath(path))
		return
	}
	if isNull(n) {
		return
	}
	if n.Anchor != "" {
		st.active[n] = true
		defer delete(st.active, n)
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.value(n, v.Elem(), path, top)
		return
	}
	if d.custom(n, v, path) {
		return
	}
	switch {
	case v.Type() == durationType:
		d.duration(n, v, path)
	case v.Kind() == reflect.Struct:
		d.structure(n, v, path, top)
	case v.Kind() == reflect.Map:
		d.mapping(n, v, path, top)
	case v.Kind() == reflect.Slice:
		d.slice(n, v, path)
	case v.Kind() == reflect.Interface && v.NumMethod() == 0:
		if x, ok := d.generic(n, path); ok && x != nil {
			v.Set(reflect.ValueOf(x))
		}
	default:
		d.scalar(n, v, path)
	}
}

// alias decodes the target of the alias n. A scalar target is decoded at the
// alias's position, since that is where it is used.
func (d *decoder) alias(n *yaml.Node, v reflect.Value, path string, top bool) {
	t, ok := d.resolve(n)
	if !ok {
		return
	}
	if t.Kind == yaml.ScalarNode {
		cp := *t
		cp.Line, cp.Column, cp.Anchor = n.Line, n.Column, ""
		t = &cp
	}
	if d.st.aliasDepth == 0 {
		d.st.aliasAt = n
	}
	d.st.aliasDepth++
	d.value(t, v, path, top)
	d.st.aliasDepth--
}

// resolve follows the alias n to its target, reporting aliases that are
// dangling or refer to a node being decoded.
func (d *decoder) resolve(n *yaml.Node) (*yaml.Node, bool) {
	t := n
	for hops := 0; t != nil && t.Kind == yaml.AliasNode; hops++ {
		if hops > 100 {
			t = nil
			break
		}
		t = t.Alias
	}
	if t == nil {
		d.errs.at(n, "alias *%s does not refer to a value", n.Value)
		return nil, false
	}
	if d.st.active[t] {
		d.errs.at(n, "alias *%s refers to a value that contains it", n.Value)
		return nil, false
	}
	return t, true
}

// custom handles types that decode themselves. It reports whether it did.
func (d *decoder) custom(n *yaml.Node, v reflect.Value, path string) bool {
	if !v.CanAddr() {
		return false
	}
	p := v.Addr()
	switch {
	case p.Type().Implements(hookType):
		sub := func(sn *yaml.Node, out any) Errors {
			sd := &decoder{st: d.st, errs: newErrSet(d.errs.file)}
			rv := reflect.ValueOf(out)
			if rv.Kind() != reflect.Pointer || rv.IsNil() {
				sd.errs.at(sn, "yamlx: decode needs a non-nil pointer, got %T", out)
			} else {
				sd.value(sn, rv.Elem(), path, false)
			}
			return sd.errs.result()
		}
		for _, e := range p.Interface().(Unmarshaler).UnmarshalYAMLNode(n, sub) {
			if e != nil && e.Line == 0 {
				e.Line, e.Col = n.Line, n.Column
			}
			d.errs.add(e)
		}
		return true
	case p.Type().Implements(yamlUnmarType):
		if err := p.Interface().(yaml.Unmarshaler).UnmarshalYAML(n); err != nil {
			d.errs.at(n, "cannot use %s%s: %v", describe(n, path), forPath(path), err)
		}
		return true
	case p.Type().Implements(textUnmarType):
		if n.Kind != yaml.ScalarNode {
			d.errs.at(n, "cannot use %s as %s%s", describe(n, path), typeName(v.Type()), forPath(path))
			return true
		}
		s, ok := d.text(n)
		if !ok {
			return true
		}
		if err := p.Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			d.errs.at(n, "cannot use %s as %s%s: %v", shown(n, s, path), typeName(v.Type()), forPath(path), err)
		}
		return true
	}
	return false
}

// typeName names a Go type for messages.
func typeName(t reflect.Type) string {
	return fmt.Sprintf("a %s", t.String())
}

// follow resolves aliases without reporting; nil if it cannot.
func follow(n *yaml.Node) *yaml.Node {
	for hops := 0; n != nil && n.Kind == yaml.AliasNode; hops++ {
		if hops > 100 {
			return nil
		}
		n = n.Alias
	}
	return n
}

// isMerge reports whether k is the merge key <<.
func isMerge(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" &&
		(k.Tag == "!!merge" || k.Tag == "tag:yaml.org,2002:merge" || k.Tag == "" && k.Style == 0)
}

// isNull reports whether n is a null scalar.
func isNull(n *yaml.Node) bool {
	if n.Kind != yaml.ScalarNode {
		return false
	}
	switch n.Tag {
	case "!!null", "tag:yaml.org,2002:null":
		return true
	case "", "!":
		if n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			return false
		}
		switch n.Value {
		case "", "~", "null", "Null", "NULL":
			return true
		}
	}
	return false
}
