package scenario

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// pair is one key and its value in a YAML mapping.
type pair struct {
	key  string
	k, v *yaml.Node
}

// deref follows an alias to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 8; i++ {
		n = n.Alias
	}
	return n
}

// pairs returns the entries of the mapping n in document order, reporting
// a value that is not a mapping, keys that are not scalars and duplicate
// keys (only the first of which is kept).
func (d *decoder) pairs(n *yaml.Node, path string) ([]pair, bool) {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		d.typeError(n, path, "a mapping")
		return nil, false
	}
	var out []pair
	seen := make(map[string]int)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		switch {
		case k.Kind != yaml.ScalarNode:
			d.errorf(k.Line, path, "a key must be a name, got %s", describe(k))
			continue
		case k.ShortTag() == "!!merge":
			d.errorf(k.Line, join(path, k.Value), "merge keys are not supported; write the keys out")
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.errorf(k.Line, join(path, k.Value), "duplicate key (first at line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		d.lines.add(join(path, k.Value), k.Line)
		out = append(out, pair{key: k.Value, k: k, v: v})
	}
	return out, true
}

// object returns the entries of the mapping n by key, reporting unknown
// keys and keys reserved for later capabilities.
func (d *decoder) object(n *yaml.Node, path string, known []string, later map[string]string) (map[string]pair, bool) {
	ps, ok := d.pairs(n, path)
	if !ok {
		return nil, false
	}
	out := make(map[string]pair, len(ps))
	for _, p := range ps {
		switch c, reserved := later[p.key]; {
		case slices.Contains(known, p.key):
			out[p.key] = p
		case reserved:
			d.errorf(p.k.Line, join(path, p.key), "not supported yet (%s)", c)
		default:
			d.errorf(p.k.Line, join(path, p.key), "unknown key%s", hint(p.key, known, "known keys"))
		}
	}
	return out, true
}

// list returns the items of the sequence n.
func (d *decoder) list(n *yaml.Node, path string) ([]*yaml.Node, bool) {
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		d.typeError(n, path, "a list")
		return nil, false
	}
	for i, it := range n.Content {
		d.lines.add(fmt.Sprintf("%s[%d]", path, i), deref(it).Line)
	}
	return n.Content, true
}

func (d *decoder) typeError(n *yaml.Node, path, want string) {
	d.errorf(n.Line, path, "must be %s, got %s", want, describe(n))
}

// text returns a scalar as text; any scalar but an empty value will do, so
// that `name: 2024` is the name "2024".
func (d *decoder) text(n *yaml.Node, path string) (string, bool) {
	n = deref(n)
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		d.typeError(n, path, "a string")
		return "", false
	}
	return n.Value, true
}

// integer returns a whole number.
func (d *decoder) integer(n *yaml.Node, path string) (int64, bool) {
	n = deref(n)
	var v int64
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&v) != nil {
		d.typeError(n, path, "a whole number")
		return 0, false
	}
	return v, true
}

// number returns a finite number, whole or not.
func (d *decoder) number(n *yaml.Node, path string) (float64, bool) {
	n = deref(n)
	var v float64
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") || n.Decode(&v) != nil {
		d.typeError(n, path, "a number")
		return 0, false
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		d.typeError(n, path, "a finite number")
		return 0, false
	}
	return v, true
}

// nonNegative returns a number ≥ 0.
func (d *decoder) nonNegative(n *yaml.Node, path string) (float64, bool) {
	v, ok := d.number(n, path)
	if ok && v < 0 {
		d.errorf(deref(n).Line, path, "must be ≥ 0, got %s", deref(n).Value)
		return 0, false
	}
	return v, ok
}

// duration returns a Go duration > 0 such as "90s" or "10m".
func (d *decoder) duration(n *yaml.Node, path string) (time.Duration, bool) {
	n = deref(n)
	const want = "a duration such as 90s, 10m or 1m30s"
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		if n.Kind == yaml.ScalarNode && (n.ShortTag() == "!!int" || n.ShortTag() == "!!float") {
			d.errorf(n.Line, path, "must be %s, got %s (a number needs a unit)", want, n.Value)
			return 0, false
		}
		d.typeError(n, path, want)
		return 0, false
	}
	v, err := time.ParseDuration(strings.TrimSpace(n.Value))
	if err != nil {
		d.typeError(n, path, want)
		return 0, false
	}
	if v <= 0 {
		d.errorf(n.Line, path, "must be > 0, got %s", n.Value)
		return 0, false
	}
	return v, true
}

// boolean decodes true or false.
func (d *decoder) boolean(n *yaml.Node, path string) (bool, bool) {
	n = deref(n)
	var v bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&v) != nil {
		d.typeError(n, path, "true or false")
		return false, false
	}
	return v, true
}

// inRange returns why v is not in [lo, hi], or "" when it is.
func inRange(v, lo, hi int64) string {
	switch {
	case v < lo:
		return fmt.Sprintf("must be ≥ %d, got %d", lo, v)
	case v > hi:
		return fmt.Sprintf("must be ≤ %d, got %d", hi, v)
	}
	return ""
}

func isNull(n *yaml.Node) bool {
	n = deref(n)
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// describe says what a node is, for "must be X, got Y".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch tag := n.ShortTag(); tag {
		case "!!null":
			return "an empty value"
		case "!!str":
			return strconv.Quote(clip(n.Value))
		case "!!int", "!!float", "!!bool":
			return clip(n.Value)
		default:
			return tag + " " + clip(n.Value)
		}
	}
	return "nothing"
}

// clip shortens a value quoted in a message.
func clip(s string) string {
	const limit = 40
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	return string([]rune(s)[:limit]) + "…"
}
