package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// The keys of each level of the format, in the order YAML writes them.
// (Keys reserved for a capability that has not landed yet go in a map
// passed to object as later: "not supported yet" beats "unknown key".)
var (
	scenarioKeys     = []string{"name", "description", "seed", "topics", "producers", "groups", "expect", "tolerance", "faults", "critical_path"}
	topicKeys        = []string{"partitions"}
	producerKeys     = []string{"topic", "event", "size", "phases", "resend", "idempotent", "keys"}
	ratePhaseKeys    = []string{"duration", "rate", "to"}
	groupKeys        = []string{"topics", "workers", "capacity", "phases", "dedup", "delivery", "service"}
	faultKeys        = []string{"at", "for", "action", "group", "topic", "fraction"}
	faultActions     = []string{ProduceErrors, CrashWorker, AddWorker, RemoveWorker}
	capPhaseKeys     = []string{"duration", "capacity"}
	expectKeys       = []string{"events", "peak_backlog", "peak_at_s", "growth_rate", "drained_at_s"}
	events           = []string{"order", "click"}
	defaultSeed      = int64(1)
	defaultEvent     = "order"
	defaultSize      = 512
	defaultWorkers   = 1
	defaultTolerance = 0.02
)

// The bounds of a producer's payload size: the event's JSON fields need
// room, and Kafka's default maximum message size is about 1 MiB.
const (
	minSize = 256
	maxSize = 1 << 20
)

// Parse decodes a scenario from YAML, fills in its defaults and validates
// it; file names the source in messages and gives the default name (its
// base name without extension).
//
// Decoding is strict: unknown and duplicate keys, values of the wrong type,
// keys of capabilities that are not supported yet, and values out of range
// are all errors. Parse reports every problem it finds, sorted by line, as
// one error joined with errors.Join; each is an *Error with file, line and
// key path, and errors.Is(err, ErrInvalid) holds. Non-fatal remarks (more
// workers than partitions) go to the scenario's Warnings.
//
// The defaults are: seed 1, event "order", size 512, workers 1 and
// tolerance 2%.
func Parse(file string, data []byte) (*Scenario, error) {
	d := &decoder{file: file}
	var s *Scenario
	if root := d.document(data); root != nil {
		s = d.scenario(root)
	}
	if len(d.errs) > 0 {
		return nil, joinSorted(d.errs)
	}
	sort.SliceStable(d.warns, func(i, j int) bool { return d.warns[i].Line < d.warns[j].Line })
	for _, w := range d.warns {
		s.Warnings = append(s.Warnings, w.Error())
	}
	return s, nil
}

func joinSorted(list []*Error) error {
	sort.SliceStable(list, func(i, j int) bool { return list[i].Line < list[j].Line })
	errs := make([]error, len(list))
	for i, e := range list {
		errs[i] = e
	}
	return errors.Join(errs...)
}

// decoder walks a YAML node tree against the schema, collecting errors and
// warnings.
type decoder struct {
	file  string
	errs  []*Error
	warns []*Error
}

func (d *decoder) errorf(line int, path, format string, args ...any) {
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) warnf(line int, path, format string, args ...any) {
	d.warns = append(d.warns, &Error{File: d.file, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

var yamlErrLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?`)

// document returns the root mapping of the single YAML document in data,
// or nil after reporting why there is none.
func (d *decoder) document(data []byte) (root *yaml.Node) {
	defer func() {
		// yaml.v3 reports its own failures as errors; this is a last
		// line of defence so that bad input never crashes the caller.
		if r := recover(); r != nil {
			d.errorf(1, "", "invalid YAML: %v", r)
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.errorf(1, "", "empty scenario: it needs topics, producers and groups")
		} else {
			d.yamlError(err)
		}
		return nil
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		d.errorf(max(next.Line, 1), "", "a scenario file holds one YAML document, found another")
		return nil
	} else if !errors.Is(err, io.EOF) {
		d.yamlError(err)
		return nil
	}
	if len(doc.Content) == 0 {
		d.errorf(1, "", "empty scenario: it needs topics, producers and groups")
		return nil
	}
	n := deref(doc.Content[0])
	switch {
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null":
		d.errorf(1, "", "empty scenario: it needs topics, producers and groups")
		return nil
	case n.Kind != yaml.MappingNode:
		d.errorf(1, "", "a scenario must be a mapping of keys (%s), got %s", strings.Join(scenarioKeys, ", "), describe(n))
		return nil
	}
	return n
}

// yamlError turns a yaml.v3 syntax error into an *Error, with the line
// yaml.v3 reports (line 1 when it reports none).
func (d *decoder) yamlError(err error) {
	msg := err.Error()
	line := 1
	if m := yamlErrLine.FindStringSubmatch(msg); m != nil {
		if m[1] != "" {
			if l, err := strconv.Atoi(m[1]); err == nil && l > 0 {
				line = l
			}
		}
		msg = msg[len(m[0]):]
	}
	d.errorf(line, "", "invalid YAML: %s", msg)
}

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
		s.Expect = map[string]Expect{}
		ps, _ := d.pairs(p.v, "expect")
		for _, e := range ps {
			path := join("expect", e.key)
			s.Expect[e.key] = d.expect(e, path)
			expectRefs = append(expectRefs, ref{name: e.key, n: e.k, path: path})
		}
		if len(s.Expect) == 0 {
			s.Expect = nil
		}
	}

	var faultRefs []ref
	var faultLines []int
	if p, ok := m["critical_path"]; ok && !isNull(p.v) {
		s.CriticalPath = d.criticalPath(p.v, "critical_path")
	}
	if p, ok := m["faults"]; ok && !isNull(p.v) {
		items, _ := d.list(p.v, "faults")
		for i, it := range items {
			f, refs := d.fault(it, fmt.Sprintf("faults[%d]", i))
			s.Faults = append(s.Faults, f)
			faultRefs = append(faultRefs, refs...)
			faultLines = append(faultLines, deref(it).Line)
		}
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

// checkFaults checks what a fault needs of its group: remove-worker
// must leave at least one worker.
func (d *decoder) checkFaults(s *Scenario, lines []int) {
	workers := map[string]int{}
	for name, g := range s.Groups {
		workers[name] = g.Workers
	}
	order := make([]int, len(s.Faults))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return s.Faults[order[i]].At < s.Faults[order[j]].At })
	for _, i := range order {
		f := s.Faults[i]
		if _, ok := workers[f.Group]; !ok {
			continue
		}
		switch f.Action {
		case AddWorker:
			workers[f.Group]++
		case RemoveWorker, CrashWorker:
			workers[f.Group]--
			if workers[f.Group] < 1 {
				d.errorf(lines[i], fmt.Sprintf("faults[%d]", i), "%s at %v leaves group %s with no worker", f.Action, f.At, f.Group)
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

func (d *decoder) topic(e pair, path string) Topic {
	var t Topic
	m, ok := d.object(e.v, path, topicKeys, nil)
	if !ok {
		return t
	}
	p, ok := m["partitions"]
	if !ok {
		d.errorf(e.k.Line, path, "missing partitions")
		return t
	}
	if v, ok := d.integer(p.v, join(path, "partitions")); ok {
		if msg := inRange(v, 1, math.MaxInt32); msg != "" {
			d.errorf(deref(p.v).Line, join(path, "partitions"), "%s", msg)
		}
		t.Partitions = int(v)
	}
	return t
}

func (d *decoder) producer(e pair, path string) (Producer, *ref) {
	p := Producer{Event: defaultEvent, Size: defaultSize, Idempotent: true}
	m, ok := d.object(e.v, path, producerKeys, nil)
	if !ok {
		return p, nil
	}
	var r *ref
	if f, ok := m["topic"]; ok {
		if v, ok := d.text(f.v, join(path, "topic")); ok {
			p.Topic = v
			r = &ref{name: v, n: deref(f.v), path: join(path, "topic")}
		}
	} else {
		d.errorf(e.k.Line, path, "missing topic")
	}
	if f, ok := m["event"]; ok {
		if v, ok := d.text(f.v, join(path, "event")); ok {
			if !slices.Contains(events, v) {
				d.errorf(deref(f.v).Line, join(path, "event"), "must be \"order\" or \"click\", got %q", clip(v))
			}
			p.Event = v
		}
	}
	if f, ok := m["size"]; ok {
		if v, ok := d.integer(f.v, join(path, "size")); ok {
			if v < minSize || v > maxSize {
				d.errorf(deref(f.v).Line, join(path, "size"), "must be between %d and %d bytes (the event's JSON fields need room), got %d", minSize, maxSize, v)
			}
			p.Size = int(v)
		}
	}
	if f, ok := m["phases"]; ok {
		items, ok := d.list(f.v, join(path, "phases"))
		if ok && len(items) == 0 {
			d.errorf(deref(f.v).Line, join(path, "phases"), "needs at least one phase")
		}
		for i, it := range items {
			p.Phases = append(p.Phases, d.ratePhase(it, fmt.Sprintf("%s.phases[%d]", path, i)))
		}
	} else {
		d.errorf(e.k.Line, path, "missing phases")
	}
	if f, ok := m["resend"]; ok {
		if v, ok := d.nonNegative(f.v, join(path, "resend")); ok {
			if v > 1 {
				d.errorf(deref(f.v).Line, join(path, "resend"), "must be a fraction between 0 and 1, got %v", v)
			}
			p.Resend = v
		}
	}
	if f, ok := m["idempotent"]; ok {
		p.Idempotent, _ = d.boolean(f.v, join(path, "idempotent"))
	}
	if f, ok := m["keys"]; ok {
		p.Keys = d.keys(f.v, join(path, "keys"))
	}
	return p, r
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

func (d *decoder) ratePhase(n *yaml.Node, path string) RatePhase {
	var ph RatePhase
	m, ok := d.object(n, path, ratePhaseKeys, nil)
	if !ok {
		return ph
	}
	if f, ok := m["duration"]; ok {
		ph.Duration, _ = d.duration(f.v, join(path, "duration"))
	} else {
		d.errorf(deref(n).Line, path, "missing duration")
	}
	if f, ok := m["rate"]; ok {
		ph.Rate, _ = d.nonNegative(f.v, join(path, "rate"))
	} else {
		d.errorf(deref(n).Line, path, "missing rate")
	}
	if f, ok := m["to"]; ok {
		if v, ok := d.nonNegative(f.v, join(path, "to")); ok {
			ph.To = &v
		}
	}
	return ph
}

func (d *decoder) group(e pair, path string) (Group, groupRef) {
	g := Group{Workers: defaultWorkers, Delivery: AtLeastOnce}
	r := groupRef{name: e.key, path: path}
	m, ok := d.object(e.v, path, groupKeys, nil)
	if !ok {
		return g, r
	}
	if f, ok := m["topics"]; ok {
		items, ok := d.list(f.v, join(path, "topics"))
		if ok && len(items) == 0 {
			d.errorf(deref(f.v).Line, join(path, "topics"), "needs at least one topic")
		}
		seen := map[string]bool{}
		for i, it := range items {
			ipath := fmt.Sprintf("%s.topics[%d]", path, i)
			v, ok := d.text(it, ipath)
			if !ok {
				continue
			}
			if seen[v] {
				d.errorf(deref(it).Line, ipath, "topic %q is listed twice", clip(v))
				continue
			}
			seen[v] = true
			g.Topics = append(g.Topics, v)
			r.topics = append(r.topics, ref{name: v, n: deref(it), path: ipath})
		}
	} else {
		d.errorf(e.k.Line, path, "missing topics")
	}
	if f, ok := m["workers"]; ok {
		if v, ok := d.integer(f.v, join(path, "workers")); ok {
			if msg := inRange(v, 1, math.MaxInt32); msg != "" {
				d.errorf(deref(f.v).Line, join(path, "workers"), "%s", msg)
			} else {
				g.Workers = int(v)
				r.workers = f.k
			}
		}
	}
	c, hasCap := m["capacity"]
	ph, hasPhases := m["phases"]
	switch {
	case hasCap && hasPhases:
		d.errorf(max(c.k.Line, ph.k.Line), path, "give capacity or phases, not both")
	case !hasCap && !hasPhases:
		d.errorf(e.k.Line, path, "missing capacity (events/s) or phases")
	case hasCap:
		g.Capacity, _ = d.nonNegative(c.v, join(path, "capacity"))
	default:
		items, ok := d.list(ph.v, join(path, "phases"))
		if ok && len(items) == 0 {
			d.errorf(deref(ph.v).Line, join(path, "phases"), "needs at least one phase")
		}
		for i, it := range items {
			g.Phases = append(g.Phases, d.capacityPhase(it, fmt.Sprintf("%s.phases[%d]", path, i)))
		}
	}
	if f, ok := m["dedup"]; ok {
		g.Dedup, _ = d.boolean(f.v, join(path, "dedup"))
	}
	if f, ok := m["delivery"]; ok {
		if v, ok := d.text(f.v, join(path, "delivery")); ok {
			if v != AtLeastOnce && v != ExactlyOnce {
				d.errorf(deref(f.v).Line, join(path, "delivery"), "must be %q or %q, got %q", AtLeastOnce, ExactlyOnce, clip(v))
			}
			g.Delivery = v
		}
	}
	if f, ok := m["service"]; ok {
		g.Service = d.service(f.v, join(path, "service"))
	}
	if g.Dedup && g.Delivery == ExactlyOnce {
		d.errorf(m["dedup"].k.Line, join(path, "dedup"), "a dedup store outside the transaction would lose the effects of aborted transactions: use dedup or delivery: exactly-once, not both")
	}
	return g, r
}

// fault decodes one entry of faults; its references to groups and
// topics are checked by the caller.
func (d *decoder) fault(n *yaml.Node, path string) (Fault, []ref) {
	var f Fault
	var refs []ref
	m, ok := d.object(n, path, faultKeys, nil)
	if !ok {
		return f, nil
	}
	line := deref(n).Line
	if p, ok := m["at"]; ok {
		if v, ok := d.text(p.v, join(path, "at")); ok {
			if dur, err := time.ParseDuration(v); err != nil || dur < 0 {
				d.errorf(deref(p.v).Line, join(path, "at"), "must be a duration ≥ 0 such as 90s or 4m, got %q", clip(v))
			} else {
				f.At = dur
			}
		}
	} else {
		d.errorf(line, path, "missing at")
	}
	if p, ok := m["action"]; ok {
		if v, ok := d.text(p.v, join(path, "action")); ok {
			if !slices.Contains(faultActions, v) {
				d.errorf(deref(p.v).Line, join(path, "action"), "must be one of %s, got %q", strings.Join(faultActions, ", "), clip(v))
			}
			f.Action = v
		}
	} else {
		d.errorf(line, path, "missing action")
		return f, nil
	}
	if p, ok := m["for"]; ok {
		f.For, _ = d.duration(p.v, join(path, "for"))
	}
	if p, ok := m["fraction"]; ok {
		if v, ok := d.nonNegative(p.v, join(path, "fraction")); ok {
			if v == 0 || v > 1 {
				d.errorf(deref(p.v).Line, join(path, "fraction"), "must be more than 0 and at most 1, got %v", v)
			}
			f.Fraction = v
		}
	}
	if p, ok := m["group"]; ok {
		if v, ok := d.text(p.v, join(path, "group")); ok {
			f.Group = v
			refs = append(refs, ref{name: v, n: deref(p.v), path: join(path, "group"), group: true})
		}
	}
	if p, ok := m["topic"]; ok {
		if v, ok := d.text(p.v, join(path, "topic")); ok {
			f.Topic = v
			refs = append(refs, ref{name: v, n: deref(p.v), path: join(path, "topic")})
		}
	}
	switch f.Action {
	case ProduceErrors:
		if _, ok := m["for"]; !ok {
			d.errorf(line, path, "produce-errors needs for (how long the errors last)")
		}
		if _, ok := m["fraction"]; !ok {
			d.errorf(line, path, "produce-errors needs fraction (the share of produce requests that fail after appending)")
		}
		if _, ok := m["group"]; ok {
			d.errorf(m["group"].k.Line, join(path, "group"), "produce-errors applies to topics, not groups")
		}
	case CrashWorker, AddWorker, RemoveWorker:
		if _, ok := m["group"]; !ok {
			d.errorf(line, path, "%s needs group", f.Action)
		}
		for _, k := range []string{"for", "fraction", "topic"} {
			if p, ok := m[k]; ok {
				d.errorf(p.k.Line, join(path, k), "%s takes no %s", f.Action, k)
			}
		}
	}
	return f, refs
}

func (d *decoder) capacityPhase(n *yaml.Node, path string) CapacityPhase {
	var ph CapacityPhase
	m, ok := d.object(n, path, capPhaseKeys, nil)
	if !ok {
		return ph
	}
	if f, ok := m["duration"]; ok {
		ph.Duration, _ = d.duration(f.v, join(path, "duration"))
	} else {
		d.errorf(deref(n).Line, path, "missing duration")
	}
	if f, ok := m["capacity"]; ok {
		ph.Capacity, _ = d.nonNegative(f.v, join(path, "capacity"))
	} else {
		d.errorf(deref(n).Line, path, "missing capacity")
	}
	return ph
}

func (d *decoder) expect(e pair, path string) Expect {
	var x Expect
	m, ok := d.object(e.v, path, expectKeys, nil)
	if !ok {
		return x
	}
	fields := []**float64{&x.Events, &x.PeakBacklog, &x.PeakAtS, &x.GrowthRate, &x.DrainedAtS}
	for i, key := range expectKeys {
		dst := fields[i]
		if f, ok := m[key]; ok {
			if v, ok := d.nonNegative(f.v, join(path, key)); ok {
				*dst = &v
			}
		}
	}
	return x
}

// tolerance returns a fraction in (0, 1) given as a percentage ("2%") or
// as a number (0.02).
func (d *decoder) tolerance(n *yaml.Node, path string) (float64, bool) {
	n = deref(n)
	const want = `a percentage such as 2% or a fraction such as 0.02`
	var v float64
	switch tag := n.ShortTag(); {
	case n.Kind == yaml.ScalarNode && tag == "!!str" && strings.HasSuffix(strings.TrimSpace(n.Value), "%"):
		pct, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(n.Value), "%")), 64)
		if err != nil {
			d.typeError(n, path, want)
			return 0, false
		}
		v = pct / 100
	case n.Kind == yaml.ScalarNode && (tag == "!!int" || tag == "!!float"):
		if n.Decode(&v) != nil {
			d.typeError(n, path, want)
			return 0, false
		}
	default:
		d.typeError(n, path, want)
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

// hint suggests the closest of names to s, or lists them when none is
// close.
func hint(s string, names []string, what string) string {
	best, bestDist := "", 3
	for _, n := range names {
		if dist := editDistance(s, n); dist < bestDist && dist < utf8.RuneCountInString(s) {
			best, bestDist = n, dist
		}
	}
	if best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	if len(names) == 0 || len(names) > 12 {
		return ""
	}
	return fmt.Sprintf(" (%s: %s)", what, strings.Join(names, ", "))
}

// editDistance returns the Levenshtein distance between a and b, or a
// large number for long strings, which are never close to a key.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return math.MaxInt32
	}
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
