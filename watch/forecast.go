package watch

import (
	"math"
	"slices"

	"github.com/backlogbench/backlogbench/model"
	"github.com/backlogbench/backlogbench/rate"
)

// Horizons are the times ahead a forecast gives the backlog and time
// lag at, seconds.
var Horizons = []float64{5 * 60, 15 * 60, 60 * 60}

// The outcomes of a forecast.
const (
	// OutcomeKeepsUp: no backlog now, and none within the last horizon.
	OutcomeKeepsUp = "keeps-up"
	// OutcomeDrains: the backlog there is now drains.
	OutcomeDrains = "drains"
	// OutcomeGrows: the backlog grows and never drains.
	OutcomeGrows = "grows"
	// OutcomeSteady: the backlog neither grows nor drains (processing at
	// exactly the input rate, or stalled on an idle topic).
	OutcomeSteady = "steady"
)

// Forecast is the fluid model's answer for one group, from its measured
// backlog, time lag and rates. Times are seconds from the sample.
type Forecast struct {
	// Model is "group" (one queue for the whole group) or "partitions"
	// (a queue per partition, summed) when a partition drains
	// significantly later than the group as a whole: HotPartition.
	Model        string
	HotPartition string
	Outcome      string
	// DrainedIn is when the backlog there is now is gone: +Inf when it
	// never is, NaN when there is none (the group keeps up). Low and High
	// are the forecast at the ends of the rates' bands (λ−2SE with μ+2SE,
	// and λ+2SE with μ−2SE); NaN when the bands are unknown.
	DrainedIn, DrainedInLow, DrainedInHigh float64
	// Growth is dB/dt now, events/s: λ − μ while backlogged (negative
	// while draining), with its band.
	Growth, GrowthLow, GrowthHigh float64
	// Backlog and TimeLag are forecast at each of Horizons.
	Backlog, TimeLag []float64
	// UpperBound is set when the forecast takes a processing rate known
	// only to be at least the input rate and the planned input exceeds
	// it: the backlog it forecasts is then at most that.
	UpperBound bool
	// Path is the forecast backlog over the last horizon: (seconds from
	// now, events) at the model's breakpoints.
	Path []Point
}

// Point is a point of a forecast path.
type Point struct{ T, Backlog float64 }

// ForecastOptions tune a forecast. The zero value takes every default.
type ForecastOptions struct {
	// Plan is the future input. The default is the measured rate for ever.
	Plan InputPlan
	// Interval is the sampling interval, seconds: a partition is hot when
	// it drains later than the group by more than twice it (and more than
	// the group's band). The default is 5.
	Interval float64
}

// variant picks the rates of a forecast: the estimate, or one end of the
// bands.
type variant int

const (
	base variant = iota
	fast         // λ − 2SE, μ + 2SE: the earliest drain
	slow         // λ + 2SE, μ − 2SE: the latest drain
)

func (v variant) input(r Rate) float64 {
	switch {
	case v == fast && r.banded():
		return r.Low()
	case v == slow && r.banded():
		return r.High()
	}
	return r.Value
}

func (v variant) processing(r Rate) float64 {
	switch {
	case v == fast && r.banded():
		return r.High()
	case v == slow && r.banded():
		return r.Low()
	}
	return r.Value
}

// queue is one fluid queue of a forecast, in the estimate's times.
type queue struct {
	arrivals []point         // the backlog's arrival curve, up to now
	inputs   []rate.Schedule // from now on
	mu       float64         // processing rate from now on
	atLeast  bool            // mu is a lower bound
	inflight float64         // lag held as it is: work in flight of a group keeping up
	tl       float64         // its time lag
	stalled  bool            // a stalled partition
}

// modelQueues builds the model's queues with origin t0 (model time 0,
// the oldest backlog's arrival) and now at model time T: up to T each
// queue's input is its backlog's arrival curve, with no processing.
func modelQueues(qs []queue, now float64) (queues []model.Queue, T float64) {
	t0 := now
	for _, q := range qs {
		if len(q.arrivals) > 0 {
			t0 = min(t0, q.arrivals[0].t)
		}
	}
	T = now - t0
	for _, q := range qs {
		var pre []rate.Segment
		prev := point{t0, 0}
		for _, p := range q.arrivals {
			if p.t > prev.t {
				pre = append(pre, seg(p.t-prev.t, (p.n-prev.n)/(p.t-prev.t)))
				prev = p
			}
		}
		ins := []rate.Schedule{rate.New(pre...)}
		for _, in := range q.inputs {
			ins = append(ins, shift(in, T))
		}
		capacity := rate.New(seg(math.Inf(1), q.mu))
		if T > 0 {
			capacity = rate.New(seg(T, 0), seg(math.Inf(1), q.mu))
		}
		pr := model.Fluid(ins, capacity)
		queues = append(queues, pr.Queues...)
	}
	return queues, T
}

func seg(d, r float64) rate.Segment { return rate.Segment{Dur: d, From: r, To: r} }

// shift delays a schedule by T.
func shift(s rate.Schedule, T float64) rate.Schedule {
	if T <= 0 {
		return s
	}
	return rate.New(append([]rate.Segment{seg(T, 0)}, s.Segments()...)...)
}

// outlook is one run of the model over a set of queues.
type outlook struct {
	pr       model.Prediction
	T        float64
	inflight float64
	tl       float64
	backlog  float64 // the model's backlog now (without work in flight)
	drain    float64 // seconds from now; NaN with no backlog now
	growth   float64
	upper    bool
}

func run(qs []queue, now float64) outlook {
	mq, T := modelQueues(qs, now)
	o := outlook{pr: model.Combine(mq), T: T}
	for _, q := range qs {
		o.inflight += q.inflight
		o.tl = max(o.tl, q.tl)
		if q.atLeast {
			for _, in := range q.inputs {
				if peakRate(in) > q.mu*(1+1e-9)+1e-9 {
					o.upper = true
				}
			}
		}
	}
	o.backlog = o.pr.Curve.Backlog(T)
	o.growth = slopeAt(o.pr.Curve, T)
	o.drain = math.NaN()
	if o.backlog > 1e-6 {
		o.drain = drainedAt(o.pr.Curve, T) - T
	}
	return o
}

// backlogAt returns the forecast backlog h seconds from now.
func (o outlook) backlogAt(h float64) float64 { return o.pr.Curve.Backlog(o.T+h) + o.inflight }

// timeLagAt returns the forecast time lag h seconds from now.
func (o outlook) timeLagAt(h float64) float64 { return max(o.pr.TimeLag(o.T+h), o.tl) }

func peakRate(s rate.Schedule) float64 {
	m := 0.0
	for _, g := range s.Segments() {
		m = max(m, g.From, g.To)
	}
	return m
}

func empty(p model.Piece) bool { return p.B0 == 0 && p.D0 == 0 && p.C == 0 }

// slopeAt returns dB/dt just after t.
func slopeAt(c model.Curve, t float64) float64 {
	for _, p := range c.Pieces {
		if p.T0 <= t && t < p.T1 {
			if empty(p) {
				return 0
			}
			return p.Slope(t)
		}
	}
	return 0
}

// drainedAt returns the first time at or after t the curve is empty
// (+Inf when it never is).
func drainedAt(c model.Curve, t float64) float64 {
	ps := c.Pieces
	for _, p := range ps {
		if p.T1 <= t {
			continue
		}
		if empty(p) {
			return max(p.T0, t)
		}
		if math.IsInf(p.T1, 1) {
			return math.Inf(1)
		}
		if p.At(p.T1) <= 1e-6 {
			return p.T1
		}
	}
	if len(ps) == 0 {
		return t
	}
	return max(t, ps[len(ps)-1].T1)
}

// meetsDrain reports whether every busy stretch of the curve from t on
// ends within d of t or of its own start.
func meetsDrain(c model.Curve, t, d float64) bool {
	start := t
	busy := false
	for _, p := range c.Pieces {
		if p.T1 <= t {
			continue
		}
		if empty(p) {
			if busy && p.T0-start > d+1e-9 {
				return false
			}
			busy = false
			continue
		}
		if !busy {
			busy, start = true, max(p.T0, t)
		}
		if math.IsInf(p.T1, 1) {
			return false
		}
		if p.At(p.T1) <= 1e-6 {
			if p.T1-start > d+1e-9 {
				return false
			}
			busy = false
		}
	}
	if busy {
		if n := len(c.Pieces); n > 0 && c.Pieces[n-1].T1-start > d+1e-9 {
			return false
		}
	}
	return true
}

// groupQueues is the group as one queue, at the given end of the bands.
func groupQueues(e Estimate, plan InputPlan, v variant) []queue {
	lam := v.input(e.Input)
	q := queue{inputs: topicInputs(e, plan, lam, nil)}
	switch {
	case e.ProcessingAtLeast:
		q.mu, q.atLeast, q.inflight, q.tl = lam, true, float64(e.Lag), e.TimeLag
	case e.State == KeepingUp && v == base:
		// Backlogged, but λ and μ do not differ beyond their bands: the
		// backlog holds still.
		q.mu, q.arrivals = lam, e.arrivals
	default:
		q.mu, q.arrivals = v.processing(e.Processing), e.arrivals
	}
	return []queue{q}
}

// liveKeys returns the live partitions, in the order of partitionQueues.
func liveKeys(e Estimate) []pkey {
	var ks []pkey
	for _, p := range e.Partitions {
		if p.live {
			ks = append(ks, p.key())
		}
	}
	return ks
}

// partitionQueues is the group as a queue per live partition.
func partitionQueues(e Estimate, plan InputPlan, v variant) []queue {
	lam := v.input(e.Input)
	var qs []queue
	for i := range e.Partitions {
		p := &e.Partitions[i]
		if !p.live {
			continue
		}
		q := queue{inputs: topicInputs(e, plan, lam, p)}
		lp := v.input(p.Input)
		switch {
		case p.ProcessingAtLeast:
			q.mu, q.atLeast, q.inflight, q.tl = lp, true, float64(p.Lag), p.TimeLag
		case p.State == KeepingUp && v == base:
			q.mu, q.arrivals = lp, p.arrivals
		default:
			q.mu, q.arrivals = v.processing(p.Processing), p.arrivals
		}
		q.stalled = p.Stalled
		qs = append(qs, q)
	}
	return qs
}

// topicInputs returns the planned input of the group (only is nil) or of
// one partition of it, with the group's input rate taken as lam: each
// topic's share of it as measured, each partition its share of the
// topic's.
func topicInputs(e Estimate, plan InputPlan, lam float64, only *PartitionEstimate) []rate.Schedule {
	topicRate := map[string]float64{}
	topicParts := map[string]int{}
	var topics []string
	for _, p := range e.Partitions {
		if !p.live {
			continue
		}
		if _, ok := topicRate[p.Topic]; !ok {
			topics = append(topics, p.Topic)
		}
		topicParts[p.Topic]++
		if p.Input.known() {
			topicRate[p.Topic] += max(0, p.Input.Value)
		}
	}
	group := 0.0
	for _, r := range topicRate {
		group += r
	}
	var out []rate.Schedule
	for _, t := range topics {
		if only != nil && only.Topic != t {
			continue
		}
		share := 1 / float64(len(topics))
		if group > 0 {
			share = topicRate[t] / group
		}
		measured := max(0, lam) * share
		ins := plan.Input(t, measured, max(0, lam), len(topics))
		if only != nil {
			f := 1 / float64(topicParts[t])
			if topicRate[t] > 0 && only.Input.known() {
				f = max(0, only.Input.Value) / topicRate[t]
			}
			for i := range ins {
				ins[i] = ins[i].Scaled(f)
			}
		}
		out = append(out, ins...)
	}
	return out
}

// scale returns the queues with every processing rate multiplied by f.
func scale(qs []queue, f float64) []queue {
	out := slices.Clone(qs)
	for i := range out {
		out[i].mu *= f
	}
	return out
}

// Forecast forecasts a group's backlog with the fluid model (package
// model), dB/dt = λ(t) − μ while B > 0, from the backlog there is now. The
// backlog's arrival curve (from the record at the committed offset to the
// log end, through the sampled end offsets) is the model's input up to
// now, with no processing, so the model starts with exactly the measured
// backlog and time lag; from now on the input is the plan's and the
// processing rate the measured μ. A group keeping up is modelled with μ =
// λ and its lag held as work in flight.
//
// The group is one queue unless a partition, modelled alone, drains
// later than the group by more than the band (and two intervals): then
// every partition is a queue and the group's backlog is their sum, so its
// drain is the last partition's.
func ForecastGroup(e Estimate, opt ForecastOptions) *Forecast {
	if opt.Plan == nil {
		opt.Plan = steady{}
	}
	if opt.Interval == 0 {
		opt.Interval = 5
	}
	switch e.State {
	case Measuring, NoCommits, NoTopic, Unreadable:
		return nil
	}
	build := groupQueues
	f := &Forecast{Model: "group"}
	g := run(build(e, opt.Plan, base), e.Now)
	gSlow := run(build(e, opt.Plan, slow), e.Now)
	// A hot partition?
	gHigh := gSlow.drain
	if math.IsNaN(gHigh) {
		gHigh = 0
	}
	hot, hotDrain := -1, 0.0
	parts := partitionQueues(e, opt.Plan, fast)
	for i, q := range parts {
		if q.atLeast {
			continue
		}
		// A partition that grows while the group drains is taken to share
		// a worker whose capacity moves to it as the others drain; only a
		// stalled one never drains.
		d := run([]queue{q}, e.Now).drain
		switch {
		case q.stalled && !e.Stalled:
			d = math.Inf(1) // the rest of the group goes on without it
		case math.IsNaN(d) || math.IsInf(d, 1) || d <= max(1.1*gHigh, gHigh+2*opt.Interval):
			continue
		}
		if hot < 0 || d > hotDrain || d == hotDrain && q.inflight+at(q.arrivals, e.Now) > parts[hot].inflight+at(parts[hot].arrivals, e.Now) {
			hot, hotDrain = i, d
		}
	}
	if hot >= 0 {
		build = partitionQueues
		f.Model, f.HotPartition = "partitions", pname(liveKeys(e)[hot])
		g = run(build(e, opt.Plan, base), e.Now)
		gSlow = run(build(e, opt.Plan, slow), e.Now)
	}
	gFast := run(build(e, opt.Plan, fast), e.Now)
	banded := e.Input.banded() && (e.ProcessingAtLeast || e.Processing.banded())

	f.DrainedIn, f.DrainedInLow, f.DrainedInHigh = g.drain, math.NaN(), math.NaN()
	f.Growth, f.GrowthLow, f.GrowthHigh = g.growth, math.NaN(), math.NaN()
	if banded {
		f.DrainedInLow, f.DrainedInHigh = gFast.drain, gSlow.drain
		f.GrowthLow, f.GrowthHigh = gFast.growth, gSlow.growth
	}
	f.UpperBound = g.upper
	for _, h := range Horizons {
		f.Backlog = append(f.Backlog, g.backlogAt(h))
		f.TimeLag = append(f.TimeLag, g.timeLagAt(h))
	}
	last := Horizons[len(Horizons)-1]
	switch {
	case !math.IsNaN(g.drain) && !math.IsInf(g.drain, 1):
		f.Outcome = OutcomeDrains
	case math.IsNaN(g.drain) && !busyWithin(g.pr.Curve, g.T, last):
		f.Outcome = OutcomeKeepsUp
	case g.growth > 1e-9 || g.pr.Curve.Backlog(g.T+last) > g.backlog+1e-6:
		f.Outcome = OutcomeGrows
	default:
		f.Outcome = OutcomeSteady
	}
	f.Path = path(g, last)
	return f
}

// busyWithin reports whether the curve is busy anywhere in [t, t+d].
func busyWithin(c model.Curve, t, d float64) bool {
	for _, p := range c.Pieces {
		if p.T1 > t && p.T0 < t+d && !empty(p) {
			return true
		}
	}
	return false
}

// path returns the forecast backlog from now to h seconds on, at the
// model's breakpoints (and the middle of a curved piece).
func path(o outlook, h float64) []Point {
	ts := []float64{o.T}
	for _, p := range o.pr.Curve.Pieces {
		if p.T1 <= o.T || p.T0 >= o.T+h {
			continue
		}
		if p.T0 > o.T {
			ts = append(ts, p.T0)
		}
		if p.C != 0 {
			ts = append(ts, (max(p.T0, o.T)+min(p.T1, o.T+h))/2)
		}
	}
	ts = append(ts, o.T+h)
	slices.Sort(ts)
	ts = slices.Compact(ts)
	const most = 48
	if len(ts) > most {
		thin := make([]float64, 0, most)
		for i := range most {
			thin = append(thin, ts[i*(len(ts)-1)/(most-1)])
		}
		ts = thin
	}
	out := make([]Point, len(ts))
	for i, t := range ts {
		out[i] = Point{T: t - o.T, Backlog: o.pr.Curve.Backlog(t) + o.inflight}
	}
	return out
}

// WorkerPlan answers how much capacity, and how many workers, drain a
// group within a time.
type WorkerPlan struct {
	// DrainWithin is the target, seconds: the backlog there is now, and
	// any the planned input makes, is gone within it.
	DrainWithin float64
	// Feasible is false when no capacity meets it (a stalled group has no
	// rate to scale); Note says why.
	Feasible bool
	// Capacity is the least processing rate, events/s, that meets it.
	Capacity float64
	// Members is the group's current members; PerWorker = μ / Members.
	Members   int
	PerWorker float64
	// Workers is the least number of members at PerWorker that meets the
	// target; 0 when there are no members to take a rate from. With a
	// processing rate known only to be at least λ, PerWorker is a lower
	// bound and Workers an upper one (WorkersAtMost).
	Workers       int
	WorkersAtMost bool
	Note          string
}

// PlanWorkers returns the capacity and the workers that drain the group
// within d seconds, assuming each member processes μ / members: the least
// factor on every processing rate of the forecast's queues that meets the
// target, by bisection.
func PlanWorkers(e Estimate, f *Forecast, d float64, opt ForecastOptions) *WorkerPlan {
	if f == nil {
		return nil
	}
	if opt.Plan == nil {
		opt.Plan = steady{}
	}
	build := groupQueues
	if f.Model == "partitions" {
		build = partitionQueues
	}
	qs := build(e, opt.Plan, base)
	mu := e.Processing.Value
	wp := &WorkerPlan{DrainWithin: d, Members: e.Members, WorkersAtMost: e.ProcessingAtLeast}
	if !(mu > 0) {
		wp.Note = "no processing rate to scale (stalled, or no input to measure it by)"
		if e.State != Stalled && f.Outcome == OutcomeKeepsUp {
			wp.Feasible, wp.Note = true, "keeps up; nothing to drain"
		}
		return wp
	}
	meets := func(k float64) bool {
		o := run(scale(qs, k), e.Now)
		return meetsDrain(o.pr.Curve, o.T, d)
	}
	lo, hi := 0.0, 1.0
	for !meets(hi) {
		lo, hi = hi, hi*2
		if hi > 1e6 {
			wp.Note = "no capacity up to a million times the current one drains it in time"
			return wp
		}
	}
	for range 60 {
		if hi-lo <= 1e-4*hi {
			break
		}
		mid := (lo + hi) / 2
		if meets(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	wp.Feasible, wp.Capacity = true, hi*mu
	if e.Members > 0 {
		wp.PerWorker = mu / float64(e.Members)
		wp.Workers = int(math.Ceil(hi*float64(e.Members) - 1e-9))
		live := 0
		for _, p := range e.Partitions {
			if p.live {
				live++
			}
		}
		if wp.Workers > live {
			wp.Note = "more workers than the group's partitions cannot all work: add partitions, or make the workers faster"
		}
	} else {
		wp.Note = "the group has no members to take a per-worker rate from"
	}
	return wp
}
