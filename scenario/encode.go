package scenario

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// YAML returns the scenario in the v1 format as Parse reads it: every key
// written out with its resolved value (defaults included), maps in sorted
// key order, durations as compact Go durations ("10m", "1m30s") and the
// tolerance as a percentage ("2%"). Parse(YAML()) gives back an equal
// scenario.
func (s *Scenario) YAML() ([]byte, error) {
	root := mapping(false)
	add(root, "name", str(s.Name))
	if s.Description != "" {
		add(root, "description", str(s.Description))
	}
	add(root, "seed", integer(s.Seed))

	topics := mapping(false)
	for _, name := range s.TopicNames() {
		t := mapping(true)
		add(t, "partitions", integer(int64(s.Topics[name].Partitions)))
		if r := s.Topics[name].Replication; r > 0 {
			add(t, "replication", integer(int64(r)))
		}
		if m := s.Topics[name].MinInsync; m > 0 {
			add(t, "min_insync", integer(int64(m)))
		}
		add(topics, name, t)
	}
	add(root, "topics", topics)

	producers := mapping(false)
	for _, name := range s.ProducerNames() {
		p := s.Producers[name]
		n := mapping(false)
		add(n, "topic", str(p.Topic))
		add(n, "event", str(p.Event))
		add(n, "size", integer(int64(p.Size)))
		phases := sequence(false)
		for _, ph := range p.Phases {
			m := mapping(true)
			add(m, "duration", duration(ph.Duration))
			add(m, "rate", number(ph.Rate))
			if ph.To != nil {
				add(m, "to", number(*ph.To))
			}
			phases.Content = append(phases.Content, m)
		}
		add(n, "phases", phases)
		if p.Resend > 0 {
			add(n, "resend", number(p.Resend))
		}
		if !p.Idempotent {
			add(n, "idempotent", boolean(false))
		}
		if p.Keys != nil {
			add(n, "keys", keysNode(*p.Keys))
		}
		add(producers, name, n)
	}
	add(root, "producers", producers)

	groups := mapping(false)
	for _, name := range s.GroupNames() {
		g := s.Groups[name]
		n := mapping(len(g.Phases) == 0)
		ts := sequence(true)
		for _, t := range g.Topics {
			ts.Content = append(ts.Content, str(t))
		}
		add(n, "topics", ts)
		add(n, "workers", integer(int64(g.Workers)))
		if len(g.Phases) == 0 {
			add(n, "capacity", number(g.Capacity))
		} else {
			phases := sequence(false)
			for _, ph := range g.Phases {
				m := mapping(true)
				add(m, "duration", duration(ph.Duration))
				add(m, "capacity", number(ph.Capacity))
				phases.Content = append(phases.Content, m)
			}
			add(n, "phases", phases)
		}
		if g.Dedup {
			add(n, "dedup", boolean(true))
		}
		if g.Delivery != "" && g.Delivery != AtLeastOnce {
			add(n, "delivery", str(g.Delivery))
		}
		if g.Service != nil {
			add(n, "service", serviceNode(*g.Service))
		}
		if g.Fetch != nil {
			add(n, "fetch", fetchNode(*g.Fetch))
		}
		add(groups, name, n)
	}
	add(root, "groups", groups)

	if len(s.Expect) > 0 {
		expect := mapping(false)
		for _, name := range sortedKeys(s.Expect) {
			x := s.Expect[name]
			m := mapping(true)
			for i, f := range []*float64{x.Events, x.PeakBacklog, x.PeakAtS, x.GrowthRate, x.DrainedAtS} {
				if f != nil {
					add(m, expectKeys[i], number(*f))
				}
			}
			add(expect, name, m)
		}
		add(root, "expect", expect)
	}
	add(root, "tolerance", tolerance(s.Tolerance))
	if len(s.Faults) > 0 {
		faults := sequence(false)
		for _, f := range s.Faults {
			m := mapping(true)
			add(m, "at", duration(f.At))
			if f.For > 0 {
				add(m, "for", duration(f.For))
			}
			add(m, "action", str(f.Action))
			if f.Group != "" {
				add(m, "group", str(f.Group))
			}
			if f.Topic != "" {
				add(m, "topic", str(f.Topic))
			}
			if f.Fraction > 0 {
				add(m, "fraction", number(f.Fraction))
			}
			faults.Content = append(faults.Content, m)
		}
		add(root, "faults", faults)
	}
	if s.CriticalPath != nil {
		add(root, "critical_path", criticalPathNode(*s.CriticalPath))
	}

	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func boolean(v bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v)}
}

func mapping(flow bool) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if flow {
		n.Style = yaml.FlowStyle
	}
	return n
}

func sequence(flow bool) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	if flow {
		n.Style = yaml.FlowStyle
	}
	return n
}

func add(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, str(key), v)
}

// str is a string scalar; the encoder quotes it when it would otherwise
// read as something else (a number, say).
func str(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

func integer(v int64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(v, 10)}
}

// number writes a float as briefly as it reads back exactly: 100, not
// 100.0 or 1e+02.
func number(v float64) *yaml.Node {
	var s string
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		s = strconv.FormatFloat(v, 'f', -1, 64)
	} else {
		s = strconv.FormatFloat(v, 'g', -1, 64)
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Value: s}
}

// duration writes a duration compactly: "10m" and "1h30s" rather than
// "10m0s" and "1h0m30s".
func duration(d time.Duration) *yaml.Node {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	s = strings.Replace(s, "h0m", "h", 1)
	return str(s)
}

// tolerance writes a fraction as the shortest percentage that reads back
// exactly, or as the fraction itself when no percentage does.
func tolerance(v float64) *yaml.Node {
	for prec := 1; prec <= 17; prec++ {
		p := strconv.FormatFloat(v*100, 'g', prec, 64)
		if strings.ContainsAny(p, "eE") {
			continue
		}
		if f, err := strconv.ParseFloat(p, 64); err == nil && f/100 == v {
			return str(p + "%")
		}
	}
	return number(v)
}
