package config

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/hazardwire/hazardwire/internal/yamlx"
)

// ByteSize is a size in bytes, written as a number or with a unit: 512MiB,
// 10GiB, 100MB, 64KiB.
type ByteSize int64

var byteUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1},
}

// ParseByteSize reads a size.
func ParseByteSize(s string) (ByteSize, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range byteUnits {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(rest), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || (mult > 1 && n > (1<<62)/mult) {
		return 0, fmt.Errorf("want a size such as 512MiB or 10GiB")
	}
	return ByteSize(n * mult), nil
}

// UnmarshalYAMLNode reads a size from a scalar.
func (b *ByteSize) UnmarshalYAMLNode(n *yaml.Node, decode func(*yaml.Node, any) yamlx.Errors) yamlx.Errors {
	var s string
	if errs := decode(n, &s); len(errs) > 0 {
		return errs
	}
	v, err := ParseByteSize(s)
	if err != nil {
		return yamlx.Errors{{Line: n.Line, Col: n.Column, Msg: fmt.Sprintf("size %q: %v", s, err)}}
	}
	*b = v
	return nil
}
