package scenario

import (
	"math"
	"slices"

	"github.com/backlogbench/backlogbench/rate"
)

// Schedule returns the producer's rate schedule in scenario time.
func (p Producer) Schedule() rate.Schedule {
	segs := make([]rate.Segment, len(p.Phases))
	for i, ph := range p.Phases {
		segs[i] = rate.Segment{Dur: ph.Duration.Seconds(), From: ph.Rate, To: ph.End()}
	}
	return rate.New(segs...)
}

// Partitions returns the number of partitions over all the group's topics.
func (s *Scenario) Partitions(g Group) int {
	n := 0
	for _, t := range g.Topics {
		n += s.Topics[t].Partitions
	}
	return n
}

// ActiveWorkers returns the workers that can hold a partition:
// min(workers, partitions).
func (s *Scenario) ActiveWorkers(g Group) int {
	return min(g.Workers, s.Partitions(g))
}

// PeakInput returns the most events a second the group's topics can
// receive, the sum of each of their producers' highest rate (an upper
// bound: the producers' peaks need not coincide), and the smallest
// payload those producers send, in bytes.
func (s *Scenario) PeakInput(g Group) (rate float64, minSize int) {
	for _, p := range s.Producers {
		if !slices.Contains(g.Topics, p.Topic) {
			continue
		}
		rate += p.PeakRate()
		if minSize == 0 || p.Size < minSize {
			minSize = p.Size
		}
	}
	return rate, minSize
}

// PeakRate returns the producer's highest rate, events/s: the largest
// of its phases' rates and ramp ends.
func (p Producer) PeakRate() float64 {
	peak := 0.0
	for _, ph := range p.Phases {
		peak = max(peak, ph.Rate, ph.End())
	}
	return peak
}

// MaxCapacity returns the group's largest capacity: its Capacity, or
// the largest of its phases'.
func (g Group) MaxCapacity() float64 {
	c := g.Capacity
	for _, ph := range g.Phases {
		c = max(c, ph.Capacity)
	}
	return c
}

// CapacitySchedule returns the group's nominal capacity schedule: its capacity
// phases (the last one held for ever) or its constant Capacity for ever.
func (g Group) CapacitySchedule() rate.Schedule {
	if len(g.Phases) == 0 {
		return rate.New(rate.Segment{Dur: math.Inf(1), From: g.Capacity, To: g.Capacity})
	}
	segs := make([]rate.Segment, len(g.Phases))
	for i, ph := range g.Phases {
		segs[i] = rate.Segment{Dur: ph.Duration.Seconds(), From: ph.Capacity, To: ph.Capacity}
	}
	last := g.Phases[len(g.Phases)-1].Capacity
	segs = append(segs, rate.Segment{Dur: math.Inf(1), From: last, To: last})
	return rate.New(segs...)
}

// EffectiveCapacity returns the capacity schedule the group can really
// use: its capacity scaled by min(workers, partitions)/workers, since a
// worker without a partition is idle.
func (s *Scenario) EffectiveCapacity(g Group) rate.Schedule {
	f := float64(s.ActiveWorkers(g)) / float64(g.Workers)
	c := g.CapacitySchedule()
	segs := c.Segments()
	out := make([]rate.Segment, len(segs))
	for i, sg := range segs {
		out[i] = rate.Segment{Dur: sg.Dur, From: sg.From * f, To: sg.To * f}
	}
	return rate.New(out...)
}

// Inputs returns the schedules of every producer writing to a topic the
// group reads; the group's input rate is their sum.
func (s *Scenario) Inputs(g Group) []rate.Schedule {
	var out []rate.Schedule
	for _, name := range s.ProducerNames() {
		p := s.Producers[name]
		for _, t := range g.Topics {
			if p.Topic == t {
				out = append(out, p.Schedule())
			}
		}
	}
	return out
}

// End returns the scenario time the last producer phase ends.
func (s *Scenario) End() float64 {
	var end float64
	for _, p := range s.Producers {
		end = max(end, p.Schedule().End())
	}
	return end
}

// PeakLoad is an upper bound on the records a second of scenario time a
// run of the scenario moves through its own process: every producer at
// its highest rate, its resends included (the peaks need not coincide),
// plus every group at its largest capacity, since a worker processes no
// faster than its capacity (an exactly-once group's effects, a record
// produced per record processed, counted again).
//
//	L = Σ_p max_t r_p(t)·(1 + resend_p) + Σ_g c_g^max·(1 + [g exactly-once])
func (s *Scenario) PeakLoad() float64 {
	var l float64
	for _, p := range s.Producers {
		l += p.PeakRate() * (1 + max(p.Resend, 0))
	}
	for _, g := range s.Groups {
		c := max(g.MaxCapacity(), 0)
		if g.Delivery == ExactlyOnce {
			c *= 2
		}
		l += c
	}
	return l
}
