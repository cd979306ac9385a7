package scenario

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ref is a reference to a topic or group by name, checked once every name
// is known.
type ref struct {
	name  string
	n     *yaml.Node
	path  string
	group bool // a reference to a group rather than a topic
}

// groupRef is a group's topic references and workers, checked for idle
// workers once every topic is known.
type groupRef struct {
	name    string
	path    string
	topics  []ref
	workers *yaml.Node // the workers key, nil when defaulted
}

// scenario decodes the root mapping.
func (d *decoder) scenario(root *yaml.Node) *Scenario {
	s := &Scenario{
		Name:      defaultName(d.file),
		Seed:      defaultSeed,
		Tolerance: defaultTolerance,
		File:      d.file,
		Topics:    map[string]Topic{},
		Producers: map[string]Producer{},
		Groups:    map[string]Group{},
	}
	m, _ := d.object(root, "", scenarioKeys, nil)
	if p, ok := m["name"]; ok {
		if v, ok := d.text(p.v, "name"); ok {
			if v == "" {
				d.errorf(deref(p.v).Line, "name", "must not be empty")
			}
			s.Name = v
		}
	}
	if p, ok := m["description"]; ok && !isNull(p.v) {
		s.Description, _ = d.text(p.v, "description")
	}
	if p, ok := m["seed"]; ok {
		if v, ok := d.integer(p.v, "seed"); ok {
			s.Seed = v
		}
	}
	if p, ok := m["tolerance"]; ok {
		if v, ok := d.tolerance(p.v, "tolerance"); ok {
			s.Tolerance = v
		}
	}

	topicsKnown := d.section(m, root, "topics", "topic", func(e pair, path string) {
		s.Topics[e.key] = d.topic(e, path)
	})
	var topicRefs []ref
	d.section(m, root, "producers", "producer", func(e pair, path string) {
		p, r := d.producer(e, path)
		s.Producers[e.key] = p
		if r != nil {
			topicRefs = append(topicRefs, *r)
		}
	})
	var groupRefs []groupRef
	groupsKnown := d.section(m, root, "groups", "group", func(e pair, path string) {
		g, r := d.group(e, path)
		s.Groups[e.key] = g
		groupRefs = append(groupRefs, r)
	})
	var expectRefs []ref
	if p, ok := m["expect"]; ok && !isNull(p.v) {
		s.Expect, expectRefs = d.expects(p.v, "expect")
	}

	var faultRefs []ref
	var faultLines []int
	if p, ok := m["critical_path"]; ok && !isNull(p.v) {
		s.CriticalPath = d.criticalPath(p.v, "critical_path")
	}
	if p, ok := m["faults"]; ok && !isNull(p.v) {
		s.Faults, faultRefs, faultLines = d.faults(p.v, "faults")
	}

	// Cross references, checked only when the names they refer to could
	// be read, so that one mistake does not cascade.
	for _, r := range faultRefs {
		switch {
		case r.group && groupsKnown:
			if _, ok := s.Groups[r.name]; !ok {
				d.errorf(r.n.Line, r.path, "unknown group %q%s", clip(r.name), hint(r.name, s.GroupNames(), "groups"))
			}
		case !r.group && topicsKnown:
			d.checkRef(r, s)
		}
	}
	if groupsKnown {
		d.checkFaults(s, faultLines)
	}
	if topicsKnown {
		for _, r := range topicRefs {
			d.checkRef(r, s)
		}
		for _, g := range groupRefs {
			ok := true
			for _, r := range g.topics {
				ok = d.checkRef(r, s) && ok
			}
			if ok && g.workers != nil {
				grp := s.Groups[g.name]
				if parts := s.Partitions(grp); grp.Workers > parts {
					d.warnf(g.workers.Line, join(g.path, "workers"), "%d workers but %d partitions: %d workers will be idle", grp.Workers, parts, grp.Workers-parts)
				}
			}
		}
	}
	if groupsKnown {
		for _, r := range expectRefs {
			if _, ok := s.Groups[r.name]; !ok {
				d.errorf(r.n.Line, r.path, "unknown group %q%s", clip(r.name), hint(r.name, s.GroupNames(), "groups"))
			}
		}
	}
	return s
}

// section decodes a required top-level mapping of named entries (topics,
// producers, groups), calling each for every entry with a valid name or
// not. It reports whether the section could be read as a mapping.
func (d *decoder) section(m map[string]pair, root *yaml.Node, key, what string, each func(e pair, path string)) bool {
	p, ok := m[key]
	if !ok {
		d.errorf(root.Line, key, "missing: a scenario needs at least one %s", what)
		return false
	}
	ps, ok := d.pairs(p.v, key)
	if !ok {
		return false
	}
	if len(ps) == 0 {
		d.errorf(p.k.Line, key, "needs at least one %s", what)
	}
	for _, e := range ps {
		d.name(e, key, what)
		each(e, join(key, e.key))
	}
	return true
}

// name reports a topic, producer or group name that cannot become part of
// a Kafka topic or group name.
func (d *decoder) name(p pair, parent, what string) {
	switch {
	case p.key == "":
		d.errorf(p.k.Line, parent, "a %s name must not be empty", what)
	case p.key == "." || p.key == "..":
		d.errorf(p.k.Line, join(parent, p.key), "%s name must not be %q", what, p.key)
	default:
		for _, r := range p.key {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
				d.errorf(p.k.Line, join(parent, p.key), "bad %s name: use only letters, digits, '.', '_' and '-'", what)
				return
			}
		}
	}
}

// checkRef reports a reference to an unknown topic.
func (d *decoder) checkRef(r ref, s *Scenario) bool {
	if _, ok := s.Topics[r.name]; ok {
		return true
	}
	d.errorf(r.n.Line, r.path, "unknown topic %q%s", clip(r.name), hint(r.name, s.TopicNames(), "topics"))
	return false
}

// tolerance returns a fraction in (0, 1) given as a percentage ("2%") or
// as a number (0.02).
func (d *decoder) tolerance(n *yaml.Node, path string) (float64, bool) {
	n = deref(n)
	v, ok := d.fraction(n, path, `a percentage such as 2% or a fraction such as 0.02`)
	if !ok {
		return 0, false
	}
	if !(v > 0 && v < 1) {
		msg := fmt.Sprintf("must be more than 0%% and less than 100%%, got %s", clip(n.Value))
		if v >= 1 && v < 100 && n.ShortTag() != "!!str" {
			msg += fmt.Sprintf(" (did you mean %s%%?)", n.Value)
		}
		d.errorf(n.Line, path, "%s", msg)
		return 0, false
	}
	return v, true
}

// fraction reads a number given as a percentage ("99.9%") or as itself
// (0.999); the caller checks its range. A percentage is read as the
// decimal it writes, so 99.9% is exactly the float64 nearest 0.999.
// Anything else is a type error that says want.
func (d *decoder) fraction(n *yaml.Node, path, want string) (float64, bool) {
	n = deref(n)
	var v float64
	switch tag := n.ShortTag(); {
	case n.Kind == yaml.ScalarNode && tag == "!!str" && strings.HasSuffix(strings.TrimSpace(n.Value), "%"):
		num := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(n.Value), "%"))
		f, err := strconv.ParseFloat(num+"e-2", 64)
		if err != nil || strings.ContainsAny(num, "eE") {
			d.typeError(n, path, want)
			return 0, false
		}
		v = f
	case n.Kind == yaml.ScalarNode && (tag == "!!int" || tag == "!!float"):
		if n.Decode(&v) != nil {
			d.typeError(n, path, want)
			return 0, false
		}
	default:
		d.typeError(n, path, want)
		return 0, false
	}
	return v, true
}

// defaultName returns the file's base name without extension, or the
// preset's name for "preset:NAME".
func defaultName(file string) string {
	base := filepath.Base(strings.TrimPrefix(file, "preset:"))
	base = strings.TrimSuffix(base, filepath.Ext(base))
	if base == "" || base == "." || base == string(filepath.Separator) {
		return "scenario"
	}
	return base
}
