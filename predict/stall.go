package predict

import (
	"slices"

	"github.com/backlogbench/backlogbench/rate"
)

// Stalls returns the stretches [T_{k−1}, T_k] of scenario time in which
// the run took no sample for longer than gap: the sampler, the producers
// and the workers share one process, so the whole harness stood still
// (a SIGSTOP, a machine that descheduled it), not the broker.
func (a Acked) Stalls(gap float64) [][2]float64 {
	var out [][2]float64
	for k := 1; k < len(a.T); k++ {
		if a.T[k]-a.T[k-1] > gap {
			out = append(out, [2]float64{a.T[k-1], a.T[k]})
		}
	}
	return out
}

// Tick returns the median interval between the samples (0 with fewer
// than two).
func (a Acked) Tick() float64 {
	if len(a.T) < 2 {
		return 0
	}
	d := make([]float64, len(a.T)-1)
	for k := range d {
		d[k] = a.T[k+1] - a.T[k]
	}
	slices.Sort(d)
	return d[len(d)/2]
}

// Replay returns the acknowledged input with each stall of the whole
// harness replayed as time that neither side lost.
//
// While the process stands still the producers send nothing and the
// workers process nothing; afterwards the producers catch up their
// schedule in a burst and the workers, behind their capacity, catch up
// too (the throttle banks what a backlogged worker could not process).
// Fed the acknowledged counts, the fluid model would see the input stop
// while its server ran on, drain the backlog, idle through the rest of
// the stall and then take the burst late: a peak too high by what it
// idled (+12% for the ramp's wide group after a 300 ms SIGSTOP at ×30).
// So from the last sample before a stall at T_a until the producer has
// caught up again, at the first sample T_e with
//
//	S(T_e) − A(T_e) ≤ S(T_a) − A(T_a) + max(1, tick·r(T_e)),
//
// S the producer's schedule, A its acknowledged count, r its rate, each
// count is the schedule less the deficit it had before the stall,
// A'(T_j) = S(T_j) − (S(T_a) − A(T_a)), kept non-decreasing and at most
// A(T_e). A producer that does not catch up within ten stalls' length
// after the stall keeps its acknowledged counts: its input really was
// lower. intended holds each producer's schedule, in the order of
// Counts.
func (a Acked) Replay(intended []rate.Schedule, stalls [][2]float64) Acked {
	out := Acked{T: a.T, Counts: make([][]int64, len(a.Counts))}
	tick := a.Tick()
	for i, counts := range a.Counts {
		c := slices.Clone(counts)
		s := intended[i]
		for _, st := range stalls {
			ka := slices.Index(a.T, st[0])
			if ka < 0 || ka+1 >= len(a.T) {
				continue
			}
			d0 := s.Count(a.T[ka]) - float64(c[ka])
			end := -1
			for e := ka + 1; e < len(a.T) && a.T[e] <= st[1]+10*(st[1]-st[0]); e++ {
				if s.Count(a.T[e])-float64(c[e]) <= d0+max(1, tick*s.Rate(a.T[e])) {
					end = e
					break
				}
			}
			if end < 0 {
				continue
			}
			for j := ka + 1; j < end; j++ {
				v := int64(s.Count(a.T[j]) - d0)
				c[j] = min(max(v, c[j-1]), c[end])
			}
		}
		out.Counts[i] = c
	}
	return out
}

// Smooth returns the acknowledged input with every shortfall against the
// schedule that the producer made up within window scenario seconds
// taken out: the deficit at each sample is the least it reaches over the
// window that follows,
//
//	D'(T_k) = min{ S(T_j) − A(T_j) : T_k ≤ T_j ≤ T_k + window },
//	A'(T_k) = S(T_k) − D'(T_k),
//
// kept non-decreasing and at most the last count. A deficit that lasts
// is followed as it comes; one the producer makes up is the whole process
// descheduled for a moment (on the embedded broker the broker is in it
// too), which the workers made up as well: fed it, the fluid model of a
// group near its capacity idles through each dip and takes the catch-up
// later, and gains a backlog the workers never had (the ramp's wide group,
// at 175 of 180/s, 100 events above the scenario's at ×30 with both cores
// busy).
func (a Acked) Smooth(intended []rate.Schedule, window float64) Acked {
	out := Acked{T: a.T, Counts: make([][]int64, len(a.Counts))}
	for i, counts := range a.Counts {
		s := intended[i]
		d := make([]float64, len(counts))
		for k, n := range counts {
			d[k] = s.Count(a.T[k]) - float64(n)
		}
		c := make([]int64, len(counts))
		last := int64(0)
		if len(counts) > 0 {
			last = counts[len(counts)-1]
		}
		for k := range counts {
			low := d[k]
			for j := k + 1; j < len(counts) && a.T[j] <= a.T[k]+window; j++ {
				low = min(low, d[j])
			}
			v := int64(s.Count(a.T[k]) - low)
			if k > 0 {
				v = max(v, c[k-1])
			}
			c[k] = min(v, last)
		}
		out.Counts[i] = c
	}
	return out
}
