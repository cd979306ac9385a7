// Package rate holds piecewise-linear rate schedules: the producers' rate
// phases and the groups' capacity phases.
//
// A Schedule is a sequence of segments; segment i starts where segment i-1
// ends, lasts D_i seconds and has a rate that moves linearly from a_i to b_i:
//
//	r(t) = a_i + (b_i - a_i)·(t - s_i)/D_i        for s_i ≤ t < s_i + D_i
//
// Its cumulative count N(t) = ∫_0^t r is piecewise quadratic:
//
//	N(t) = N(s_i) + a_i·u + (b_i - a_i)·u²/(2·D_i),   u = t - s_i
//
// and its generalised inverse, the time the k-th event (counting from 0) is
// due, is T(k) = inf{t : N(t) > k}: the first event of a schedule that
// starts at 0/s for two minutes is due at 120 s, not at 0. On a segment T
// solves the quadratic above for N = k; a ramp that starts at rate 0 has
// u = sqrt(2·D·(k - N(s))/(b - a)).
//
// All times are seconds of scenario time as float64.
package rate

import (
	"math"
	"sort"
)

// Segment is one piece of a schedule: the rate moves linearly from From to
// To over Dur seconds. Dur may be +Inf for a rate held for ever (then From
// must equal To).
type Segment struct {
	Dur      float64
	From, To float64
}

// Schedule is a piecewise-linear rate over time starting at 0. After its
// last segment the rate is 0. The zero Schedule is a rate of 0 for ever.
type Schedule struct {
	segs   []Segment
	starts []float64 // start time of each segment
	counts []float64 // N at the start of each segment
	end    float64   // the end of the last segment
	total  float64   // N at the end
}

// New returns the schedule made of segs played in order from time 0.
func New(segs ...Segment) Schedule {
	s := Schedule{segs: append([]Segment(nil), segs...)}
	s.starts = make([]float64, len(segs))
	s.counts = make([]float64, len(segs))
	var t, n float64
	for i, g := range s.segs {
		s.starts[i], s.counts[i] = t, n
		n += g.count(g.Dur)
		t += g.Dur
	}
	s.end, s.total = t, n
	return s
}

// count is ∫_0^u of the segment's rate, for 0 ≤ u ≤ Dur.
func (g Segment) count(u float64) float64 {
	if u <= 0 {
		return 0
	}
	if math.IsInf(g.Dur, 1) || g.From == g.To {
		if g.From == 0 {
			return 0
		}
		return g.From * u
	}
	return g.From*u + (g.To-g.From)*u*u/(2*g.Dur)
}

// rate is the segment's rate at offset u.
func (g Segment) rate(u float64) float64 {
	if math.IsInf(g.Dur, 1) || g.From == g.To {
		return g.From
	}
	return g.From + (g.To-g.From)*u/g.Dur
}

// Segments returns the schedule's segments.
func (s Schedule) Segments() []Segment { return s.segs }

// End returns the time the last segment ends (+Inf when it is held for ever).
func (s Schedule) End() float64 { return s.end }

// Breakpoints returns the start of every segment and the end of the last,
// when finite.
func (s Schedule) Breakpoints() []float64 {
	out := append([]float64(nil), s.starts...)
	if e := s.End(); len(s.segs) > 0 && !math.IsInf(e, 1) {
		out = append(out, e)
	}
	return out
}

// find returns the index of the segment holding t, or -1 when t is before
// 0 or after the end.
func (s Schedule) find(t float64) int {
	if t < 0 || len(s.segs) == 0 || t >= s.End() {
		return -1
	}
	return sort.Search(len(s.starts), func(i int) bool { return s.starts[i] > t }) - 1
}

// Constant returns the rate at t and until when it holds, and false when
// the segment holding t is a ramp. After the schedule's end the rate is 0
// for ever.
func (s Schedule) Constant(t float64) (r, until float64, ok bool) {
	i := s.find(t)
	if i < 0 {
		if t >= s.End() {
			return 0, math.Inf(1), true
		}
		return 0, 0, false
	}
	g := s.segs[i]
	if g.From != g.To && !math.IsInf(g.Dur, 1) {
		return 0, 0, false
	}
	return g.From, s.starts[i] + g.Dur, true
}

// Rate returns r(t); 0 outside the schedule.
func (s Schedule) Rate(t float64) float64 {
	i := s.find(t)
	if i < 0 {
		return 0
	}
	return s.segs[i].rate(t - s.starts[i])
}

// Count returns N(t) = ∫_0^t r, the number of events due by time t (as a
// real number).
func (s Schedule) Count(t float64) float64 {
	if t <= 0 || len(s.segs) == 0 {
		return 0
	}
	if t >= s.end {
		return s.total
	}
	i := s.find(t)
	return s.counts[i] + s.segs[i].count(t-s.starts[i])
}

// Total returns N at the end of the schedule (+Inf when a positive rate is
// held for ever).
func (s Schedule) Total() float64 { return s.Count(math.Inf(1)) }

// TimeOf returns T(k) = inf{t : N(t) > k}, the time the k-th event
// (counting from 0) is due, and false when the schedule never reaches it.
//
// It finds k's segment by bisection on the counts and solves that
// segment's quadratic: O(log segments), no stepping.
func (s Schedule) TimeOf(k float64) (float64, bool) {
	if k < 0 {
		k = 0
	}
	if !(k < s.total) {
		return 0, false
	}
	// The first segment whose end count exceeds k (the counts at the
	// segments' ends are the next one's start, the last one's s.total).
	n := len(s.segs)
	i := sort.Search(n-1, func(i int) bool { return s.counts[i+1] > k })
	need := k - s.counts[i] // events still to come in this segment, ≥ 0
	return s.starts[i] + s.segs[i].solve(need), true
}

// solve returns the least u with count(u) ≥ need, where the segment's
// count does exceed need. The rate is non-negative throughout.
func (g Segment) solve(need float64) float64 {
	if need <= 0 {
		// The first instant the rate is positive.
		if g.From > 0 {
			return 0
		}
		return 0 // a ramp up from 0: events start immediately after u = 0
	}
	if math.IsInf(g.Dur, 1) || g.From == g.To {
		return need / g.From
	}
	// (b-a)/(2D)·u² + a·u - need = 0
	c := (g.To - g.From) / (2 * g.Dur)
	a := g.From
	// Numerically stable root: u = 2·need / (a + sqrt(a² + 4·c·need)).
	disc := a*a + 4*c*need
	if disc < 0 {
		disc = 0
	}
	den := a + math.Sqrt(disc)
	if den <= 0 {
		return g.Dur
	}
	u := 2 * need / den
	if u > g.Dur {
		u = g.Dur
	}
	return u
}

// Scaled returns the schedule with every rate multiplied by f.
func (s Schedule) Scaled(f float64) Schedule {
	segs := make([]Segment, len(s.segs))
	for i, g := range s.segs {
		segs[i] = Segment{Dur: g.Dur, From: g.From * f, To: g.To * f}
	}
	return New(segs...)
}

// Sum returns the schedule whose rate is the sum of the schedules' rates:
// on every stretch between two consecutive breakpoints of any of them each
// rate is linear, so the sum is too. It runs until the last of them ends
// (for ever when one is held for ever).
func Sum(ss ...Schedule) Schedule {
	var ts []float64
	end := 0.0
	for _, s := range ss {
		ts = append(ts, s.Breakpoints()...)
		end = max(end, s.End())
	}
	sort.Float64s(ts)
	var segs []Segment
	for i := 0; i < len(ts); i++ {
		a := ts[i]
		if i > 0 && a == ts[i-1] || a >= end {
			continue
		}
		b := end
		for j := i + 1; j < len(ts); j++ {
			if ts[j] > a {
				b = ts[j]
				break
			}
		}
		// Each rate is linear on (a, b): read it from the segment holding
		// the middle (or a point just past a, for a stretch held for ever).
		mid := a + (b-a)/2
		if math.IsInf(b, 1) {
			mid = a + 1
		}
		var g Segment
		g.Dur = b - a
		for _, s := range ss {
			k := s.find(mid)
			if k < 0 {
				continue
			}
			seg, st := s.segs[k], s.starts[k]
			g.From += seg.rate(a - st)
			if math.IsInf(b, 1) {
				g.To += seg.rate(a - st)
			} else {
				g.To += seg.rate(b - st)
			}
		}
		segs = append(segs, g)
	}
	return New(segs...)
}
