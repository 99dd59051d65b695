package yamlx

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// structInfo lists the keys a struct type accepts.
type structInfo struct {
	names   []string         // in field order, for suggestions
	index   map[string][]int // key → field index path
	label   string           // "collector config" for messages, or ""
	problem string           // a mistake in the Go type, reported once per use
}

// info returns the keys of the struct type t, computed once per Decode.
func (st *state) info(t reflect.Type) *structInfo {
	si := st.infos[t]
	if si == nil {
		si = buildInfo(t)
		st.infos[t] = si
	}
	return si
}

func buildInfo(t reflect.Type) *structInfo {
	si := &structInfo{index: map[string][]int{}, label: typeLabel(t.Name())}
	collect(t, nil, si)
	return si
}

// collect adds the tagged fields of t under prefix to si: the fields of t
// first, then those of its inline fields, so that outer keys win.
func collect(t reflect.Type, prefix []int, si *structInfo) {
	var inline []reflect.StructField
	for i := range t.NumField() {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup("yaml")
		if !ok || tag == "-" {
			continue
		}
		f.Index = append(slices.Clone(prefix), i)
		name, opts, _ := strings.Cut(tag, ",")
		if slices.Contains(strings.Split(opts, ","), "inline") {
			switch {
			case f.Type.Kind() != reflect.Struct:
				si.problem = "field " + f.Name + " of " + t.String() + ` is ",inline" but not a struct`
			case f.IsExported() || f.Anonymous:
				inline = append(inline, f)
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		if _, dup := si.index[name]; !dup {
			si.index[name] = f.Index
			si.names = append(si.names, name)
		}
	}
	for _, f := range inline {
		collect(f.Type, f.Index, si)
	}
}

// KeysOf returns the mapping keys the struct (or pointer to struct) v
// accepts, inline fields included, in field order; nil for other types. Use
// it to build the drop list of Sub.
func KeysOf(v any) []string {
	t := reflect.TypeOf(v)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	return buildInfo(t).names
}

// structure decodes the mapping n into the struct v.
func (d *decoder) structure(n *yaml.Node, v reflect.Value, path string, top bool) {
	if n.Kind != yaml.MappingNode {
		d.errs.at(n, "cannot use %s as a mapping%s", describe(n, path), forPath(path))
		return
	}
	si := d.st.info(v.Type())
	if si.problem != "" {
		d.errs.at(n, "yamlx: %s", si.problem)
	}
	ps, ok := d.mapPairs(n)
	if !ok {
		return
	}
	seen := map[string]*yaml.Node{}
	for _, p := range ps {
		name, ok := d.key(p.k)
		if !ok || top && d.st.ignore[name] {
			continue
		}
		idx := si.index[name]
		if idx == nil {
			if !top || !d.st.opts.AllowUnknown {
				d.unknown(p.k, name, si, top)
			}
			continue
		}
		if d.duplicate(p.k, name, name, seen) {
			continue
		}
		d.value(p.v, v.FieldByIndex(idx), join(path, name), false)
	}
}

// key returns the text of a mapping key, reporting keys that are not
// scalars.
func (d *decoder) key(k *yaml.Node) (string, bool) {
	t := follow(k)
	if t == nil || t.Kind != yaml.ScalarNode {
		d.errs.at(k, "mapping keys must be plain values, not %s", describe(k, ""))
		return "", false
	}
	return t.Value, true
}

// duplicate reports the key k, named name, if id was seen before in the
// mapping, else records it.
func (d *decoder) duplicate(k *yaml.Node, id, name string, seen map[string]*yaml.Node) bool {
	if prev := seen[id]; prev != nil {
		d.errs.at(k, "duplicate key %s; first given at %d:%d", quote(name), prev.Line, prev.Column)
		return true
	}
	seen[id] = k
	return false
}

// unknown reports the key k that the struct does not accept.
func (d *decoder) unknown(k *yaml.Node, name string, si *structInfo, top bool) {
	msg := "unknown key " + quote(name)
	if si.label != "" {
		msg += " in " + si.label
	}
	cands := si.names
	if top {
		cands = append(slices.Clone(cands), d.st.opts.Ignore...)
	}
	if s := suggest(name, cands); s != "" {
		msg += "; did you mean " + strconv.Quote(s) + "?"
	}
	d.errs.at(k, "%s", msg)
}

// join appends key to the dotted path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// suggest returns the candidate closest to name: one equal to it ignoring
// case and "-" versus "_", else the nearest within Levenshtein distance 2
// (and shorter than both words); "" if none.
func suggest(name string, cands []string) string {
	best, bestDist := "", 3
	norm := normKey(name)
	for _, c := range cands {
		if c == name {
			continue
		}
		if normKey(c) == norm {
			return c
		}
		if diff := len(name) - len(c); diff > 8 || diff < -8 {
			continue // too far apart to be a typo; spares the distance
		}
		dist := levenshtein(name, c)
		if dist < bestDist && dist < len([]rune(name)) && dist < len([]rune(c)) {
			best, bestDist = c, dist
		}
	}
	return best
}

func normKey(s string) string {
	return strings.ReplaceAll(strings.ToLower(s), "-", "_")
}

// levenshtein returns the edit distance between a and b, in runes.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// typeLabel turns a Go type name into lowercase words: "CollectorConfig"
// becomes "collector config", "HTTPServer" "http server".
func typeLabel(name string) string {
	r := []rune(name)
	var b strings.Builder
	for i, c := range r {
		if i > 0 && unicode.IsUpper(c) &&
			(unicode.IsLower(r[i-1]) || i+1 < len(r) && unicode.IsLower(r[i+1]) && unicode.IsUpper(r[i-1])) {
			b.WriteByte(' ')
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}
