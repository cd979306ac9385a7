package scenario

import (
	"fmt"
	"math"
	"time"

	"go.yaml.in/yaml/v3"
)

// group decodes one entry of groups and fills its defaults (workers 1,
// at-least-once). It returns the group's topics and workers for the
// caller to check once every topic is known.
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
	if f, ok := m["fetch"]; ok {
		g.Fetch = d.fetch(f.v, join(path, "fetch"))
	}
	if g.Dedup && g.Delivery == ExactlyOnce {
		d.errorf(m["dedup"].k.Line, join(path, "dedup"), "a dedup store outside the transaction would lose the effects of aborted transactions: use dedup or delivery: exactly-once, not both")
	}
	return g, r
}

// capacityPhase decodes one of a group's capacity phases: a duration > 0
// and a capacity ≥ 0.
func (d *decoder) capacityPhase(n *yaml.Node, path string) CapacityPhase {
	var ph CapacityPhase
	ph.Duration, ph.Capacity, _ = d.phase(n, path, capPhaseKeys, "capacity")
	return ph
}

// phase decodes what every phase has: a duration > 0 and a value ≥ 0
// under key, each required; it returns the phase's fields too, for the
// keys a kind of phase adds.
func (d *decoder) phase(n *yaml.Node, path string, keys []string, key string) (time.Duration, float64, map[string]pair) {
	var (
		dur time.Duration
		v   float64
	)
	m, ok := d.object(n, path, keys, nil)
	if !ok {
		return dur, v, nil
	}
	if f, ok := m["duration"]; ok {
		dur, _ = d.duration(f.v, join(path, "duration"))
	} else {
		d.errorf(deref(n).Line, path, "missing duration")
	}
	if f, ok := m[key]; ok {
		v, _ = d.nonNegative(f.v, join(path, key))
	} else {
		d.errorf(deref(n).Line, path, "missing %s", key)
	}
	return dur, v, m
}
