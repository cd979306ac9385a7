package model

import (
	"math"
	"sort"
)

// Wait returns the FIFO waiting time of an event that reaches the queue
// at scenario time s: the time its server, working at full capacity while
// busy, takes to clear the backlog ahead of it,
//
//	w(s) = M⁻¹(M(s) + B(s)) − s
//
// with M the queue's cumulative capacity and B its backlog, and M⁻¹(k)
// the first time M exceeds k. It is +Inf when the capacity never clears
// it.
func (q Queue) Wait(s float64) float64 {
	// TimeOf(k) is inf{t : M(t) > k}: with no backlog the event is served
	// at once, unless the capacity is 0 then (an outage).
	t, ok := q.Capacity.TimeOf(q.Capacity.Count(s) + q.Curve.Backlog(s))
	if !ok {
		return math.Inf(1)
	}
	if w := t - s; w > 1e-9*max(1, s) {
		return w
	}
	return 0 // rounding
}

// arrived returns A(t), the events the queue has received by t.
func (q Queue) arrived(t float64) float64 {
	var a float64
	for _, in := range q.Inputs {
		a += in.Count(t)
	}
	return a
}

// arrivalOf returns the time the k-th event (from 0) reaches the queue,
// inf{s : A(s) > k}, by bisection; false when it never does.
func (q Queue) arrivalOf(k float64) (float64, bool) {
	end := 0.0
	for _, in := range q.Inputs {
		end = max(end, in.End())
	}
	if math.IsInf(end, 1) {
		end = 1e12
	}
	if q.arrived(end) <= k {
		return 0, false
	}
	lo, hi := 0.0, end
	for range 80 {
		mid := (lo + hi) / 2
		if q.arrived(mid) > k {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi, true
}

// TimeLag returns the age at scenario time t of the oldest event the
// queue has not processed: t minus the arrival of the event its server is
// on, A⁻¹(A(t) − B(t)); 0 when it is empty.
func (q Queue) TimeLag(t float64) float64 {
	b := q.Curve.Backlog(t)
	if b <= 1e-9 {
		return 0
	}
	s, ok := q.arrivalOf(q.arrived(t) - b)
	if !ok {
		return 0
	}
	return max(0, t-s)
}

// MaxWait returns the longest FIFO wait of any event at the queue, which
// is also its largest time lag. On a busy stretch the work ahead of an
// event arriving at s, F(s) = M(s) + B(s), grows with the arrivals, so w is
// smooth between the arrival breakpoints and the arrivals whose wait ends
// at a capacity breakpoint; MaxWait takes the largest of w at those points
// and at the maximum of each smooth stretch between them (a golden-section
// search, exact for the quadratic w of a ramp).
func (q Queue) MaxWait() float64 {
	var bps []float64
	for _, in := range q.Inputs {
		bps = append(bps, in.Breakpoints()...)
	}
	capBps := q.Capacity.Breakpoints()
	best := 0.0
	for _, p := range q.Curve.Pieces {
		if isEmpty(p) {
			continue
		}
		t0, t1 := p.T0, p.T1
		if math.IsInf(t1, 1) {
			return math.Inf(1)
		}
		cands := []float64{t0, t1}
		for _, b := range bps {
			if b > t0 && b < t1 {
				cands = append(cands, b)
			}
		}
		// Arrivals whose wait ends at a capacity breakpoint c:
		// F(s) = M(c), F non-decreasing on the busy piece.
		f := func(s float64) float64 { return q.Capacity.Count(s) + p.At(s) }
		f0, f1 := f(t0), f(t1)
		for _, c := range capBps {
			mc := q.Capacity.Count(c)
			if c <= t0 || mc <= f0 || mc >= f1 {
				continue
			}
			lo, hi := t0, t1
			for range 60 {
				mid := (lo + hi) / 2
				if f(mid) < mc {
					lo = mid
				} else {
					hi = mid
				}
			}
			cands = append(cands, lo, hi)
		}
		sort.Float64s(cands)
		for i, c := range cands {
			best = max(best, q.Wait(c))
			if i+1 < len(cands) && cands[i+1] > c {
				best = max(best, goldenMax(q.Wait, c, cands[i+1]))
			}
		}
	}
	return best
}

// goldenMax returns the maximum of a unimodal f on [a, b].
func goldenMax(f func(float64) float64, a, b float64) float64 {
	const invPhi = 0.6180339887498949
	c, d := b-invPhi*(b-a), a+invPhi*(b-a)
	fc, fd := f(c), f(d)
	for range 60 {
		if b-a <= 1e-9*max(1, math.Abs(b)) {
			break
		}
		if fc >= fd {
			b, d, fd = d, c, fc
			c = b - invPhi*(b-a)
			fc = f(c)
		} else {
			a, c, fc = c, d, fd
			d = a + invPhi*(b-a)
			fd = f(d)
		}
	}
	return max(fc, fd)
}

// TimeLag returns the predicted time lag of the group at scenario time t:
// the oldest unprocessed event's age, over every worker's queue.
func (pr Prediction) TimeLag(t float64) float64 {
	var m float64
	for _, q := range pr.Queues {
		m = max(m, q.TimeLag(t))
	}
	return m
}

// MaxTimeLag returns the largest time lag over the run: the longest FIFO
// wait of any event at any worker (+Inf when some event is never
// processed).
func (pr Prediction) MaxTimeLag() float64 {
	var m float64
	for _, q := range pr.Queues {
		m = max(m, q.MaxWait())
	}
	return m
}

// Latency summarises a predicted latency distribution; times are
// scenario seconds.
type Latency struct {
	// Method names how it was predicted: "fluid" (each event's FIFO wait
	// in the fluid model), "GI/M/1" (the exact waiting time of a renewal
	// arrival stream at an exponential server) or "Lindley" (the stationary
	// waiting time of the worker's exact arrival pattern, evaluated
	// numerically).
	Method   string
	P50, P99 float64
	Mean     float64
}

// latencySamples is the number of events per queue the fluid latency
// percentiles are read from.
const latencySamples = 2048

// FluidLatency returns the distribution of the events' fluid FIFO waits:
// each queue's events evenly spaced by index, weighted by its count. In
// the fluid model an event that finds its worker's queue empty waits 0.
func (pr Prediction) FluidLatency() Latency {
	var ws []weighted
	for _, q := range pr.Queues {
		total := q.arrived(math.Inf(1))
		if total <= 0 {
			continue
		}
		wt := float64(q.Count) * total / latencySamples
		for j := range latencySamples {
			s, ok := q.arrivalOf((float64(j) + 0.5) / latencySamples * total)
			if !ok {
				continue
			}
			ws = append(ws, weighted{q.Wait(s), wt})
		}
	}
	l := Latency{Method: "fluid"}
	l.P50, l.P99, l.Mean = quantiles(ws)
	return l
}

type weighted struct{ v, w float64 }

// quantiles returns the weighted p50, p99 and mean of ws (which it sorts).
func quantiles(ws []weighted) (p50, p99, mean float64) {
	if len(ws) == 0 {
		return 0, 0, 0
	}
	sort.Slice(ws, func(i, j int) bool { return ws[i].v < ws[j].v })
	var total, sum float64
	for _, x := range ws {
		total += x.w
		if !math.IsInf(x.v, 1) {
			sum += x.v * x.w
		}
	}
	at := func(q float64) float64 {
		acc := 0.0
		for _, x := range ws {
			acc += x.w
			if acc >= q*total {
				return x.v
			}
		}
		return ws[len(ws)-1].v
	}
	return at(0.5), at(0.99), sum / total
}
