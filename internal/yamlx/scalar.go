package yamlx

import (
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// text returns the env-expanded text of the scalar n, reporting problems at
// n. ok is false when expansion failed.
func (d *decoder) text(n *yaml.Node) (string, bool) {
	s, problems := expand(n.Value, d.st.lookup)
	for _, p := range problems {
		d.errs.at(n, "%s", p)
	}
	return s, problems == nil
}

// shown describes the scalar n at path whose expanded text is s for
// messages, naming both when expansion changed it (neither where path may
// hold a secret).
func shown(n *yaml.Node, s, path string) string {
	if secretPath(path) {
		return hidden
	}
	if s == n.Value {
		return quote(s)
	}
	return quote(s) + " (expanded from " + quote(n.Value) + ")"
}

// scalarText returns the expanded, trimmed text of n for a non-string
// target, reporting a mapping or sequence as a mismatch. ok is false when
// there is nothing to set.
func (d *decoder) scalarText(n *yaml.Node, what, path string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.errs.at(n, "cannot use %s as %s%s", describe(n, path), what, forPath(path))
		return "", false
	}
	s, ok := d.text(n)
	if !ok {
		return "", false
	}
	s = strings.TrimSpace(s)
	return s, s != ""
}

// scalar decodes n into a string, bool, integer or float target.
func (d *decoder) scalar(n *yaml.Node, v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.errs.at(n, "cannot use %s as a string%s", describe(n, path), forPath(path))
			return
		}
		if s, ok := d.text(n); ok {
			v.SetString(s)
		}
	case reflect.Bool:
		s, ok := d.scalarText(n, "a boolean", path)
		if !ok {
			return
		}
		switch strings.ToLower(s) {
		case "true", "yes", "on":
			v.SetBool(true)
		case "false", "no", "off":
			v.SetBool(false)
		default:
			d.errs.at(n, "cannot use %s as a boolean%s; use true or false", shown(n, s, path), forPath(path))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		s, ok := d.scalarText(n, "an integer", path)
		if !ok {
			return
		}
		x, err := strconv.ParseInt(s, intBase(s), 64)
		if err == nil && !v.OverflowInt(x) {
			v.SetInt(x)
			return
		}
		bits := v.Type().Bits()
		lo, hi := -(int64(1) << (bits - 1)), int64(math.MaxInt64>>(64-bits))
		d.intError(n, s, path, err, strconv.FormatInt(lo, 10), strconv.FormatInt(hi, 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		s, ok := d.scalarText(n, "an integer", path)
		if !ok {
			return
		}
		x, err := strconv.ParseUint(strings.TrimPrefix(s, "+"), intBase(s), 64)
		if err == nil && !v.OverflowUint(x) {
			v.SetUint(x)
			return
		}
		if err != nil && strings.HasPrefix(s, "-") {
			switch y, e := strconv.ParseInt(s, intBase(s), 64); {
			case e == nil && y == 0:
				v.SetUint(0)
				return
			case e == nil || errors.Is(e, strconv.ErrRange):
				err = strconv.ErrRange
			}
		}
		hi := uint64(math.MaxUint64) >> (64 - v.Type().Bits())
		d.intError(n, s, path, err, "0", strconv.FormatUint(hi, 10))
	case reflect.Float32, reflect.Float64:
		s, ok := d.scalarText(n, "a number", path)
		if !ok {
			return
		}
		x, err := parseFloat(s, v.Type().Bits())
		switch {
		case errors.Is(err, strconv.ErrRange):
			d.errs.at(n, "value %s is out of range%s (%s)", shown(n, s, path), forPath(path), v.Kind())
		case err != nil:
			d.errs.at(n, "cannot use %s as a number%s", shown(n, s, path), forPath(path))
		default:
			v.SetFloat(x)
		}
	default:
		d.errs.at(n, "yamlx: cannot decode into Go type %s%s", v.Type(), forPath(path))
	}
}

// intError reports a failed integer conversion: a range error when err is
// nil (overflow of the target kind) or a range error, else a syntax error.
func (d *decoder) intError(n *yaml.Node, s, path string, err error, lo, hi string) {
	if err == nil || errors.Is(err, strconv.ErrRange) {
		d.errs.at(n, "value %s is out of range%s (must be between %s and %s)", shown(n, s, path), forPath(path), lo, hi)
		return
	}
	d.errs.at(n, "cannot use %s as an integer%s", shown(n, s, path), forPath(path))
}

// intBase is 0 (Go prefix rules) for 0x, 0o and 0b numbers, else 10, so
// that "010" is ten as in YAML 1.2 rather than octal.
func intBase(s string) int {
	t := strings.TrimLeft(s, "+-")
	if len(t) > 2 && t[0] == '0' {
		switch t[1] {
		case 'x', 'X', 'o', 'O', 'b', 'B':
			return 0
		}
	}
	return 10
}

// parseFloat parses s, accepting YAML's .inf, -.inf and .nan spellings.
func parseFloat(s string, bits int) (float64, error) {
	switch s {
	case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF":
		return math.Inf(1), nil
	case "-.inf", "-.Inf", "-.INF":
		return math.Inf(-1), nil
	case ".nan", ".NaN", ".NAN":
		return math.NaN(), nil
	}
	return strconv.ParseFloat(s, bits)
}

// duration decodes a Go duration string into a time.Duration target.
func (d *decoder) duration(n *yaml.Node, v reflect.Value, path string) {
	s, ok := d.scalarText(n, "a duration", path)
	if !ok {
		return
	}
	x, err := time.ParseDuration(s)
	if err == nil {
		v.SetInt(int64(x))
		return
	}
	if _, e := strconv.ParseFloat(s, 64); e == nil {
		d.errs.at(n, "cannot use %s as a duration%s: add a unit, e.g. \"%ss\"", shown(n, s, path), forPath(path), s)
		return
	}
	d.errs.at(n, "cannot use %s as a duration%s; use e.g. \"30s\", \"5m\" or \"1h30m\"", shown(n, s, path), forPath(path))
}
