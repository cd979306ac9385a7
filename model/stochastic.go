package model

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/backlogbench/backlogbench/service"
)

// PollaczekKhinchine returns the mean waiting time in queue of an M/G/1
// queue, W_q = ρ(1 + c²ₛ) / (2μ(1 − ρ)), at utilisation ρ < 1, service
// rate μ and squared coefficient of variation c²ₛ of the service time.
func PollaczekKhinchine(rho, mu, cs2 float64) float64 {
	return rho * (1 + cs2) / (2 * mu * (1 - rho))
}

// GIM1 returns σ for a GI/M/1 queue: the root in (0, 1) of
// σ = A*(μ(1−σ)), with A* the Laplace–Stieltjes transform of the
// interarrival time, at an exponential server of rate μ and utilisation
// below 1. A customer finds the server busy with probability σ, and
// its time in the system (waiting plus service) is exponential with rate
// μ(1−σ), so P(T > x) = exp(−μ(1−σ)x). With Poisson arrivals σ = ρ (M/M/1).
func GIM1(lst func(s float64) float64, mu float64) float64 {
	g := func(x float64) float64 { return lst(mu*(1-x)) - x }
	lo, hi := 0.0, 1-1e-12
	for range 200 {
		mid := (lo + hi) / 2
		if g(mid) > 0 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// stream is one producer's events as one worker receives them in a
// stretch of constant rates.
type stream struct {
	rate float64 // the producer's events/s, all partitions
	// Even spread: the worker gets the events i with i mod parts in
	// [first, first+held) (the range balancer's contiguous partitions), or
	// in mask when it is set.
	parts, first, held int
	mask               []bool
	// keyed: each event reaches the worker independently with probability q.
	keyed bool
	q     float64
	// poisson: a Poisson stream of rate events/s (for tests).
	poisson bool
}

// holds reports whether the worker holds partition p of an evenly spread
// stream.
func (s stream) holds(p int) bool {
	if s.mask != nil {
		return s.mask[p]
	}
	return p >= s.first && p < s.first+s.held
}

// workerRate returns the events/s the worker gets from the stream.
func (s stream) workerRate() float64 {
	switch {
	case s.poisson:
		return s.rate
	case s.keyed:
		return s.rate * s.q
	}
	return s.rate * float64(s.held) / float64(s.parts)
}

// renewal returns the interarrival transform of a worker's arrivals when
// they are a renewal process: one Poisson stream, one keyed stream
// (geometric gaps: q·e^{−sh} / (1 − (1−q)·e^{−sh}), h = 1/rate), or one
// evenly spread stream of which the worker holds one partition or all
// (a constant gap).
func renewal(ss []stream) (func(float64) float64, bool) {
	if len(ss) != 1 {
		return nil, false
	}
	s := ss[0]
	switch {
	case s.poisson:
		return func(x float64) float64 { return s.rate / (s.rate + x) }, true
	case s.keyed:
		h := 1 / s.rate
		return func(x float64) float64 {
			e := math.Exp(-x * h)
			return s.q * e / (1 - (1-s.q)*e)
		}, true
	case s.mask == nil && (s.held == 1 || s.held == s.parts), s.held == 1:
		gap := float64(s.parts) / float64(s.held) / s.rate
		return func(x float64) float64 { return math.Exp(-x * gap) }, true
	}
	return nil, false
}

// dist is a latency distribution: an exponential of rate Rate, or
// sorted samples.
type dist struct {
	rate    float64
	samples []float64
}

func (d dist) cdf(x float64) float64 {
	if d.samples == nil {
		return 1 - math.Exp(-d.rate*x)
	}
	return float64(sort.SearchFloat64s(d.samples, x)) / float64(len(d.samples))
}

func (d dist) mean() float64 {
	if d.samples == nil {
		return 1 / d.rate
	}
	var s float64
	for _, x := range d.samples {
		s += x
	}
	return s / float64(len(d.samples))
}

func (d dist) high() float64 {
	if d.samples == nil {
		return 20 / d.rate
	}
	return d.samples[len(d.samples)-1]
}

// lindley returns n sorted samples of the stationary time in system
// (waiting plus service) of a FIFO server with mean service time 1/mu fed
// by the streams, by Lindley's recursion W' = max(0, W + S − A) over the
// streams' exact arrival pattern, after a warm-up of n/10 arrivals.
func lindley(ss []stream, mu float64, svc service.Service, n int, rng *rand.Rand) []float64 {
	type cursor struct {
		i    uint64  // next event index (even) or count (keyed, poisson)
		next float64 // its time
	}
	cur := make([]cursor, len(ss))
	advance := func(k int) {
		s, c := ss[k], &cur[k]
		switch {
		case s.poisson:
			c.next += rng.ExpFloat64() / s.rate
		case s.keyed:
			// Geometric gap: the number of events up to the next one kept.
			g := uint64(1)
			if s.q < 1 {
				g = 1 + uint64(math.Floor(math.Log1p(-rng.Float64())/math.Log1p(-s.q)))
			}
			c.i += g
			c.next = float64(c.i) / s.rate
		default:
			for {
				c.i++
				if s.holds(int(c.i % uint64(s.parts))) {
					break
				}
			}
			c.next = float64(c.i) / s.rate
		}
	}
	for k, s := range ss {
		switch {
		case s.poisson, s.keyed:
			advance(k)
		default:
			cur[k].i = uint64(s.first)
			for !s.holds(int(cur[k].i % uint64(s.parts))) {
				cur[k].i++
			}
			cur[k].next = float64(cur[k].i) / s.rate
		}
	}
	warm := n / 10
	out := make([]float64, 0, n)
	var w, last float64
	for j := 0; j < n+warm; j++ {
		k := 0
		for i := range cur {
			if cur[i].next < cur[k].next {
				k = i
			}
		}
		t := cur[k].next
		advance(k)
		if j > 0 {
			w = max(0, w-(t-last))
		}
		last = t
		sv := svc.Sample(rng.Float64(), rng.Float64()) / mu
		if j >= warm {
			out = append(out, w+sv)
		}
		w += sv
	}
	sort.Float64s(out)
	return out
}

// component is one worker class in one stretch of constant rates.
type component struct {
	weight float64
	d      dist
}

// mixture returns the p50, p99 and mean of a weighted mixture.
func mixture(cs []component) (p50, p99, mean float64) {
	var total, hi float64
	for _, c := range cs {
		total += c.weight
		mean += c.weight * c.d.mean()
		hi = max(hi, c.d.high())
	}
	if total == 0 {
		return 0, 0, 0
	}
	cdf := func(x float64) float64 {
		var f float64
		for _, c := range cs {
			f += c.weight * c.d.cdf(x)
		}
		return f / total
	}
	q := func(p float64) float64 { return bisect(0, hi, func(x float64) bool { return cdf(x) >= p }) }
	return q(0.5), q(0.99), mean / total
}

// lindleySamples is the number of arrivals a Lindley evaluation averages
// over, per worker class and stretch of constant rates.
const lindleySamples = 400_000

// Stochastic predicts the latency (time from an event's send to the end
// of its processing) of a group whose workers take random service times,
// when its fluid model has no backlog: every worker is then a stable
// single-server FIFO queue (a partition is served by one worker, so the
// group is W queues, not one M/M/c pool), fed by its partitions' events.
//
// The producers are open-loop and evenly paced, so a worker's arrivals are
// not Poisson: it gets every n-th event of a producer (one partition of n:
// constant gaps), runs of consecutive events (several partitions), or,
// with keys, each event with the probability of its partitions' share
// (geometric gaps). With exponential service and renewal arrivals the
// latency is exactly exponential, from GI/M/1; otherwise it is the
// stationary time in system of the worker's exact arrival pattern, from
// Lindley's recursion evaluated numerically (seeded, so reproducible).
// Stretches of the scenario with constant rates are weighted by their
// events. It returns false when some worker's utilisation is 1 or more
// (the fluid waiting time then dominates), or the fluid model has a
// backlog.
func Stochastic(g Group, pr Prediction, svc service.Service, seed uint64) (Latency, bool) {
	if pr.PeakBacklog > 1e-6 || g.Workers <= 0 {
		return Latency{}, false
	}
	asg := g.assignment()
	classes, _ := loadClasses(g.Loads())
	ins := g.inputs()
	var bps []float64
	end := 0.0
	for _, in := range ins {
		bps = append(bps, in.Breakpoints()...)
		end = max(end, in.End())
	}
	bps = append(bps, g.Capacity.Breakpoints()...)
	sort.Float64s(bps)
	bps = dedup(bps)
	perWorker := g.Capacity.Scaled(1 / float64(g.Workers))

	type piece struct{ a, b float64 }
	var pieces []piece
	for i := 0; i+1 < len(bps); i++ {
		if a, b := bps[i], bps[i+1]; b > a && a < end {
			pieces = append(pieces, piece{a, min(b, end)})
		}
	}
	n := lindleySamples / max(1, len(pieces)*len(classes))
	n = max(n, 50_000)
	rng := rand.New(rand.NewPCG(seed, 0x6c696e646c6579)) // "lindley"
	var comps []component
	exact, numeric := false, false
	for _, pc := range pieces {
		mid := (pc.a + pc.b) / 2
		rates := make([]float64, len(ins))
		for i, in := range ins {
			// The mean rate over the stretch (a ramp is taken at its mean).
			rates[i] = (in.Count(pc.b) - in.Count(pc.a)) / (pc.b - pc.a)
		}
		mu := perWorker.Rate(mid)
		for _, c := range classes {
			ss := workerStreams(g, asg[c.first], c.load, rates)
			lam := 0.0
			for _, s := range ss {
				lam += s.workerRate()
			}
			if lam == 0 {
				continue
			}
			if mu <= 0 || lam >= mu {
				return Latency{}, false
			}
			comp := component{weight: float64(c.count) * lam * (pc.b - pc.a)}
			if lst, ok := renewal(ss); ok && svc.Dist == service.Exponential {
				comp.d = dist{rate: mu * (1 - GIM1(lst, mu))}
				exact = true
			} else {
				comp.d = dist{samples: lindley(ss, mu, svc, n, rng)}
				numeric = true
			}
			comps = append(comps, comp)
		}
	}
	if len(comps) == 0 {
		return Latency{}, false
	}
	l := Latency{Method: "GI/M/1"}
	switch {
	case exact && numeric:
		l.Method = "GI/M/1 and Lindley"
	case numeric:
		l.Method = "Lindley"
	}
	l.P50, l.P99, l.Mean = mixture(comps)
	return l, true
}

// workerStreams returns the streams of a worker holding parts (by topic)
// with shares load of the inputs at the given rates.
func workerStreams(g Group, parts [][]int32, load, rates []float64) []stream {
	var ss []stream
	i := 0
	for t, tp := range g.Topics {
		for _, in := range tp.Inputs {
			if load[i] > 0 && rates[i] > 0 {
				s := stream{rate: rates[i]}
				if in.Shares != nil {
					s.keyed, s.q = true, load[i]
				} else {
					held := parts[t]
					s.parts, s.held = tp.Partitions, len(held)
					if len(held) > 0 {
						s.first = int(held[0])
					}
					if !contiguous(held) {
						s.mask = make([]bool, tp.Partitions)
						for _, p := range held {
							if int(p) < tp.Partitions {
								s.mask[p] = true
							}
						}
					}
				}
				ss = append(ss, s)
			}
			i++
		}
	}
	return ss
}

// contiguous reports whether ps is a run of consecutive partitions.
func contiguous(ps []int32) bool {
	for i := 1; i < len(ps); i++ {
		if ps[i] != ps[i-1]+1 {
			return false
		}
	}
	return true
}
