package yamlx

import (
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// mapping decodes the mapping n into a map with string-kinded keys.
func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string, top bool) {
	t := v.Type()
	if t.Key().Kind() != reflect.String {
		d.errs.at(n, "yamlx: cannot decode into Go type %s%s", t, forPath(path))
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errs.at(n, "cannot use %s as a mapping%s", describe(n, path), forPath(path))
		return
	}
	ps, ok := d.mapPairs(n)
	if !ok {
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMapWithSize(t, len(ps)))
	}
	seen := map[string]*yaml.Node{}
	for _, p := range ps {
		name, ok := d.key(p.k)
		if !ok || top && d.st.ignore[name] || d.duplicate(p.k, name, name, seen) {
			continue
		}
		ev := reflect.New(t.Elem()).Elem()
		d.value(p.v, ev, join(path, name), false)
		v.SetMapIndex(reflect.ValueOf(name).Convert(t.Key()), ev)
	}
}

// slice decodes the sequence n into a slice, replacing what it held.
func (d *decoder) slice(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.errs.at(n, "cannot use %s as a list%s", describe(n, path), forPath(path))
		return
	}
	out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, it := range n.Content {
		d.value(it, out.Index(i), fmt.Sprintf("%s[%d]", path, i), false)
	}
	v.Set(out)
}

// generic decodes the non-null node n as yaml.v3 would decode it into an
// interface{}, after env expansion of its scalars.
func (d *decoder) generic(n *yaml.Node, path string) (any, bool) {
	switch n.Kind {
	case yaml.ScalarNode:
		s, ok := d.text(n)
		if !ok {
			return nil, false
		}
		cp := &yaml.Node{Kind: yaml.ScalarNode, Tag: n.Tag, Style: n.Style, Value: s}
		if s != n.Value && n.Style == 0 {
			cp.Tag = "" // resolve the expanded text afresh: ${PORT} may be an int
		}
		var x any
		if err := cp.Decode(&x); err != nil {
			d.errs.at(n, "cannot use %s%s: %s", shown(n, s, path), forPath(path), yamlMessage(err))
			return nil, false
		}
		return x, true
	case yaml.SequenceNode:
		out := make([]any, len(n.Content))
		for i, it := range n.Content {
			d.value(it, reflect.ValueOf(&out[i]).Elem(), fmt.Sprintf("%s[%d]", path, i), false)
		}
		return out, true
	case yaml.MappingNode:
		return d.genericMap(n, path)
	}
	return nil, false
}

// genericMap decodes a mapping into map[string]any, or map[any]any when a
// key is not a string, as yaml.v3 does.
func (d *decoder) genericMap(n *yaml.Node, path string) (any, bool) {
	ps, ok := d.mapPairs(n)
	if !ok {
		return nil, false
	}
	type entry struct{ k, v any }
	var entries []entry
	allStrings := true
	seen := map[string]*yaml.Node{}
	for _, p := range ps {
		kn := follow(p.k)
		if kn == nil || kn.Kind != yaml.ScalarNode {
			d.errs.at(p.k, "mapping keys must be plain values, not %s", describe(p.k, ""))
			continue
		}
		var k any
		if err := kn.Decode(&k); err != nil {
			d.errs.at(p.k, "bad key %s: %s", quote(kn.Value), yamlMessage(err))
			continue
		}
		if d.duplicate(p.k, fmt.Sprintf("%T %v", k, k), kn.Value, seen) {
			continue
		}
		ks, isString := k.(string)
		allStrings = allStrings && isString
		var x any
		d.value(p.v, reflect.ValueOf(&x).Elem(), join(path, fmt.Sprint(k)), false)
		if isString {
			entries = append(entries, entry{ks, x})
		} else {
			entries = append(entries, entry{k, x})
		}
	}
	if allStrings {
		m := make(map[string]any, len(entries))
		for _, e := range entries {
			m[e.k.(string)] = e.v
		}
		return m, true
	}
	m := make(map[any]any, len(entries))
	for _, e := range entries {
		m[e.k] = e.v
	}
	return m, true
}

// yamlMessage strips yaml.v3's "yaml: ", "unmarshal errors:" and
// "line N: " prefixes from err's message.
func yamlMessage(err error) string {
	msg := strings.TrimSpace(strings.TrimPrefix(err.Error(), "yaml: "))
	msg = strings.TrimSpace(strings.TrimPrefix(msg, "unmarshal errors:"))
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.Index(rest, ": "); i > 0 && strings.Trim(rest[:i], "0123456789") == "" {
			msg = rest[i+2:]
		}
	}
	return msg
}
