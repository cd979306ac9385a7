// Package verdict judges a run: it derives each group's observed figures
// from the samples (peak, its time, the fitted growth, the drain) and
// compares them with the predicted ones, the user's expectations and the
// delivery audit's exact or bounded counts, giving one pass or fail per
// figure.
package verdict

import (
	"math"

	"github.com/backlogbench/backlogbench/results"
	"github.com/backlogbench/backlogbench/scenario"
)

// Verdict outcomes.
const (
	Pass = results.Pass
	Fail = results.Fail
)

// Within reports whether observed is within tol·|predicted| of predicted,
// or within floor when that is larger. A NaN or infinite figure, predicted
// or observed, is never within: tol·∞ would let any observed value pass.
func Within(predicted, observed, tol, floor float64) bool {
	if math.IsInf(predicted, 0) {
		return false // observed NaN or ±Inf already fails the comparison below
	}
	allowed := math.Max(tol*math.Abs(predicted), floor)
	return math.Abs(observed-predicted) <= allowed+1e-9
}

// Of returns Pass when ok, else Fail.
func Of(ok bool) string {
	if ok {
		return Pass
	}
	return Fail
}

// Verdicts compares a group's observed figures with predicted ones (the
// model's, or the user's own expectations) at relative tolerance tol:
//
//   - events: within tol;
//   - peak_backlog: within tol, with a floor of one scenario-second of the
//     group's capacity (floor), since a backlog that small is just events in
//     flight;
//   - peak_at_s, growth_rate, drained_at_s: within tol (times with a floor
//     of one second, the sampling tick), checked only when the predicted
//     peak is above the floor: a group predicted to keep up has no peak
//     time, growth or drain to speak of.
//
// A nil predicted drain (never drains) passes only when the observed
// backlog did not drain either.
func Verdicts(pred, obs results.Figures, tol, floor float64) map[string]string {
	v := map[string]string{
		"events":       Of(Within(pred.Events, obs.Events, tol, 0)),
		"peak_backlog": Of(Within(pred.PeakBacklog, obs.PeakBacklog, tol, floor)),
	}
	if pred.PeakBacklog <= floor {
		return v
	}
	v["peak_at_s"] = Of(Within(pred.PeakAtS, obs.PeakAtS, tol, 1))
	v["growth_rate"] = Of(Within(pred.GrowthRate, obs.GrowthRate, tol, 0))
	switch {
	case pred.DrainedAtS == nil:
		v["drained_at_s"] = Of(obs.DrainedAtS == nil)
	case obs.DrainedAtS == nil:
		v["drained_at_s"] = Fail
	default:
		v["drained_at_s"] = Of(Within(*pred.DrainedAtS, *obs.DrainedAtS, tol, 1))
	}
	return v
}

// ExpectVerdicts checks the user's expectations (nil fields unchecked)
// against the observed figures, the same way as the predictions; keys are
// prefixed "expect.".
func ExpectVerdicts(exp results.ExpectFigures, obs results.Figures, tol, floor float64) map[string]string {
	v := map[string]string{}
	check := func(key string, want *float64, got float64, fl float64) {
		if want != nil {
			v["expect."+key] = Of(Within(*want, got, tol, fl))
		}
	}
	check("events", exp.Events, obs.Events, 0)
	check("peak_backlog", exp.PeakBacklog, obs.PeakBacklog, floor)
	check("peak_at_s", exp.PeakAtS, obs.PeakAtS, 1)
	check("growth_rate", exp.GrowthRate, obs.GrowthRate, 0)
	if exp.DrainedAtS != nil {
		v["expect.drained_at_s"] = Of(obs.DrainedAtS != nil && Within(*exp.DrainedAtS, *obs.DrainedAtS, tol, 1))
	}
	return v
}

// LatencyTolerance is the relative tolerance of the latency verdicts (or
// the scenario's, when larger): percentiles of a random service time
// measured over tens of thousands of events still vary by a few percent
// from run to run.
const LatencyTolerance = 0.10

// Latency checks the observed latency percentiles against a
// stochastic prediction, at the larger of LatencyTolerance and tol.
func Latency(p results.Predicted, o results.Observed, tol float64) map[string]string {
	if !p.LatencyMs.Stochastic() {
		return nil
	}
	tol = max(tol, LatencyTolerance)
	return map[string]string{
		"latency_p50": Of(Within(p.LatencyMs.P50, o.LatencyMs.P50, tol, 0)),
		"latency_p99": Of(Within(p.LatencyMs.P99, o.LatencyMs.P99, tol, 0)),
	}
}

// TimeLagTolerance is the relative tolerance of the time-lag verdict (or
// the scenario's, when larger), around the prediction's range over the
// fetch cycle's phases: a run's own phase is set by the noise of its
// first fetches, and a stall of a few wall milliseconds moves its peak.
const TimeLagTolerance = 0.10

// TimeLag checks the largest observed time lag against the prediction's
// range over the fetch cycle's phases, MaxTimeLagLowS to MaxTimeLagHighS,
// widened by the larger of TimeLagTolerance and tol on either side. Only a
// group predicted to build a backlog beyond the floor is judged: one that
// keeps up has a time lag of a fetch's round trip, which is the harness's
// and the broker's, not the model's.
func TimeLag(p results.Predicted, o results.Observed, tol, floor float64) map[string]string {
	if p.MaxTimeLagLowS == nil || p.MaxTimeLagHighS == nil || p.PeakBacklog <= floor {
		return nil
	}
	tol = max(tol, TimeLagTolerance)
	lo, hi := *p.MaxTimeLagLowS*(1-tol), *p.MaxTimeLagHighS*(1+tol)
	return map[string]string{"max_time_lag_s": Of(o.MaxTimeLagS >= lo-1e-9 && o.MaxTimeLagS <= hi+1e-9)}
}

// Delivery checks the audit: duplicates delivered equal the
// prediction (or stay within its bound); a group with dedup suppresses
// every one of them and applies none twice; one without applies each
// again. Effects must add up: points applied = expected points plus the
// points of what was applied twice (checked through applied_twice = 0 when
// dedup is on).
func Delivery(g scenario.Group, p results.Predicted, o results.Observed) map[string]string {
	v := map[string]string{}
	switch {
	case p.Duplicates != nil:
		v["duplicates_delivered"] = Of(o.DuplicatesDelivered == *p.Duplicates)
	case p.DuplicatesMax != nil:
		v["duplicates_delivered"] = Of(o.DuplicatesDelivered <= *p.DuplicatesMax)
	}
	switch {
	case g.Delivery == scenario.ExactlyOnce:
		// Every record's effect committed once, whatever crashes and
		// rebalances redelivered: the only effects applied twice are the
		// upstream duplicates (other records with the same event id).
		v["applied_twice"] = Of(o.AppliedTwice == p.DuplicatesUpstream && o.Effects.Applied == o.Unique+p.DuplicatesUpstream)
	case g.Dedup:
		// The dedup store (its own record of applied ids, apart from the
		// audit) suppresses every duplicate the causes made.
		switch {
		case p.Duplicates != nil:
			v["duplicates_suppressed"] = Of(o.DuplicatesSuppressed == *p.Duplicates && o.DuplicatesSuppressed == o.DuplicatesDelivered)
		case p.DuplicatesMax != nil:
			v["duplicates_suppressed"] = Of(o.DuplicatesSuppressed <= *p.DuplicatesMax && o.DuplicatesSuppressed == o.DuplicatesDelivered)
		}
		v["applied_twice"] = Of(o.AppliedTwice == 0 && o.Effects.Points == o.Effects.PointsExpected)
	default:
		// Every duplicate is applied again: as many as the causes made.
		switch {
		case p.Duplicates != nil:
			v["applied_twice"] = Of(o.AppliedTwice == *p.Duplicates)
		case p.DuplicatesMax != nil:
			v["applied_twice"] = Of(o.AppliedTwice <= *p.DuplicatesMax)
		}
	}
	return v
}
