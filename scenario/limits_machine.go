package scenario

import (
	"fmt"
	"math"
	"sort"
)

// events reports the events in all and the embedded broker's memory.
func (l *limits) events() {
	s := l.s
	var total, mostN float64
	var most string
	for _, name := range s.ProducerNames() {
		n := s.Producers[name].Schedule().Total()
		if most == "" || n > mostN {
			most, mostN = name, n
		}
		total += n
	}
	mem, records := s.BrokerMemory()
	if !(total <= MaxEvents) {
		l.add("producers", "MaxEvents", total, MaxEvents, "the producers send %s events in all%s, more than the %s one machine can play",
			figure(total), share(len(s.Producers), mostN, most), figure(MaxEvents))
	}
	if !(mem <= MaxBrokerMemory) {
		l.add("producers", "MaxBrokerMemory", mem, MaxBrokerMemory, "the embedded broker would hold about %s for %s records (their values plus %d B each), more than the %s one machine can spare",
			gib(mem), figure(records), RecordOverhead, gib(MaxBrokerMemory))
	}
}

// BrokerMemory estimates the memory, in bytes, the embedded broker's
// records take when it keeps them in memory (see MaxBrokerMemory), and
// the records it holds.
func (s *Scenario) BrokerMemory() (bytes, records float64) {
	sent := map[string]float64{} // records appended per topic, resends included
	for _, name := range s.ProducerNames() {
		p := s.Producers[name]
		r := p.Schedule().Total() * (1 + max(p.Resend, 0))
		records += r
		bytes += r * float64(max(p.Size, 0)+RecordOverhead)
		sent[p.Topic] += r
	}
	for _, name := range s.GroupNames() {
		g := s.Groups[name]
		if g.Delivery != ExactlyOnce {
			continue
		}
		for _, t := range g.Topics {
			records += sent[t]
			bytes += sent[t] * (effectLen + RecordOverhead)
		}
	}
	return bytes, records
}

// clients reports the clients a run opens at once.
func (l *limits) clients() {
	s := l.s
	adds := map[string]int{}
	for _, f := range s.Faults {
		if f.Action == AddWorker {
			adds[f.Group]++
		}
	}
	workers, most, mostN := 0, "", 0
	for _, name := range s.GroupNames() {
		n := max(s.Groups[name].Workers, 0) + adds[name]
		workers += n
		if n > mostN {
			most, mostN = name, n
		}
	}
	total := len(s.Producers) + workers
	if total <= MaxClients {
		return
	}
	path, in := "producers", ""
	if most != "" {
		path = join(join("groups", most), "workers")
		if len(s.Groups) > 1 {
			in = fmt.Sprintf(", %s of them in %s", figure(float64(mostN)), most)
		}
	}
	what := "workers"
	if len(adds) > 0 {
		what = "workers, counting add-worker faults"
	}
	l.add(path, "MaxClients", float64(total), MaxClients, "%s Kafka clients at once (%s, %s %s%s), more than the %s one machine can run",
		figure(float64(total)), plural(len(s.Producers), "producer"), figure(float64(workers)), what, in, figure(MaxClients))
}

// partitions reports the partitions in all.
func (l *limits) partitions() {
	s := l.s
	total, most := 0, ""
	for _, name := range s.TopicNames() {
		n := max(s.Topics[name].Partitions, 0)
		total += n
		if most == "" || n > s.Topics[most].Partitions {
			most = name
		}
	}
	if total <= MaxPartitions {
		return
	}
	l.add(join(join("topics", most), "partitions"), "MaxPartitions", float64(total), MaxPartitions,
		"%s partitions in all%s, more than the %s one broker can hold",
		figure(float64(total)), share(len(s.Topics), float64(s.Topics[most].Partitions), most), figure(MaxPartitions))
}

// wall reports the rates and the wall time a speedup makes too much.
func (l *limits) wall(speedup float64) {
	s := l.s
	alone := false // some phase alone is too fast
	var sumPeaks float64
	for _, name := range s.ProducerNames() {
		p := s.Producers[name]
		var peak float64
		for i, ph := range p.Phases {
			key, r := "rate", ph.Rate
			if ph.End() > r {
				key, r = "to", ph.End()
			}
			peak = max(peak, r)
			if w := r * speedup; !(w <= MaxWallRate) {
				alone = true
				l.add(fmt.Sprintf("producers.%s.phases[%d].%s", name, i, key), "MaxWallRate", w, MaxWallRate,
					"%s events/s at ×%g is %s events/s of wall time, more than the %s one machine can pace",
					figure(r), speedup, figure(w), figure(MaxWallRate))
			}
		}
		sumPeaks += peak
	}
	if !alone && sumPeaks*speedup > MaxWallRate {
		if r, at := peakRate(s); r*speedup > MaxWallRate {
			l.add("producers", "MaxWallRate", r*speedup, MaxWallRate,
				"together the producers send %s events/s at %s, which at ×%g is %s events/s of wall time, more than the %s one machine can pace",
				figure(r), span(at), speedup, figure(r*speedup), figure(MaxWallRate))
		}
	}
	end := s.End()
	if wall := end / speedup; end <= MaxDuration.Seconds() && wall > MaxDuration.Seconds() {
		l.add("producers", "MaxDuration", wall, MaxDuration.Seconds(), "at ×%g the run would last %s of wall time, more than the %s (a year) a run may last",
			speedup, span(wall), span(MaxDuration.Seconds()))
	}
}

// peakRate returns max_t Σ_p r_p(t) and the first t it is reached at.
// Every r_p is linear between its phases' ends, so the maximum of the sum
// is at a phase's start or end, approached from the left or the right.
func peakRate(s *Scenario) (peak, at float64) {
	type sched struct{ starts, ends, from, to []float64 }
	var all []sched
	var times []float64
	for _, name := range s.ProducerNames() {
		var sc sched
		t := 0.0
		for _, ph := range s.Producers[name].Phases {
			d := ph.Duration.Seconds()
			sc.starts, sc.ends = append(sc.starts, t), append(sc.ends, t+d)
			sc.from, sc.to = append(sc.from, ph.Rate), append(sc.to, ph.End())
			times = append(times, t, t+d)
			t += d
		}
		all = append(all, sc)
	}
	// value returns the rate at t of the phase i, linear from its start.
	value := func(sc sched, i int, t float64) float64 {
		d := sc.ends[i] - sc.starts[i]
		if d <= 0 {
			return sc.to[i]
		}
		return sc.from[i] + (sc.to[i]-sc.from[i])*(t-sc.starts[i])/d
	}
	sort.Float64s(times)
	for _, t := range times {
		var left, right float64
		for _, sc := range all {
			// right: the phase with start ≤ t < end; left: start < t ≤ end.
			if i := sort.SearchFloat64s(sc.starts, math.Nextafter(t, math.Inf(1))) - 1; i >= 0 && t < sc.ends[i] {
				right += value(sc, i, t)
			}
			if i := sort.SearchFloat64s(sc.starts, t) - 1; i >= 0 && t <= sc.ends[i] {
				left += value(sc, i, t)
			}
		}
		if r := max(left, right); r > peak {
			peak, at = r, t
		}
	}
	return peak, at
}
