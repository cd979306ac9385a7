package scenario

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// faults decodes the top-level faults list. It returns the faults, their
// references to groups and topics, which the caller checks once every name
// is known, and the line of each fault for checkFaults.
func (d *decoder) faults(n *yaml.Node, path string) ([]Fault, []ref, []int) {
	var faults []Fault
	var refs []ref
	var lines []int
	items, _ := d.list(n, path)
	for i, it := range items {
		f, r := d.fault(it, fmt.Sprintf("%s[%d]", path, i))
		faults = append(faults, f)
		refs = append(refs, r...)
		lines = append(lines, deref(it).Line)
	}
	return faults, refs, lines
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
