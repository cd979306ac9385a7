// The workers a group needs: PlanWorkers.

package watch

import (
	"math"
)

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
	units := []unit{groupUnit(e)}
	if f.Model == "workers" {
		units = workerUnits(e)
	}
	qs := queues(e, units, opt.Plan, max(0, e.Now-opt.PlanStart), base)
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

// minNaN and maxNaN are min and max where NaN (no backlog) counts as 0.
func minNaN(a, b float64) float64 {
	if math.IsNaN(a) && math.IsNaN(b) {
		return math.NaN()
	}
	if math.IsNaN(a) || math.IsNaN(b) {
		return min(zeroNaN(a), zeroNaN(b))
	}
	return min(a, b)
}

func maxNaN(a, b float64) float64 {
	if math.IsNaN(a) && math.IsNaN(b) {
		return math.NaN()
	}
	return max(zeroNaN(a), zeroNaN(b))
}

func zeroNaN(x float64) float64 {
	if math.IsNaN(x) {
		return 0
	}
	return x
}
