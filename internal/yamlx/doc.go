// Package yamlx decodes the daemon's YAML configuration strictly and reports
// every problem at once, each with the file, line and column it refers to.
//
// yaml.v3 stops at the first unknown field and its Node.Decode is not strict,
// so yamlx walks a *yaml.Node itself. The rules:
//
//   - Structs are filled by `yaml:"name"` tags. A field with no yaml tag, or
//     with tag "-", is ignored; a tag with an empty name (`yaml:",omitempty"`)
//     uses the lowercased field name, as yaml.v3 does. `yaml:",inline"` on a
//     struct-typed field (usually embedded) merges its keys into the parent.
//   - A key the struct does not know is an error at the key, with a
//     did-you-mean hint; a key given twice in one mapping is an error at the
//     second occurrence. Keys skipped through Options.Ignore or
//     Options.AllowUnknown are not checked for duplicates: whoever decodes
//     them later does that.
//   - Scalars are converted from their text, whatever their quoting:
//     `port: "8080"` is an integer. Integers are decimal, or 0x/0o/0b
//     prefixed, and range-checked for the target kind. Booleans are true/false
//     (yes/no and on/off are accepted too, any case). time.Duration takes Go
//     duration strings ("30s", "1m30s"); a bare integer only if it is 0.
//   - ${NAME} in a scalar value is replaced from the environment,
//     ${NAME:-default} uses default when NAME is unset or empty, and $$ is a
//     literal $. A $ followed by anything else is kept as is. Expansion comes
//     before conversion, so `port: ${PORT}` works. Keys are never expanded,
//     and neither is a node stored into a *yaml.Node field. Inside a flow
//     collection ([...] or {...}) a reference must be quoted, since braces
//     are YAML syntax there: `names: ["${A}", b]`.
//   - Null or empty values (`key:`, `key: ~`, `key: null`) leave the target as
//     it was, so defaults set before Decode survive; so does a non-string
//     target whose value expands to the empty string.
//   - Aliases are followed. Merge keys (`<<: *base`, or a sequence of aliases)
//     are supported: keys written in the mapping win over merged ones, and
//     earlier merged mappings win over later ones. Errors inside merged or
//     aliased mappings are reported where the offending node was written; an
//     aliased scalar is reported at the alias.
//   - Types with an UnmarshalYAMLNode method (see Unmarshaler) decode
//     themselves; so do types implementing yaml.Unmarshaler or
//     encoding.TextUnmarshaler (the latter from the expanded scalar text).
//     A `any` target gets what yaml.v3 would give (map[string]any, []any,
//     int, float64, string, ...), after env expansion of its scalars.
//
// Decode never panics on bad input and keeps no package-level state.
package yamlx
