// Package model predicts a consumer group's backlog, latency and the
// capacity it needs, with a fluid queue model in closed form, and compares
// the two designs of a request's critical path.
//
// # One queue
//
// A queue reads events at rate λ(t), the sum of the rates of the producers
// feeding it, and processes them at up to μ(t), its capacity. Its backlog
// B(t) (events received and not yet processed) obeys
//
//	dB/dt = λ(t) − μ(t)   while B > 0 or λ(t) > μ(t)
//	dB/dt = 0             otherwise (an idle server banks no capacity)
//
// with B(0) = 0. The producers' phases are piecewise linear (a `to` makes a
// ramp) and the capacity phases are piecewise constant, so between two
// consecutive breakpoints of any schedule the net rate d(t) = λ − μ is
// linear, d(t0+u) = a + b·u, and on a stretch where the queue is busy
//
//	B(t0+u) = B(t0) + a·u + b·u²/2,
//
// a quadratic whose first root (if any) is where the queue empties. Where
// it is empty it stays empty until d crosses 0 upwards, at u = −a/b. The
// model walks the breakpoints once and builds the backlog curve out of
// these pieces; no time step is involved, so the figures are exact:
//
//   - events: ∫λ over the whole scenario, the events the group receives;
//   - peak_backlog, peak_at_s: the curve's maximum (at a piece's end, or at
//     the vertex u = −a/b of a piece with b < 0) and its earliest time;
//   - growth_rate: the largest slope dB/dt of the curve;
//   - drained_at_s: the first time at or after the peak that B = 0. After
//     the last phase the producers are silent and the last capacity holds,
//     so a backlog B left at time T drains at T + B/μ; with μ = 0 it never
//     drains (+Inf).
//
// For the seed's analytics group (orders 100/s for 10 min, clickstream
// 80/s from 2 to 7 min, capacity 120/s): B grows at 180 − 120 = 60/s from
// 120 s to 420 s, peaking at 18,000; it falls at 20/s until the orders stop
// at 600 s (14,400 left), then at 120/s, and is empty at 720 s.
//
// # A group is a sum of worker queues
//
// A partition is consumed by one worker, so a group of W workers is W
// queues, not one. Worker w holds a set H_w(t) of each topic t's P_t
// partitions (Kafka's range balancer: ⌊P_t/W⌋ each, the first P_t mod W
// workers one more, the same workers for every topic). An evenly spread
// producer puts event i on partition i mod P_t, a keyed one puts a share
// s_p on partition p (Σ over its keys, hashed with murmur2), so worker w
// gets
//
//	λ_w(t) = Σ_producers rate(t) · Σ_{p ∈ H_w} s_p      (s_p = 1/P_t when even)
//	μ_w(t) = capacity(t) / W
//
// and the group's backlog is B(t) = Σ_w B_w(t), each B_w the queue above.
// Sums of piecewise quadratics are piecewise quadratic, so B is exact too,
// and summarised the same way (its drain is the last worker's). With 12
// partitions on 5 workers two workers get 3/12 of the events and three
// get 2/12: at 120/s against 110/s the first two grow at 30 − 22 = 8/s and
// the group peaks at 4,800 after 5 minutes, where one pooled queue
// (120 − 110)·300 would say 3,000. When every worker that holds a partition
// gets the same share, the sum is the pooled queue with
//
//	μ(t) = capacity(t) · active / W,   active = min(W, Σ partitions),
//
// which Predict then computes directly (the seed's figures, exactly).
//
// # Waiting time and time lag
//
// A worker serves its queue first in, first out at full capacity while it
// is busy, so an event reaching it at time s waits
//
//	w(s) = M⁻¹(M(s) + B(s)) − s,   M(t) = ∫₀ᵗ μ,
//
// the time its server takes to clear what is ahead of it (M⁻¹(k) is the
// first time M exceeds k, so an event arriving during an outage waits for
// the capacity to return). The time lag at t, the age of the oldest event
// not yet processed, is t − A⁻¹(A(t) − B(t)) with A(t) = ∫₀ᵗ λ; its largest
// value over the run equals the longest wait max_s w(s). The work ahead of
// an arrival, M(s) + B(s), grows as A does, so w is smooth between the
// arrivals' breakpoints and the arrivals whose wait ends at a capacity
// breakpoint, and its maximum is at one of those points or at the vertex
// of a ramp's quadratic. The latency percentiles of a fluid prediction are
// those of w over the events (each queue's events by index).
//
// # Time lag as workers really serve their partitions
//
// FIFO is a lower bound of the time lag, not a prediction: a worker
// fetches what each of its partitions holds (up to its client's fetch
// limits) and processes the fetch partition by partition, while the other
// partitions' oldest events age. ServeGroup follows each worker fetch by
// fetch (Server.Serve has the equations): a fetch at τ takes what came
// since the fetch before, the worker serves it in turn, and the next fetch
// leaves as it starts on the fetch's last poll. In a busy stretch each
// fetch holds the work of the one before times λ/μ, and the partition
// served last waits for almost two fetches: 1.6 to 1.8 times the FIFO wait
// in the seed's analytics group (233 to 274 s against 150 s). Where the
// fetch cycle starts in a busy stretch, its phase, is set by the noise of
// a run's first few fetches, and the peak depends on it; ServeGroup
// follows Phases of them and the prediction is the middle of their range.
// Past a partition's fetch limit every partition gets an equal share of
// the worker's capacity, whatever its arrivals, so a hot partition's
// events wait longer than FIFO says (TestServeLimitedFetch: 50 s against
// 33 s).
//
// # Capacity planning
//
// Scaling a queue's capacity up scales its backlog down at every instant,
// so the least capacity that keeps the peak backlog, or the longest wait,
// under a target is found by bisection (to 0.1 event/s). "Drained within D
// of each peak" is not monotone: a lower capacity can merge two busy
// stretches into one that peaks later and so drains sooner after its peak
// (100/s for 10 s, then 50/s for 100 s: at 49/s the backlog drains 12.4 s
// after its only peak, at 60/s 40 s after its peak at 10 s); it is found by
// a scan over a grid of 1/512 of a capacity that meets it, then bisection.
// A stretch of capacity 0 is not changed by scaling: the events arriving
// in it, and their wait for its end, bound what any capacity achieves,
// which is how an infeasible target is explained.
//
// # Random service times
//
// With a service distribution each record takes S/μ_w, E[S] = 1. When the
// fluid model has no backlog (every worker's utilisation ρ_w = λ_w/μ_w < 1)
// each worker is a stable single-server FIFO queue, and its time in system
// T (waiting plus service) is what a record's latency measures. The
// producers pace events evenly (open loop), so a worker's arrivals are not
// Poisson: with one partition of P it gets every P-th event, a constant
// gap; with keys, each event with probability q_w, geometric gaps. For a
// renewal arrival stream with interarrival transform A*(s) and exponential
// service, GI/M/1 is exact:
//
//	σ = A*(μ_w(1 − σ)),   P(T > x) = exp(−μ_w(1 − σ)·x),
//
// with σ = ρ for Poisson arrivals (M/M/1) but σ = 0.6286 for constant gaps
// at ρ = 0.8 (D/M/1: p50 1.87/μ_w instead of M/M/1's 3.47/μ_w). For other
// service distributions, or a worker holding several partitions (runs of
// consecutive events) or topics, T is the stationary solution of Lindley's
// recursion W' = max(0, W + S − A) over the worker's exact arrival pattern,
// evaluated numerically with a fixed seed; with Poisson arrivals its mean
// is Pollaczek–Khinchine's W_q = ρ(1 + c²ₛ)/(2μ(1 − ρ)) plus 1/μ. The
// group's latency is the mixture of its workers' (and of the scenario's
// stretches of constant rates), weighted by their events.
//
// # Critical path
//
// A chain of synchronous calls answers after every step and succeeds only
// if every step does: latency Σ lᵢ, availability Π aᵢ. The seed's checkout
// (20 + 35 + 45 + 120 + 30 + 25 ms and 40 ms of network) takes 315 ms, 595 ms
// when payment takes 400 ms; six steps at 99.9% give 99.4015%, two 99.8001%.
// Moving the steps that need not answer now behind one publish removes
// their latency and availability from the chain and adds the publish's.
//
// # Where it breaks
//
// The fluid model ignores randomness: near ρ = 1 the stochastic queue's
// backlog is large and slow to settle while the fluid one is 0, and the
// stationary latency needs a run long beside its relaxation time,
// ~1/(μ(1 − √ρ)²). A rebalance moves partitions mid-run (and redelivers
// what was not committed): the prediction starts from the assignment the
// run got once stable and follows the worker faults (see Fault), taking
// each worker's backlog as spread first in, first out over its
// partitions, which a worker serving batches partition by partition does
// not do. Consumers fetch in batches: a worker that falls behind
// takes each partition's backlog in one fetch and serves it partition by
// partition, not first in first out, so observed time lags exceed the FIFO
// prediction (up to about twice); its backlog is unaffected.
package model

import (
	"math"
	"sort"

	"github.com/backlogbench/backlogbench/rate"
)

// eps is the backlog below which the queue is taken as empty, in events.
const eps = 1e-9

// Piece is one stretch [T0, T1] of the backlog curve on which
// B(T0+u) = B0 + D0·u + C·u²/2. An empty stretch has B0 = D0 = C = 0.
type Piece struct {
	T0, T1 float64
	B0     float64 // backlog at T0
	D0     float64 // slope dB/dt at T0
	C      float64 // d²B/dt², constant on the piece
}

// At returns B at time t in [T0, T1].
func (p Piece) At(t float64) float64 {
	u := t - p.T0
	return max(0, p.B0+p.D0*u+p.C*u*u/2)
}

// Slope returns dB/dt at time t in [T0, T1].
func (p Piece) Slope(t float64) float64 { return p.D0 + p.C*(t-p.T0) }

// Curve is a predicted backlog curve: consecutive pieces from 0 to the
// drain (or to +Inf when it never drains).
type Curve struct {
	Pieces []Piece
}

// Backlog returns the predicted backlog at scenario time t.
func (c Curve) Backlog(t float64) float64 {
	ps := c.Pieces
	if len(ps) == 0 || t <= 0 {
		return 0
	}
	i := sort.Search(len(ps), func(i int) bool { return ps[i].T1 >= t })
	if i == len(ps) {
		return 0
	}
	return ps[i].At(t)
}

// Prediction is the model's answer for one group. Times are scenario
// seconds.
type Prediction struct {
	Events      float64
	PeakBacklog float64
	PeakAtS     float64
	GrowthRate  float64
	// GrowthFromS and GrowthToS bound the stretch, around the steepest
	// point, where the slope is within 0.5% of GrowthRate: the window over
	// which a run fits its observed growth rate.
	GrowthFromS, GrowthToS float64
	// DrainedAtS is +Inf when the backlog never drains.
	DrainedAtS float64
	Curve      Curve
	// Queues are the FIFO queues whose backlogs Curve sums: one per class
	// of identical workers (Count of them), or one queue standing for the
	// whole group when every worker gets the same share (the aggregate
	// model).
	Queues []Queue
}

// Queue is one worker's fluid queue (or the group's, in the aggregate
// model): its inputs, capacity and backlog curve, and how many identical
// ones the prediction sums.
type Queue struct {
	Count    int
	Inputs   []rate.Schedule
	Capacity rate.Schedule
	Curve    Curve
	// Worker is a worker of the class (an index into the group's
	// assignment), or -1 for the aggregate queue.
	Worker int
}

// Fluid predicts the backlog of a queue fed by the sum of the inputs and
// served at up to capacity.
func Fluid(inputs []rate.Schedule, capacity rate.Schedule) Prediction {
	var pr Prediction
	for _, in := range inputs {
		pr.Events += in.Total()
	}
	pieces, _ := stretch(inputs, capacity, 0, math.Inf(1), 0)
	pr.Curve = Curve{Pieces: pieces}
	pr.Queues = []Queue{{Count: 1, Inputs: inputs, Capacity: capacity, Curve: pr.Curve, Worker: -1}}
	pr.summarise()
	return pr
}

// growth sets the growth rate, the largest slope on a busy piece (slopes
// are linear per piece, so the maximum is at an end), and its window,
// leaving out the pieces skip says.
func (pr *Prediction) growth(skip func(Piece) bool) {
	best, bestAt := 0.0, -1.0
	for _, p := range pr.Curve.Pieces {
		if isEmpty(p) || skip != nil && skip(p) {
			continue
		}
		for _, t := range []float64{p.T0, p.T1} {
			if math.IsInf(t, 1) {
				continue
			}
			if s := p.Slope(t); s > best+1e-9 {
				best, bestAt = s, t
			}
		}
	}
	pr.GrowthRate, pr.GrowthFromS, pr.GrowthToS = best, 0, 0
	if bestAt >= 0 {
		pr.GrowthFromS, pr.GrowthToS = growthWindow(pr.Curve.Pieces, bestAt, best*0.995)
	}
}

// walk appends the pieces of [t0, t1) on which d(t0+u) = a + slope·u,
// starting from backlog b, and returns the backlog at t1.
func walk(out []Piece, t0, t1, b, a, slope float64) ([]Piece, float64) {
	t := t0
	for t < t1 {
		d := a + slope*(t-t0)
		if b <= eps {
			b = 0
			if d > eps || (math.Abs(d) <= eps && slope > 0) {
				// Busy from here: fall through to the busy case below.
			} else {
				// Empty until d crosses 0 upwards.
				end := t1
				if slope > 0 {
					end = min(t1, t0-a/slope)
				}
				if end <= t {
					end = t1
				}
				out = appendPiece(out, Piece{T0: t, T1: end})
				t = end
				continue
			}
		}
		// Busy: B(t+u) = b + d·u + slope·u²/2 until its first root.
		end := t1
		if r, ok := firstRoot(b, d, slope); ok && t+r < t1 {
			end = t + r
		}
		p := Piece{T0: t, T1: end, B0: b, D0: d, C: slope}
		out = appendPiece(out, p)
		if math.IsInf(end, 1) {
			return out, 0
		}
		if end < t1 {
			b = 0
		} else {
			b = p.At(end)
		}
		t = end
	}
	return out, b
}

// firstRoot returns the least u > 0 with b + d·u + c·u²/2 = 0, for b > 0.
func firstRoot(b, d, c float64) (float64, bool) {
	if c == 0 {
		if d < 0 {
			return -b / d, true
		}
		return 0, false
	}
	// (c/2)u² + d·u + b = 0
	disc := d*d - 2*c*b
	if disc < 0 {
		return 0, false
	}
	sq := math.Sqrt(disc)
	r1, r2 := (-d-sq)/c, (-d+sq)/c
	if r1 > r2 {
		r1, r2 = r2, r1
	}
	switch {
	case r1 > 0:
		return r1, true
	case r2 > 0:
		return r2, true
	}
	return 0, false
}

// appendPiece adds p, merging it into the previous empty piece when both
// are empty, and drops zero-length pieces.
func appendPiece(out []Piece, p Piece) []Piece {
	if p.T1 <= p.T0 {
		return out
	}
	if n := len(out); n > 0 && isEmpty(out[n-1]) && isEmpty(p) {
		out[n-1].T1 = p.T1
		return out
	}
	return append(out, p)
}

func isEmpty(p Piece) bool { return p.B0 == 0 && p.D0 == 0 && p.C == 0 }

// trimTail drops a final empty piece that runs to +Inf, so the curve ends
// where the last activity does.
func trimTail(ps []Piece) []Piece {
	if n := len(ps); n > 0 && isEmpty(ps[n-1]) && math.IsInf(ps[n-1].T1, 1) {
		return ps[:n-1]
	}
	return ps
}

func dedup(xs []float64) []float64 {
	out := xs[:0]
	for i, x := range xs {
		if i == 0 || x != out[len(out)-1] {
			out = append(out, x)
		}
	}
	return out
}

// summarise fills the peak, the growth rate and its window, and the drain
// time from the curve.
func (pr *Prediction) summarise() {
	ps := pr.Curve.Pieces
	// Peak: at piece ends or at an interior vertex; earliest wins.
	for _, p := range ps {
		cands := []float64{p.T0}
		if !math.IsInf(p.T1, 1) {
			cands = append(cands, p.T1)
		}
		if p.C < 0 {
			if v := p.T0 - p.D0/p.C; v > p.T0 && v < p.T1 {
				cands = append(cands, v)
			}
		}
		for _, t := range cands {
			if b := p.At(t); b > pr.PeakBacklog+1e-6 {
				pr.PeakBacklog, pr.PeakAtS = b, t
			}
		}
	}
	pr.growth(nil)
	// Drain: the first empty instant at or after the peak.
	pr.DrainedAtS = math.Inf(1)
	if pr.PeakBacklog == 0 {
		pr.DrainedAtS = 0
		return
	}
	for i, p := range ps {
		if p.T1 < pr.PeakAtS {
			continue
		}
		if isEmpty(p) {
			pr.DrainedAtS = max(p.T0, pr.PeakAtS)
			return
		}
		if drainsAt(ps, i) {
			pr.DrainedAtS = p.T1
			return
		}
	}
}

// drainsAt reports whether the backlog is empty at the end of busy piece
// i: the curve says so when an empty piece follows or the curve ends there
// (the walk ends a piece at its root, and the curve where the backlog
// does), whatever B(T1) evaluates to. At a large rate that evaluation is
// off by the rate times T1's rounding (1e15/s × 600 s's ulp of 1e-13 s:
// ±100 events), so it alone cannot say; it still decides between two
// busy pieces, where the backlog touches 0 at a breakpoint.
func drainsAt(ps []Piece, i int) bool {
	p := ps[i]
	switch {
	case math.IsInf(p.T1, 1):
		return false
	case i+1 == len(ps) || isEmpty(ps[i+1]):
		return true
	}
	return p.At(p.T1) <= 1e-6
}

// growthWindow returns the widest interval around at on which the busy
// curve's slope stays at or above floor.
func growthWindow(ps []Piece, at, floor float64) (from, to float64) {
	from, to = at, at
	// Index of a piece touching at.
	k := sort.Search(len(ps), func(i int) bool { return ps[i].T1 >= at })
	// Left.
	for i := k; i >= 0; i-- {
		p := ps[i]
		if isEmpty(p) || p.Slope(min(p.T1, from)) < floor {
			break
		}
		if p.Slope(p.T0) >= floor {
			from = p.T0
			continue
		}
		from = p.T0 + (floor-p.D0)/p.C // slope rises through floor inside
		break
	}
	// Right.
	for i := k; i < len(ps); i++ {
		p := ps[i]
		if isEmpty(p) || p.Slope(max(p.T0, to)) < floor {
			if i > k {
				break
			}
			continue
		}
		if math.IsInf(p.T1, 1) {
			break
		}
		if p.Slope(p.T1) >= floor {
			to = p.T1
			continue
		}
		to = p.T0 + (floor-p.D0)/p.C
		break
	}
	return from, to
}
