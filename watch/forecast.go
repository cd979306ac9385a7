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
	// Model is "group" (one queue for the whole group) or "workers" (a
	// queue per member, pooling the partitions it holds, and per
	// partition held by none, summed) when one of those drains
	// significantly later than the group as a whole; HotPartition is its
	// partition with the largest lag.
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
	// PlanStart is when the plan starts, in the estimate's seconds (the
	// start of the watch). The default is 0.
	PlanStart float64
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
		prefill := rate.New(pre...)
		// Now is where the arrival curve ends, to the last bit: model.Fluid
		// takes two breakpoints a rounding apart for a piece of its own,
		// and its slope there is 0/0.
		tq := T
		if len(pre) > 0 {
			tq = prefill.End()
		}
		ins := []rate.Schedule{prefill}
		for _, in := range q.inputs {
			ins = append(ins, shift(in, tq))
		}
		capacity := rate.New(seg(math.Inf(1), q.mu))
		if tq > 0 {
			capacity = rate.New(seg(tq, 0), seg(math.Inf(1), q.mu))
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
	// Just after now: the arrival curve's last piece ends at now, give or
	// take the rounding of its durations.
	o.growth = slopeAt(o.pr.Curve, T+1e-6*max(1, T))
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

// unit is one queue of the model: the whole group, one member (the
// partitions it holds), or one partition (stalled, or held by nobody).
type unit struct {
	name      string // the hottest partition in it
	keys      []pkey // its partitions; nil for the whole group
	proc      Rate
	atLeast   bool
	state     string
	stalled   bool
	lag       int64
	timeLag   float64
	arrivals  []point
	partition bool
}

func groupUnit(e Estimate) unit {
	return unit{proc: e.Processing, atLeast: e.ProcessingAtLeast, state: e.State, stalled: e.Stalled,
		lag: e.Lag, timeLag: e.TimeLag, arrivals: e.arrivals}
}

// workerUnits are the group's members, each pooling the partitions it
// holds (its capacity moves between them), and a unit of its own for each
// live partition held by nobody.
func workerUnits(e Estimate) []unit {
	var us []unit
	hottest := func(keys []pkey) string {
		best, lag := "", int64(-1)
		for _, k := range keys {
			for _, p := range e.Partitions {
				if p.key() == k && p.Lag > lag {
					best, lag = pname(k), p.Lag
				}
			}
		}
		return best
	}
	for _, m := range e.MemberEstimates {
		us = append(us, unit{name: hottest(m.keys), keys: m.keys, proc: m.Processing, atLeast: m.ProcessingAtLeast,
			state: m.State, stalled: m.Stalled, lag: m.Lag, timeLag: m.TimeLag, arrivals: m.arrivals})
	}
	for _, p := range e.Partitions {
		if !p.live || p.Member != "" {
			continue
		}
		us = append(us, unit{name: pname(p.key()), keys: []pkey{p.key()}, proc: p.Processing, atLeast: p.ProcessingAtLeast,
			state: p.State, stalled: p.Stalled, lag: p.Lag, timeLag: p.TimeLag, arrivals: p.arrivals, partition: true})
	}
	return us
}

// queues builds the model's queues of the units at one end of the bands:
// the group's input rate λ at that end, shared over the units as measured.
func queues(e Estimate, us []unit, plan InputPlan, at float64, v variant) []queue {
	lam := v.input(e.Input)
	qs := make([]queue, 0, len(us))
	for _, u := range us {
		q := queue{inputs: topicInputs(e, plan, at, lam, u.keys), stalled: u.stalled}
		now := 0.0 // the planned input now
		for _, in := range q.inputs {
			now += in.Rate(0)
		}
		switch {
		case u.atLeast:
			// Keeping up: processing what arrives now, its lag work in flight.
			q.mu, q.atLeast, q.inflight, q.tl = now, true, float64(u.lag), u.timeLag
		case u.state == KeepingUp && v == base:
			// Backlogged, but λ and μ do not differ beyond their bands: the
			// backlog holds still.
			q.mu, q.arrivals = now, u.arrivals
		default:
			q.mu, q.arrivals = v.processing(u.proc), u.arrivals
		}
		qs = append(qs, q)
	}
	return qs
}

// topicInputs returns the planned input of the partitions keys (nil: the
// whole group), with the group's input rate taken as lam: each topic's
// share of it as measured, each partition its share of its topic's.
func topicInputs(e Estimate, plan InputPlan, at, lam float64, keys []pkey) []rate.Schedule {
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
		f := 1.0 // the keys' share of the topic
		if keys != nil {
			f = 0
			for _, p := range e.Partitions {
				if !p.live || p.Topic != t || !slices.Contains(keys, p.key()) {
					continue
				}
				if topicRate[t] > 0 && p.Input.known() {
					f += max(0, p.Input.Value) / topicRate[t]
				} else {
					f += 1 / float64(topicParts[t])
				}
			}
			if f == 0 {
				continue
			}
		}
		share := 1 / float64(len(topics))
		if group > 0 {
			share = topicRate[t] / group
		}
		ins := plan.Input(t, max(0, lam)*share, max(0, lam), len(topics), at)
		for i := range ins {
			if f != 1 {
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
// The group is one queue unless a member (the partitions it holds: its
// capacity moves between them as they drain), or a partition held by no
// member, modelled alone, drains later than the group by more than the
// band and two intervals, or never while the group does: then each is a
// queue and the group's backlog is their sum, so its drain is the last
// one's — a hot partition's worker drains last.
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
	since := max(0, e.Now-opt.PlanStart)
	units := []unit{groupUnit(e)}
	f := &Forecast{Model: "group"}
	g := run(queues(e, units, opt.Plan, since, base), e.Now)
	gSlow := run(queues(e, units, opt.Plan, since, slow), e.Now)
	// A worker (or a partition of its own) that drains significantly
	// later than the group as a whole, or a stalled partition?
	gHigh := gSlow.drain
	if math.IsNaN(gHigh) {
		gHigh = 0
	}
	hot, hotDrain, hotLag := -1, 0.0, int64(0)
	wus := workerUnits(e)
	if len(wus) > 1 {
		for i, q := range queues(e, wus, opt.Plan, since, fast) {
			d := run([]queue{q}, e.Now).drain
			switch {
			case q.stalled && !e.Stalled:
				d = math.Inf(1) // the rest of the group goes on without it
			case q.atLeast || math.IsNaN(d) || d <= max(1.1*gHigh, gHigh+2*opt.Interval):
				continue
			}
			if hot < 0 || d > hotDrain || d == hotDrain && wus[i].lag > hotLag {
				hot, hotDrain, hotLag = i, d, wus[i].lag
			}
		}
	}
	if hot >= 0 {
		units = wus
		f.Model, f.HotPartition = "workers", wus[hot].name
		g = run(queues(e, units, opt.Plan, since, base), e.Now)
		gSlow = run(queues(e, units, opt.Plan, since, slow), e.Now)
	}
	gFast := run(queues(e, units, opt.Plan, since, fast), e.Now)
	banded := e.Input.banded() && (e.ProcessingAtLeast || e.Processing.banded())

	f.DrainedIn, f.DrainedInLow, f.DrainedInHigh = g.drain, math.NaN(), math.NaN()
	f.Growth, f.GrowthLow, f.GrowthHigh = g.growth, math.NaN(), math.NaN()
	if banded {
		// The band holds the estimate, also where the estimate is taken
		// to hold still (a difference within the bands).
		f.DrainedInLow, f.DrainedInHigh = minNaN(gFast.drain, g.drain), maxNaN(gSlow.drain, g.drain)
		f.GrowthLow, f.GrowthHigh = min(gFast.growth, g.growth), max(gSlow.growth, g.growth)
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
		if p.T1 < o.T+h {
			ts = append(ts, p.T1) // the drain: the curve ends with its last piece
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
