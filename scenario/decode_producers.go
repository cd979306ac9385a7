package scenario

import (
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"
)

// producer decodes one entry of producers and fills its defaults (event
// "order", size 512, idempotent). It returns the producer's topic as a
// reference for the caller to check once every topic is known.
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

// ratePhase decodes one of a producer's phases: a duration > 0 and a
// rate ≥ 0, with an optional ramp end to ≥ 0.
func (d *decoder) ratePhase(n *yaml.Node, path string) RatePhase {
	var ph RatePhase
	var m map[string]pair
	ph.Duration, ph.Rate, m = d.phase(n, path, ratePhaseKeys, "rate")
	if f, ok := m["to"]; ok {
		if v, ok := d.nonNegative(f.v, join(path, "to")); ok {
			ph.To = &v
		}
	}
	return ph
}
