package scenario

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Keys is a producer's key distribution: each event's key is drawn from
// Count distinct keys (reproducibly, from the seed and the event's
// sequence number), and the event goes to the partition Kafka's default
// partitioner picks for that key (murmur2), so a hot key makes a hot
// partition.
type Keys struct {
	// Dist is "uniform" (the default: every key equally likely) or "zipf"
	// (key k, from 1, drawn with probability ∝ 1/k^S).
	Dist string `yaml:"dist"`
	// S is the zipf exponent, > 0; only for zipf. The default is 1.1.
	S float64 `yaml:"s,omitempty"`
	// Count is the number of distinct keys, 1 to 1,000,000. The default is
	// 10,000.
	Count int `yaml:"count"`
}

// The key distributions.
const (
	Uniform = "uniform"
	Zipf    = "zipf"
)

// Service is a group's service-time distribution: each record takes a
// random time to process, drawn independently with mean workers/capacity
// (so the group's capacity is unchanged).
type Service struct {
	// Dist is "constant", "exponential" or "lognormal".
	Dist string `yaml:"dist"`
	// CV is the coefficient of variation (standard deviation / mean): 0
	// for constant, 1 for exponential, given for lognormal (default 1).
	CV float64 `yaml:"cv,omitempty"`
}

// The service-time distributions.
const (
	Constant    = "constant"
	Exponential = "exponential"
	Lognormal   = "lognormal"
)

// CriticalPath is a request's chain of synchronous calls, as the seed's
// checkout: the all-sync chain answers after every step (latencies add,
// availabilities multiply); the async design keeps only the steps that
// must answer now and publishes an event for the rest.
type CriticalPath struct {
	// Sync is the all-sync chain, in call order. A fixed cost such as the
	// network overhead is a step of its own.
	Sync []Step `yaml:"sync"`
	// Async names the steps of Sync that the async design moves off the
	// request path, behind one publish.
	Async []string `yaml:"async,omitempty"`
}

// Step is one synchronous call of a critical path.
type Step struct {
	Name    string        `yaml:"name"`
	Latency time.Duration `yaml:"latency"`
	// Availability is the probability the step succeeds, in (0, 1]
	// (written 99.9% or 0.999). The default is 1.
	Availability float64 `yaml:"availability"`
}

var (
	keysKeys     = []string{"dist", "s", "count"}
	keyDists     = []string{Uniform, Zipf}
	serviceKeys  = []string{"dist", "cv"}
	serviceDists = []string{Constant, Exponential, Lognormal}
	criticalKeys = []string{"sync", "async"}
	stepKeys     = []string{"name", "latency", "availability"}
)

// Defaults and bounds of the deeper model's keys.
const (
	defaultKeyCount = 10000
	maxKeyCount     = 1_000_000
	defaultZipfS    = 1.1
	defaultCV       = 1.0
)

// keys decodes a producer's keys.
func (d *decoder) keys(n *yaml.Node, path string) *Keys {
	k := &Keys{Dist: Uniform, Count: defaultKeyCount}
	m, ok := d.object(n, path, keysKeys, nil)
	if !ok {
		return k
	}
	if f, ok := m["dist"]; ok {
		if v, ok := d.text(f.v, join(path, "dist")); ok {
			if !slices.Contains(keyDists, v) {
				d.errorf(deref(f.v).Line, join(path, "dist"), "must be %q or %q, got %q", Uniform, Zipf, clip(v))
			}
			k.Dist = v
		}
	}
	if f, ok := m["count"]; ok {
		if v, ok := d.integer(f.v, join(path, "count")); ok {
			if msg := inRange(v, 1, maxKeyCount); msg != "" {
				d.errorf(deref(f.v).Line, join(path, "count"), "%s", msg)
			}
			k.Count = int(v)
		}
	}
	f, hasS := m["s"]
	switch {
	case hasS && k.Dist != Zipf:
		d.errorf(f.k.Line, join(path, "s"), "only a zipf distribution has an exponent s")
	case hasS:
		if v, ok := d.number(f.v, join(path, "s")); ok {
			if !(v > 0 && v <= 10) {
				d.errorf(deref(f.v).Line, join(path, "s"), "must be > 0 and ≤ 10, got %s", deref(f.v).Value)
			}
			k.S = v
		}
	case k.Dist == Zipf:
		k.S = defaultZipfS
	}
	return k
}

// service decodes a group's service-time distribution.
func (d *decoder) service(n *yaml.Node, path string) *Service {
	sv := &Service{}
	m, ok := d.object(n, path, serviceKeys, nil)
	if !ok {
		return sv
	}
	f, ok := m["dist"]
	if !ok {
		d.errorf(deref(n).Line, path, "missing dist (%s)", strings.Join(serviceDists, ", "))
		return sv
	}
	v, ok := d.text(f.v, join(path, "dist"))
	if !ok {
		return sv
	}
	if !slices.Contains(serviceDists, v) {
		d.errorf(deref(f.v).Line, join(path, "dist"), "must be one of %s, got %q", strings.Join(serviceDists, ", "), clip(v))
		return sv
	}
	sv.Dist = v
	switch v {
	case Exponential:
		sv.CV = 1
	case Lognormal:
		sv.CV = defaultCV
	}
	c, ok := m["cv"]
	if !ok {
		return sv
	}
	cv, ok := d.nonNegative(c.v, join(path, "cv"))
	if !ok {
		return sv
	}
	line := deref(c.v).Line
	switch {
	case v == Constant && cv != 0:
		d.errorf(line, join(path, "cv"), "a constant service time has cv 0, got %s", deref(c.v).Value)
	case v == Exponential && cv != 1:
		d.errorf(line, join(path, "cv"), "an exponential service time has cv 1, got %s (use lognormal for another cv)", deref(c.v).Value)
	case v == Lognormal && !(cv > 0 && cv <= 10):
		d.errorf(line, join(path, "cv"), "must be > 0 and ≤ 10, got %s", deref(c.v).Value)
	case v == Lognormal:
		sv.CV = cv
	}
	return sv
}

// criticalPath decodes the top-level critical_path.
func (d *decoder) criticalPath(n *yaml.Node, path string) *CriticalPath {
	cp := &CriticalPath{}
	m, ok := d.object(n, path, criticalKeys, nil)
	if !ok {
		return cp
	}
	names := map[string]int{} // step name → line
	if f, ok := m["sync"]; ok {
		items, ok := d.list(f.v, join(path, "sync"))
		if ok && len(items) == 0 {
			d.errorf(deref(f.v).Line, join(path, "sync"), "needs at least one step")
		}
		for i, it := range items {
			ipath := fmt.Sprintf("%s.sync[%d]", path, i)
			st := d.step(it, ipath)
			if st.Name != "" {
				if first, dup := names[st.Name]; dup {
					d.errorf(deref(it).Line, join(ipath, "name"), "step %q is listed twice (first at line %d)", clip(st.Name), first)
				} else {
					names[st.Name] = deref(it).Line
				}
			}
			cp.Sync = append(cp.Sync, st)
		}
	} else {
		d.errorf(deref(n).Line, path, "missing sync (the steps of the all-sync chain)")
	}
	if f, ok := m["async"]; ok && !isNull(f.v) {
		items, _ := d.list(f.v, join(path, "async"))
		seen := map[string]bool{}
		var known []string
		for _, st := range cp.Sync {
			known = append(known, st.Name)
		}
		for i, it := range items {
			ipath := fmt.Sprintf("%s.async[%d]", path, i)
			v, ok := d.text(it, ipath)
			if !ok {
				continue
			}
			switch _, isStep := names[v]; {
			case seen[v]:
				d.errorf(deref(it).Line, ipath, "step %q is listed twice", clip(v))
			case !isStep && len(known) > 0:
				d.errorf(deref(it).Line, ipath, "unknown step %q%s", clip(v), hint(v, known, "steps"))
			}
			seen[v] = true
			cp.Async = append(cp.Async, v)
		}
	}
	return cp
}

func (d *decoder) step(n *yaml.Node, path string) Step {
	st := Step{Availability: 1}
	m, ok := d.object(n, path, stepKeys, nil)
	if !ok {
		return st
	}
	if f, ok := m["name"]; ok {
		if v, ok := d.text(f.v, join(path, "name")); ok {
			if v == "" {
				d.errorf(deref(f.v).Line, join(path, "name"), "must not be empty")
			}
			st.Name = v
		}
	} else {
		d.errorf(deref(n).Line, path, "missing name")
	}
	if f, ok := m["latency"]; ok {
		st.Latency, _ = d.duration(f.v, join(path, "latency"))
	} else {
		d.errorf(deref(n).Line, path, "missing latency")
	}
	if f, ok := m["availability"]; ok {
		if v, ok := d.availability(f.v, join(path, "availability")); ok {
			st.Availability = v
		}
	}
	return st
}

// availability returns a probability in (0, 1] given as a percentage
// ("99.9%") or a fraction (0.999).
func (d *decoder) availability(n *yaml.Node, path string) (float64, bool) {
	n = deref(n)
	v, ok := d.fraction(n, path, "a percentage such as 99.9% or a fraction such as 0.999")
	if !ok {
		return 0, false
	}
	if !(v > 0 && v <= 1) || math.IsNaN(v) {
		d.errorf(n.Line, path, "must be more than 0%% and at most 100%%, got %s", clip(n.Value))
		return 0, false
	}
	return v, true
}

// keysNode, serviceNode and criticalPathNode write the deeper model's keys
// as Parse reads them.
func keysNode(k Keys) *yaml.Node {
	m := mapping(true)
	add(m, "dist", str(k.Dist))
	if k.Dist == Zipf {
		add(m, "s", number(k.S))
	}
	add(m, "count", integer(int64(k.Count)))
	return m
}

func serviceNode(s Service) *yaml.Node {
	m := mapping(true)
	add(m, "dist", str(s.Dist))
	if s.Dist == Lognormal {
		add(m, "cv", number(s.CV))
	}
	return m
}

func criticalPathNode(cp CriticalPath) *yaml.Node {
	m := mapping(false)
	sync := sequence(false)
	for _, st := range cp.Sync {
		s := mapping(true)
		add(s, "name", str(st.Name))
		add(s, "latency", duration(st.Latency))
		if st.Availability != 1 {
			add(s, "availability", percent(st.Availability))
		}
		sync.Content = append(sync.Content, s)
	}
	add(m, "sync", sync)
	if len(cp.Async) > 0 {
		async := sequence(true)
		for _, name := range cp.Async {
			async.Content = append(async.Content, str(name))
		}
		add(m, "async", async)
	}
	return m
}

// percent writes a probability as the shortest percentage that reads back
// exactly ("99.9%"), or as the fraction itself when none does.
func percent(v float64) *yaml.Node {
	for prec := 1; prec <= 17; prec++ {
		p := strconv.FormatFloat(v*100, 'f', -1, 64)
		if prec < 17 {
			p = strconv.FormatFloat(v*100, 'g', prec, 64)
		}
		if strings.ContainsAny(p, "eE") {
			continue
		}
		if f, err := strconv.ParseFloat(p+"e-2", 64); err == nil && f == v {
			return str(p + "%")
		}
	}
	return number(v)
}
