package scenario

import "fmt"

// sanity collects the problems Sanity returns: rates and capacities
// against MaxRate, workers and partitions against MaxCount, and sums of
// durations against MaxDuration.
func (l *limits) sanity() {
	s := l.s
	for _, name := range s.TopicNames() {
		if n := s.Topics[name].Partitions; n > MaxCount {
			l.add(join(join("topics", name), "partitions"), "MaxCount", float64(n), MaxCount,
				"%s partitions in one topic is more than the %s any model or cluster can mean", figure(float64(n)), figure(MaxCount))
		}
	}
	for _, name := range s.ProducerNames() {
		p := s.Producers[name]
		path := join("producers", name)
		var total float64
		for i, ph := range p.Phases {
			ipath := fmt.Sprintf("%s.phases[%d]", path, i)
			l.rate(join(ipath, "rate"), "rate", ph.Rate)
			if ph.To != nil {
				l.rate(join(ipath, "to"), "rate", *ph.To)
			}
			total += ph.Duration.Seconds()
		}
		l.duration(join(path, "phases"), "the phases last", total)
	}
	for _, name := range s.GroupNames() {
		g := s.Groups[name]
		path := join("groups", name)
		if g.Workers > MaxCount {
			l.add(join(path, "workers"), "MaxCount", float64(g.Workers), MaxCount,
				"%s workers in one group is more than the %s any model or cluster can mean", figure(float64(g.Workers)), figure(MaxCount))
		}
		if len(g.Phases) == 0 {
			l.rate(join(path, "capacity"), "capacity", g.Capacity)
		}
		var total float64
		for i, ph := range g.Phases {
			l.rate(fmt.Sprintf("%s.phases[%d].capacity", path, i), "capacity", ph.Capacity)
			total += ph.Duration.Seconds()
		}
		l.duration(join(path, "phases"), "the capacity phases last", total)
	}
	for i, f := range s.Faults {
		l.duration(fmt.Sprintf("faults[%d]", i), "at + for is", f.At.Seconds()+f.For.Seconds())
	}
	if cp := s.CriticalPath; cp != nil {
		var total float64
		for _, st := range cp.Sync {
			total += st.Latency.Seconds()
		}
		l.duration("critical_path.sync", "the latencies add up to", total)
	}
}

// rate reports a rate or capacity above MaxRate (or not a number).
func (l *limits) rate(path, what string, v float64) {
	if v <= MaxRate {
		return
	}
	l.add(path, "MaxRate", v, MaxRate, "%s %s events/s is more than the %s events/s any system handles (a typo in the exponent or the unit?)",
		what, figure(v), figure(MaxRate))
}

// duration reports a duration, in seconds, above MaxDuration. Durations
// are added up as float64 seconds, which cannot overflow as the
// time.Durations they sum could.
func (l *limits) duration(path, what string, secs float64) {
	if secs <= MaxDuration.Seconds() {
		return
	}
	l.add(path, "MaxDuration", secs, MaxDuration.Seconds(), "%s %s, more than the %s (a year) a scenario may last",
		what, span(secs), span(MaxDuration.Seconds()))
}
