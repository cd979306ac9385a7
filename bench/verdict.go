package bench

import "math"

// Verdict outcomes.
const (
	Pass = "pass"
	Fail = "fail"
)

// within reports whether observed is within tol·|predicted| of predicted,
// or within floor when that is larger.
func within(predicted, observed, tol, floor float64) bool {
	allowed := math.Max(tol*math.Abs(predicted), floor)
	return math.Abs(observed-predicted) <= allowed+1e-9
}

func verdict(ok bool) string {
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
func Verdicts(pred, obs Figures, tol, floor float64) map[string]string {
	v := map[string]string{
		"events":       verdict(within(pred.Events, obs.Events, tol, 0)),
		"peak_backlog": verdict(within(pred.PeakBacklog, obs.PeakBacklog, tol, floor)),
	}
	if pred.PeakBacklog <= floor {
		return v
	}
	v["peak_at_s"] = verdict(within(pred.PeakAtS, obs.PeakAtS, tol, 1))
	v["growth_rate"] = verdict(within(pred.GrowthRate, obs.GrowthRate, tol, 0))
	switch {
	case pred.DrainedAtS == nil:
		v["drained_at_s"] = verdict(obs.DrainedAtS == nil)
	case obs.DrainedAtS == nil:
		v["drained_at_s"] = Fail
	default:
		v["drained_at_s"] = verdict(within(*pred.DrainedAtS, *obs.DrainedAtS, tol, 1))
	}
	return v
}

// ExpectVerdicts checks the user's expectations (nil fields unchecked)
// against the observed figures, the same way as the predictions; keys are
// prefixed "expect.".
func ExpectVerdicts(exp ExpectFigures, obs Figures, tol, floor float64) map[string]string {
	v := map[string]string{}
	check := func(key string, want *float64, got float64, fl float64) {
		if want != nil {
			v["expect."+key] = verdict(within(*want, got, tol, fl))
		}
	}
	check("events", exp.Events, obs.Events, 0)
	check("peak_backlog", exp.PeakBacklog, obs.PeakBacklog, floor)
	check("peak_at_s", exp.PeakAtS, obs.PeakAtS, 1)
	check("growth_rate", exp.GrowthRate, obs.GrowthRate, 0)
	if exp.DrainedAtS != nil {
		v["expect.drained_at_s"] = verdict(obs.DrainedAtS != nil && within(*exp.DrainedAtS, *obs.DrainedAtS, tol, 1))
	}
	return v
}

// ExpectFigures are a user's expected figures; nil is unchecked.
type ExpectFigures struct {
	Events      *float64 `json:"events,omitempty"`
	PeakBacklog *float64 `json:"peak_backlog,omitempty"`
	PeakAtS     *float64 `json:"peak_at_s,omitempty"`
	GrowthRate  *float64 `json:"growth_rate,omitempty"`
	DrainedAtS  *float64 `json:"drained_at_s,omitempty"`
}
