package model

import (
	"math"
	"sort"

	"github.com/backlogbench/backlogbench/rate"
)

// The pieces of a fluid queue over one stretch of time: the whole run
// for Fluid, and for a group with worker faults each stretch between two
// rebalances, starting from the backlog the last one left (and a
// worker's capacity can be 0 for a while, a rebalance's pause).

// stretch is the fluid queue on [t0, t1) from backlog b0: the pieces and
// the backlog at t1. Between consecutive breakpoints of the inputs and
// the capacity the net rate d(t) = Σ λ_i(t) − μ(t) is linear, so each
// interval is walked with its value at the start and its slope.
func stretch(inputs []rate.Schedule, capacity rate.Schedule, t0, t1, b0 float64) ([]Piece, float64) {
	bps := []float64{t0}
	add := func(xs []float64) {
		for _, x := range xs {
			if x > t0 && x < t1 {
				bps = append(bps, x)
			}
		}
	}
	for _, in := range inputs {
		add(in.Breakpoints())
	}
	add(capacity.Breakpoints())
	sort.Float64s(bps)
	bps = dedup(bps)
	net := func(t float64) float64 {
		d := -capacity.Rate(t)
		for _, in := range inputs {
			d += in.Rate(t)
		}
		return d
	}
	var pieces []Piece
	b := b0
	for i, a := range bps {
		end := t1
		if i+1 < len(bps) {
			end = bps[i+1]
		}
		d := net(a)
		slope := 0.0
		if !math.IsInf(end, 1) {
			mid := (a + end) / 2
			slope = (net(mid) - d) / (mid - a)
		}
		if math.IsInf(end, 1) && b <= eps && d <= 0 {
			break
		}
		pieces, b = walk(pieces, a, end, b, d, slope)
	}
	return trimTail(pieces), b
}

// arrivalTime returns the s in [t0, t1] by which the inputs have brought
// x events since t0 (t1 when they bring fewer), by bisection.
func arrivalTime(inputs []rate.Schedule, t0, t1, x float64) float64 {
	count := func(s float64) float64 {
		n := 0.0
		for _, in := range inputs {
			n += in.Count(s) - in.Count(t0)
		}
		return n
	}
	if x <= 0 {
		return t0
	}
	if count(t1) <= x {
		return t1
	}
	return bisect(t0, t1, func(s float64) bool { return count(s) >= x })
}

// bisect returns the least point of [lo, hi] where ok turns true, to
// within (hi−lo)/2¹⁰⁰, given ok(hi) and a monotone ok: the upper end of
// the last bracket, so ok holds there.
func bisect(lo, hi float64, ok func(float64) bool) float64 {
	for range 100 {
		mid := (lo + hi) / 2
		if ok(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// zeroUntil returns s with a rate of 0 before z.
func zeroUntil(s rate.Schedule, z float64) rate.Schedule {
	if z <= 0 {
		return s
	}
	if math.IsInf(z, 1) {
		return rate.Schedule{}
	}
	segs := []rate.Segment{{Dur: z, From: 0, To: 0}}
	start := 0.0
	for _, g := range s.Segments() {
		end := start + g.Dur
		switch {
		case end <= z:
		case start >= z:
			segs = append(segs, g)
		default:
			r := s.Rate(z)
			segs = append(segs, rate.Segment{Dur: end - z, From: r, To: g.To})
		}
		start = end
	}
	return rate.New(segs...)
}

// capSpan is one worker's capacity over [from, to).
type capSpan struct {
	from, to float64
	s        rate.Schedule
}

// sumCapacity returns the sum of the spans' capacities over time, taken
// as constant between consecutive breakpoints (capacities are phases,
// pauses and redos: piecewise constant).
func sumCapacity(spans []capSpan) rate.Schedule {
	ts := []float64{0}
	for _, sp := range spans {
		ts = append(ts, sp.from, sp.to)
		for _, b := range sp.s.Breakpoints() {
			if b > sp.from && b < sp.to {
				ts = append(ts, b)
			}
		}
	}
	sort.Float64s(ts)
	ts = dedup(ts)
	at := func(t float64) float64 {
		r := 0.0
		for _, sp := range spans {
			if t >= sp.from && t < sp.to {
				r += sp.s.Rate(t)
			}
		}
		return r
	}
	var segs []rate.Segment
	for i, a := range ts {
		if math.IsInf(a, 1) {
			break
		}
		b := math.Inf(1)
		if i+1 < len(ts) {
			b = ts[i+1]
		}
		mid := a + 1
		if !math.IsInf(b, 1) {
			mid = (a + b) / 2
		}
		r := at(mid)
		segs = append(segs, rate.Segment{Dur: b - a, From: r, To: r})
		if math.IsInf(b, 1) {
			break
		}
	}
	return rate.New(segs...)
}
