package yamlx

import (
	"slices"

	"go.yaml.in/yaml/v3"
)

// pair is one key/value of a mapping.
type pair struct{ k, v *yaml.Node }

// pairs returns the key/value pairs of the mapping m with merge keys (<<)
// applied: keys written in m come first, in order and including duplicates;
// then merged keys not written in m, earlier merge sources winning. Problems
// with merges are reported to errs when it is not nil.
func pairs(m *yaml.Node, errs *errSet) []pair {
	mg := &merger{errs: errs, visiting: map[*yaml.Node]bool{}, memo: map[*yaml.Node][]pair{}}
	return mg.pairs(m)
}

// merger applies merge keys, remembering each source's pairs so that shared
// sources cost once.
type merger struct {
	errs     *errSet
	visiting map[*yaml.Node]bool
	memo     map[*yaml.Node][]pair
}

func (mg *merger) pairs(m *yaml.Node) []pair {
	if ps, ok := mg.memo[m]; ok {
		return ps
	}
	mg.visiting[m] = true
	defer delete(mg.visiting, m)
	var out []pair
	var merges []*yaml.Node
	seen := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if isMerge(k) {
			merges = append(merges, v)
			continue
		}
		out = append(out, pair{k, v})
		if k.Kind == yaml.ScalarNode {
			seen[k.Value] = true
		}
	}
	for _, mv := range merges {
		for _, src := range mg.sources(mv) {
			for _, p := range mg.pairs(src) {
				if p.k.Kind == yaml.ScalarNode {
					if seen[p.k.Value] {
						continue
					}
					seen[p.k.Value] = true
				}
				out = append(out, p)
			}
		}
	}
	mg.memo[m] = out
	return out
}

// sources returns the mappings a merge value names: one mapping, or a
// sequence of them, aliases followed.
func (mg *merger) sources(v *yaml.Node) []*yaml.Node {
	var out []*yaml.Node
	items := []*yaml.Node{v}
	if t := follow(v); t != nil && t.Kind == yaml.SequenceNode {
		items = t.Content
	}
	for _, it := range items {
		t := follow(it)
		switch {
		case t == nil || t.Kind != yaml.MappingNode:
			if mg.errs != nil {
				mg.errs.at(it, "the merge key << takes a mapping or a sequence of mappings (usually aliases like *base)")
			}
		case mg.visiting[t]:
			if mg.errs != nil {
				mg.errs.at(it, "merge of a mapping into itself")
			}
		case !slices.Contains(out, t):
			out = append(out, t)
		}
	}
	return out
}

// mapPairs returns the pairs of the mapping n for decoding, charging them
// to the alias budget when they were reached through an alias or a merge.
func (d *decoder) mapPairs(n *yaml.Node) ([]pair, bool) {
	ps := pairs(n, d.errs)
	if d.st.aliasDepth > 0 || len(ps)*2 != len(n.Content) {
		return ps, d.charge(n, len(ps))
	}
	return ps, true
}

// charge counts k nodes against the alias budget and reports whether
// decoding may go on.
func (d *decoder) charge(n *yaml.Node, k int) bool {
	st := d.st
	if st.aborted {
		return false
	}
	if st.aliasNodes += k; st.aliasNodes > maxAliasNodes {
		st.aborted = true
		if st.aliasDepth > 0 && st.aliasAt != nil {
			n = st.aliasAt
		}
		d.errs.at(n, "too many nodes reached through aliases or merges (more than %d); the document is too large or an alias bomb", maxAliasNodes)
		return false
	}
	return true
}
