package model

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/backlogbench/backlogbench/rate"
)

// Target is a capacity-planning target; exactly one field is set (> 0).
type Target struct {
	// MaxBacklog bounds the group's backlog, in events.
	MaxBacklog float64
	// DrainWithin bounds, in seconds, the time from each peak of the
	// backlog (the largest backlog of each busy stretch, from an empty
	// queue to the next) to the backlog being back to zero.
	DrainWithin float64
	// MaxTimeLag bounds, in seconds, the age of the oldest unprocessed
	// event: as the workers serve their partitions (ServeGroup, at the
	// worst phase of their fetch cycles) when Serving is set, else the
	// longest FIFO wait of any event at any worker.
	MaxTimeLag float64
	// Serving is how the group's workers fetch, for MaxTimeLag.
	Serving *Serving
}

// String returns the target as its flag: "--max-backlog 5000".
func (t Target) String() string {
	switch {
	case t.MaxBacklog > 0:
		return "--max-backlog " + strconv.FormatFloat(t.MaxBacklog, 'g', -1, 64)
	case t.DrainWithin > 0:
		return "--drain-within " + seconds(t.DrainWithin)
	case t.MaxTimeLag > 0:
		return "--max-time-lag " + seconds(t.MaxTimeLag)
	}
	return "no target"
}

// Met reports whether a prediction meets the target. A backlog that never
// drains meets none: under --max-backlog a capacity of 0 would otherwise
// pass whenever the group's events in all fit in the bound, the backlog
// growing to that total and staying there.
func (t Target) Met(pr Prediction) bool {
	switch {
	case t.MaxBacklog > 0:
		return pr.PeakBacklog <= t.MaxBacklog*(1+1e-12) && !math.IsInf(pr.LongestDrain(), 1)
	case t.DrainWithin > 0:
		return pr.LongestDrain() <= t.DrainWithin+1e-9
	case t.MaxTimeLag > 0:
		return pr.MaxTimeLag() <= t.MaxTimeLag+1e-9
	}
	return true
}

// meets reports whether group g meets the target.
func (t Target) meets(g Group) bool {
	pr := Predict(g)
	if t.MaxTimeLag > 0 && t.Serving != nil {
		if math.IsInf(pr.LongestDrain(), 1) {
			return false
		}
		_, _, worst := ServeGroup(g, *t.Serving).Max()
		return worst <= t.MaxTimeLag+1e-9
	}
	return t.Met(pr)
}

// LongestDrain returns the longest time, over the busy stretches of the
// backlog curve, from a stretch's peak to its end (+Inf when the backlog
// never drains; 0 when it is always empty).
func (pr Prediction) LongestDrain() float64 {
	worst := 0.0
	peak, peakAt, busy := 0.0, 0.0, false
	ps := pr.Curve.Pieces
	for i, p := range ps {
		if isEmpty(p) {
			if busy {
				worst = max(worst, p.T0-peakAt)
			}
			peak, busy = 0, false
			continue
		}
		if math.IsInf(p.T1, 1) {
			return math.Inf(1)
		}
		busy = true
		cands := []float64{p.T0, p.T1}
		if p.C < 0 {
			if v := p.T0 - p.D0/p.C; v > p.T0 && v < p.T1 {
				cands = append(cands, v)
			}
		}
		for _, t := range cands {
			if b := p.At(t); b > peak+1e-9 {
				peak, peakAt = b, t
			}
		}
		if drainsAt(ps, i) { // the stretch ends with the piece
			worst = max(worst, p.T1-peakAt)
			peak, busy = 0, false
		}
	}
	if busy {
		return math.Inf(1)
	}
	return worst
}

// Plan is the answer of PlanGroup for one group.
type Plan struct {
	// Feasible is false when no capacity meets the target; Reason says
	// why (and, when Feasible, why Workers is 0 if it is).
	Feasible bool
	Reason   string
	// Capacity is the least group capacity, to 0.1 event/s, that meets
	// the target at the group's workers and partitions. With capacity
	// phases it is the largest phase's, every phase scaled alike.
	Capacity float64
	// Workers is the least number of workers at the group's per-worker
	// rate that meets the target, with Partitions partitions per topic:
	// the current ones when they do, else the least multiple of Workers
	// that is at least the current count (an even split). 0 when no
	// number does (a hot key alone overloads a worker).
	Workers    int
	Partitions []int
	// WorkersAtCurrentPartitions is the least number of workers that meets
	// the target without adding partitions; 0 when none does.
	WorkersAtCurrentPartitions int
	// Prediction is the group's prediction at Capacity.
	Prediction Prediction
}

// Resolution is the resolution of a planned capacity, events/s.
const Resolution = 0.1

// maxCapacity is where the search for a capacity gives up, unless the
// group's input calls for more (see searchLimit).
const maxCapacity = 1e12

// searchLimit is where the search for a capacity gives up: maxCapacity,
// or a thousand times the capacity at which the group's peak input rate
// never exceeds its capacity shape's least positive phase, when that is
// more (rate: 1e15 needs about 1e15/s). Beyond it only stretches of
// capacity 0 keep a backlog, and no scaling changes those.
func searchLimit(g Group, shape rate.Schedule) float64 {
	var peak float64
	for _, tp := range g.Topics {
		for _, in := range tp.Inputs {
			var m float64
			for _, sg := range in.Rate.Segments() {
				m = max(m, sg.From, sg.To)
			}
			peak += m
		}
	}
	least := 1.0 // the shape's largest rate
	for _, sg := range shape.Segments() {
		for _, r := range []float64{sg.From, sg.To} {
			if r > 0 {
				least = min(least, r)
			}
		}
	}
	return min(max(maxCapacity, 1e3*peak/least), 1e300)
}

// nominal returns a capacity schedule's largest rate (its nominal
// capacity) and the schedule in units of it (largest rate 1). A schedule
// that is 0 throughout has nominal 0 and a unit shape of 1 for ever.
func nominal(c rate.Schedule) (float64, rate.Schedule) {
	var m float64
	for _, sg := range c.Segments() {
		m = max(m, sg.From, sg.To)
	}
	if m == 0 {
		return 0, rate.New(rate.Segment{Dur: math.Inf(1), From: 1, To: 1})
	}
	return m, c.Scaled(1 / m)
}

// PlanGroup answers the capacity-planning question for one group: the
// least capacity at its workers, and the least workers (and partitions)
// at its per-worker rate, that meet the target on the fluid model.
//
// Peak backlog and time lag only fall as capacity rises (a fluid queue's
// backlog is pointwise non-increasing in its capacity; a worker that is
// faster empties each fetch sooner, so the next holds less), so their
// least capacity is found by bisection. The drain target is not monotone: a
// smaller capacity can merge two busy stretches into one whose peak comes
// later, so it is met where a larger capacity, draining the first stretch
// slowly from an early peak, is not; its least capacity is found by a scan
// on a 1/512 grid of the interval up to a capacity that meets it, then by
// bisection in the first grid cell that does.
func PlanGroup(g Group, t Target) Plan {
	nom, shape := nominal(g.Capacity)
	at := func(c float64) Group {
		h := g
		h.Capacity = shape.Scaled(c)
		return h
	}
	meets := func(c float64) bool { return t.meets(at(c)) }
	limit := searchLimit(g, shape)
	c, ok := leastCapacity(meets, max(nom, 1), t.DrainWithin > 0, limit)
	if !ok {
		return Plan{Reason: infeasibleReason(g, shape, t, limit)}
	}
	pl := Plan{Feasible: true, Capacity: c, Prediction: Predict(at(c))}
	pl.Workers, pl.Partitions, pl.WorkersAtCurrentPartitions, pl.Reason = planWorkers(g, shape, nom, t, limit)
	if ev := pl.Prediction.Events; t.MaxBacklog > 0 && c > 0 && ev <= t.MaxBacklog {
		// The least capacity is the grid's first step: say why.
		why := fmt.Sprintf("the group receives %s events in all, within %s: any capacity above 0 meets it; at %s/s it drains at %s",
			Figure(ev, 0), t, strconv.FormatFloat(c, 'f', -1, 64), Clock(pl.Prediction.DrainedAtS))
		if pl.Reason != "" {
			why += "; " + pl.Reason
		}
		pl.Reason = why
	}
	return pl
}

// leastCapacity returns the least capacity on the Resolution grid that
// meets the target, searching up from guess; false when none up to limit
// does. Above 2⁵² × Resolution/4 (about 1e14/s) float64 cannot split a
// cell of Resolution/4, and the bisection stops at adjacent floats
// instead: the capacity is then as close as float64 holds it.
func leastCapacity(meets func(float64) bool, guess float64, scan bool, limit float64) (float64, bool) {
	if meets(0) {
		return 0, true
	}
	hi := min(guess, limit)
	for !meets(hi) {
		if hi >= limit {
			return 0, false
		}
		hi = min(hi*2, limit)
	}
	lo := 0.0
	if scan {
		// The first grid point that meets it bounds the least one; the
		// cell below it holds the boundary.
		step := hi / 512
		for k := 1; k <= 512; k++ {
			c := step * float64(k)
			if meets(c) {
				lo, hi = c-step, c
				break
			}
		}
	}
	for hi-lo > Resolution/4 {
		mid := lo + (hi-lo)/2
		if mid <= lo || mid >= hi {
			break // no float64 between them
		}
		if meets(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	// Round up to the grid, checking the grid point itself.
	c := round1(math.Ceil(hi/Resolution-1e-9) * Resolution)
	if g := round1(math.Floor(hi/Resolution) * Resolution); g > lo && meets(g) {
		c = g
	}
	if c < hi && !meets(c) {
		// Above about 1e14/s the grid point rounds to a float64 below hi
		// that falls short: hi is the answer, as close as float64 holds.
		c = hi
	}
	// The served time lag is not quite monotone in capacity (its worst
	// phase moves by about a second as the fetch cycle shifts): a grid
	// point above a capacity that meets it may miss. Step up to one that
	// meets it, so the answer always does.
	for k := 0; k < 1000 && !meets(c); k++ {
		c = round1(c + Resolution)
	}
	return c, true
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }

// planWorkers finds the least workers at the per-worker rate nom/Workers
// (capacity shape kept), first with an even split of every topic's
// partitions, then checking whether the current partitions do as well.
func planWorkers(g Group, shape rate.Schedule, nom float64, t Target, capLimit float64) (workers int, parts []int, atCurrent int, reason string) {
	if g.Workers <= 0 || nom == 0 {
		return 0, nil, 0, "the group has no capacity to add workers at"
	}
	per := nom / float64(g.Workers)
	keyed := false
	maxParts := 0
	current := make([]int, len(g.Topics))
	for i, tp := range g.Topics {
		current[i] = tp.Partitions
		maxParts = max(maxParts, tp.Partitions)
		for _, in := range tp.Inputs {
			keyed = keyed || in.Shares != nil
		}
	}
	with := func(w int, parts []int) bool {
		h := Group{Workers: w, Capacity: shape.Scaled(per * float64(w))}
		for i, tp := range g.Topics {
			tp.Partitions = parts[i]
			h.Topics = append(h.Topics, tp)
		}
		if w == g.Workers && slices.Equal(parts, current) {
			h.Assignment = g.Assignment
		}
		return t.meets(h)
	}
	even := func(w int) []int {
		out := make([]int, len(current))
		for i, p := range current {
			out[i] = w * ((p + w - 1) / w)
		}
		return out
	}
	// The group with every event on one worker is the aggregate model: no
	// split of the events over workers needs less capacity, and an even
	// split needs exactly as much.
	need, ok := leastCapacity(func(c float64) bool {
		a := Group{Workers: 1, Capacity: shape.Scaled(c)}
		for _, tp := range g.Topics {
			ins := make([]Input, len(tp.Inputs))
			for i, in := range tp.Inputs {
				ins[i] = Input{Rate: in.Rate}
			}
			a.Topics = append(a.Topics, Topic{Partitions: 1, Inputs: ins})
		}
		return t.meets(a)
	}, max(nom, 1), t.DrainWithin > 0, capLimit)
	if !ok {
		return 0, nil, 0, "no capacity meets the target"
	}
	// A group beyond maxWorkers members is no plan (and its per-worker
	// model would not fit in memory): say so instead.
	const maxWorkers = 100_000
	if w := need / per; math.IsNaN(w) || w > maxWorkers {
		return 0, nil, 0, fmt.Sprintf("more than %d workers at %s/s each would be needed (%s/s in all)", maxWorkers,
			strconv.FormatFloat(per, 'g', 4, 64), Figure(need, 1))
	}
	start := max(1, int(math.Ceil(need/per-1e-9)))
	limit := start + 64
	if keyed {
		limit = start + 256
	}
	for w := start; w <= limit; w++ {
		if w <= maxParts && with(w, current) {
			workers, parts = w, current
			break
		}
		if p := even(w); with(w, p) {
			workers, parts = w, p
			break
		}
	}
	if workers == 0 {
		reason = fmt.Sprintf("no number of workers at %s/s each up to %d meets the target: one partition alone (a hot key) needs more than a worker", strconv.FormatFloat(per, 'g', -1, 64), limit)
		return 0, nil, 0, reason
	}
	for w := workers; w <= maxParts; w++ {
		if with(w, current) {
			atCurrent = w
			break
		}
	}
	return workers, parts, atCurrent, ""
}

// infeasibleReason says why no capacity meets the target: a stretch of
// capacity 0 (an outage) that no scaling changes.
func infeasibleReason(g Group, shape rate.Schedule, t Target, limit float64) string {
	var ins []rate.Schedule
	for _, tp := range g.Topics {
		for _, in := range tp.Inputs {
			ins = append(ins, in.Rate)
		}
	}
	arrived := func(x float64) float64 {
		var a float64
		for _, in := range ins {
			a += in.Count(x)
		}
		return a
	}
	segs := shape.Segments()
	start := 0.0
	for _, sg := range segs {
		a, b := start, start+sg.Dur
		start = b
		if sg.From != 0 || sg.To != 0 {
			continue
		}
		n := arrived(b) - arrived(a)
		if n <= 0 {
			continue
		}
		span := "from " + Clock(a) + " to " + Clock(b)
		if math.IsInf(b, 1) {
			span = "from " + Clock(a) + " on"
		}
		switch {
		case t.MaxBacklog > 0 && n > t.MaxBacklog:
			return fmt.Sprintf("the capacity is 0 %s: the %s events that arrive meanwhile exceed %s whatever the capacity", span, Figure(n, 0), t)
		case t.MaxTimeLag > 0:
			// The first arrival in the stretch.
			first := bisect(a, min(b, a+1e9), func(x float64) bool { return arrived(x) > arrived(a) })
			if math.IsInf(b, 1) || b-first >= t.MaxTimeLag {
				return fmt.Sprintf("the capacity is 0 %s: an event arriving at %s waits for it whatever the capacity, beyond %s", span, Clock(first), t)
			}
		case (t.MaxBacklog > 0 || t.DrainWithin > 0) && math.IsInf(b, 1):
			return fmt.Sprintf("the capacity is 0 %s and events arrive then: the backlog never drains", span)
		}
	}
	return fmt.Sprintf("no capacity up to %.3g events/s meets %s", limit, t)
}

// Clock formats scenario seconds for a table or a message, readable at
// any size: m:ss.s below an hour ("12:30.0", rounded to the tenth first,
// so 59.97 s is "1:00.0", never "0:60.0"), Go's duration form to the
// second below 100,000 hours ("2083h20m0s"), and seconds in scientific
// notation beyond ("2.40e+15 s"), where minutes or hours would run to a
// dozen digits. +Inf is "never"; NaN and -Inf, which no prediction gives,
// are "—".
func Clock(s float64) string {
	switch {
	case math.IsNaN(s) || math.IsInf(s, -1):
		return "—"
	case math.IsInf(s, 1):
		return "never"
	case math.Round(s*10) == 0:
		return "0:00.0" // also a rounding error below 0
	case s < 0:
		return "-" + Clock(-s)
	}
	if tenths := math.Round(s * 10); tenths < 36000 {
		n := int(tenths)
		return fmt.Sprintf("%d:%02d.%d", n/600, n%600/10, n%10)
	}
	if s < 1e5*3600 {
		return (time.Duration(math.Round(s)) * time.Second).String()
	}
	return strconv.FormatFloat(s, 'e', 2, 64) + " s"
}

// Figure formats a count or a rate with prec decimals, as %.*f does up
// to 1e15, where float64 still holds every unit; beyond, in scientific
// notation with four significant digits ("6.000e+17"), not as the
// hundreds of digits %f would print. +Inf is "∞" and NaN "—".
func Figure(x float64, prec int) string {
	switch {
	case math.IsNaN(x):
		return "—"
	case math.IsInf(x, 0):
		if x < 0 {
			return "-∞"
		}
		return "∞"
	case math.Abs(x) < 1e15:
		return strconv.FormatFloat(x, 'f', prec, 64)
	}
	return strconv.FormatFloat(x, 'e', 3, 64)
}

// seconds formats a duration in seconds as Go does ("90s", "2m0s").
func seconds(s float64) string {
	return strconv.FormatFloat(s, 'f', -1, 64) + "s"
}
