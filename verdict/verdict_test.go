package verdict

import (
	"math"
	"reflect"
	"testing"

	"github.com/backlogbench/backlogbench/results"
	"github.com/backlogbench/backlogbench/scenario"
)

func TestLatencyVerdicts(t *testing.T) {
	stoch := results.Predicted{LatencyMs: &results.PredictedLatency{P50: 100, P99: 1000, Method: "GI/M/1"}}
	fluid := results.Predicted{LatencyMs: &results.PredictedLatency{P50: 100, P99: 1000, Method: "fluid"}}
	obs := results.Observed{LatencyMs: results.LatencyMs{P50: 108, P99: 1150}}
	if got, want := Latency(stoch, obs, 0.02), map[string]string{"latency_p50": Pass, "latency_p99": Fail}; !reflect.DeepEqual(got, want) {
		t.Errorf("stochastic: %v, want %v", got, want)
	}
	if got := Latency(fluid, obs, 0.02); got != nil {
		t.Errorf("fluid: %v, want no verdicts", got)
	}
}

func TestTimeLagVerdict(t *testing.T) {
	f := func(x float64) *float64 { return &x }
	// The flash sale's analytics: 233.1 to 274.4 s over the phases, a
	// peak of 18,000 events against a floor of 120.
	p := results.Predicted{Figures: results.Figures{PeakBacklog: 18000}, MaxTimeLagS: f(253.75), MaxTimeLagLowS: f(233.1), MaxTimeLagHighS: f(274.4)}
	for _, c := range []struct {
		name     string
		observed float64
		tol      float64
		want     map[string]string
	}{
		{"in the range", 245, 0.02, map[string]string{"max_time_lag_s": Pass}},
		{"above it, within 10%", 301.8, 0.02, map[string]string{"max_time_lag_s": Pass}},
		{"above it, past 10%", 301.9, 0.02, map[string]string{"max_time_lag_s": Fail}},
		{"below it, within 10%", 209.8, 0.02, map[string]string{"max_time_lag_s": Pass}},
		{"below it, past 10%", 209.7, 0.02, map[string]string{"max_time_lag_s": Fail}},
		{"the FIFO's 150 s", 150, 0.02, map[string]string{"max_time_lag_s": Fail}},
		{"a wider scenario tolerance", 315, 0.15, map[string]string{"max_time_lag_s": Pass}},
	} {
		if got := TimeLag(p, results.Observed{MaxTimeLagS: c.observed}, c.tol, 120); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s (%v s): %v, want %v", c.name, c.observed, got, c.want)
		}
	}
	// A group that keeps up is not judged, nor a run from before the
	// served model (no range).
	keeps := p
	keeps.PeakBacklog = 50
	if got := TimeLag(keeps, results.Observed{MaxTimeLagS: 3}, 0.02, 120); got != nil {
		t.Errorf("keeping up: %v, want no verdict", got)
	}
	old := results.Predicted{Figures: results.Figures{PeakBacklog: 18000}, MaxTimeLagS: f(150)}
	if got := TimeLag(old, results.Observed{MaxTimeLagS: 268}, 0.02, 120); got != nil {
		t.Errorf("no range: %v, want no verdict", got)
	}
}

func TestWithin(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	for _, c := range []struct {
		name                            string
		predicted, observed, tol, floor float64
		want                            bool
	}{
		{"equal", 100, 100, 0.02, 0, true},
		{"at the tolerance edge, above", 100, 102, 0.02, 0, true},
		{"just past the edge, above", 100, 102.000001, 0.02, 0, false},
		{"at the tolerance edge, below", 100, 98, 0.02, 0, true},
		{"just past the edge, below", 100, 97.999999, 0.02, 0, false},
		{"negative predicted, at the edge", -100, -102, 0.02, 0, true},
		{"negative predicted, just past the edge", -100, -102.000001, 0.02, 0, false},
		{"negative predicted, at the edge towards 0", -100, -98, 0.02, 0, true},
		{"negative predicted, just past it towards 0", -100, -97.999999, 0.02, 0, false},
		{"zero tolerance: exact only", 100, 100.000001, 0, 0, false},
		{"rounding slack of 1e-9", 0.3, 0.1 + 0.2, 0, 0, true},
		{"predicted 0, observed at the floor", 0, 5, 0.02, 5, true},
		{"predicted 0, observed just above the floor", 0, 5.000001, 0.02, 5, false},
		{"predicted 0, observed at minus the floor", 0, -5, 0.02, 5, true},
		{"predicted 0, observed just below minus the floor", 0, -5.000001, 0.02, 5, false},
		{"predicted 0 without floor, observed 0", 0, 0, 0.02, 0, true},
		{"predicted 0 without floor, observed 1e-6", 0, 1e-6, 0.02, 0, false},
		{"floor larger than tolerance", 10, 14, 0.02, 5, true},
		{"floor larger than tolerance, past it", 10, 15.000001, 0.02, 5, false},
		{"tolerance larger than floor", 1000, 1019, 0.02, 5, true},
		{"tolerance larger than floor, past it", 1000, 1020.000001, 0.02, 5, false},
		{"observed NaN", 100, nan, 0.02, 5, false},
		{"observed +Inf", 100, inf, 0.02, 5, false},
		{"observed -Inf", 100, -inf, 0.02, 5, false},
		{"predicted NaN", nan, 100, 0.02, 5, false},
		{"predicted +Inf, observed finite", inf, 100, 0.02, 5, false},
		{"predicted -Inf, observed finite", -inf, 100, 0.02, 5, false},
		{"predicted +Inf, observed +Inf", inf, inf, 0.02, 5, false},
		{"NaN floor", 100, 100, 0.02, nan, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Within(c.predicted, c.observed, c.tol, c.floor); got != c.want {
				t.Errorf("Within(%v, %v, %v, %v) = %v, want %v", c.predicted, c.observed, c.tol, c.floor, got, c.want)
			}
		})
	}
}

func TestVerdicts(t *testing.T) {
	const tol, floor = 0.02, 10
	// pred is a group that falls behind: a peak well above the floor.
	pred := results.Figures{Events: 10000, PeakBacklog: 1000, PeakAtS: 100, GrowthRate: 10, DrainedAtS: ptr(200)}
	with := func(f func(*results.Figures)) results.Figures {
		o := pred
		f(&o)
		return o
	}
	all := func(fail ...string) map[string]string {
		v := map[string]string{"events": Pass, "peak_backlog": Pass, "peak_at_s": Pass, "growth_rate": Pass, "drained_at_s": Pass}
		for _, k := range fail {
			v[k] = Fail
		}
		return v
	}
	keepsUp := results.Figures{Events: 10000, PeakBacklog: 5, PeakAtS: 3, GrowthRate: 5, DrainedAtS: ptr(4)}
	for _, c := range []struct {
		name      string
		pred, obs results.Figures
		want      map[string]string
	}{
		{"as predicted", pred, pred, all()},
		{"every figure at its tolerance edge", pred, results.Figures{Events: 10200, PeakBacklog: 980, PeakAtS: 102, GrowthRate: 9.8, DrainedAtS: ptr(204)}, all()},
		{"every figure just past its edge", pred, results.Figures{Events: 10200.001, PeakBacklog: 979.999, PeakAtS: 102.001, GrowthRate: 9.799, DrainedAtS: ptr(204.001)},
			all("events", "peak_backlog", "peak_at_s", "growth_rate", "drained_at_s")},
		{"events have no floor", results.Figures{Events: 10}, results.Figures{Events: 11}, map[string]string{"events": Fail, "peak_backlog": Pass}},
		{"times have a floor of 1 s", with(func(f *results.Figures) { f.PeakAtS, f.DrainedAtS = 10, ptr(20) }),
			with(func(f *results.Figures) { f.PeakAtS, f.DrainedAtS = 11, ptr(19) }), all()},
		{"times just past the 1 s floor", with(func(f *results.Figures) { f.PeakAtS, f.DrainedAtS = 10, ptr(20) }),
			with(func(f *results.Figures) { f.PeakAtS, f.DrainedAtS = 11.001, ptr(18.999) }), all("peak_at_s", "drained_at_s")},
		{"growth has no floor", with(func(f *results.Figures) { f.GrowthRate = 0.1 }), with(func(f *results.Figures) { f.GrowthRate = 0.2 }), all("growth_rate")},
		{"predicted never to drain, never drained", with(func(f *results.Figures) { f.DrainedAtS = nil }), with(func(f *results.Figures) { f.DrainedAtS = nil }), all()},
		{"predicted never to drain, drained", with(func(f *results.Figures) { f.DrainedAtS = nil }), pred, all("drained_at_s")},
		{"predicted to drain, never drained", pred, with(func(f *results.Figures) { f.DrainedAtS = nil }), all("drained_at_s")},
		{"observed NaN and Inf fail", pred, with(func(f *results.Figures) {
			f.Events, f.PeakBacklog, f.PeakAtS, f.GrowthRate, f.DrainedAtS = math.NaN(), math.Inf(1), math.NaN(), math.Inf(-1), ptr(math.NaN())
		}), all("events", "peak_backlog", "peak_at_s", "growth_rate", "drained_at_s")},
		{"predicted to keep up: only events and peak", keepsUp, results.Figures{Events: 10000, PeakBacklog: 15, PeakAtS: 90, GrowthRate: 0, DrainedAtS: nil},
			map[string]string{"events": Pass, "peak_backlog": Pass}},
		{"predicted peak exactly at the floor: only events and peak", with(func(f *results.Figures) { f.PeakBacklog = floor }), pred,
			map[string]string{"events": Pass, "peak_backlog": Fail}},
		{"predicted peak 0, observed at the floor", results.Figures{Events: 100, DrainedAtS: ptr(0)}, results.Figures{Events: 100, PeakBacklog: floor},
			map[string]string{"events": Pass, "peak_backlog": Pass}},
		{"predicted peak 0, observed above the floor", results.Figures{Events: 100, DrainedAtS: ptr(0)}, results.Figures{Events: 100, PeakBacklog: floor + 1},
			map[string]string{"events": Pass, "peak_backlog": Fail}},
		{"predicted keeps up, observed NaN peak", keepsUp, results.Figures{Events: 10000, PeakBacklog: math.NaN()},
			map[string]string{"events": Pass, "peak_backlog": Fail}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Verdicts(c.pred, c.obs, tol, floor); !reflect.DeepEqual(got, c.want) {
				t.Errorf("Verdicts = %v\nwant       %v", got, c.want)
			}
		})
	}
}

func TestExpectVerdicts(t *testing.T) {
	const tol, floor = 0.02, 10
	obs := results.Figures{Events: 10000, PeakBacklog: 1000, PeakAtS: 100, GrowthRate: 10, DrainedAtS: ptr(200)}
	for _, c := range []struct {
		name string
		exp  results.ExpectFigures
		obs  results.Figures
		want map[string]string
	}{
		{"nothing expected: nothing checked", results.ExpectFigures{}, obs, map[string]string{}},
		{"every figure as expected", results.ExpectFigures{Events: ptr(10000), PeakBacklog: ptr(1000), PeakAtS: ptr(100), GrowthRate: ptr(10), DrainedAtS: ptr(200)}, obs,
			map[string]string{"expect.events": Pass, "expect.peak_backlog": Pass, "expect.peak_at_s": Pass, "expect.growth_rate": Pass, "expect.drained_at_s": Pass}},
		{"every figure at its tolerance edge", results.ExpectFigures{Events: ptr(10000 / 1.02), PeakBacklog: ptr(1000 / 0.98), PeakAtS: ptr(100 / 1.02), GrowthRate: ptr(10 / 1.02), DrainedAtS: ptr(200 / 0.98)}, obs,
			map[string]string{"expect.events": Pass, "expect.peak_backlog": Pass, "expect.peak_at_s": Pass, "expect.growth_rate": Pass, "expect.drained_at_s": Pass}},
		{"every figure just past its tolerance edge", results.ExpectFigures{Events: ptr(9999.999 / 1.02), PeakBacklog: ptr(1000.001 / 0.98), PeakAtS: ptr(99.999 / 1.02), GrowthRate: ptr(9.999 / 1.02), DrainedAtS: ptr(200.001 / 0.98)}, obs,
			map[string]string{"expect.events": Fail, "expect.peak_backlog": Fail, "expect.peak_at_s": Fail, "expect.growth_rate": Fail, "expect.drained_at_s": Fail}},
		{"every figure off", results.ExpectFigures{Events: ptr(9000), PeakBacklog: ptr(500), PeakAtS: ptr(50), GrowthRate: ptr(20), DrainedAtS: ptr(300)}, obs,
			map[string]string{"expect.events": Fail, "expect.peak_backlog": Fail, "expect.peak_at_s": Fail, "expect.growth_rate": Fail, "expect.drained_at_s": Fail}},
		{"peak 0 expected, observed at the floor", results.ExpectFigures{PeakBacklog: ptr(0)}, results.Figures{PeakBacklog: floor},
			map[string]string{"expect.peak_backlog": Pass}},
		{"peak 0 expected, observed above the floor", results.ExpectFigures{PeakBacklog: ptr(0)}, results.Figures{PeakBacklog: floor + 1},
			map[string]string{"expect.peak_backlog": Fail}},
		{"peak time within its 1 s floor", results.ExpectFigures{PeakAtS: ptr(10)}, results.Figures{PeakAtS: 11}, map[string]string{"expect.peak_at_s": Pass}},
		{"peak time past its 1 s floor", results.ExpectFigures{PeakAtS: ptr(10)}, results.Figures{PeakAtS: 11.001}, map[string]string{"expect.peak_at_s": Fail}},
		{"drain within its 1 s floor", results.ExpectFigures{DrainedAtS: ptr(10)}, results.Figures{DrainedAtS: ptr(9)}, map[string]string{"expect.drained_at_s": Pass}},
		{"drain expected, never drained", results.ExpectFigures{DrainedAtS: ptr(200)}, results.Figures{}, map[string]string{"expect.drained_at_s": Fail}},
		{"events and growth have no floor", results.ExpectFigures{Events: ptr(0), GrowthRate: ptr(0)}, results.Figures{Events: 1, GrowthRate: 0.001},
			map[string]string{"expect.events": Fail, "expect.growth_rate": Fail}},
		{"observed NaN fails", results.ExpectFigures{Events: ptr(0), PeakBacklog: ptr(0), GrowthRate: ptr(0), DrainedAtS: ptr(0)},
			results.Figures{Events: math.NaN(), PeakBacklog: math.NaN(), GrowthRate: math.Inf(1), DrainedAtS: ptr(math.NaN())},
			map[string]string{"expect.events": Fail, "expect.peak_backlog": Fail, "expect.growth_rate": Fail, "expect.drained_at_s": Fail}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := ExpectVerdicts(c.exp, c.obs, tol, floor); !reflect.DeepEqual(got, c.want) {
				t.Errorf("ExpectVerdicts = %v\nwant             %v", got, c.want)
			}
		})
	}
}

func TestDelivery(t *testing.T) {
	n := func(v int64) *int64 { return &v }
	alo := scenario.Group{Delivery: scenario.AtLeastOnce}
	dedup := scenario.Group{Delivery: scenario.AtLeastOnce, Dedup: true}
	eos := scenario.Group{Delivery: scenario.ExactlyOnce}
	exact := func(d int64) results.Predicted { return results.Predicted{Duplicates: n(d)} }
	bound := func(d int64) results.Predicted { return results.Predicted{DuplicatesMax: n(d)} }
	// obs: delivered duplicates, suppressed, applied twice; effects as the
	// audit counts them.
	obs := func(delivered, suppressed, twice int64) results.Observed {
		return results.Observed{Unique: 1000, Delivered: 1000 + delivered, DuplicatesDelivered: delivered, DuplicatesSuppressed: suppressed, AppliedTwice: twice,
			Effects: results.Effects{Applied: 1000 + twice, Points: 5000 + 5*twice, PointsExpected: 5000}}
	}
	for _, c := range []struct {
		name string
		g    scenario.Group
		p    results.Predicted
		o    results.Observed
		want map[string]string
	}{
		{"no duplicates predicted either way: nothing checked", alo, results.Predicted{}, obs(3, 0, 3), map[string]string{}},

		{"at-least-once, exact, as predicted", alo, exact(3), obs(3, 0, 3), map[string]string{"duplicates_delivered": Pass, "applied_twice": Pass}},
		{"at-least-once, exact, one more delivered and applied", alo, exact(3), obs(4, 0, 4), map[string]string{"duplicates_delivered": Fail, "applied_twice": Fail}},
		{"at-least-once, exact, one fewer delivered and applied", alo, exact(3), obs(2, 0, 2), map[string]string{"duplicates_delivered": Fail, "applied_twice": Fail}},
		{"at-least-once, bound, at it", alo, bound(3), obs(3, 0, 3), map[string]string{"duplicates_delivered": Pass, "applied_twice": Pass}},
		{"at-least-once, bound, under it", alo, bound(3), obs(0, 0, 0), map[string]string{"duplicates_delivered": Pass, "applied_twice": Pass}},
		{"at-least-once, bound, past it", alo, bound(3), obs(4, 0, 4), map[string]string{"duplicates_delivered": Fail, "applied_twice": Fail}},

		{"dedup, exact, every duplicate suppressed", dedup, exact(3), obs(3, 3, 0), map[string]string{"duplicates_delivered": Pass, "duplicates_suppressed": Pass, "applied_twice": Pass}},
		{"dedup, exact, one not suppressed and applied", dedup, exact(3), obs(3, 2, 1), map[string]string{"duplicates_delivered": Pass, "duplicates_suppressed": Fail, "applied_twice": Fail}},
		{"dedup, exact, suppressed as predicted but more delivered", dedup, exact(3), obs(4, 3, 0), map[string]string{"duplicates_delivered": Fail, "duplicates_suppressed": Fail, "applied_twice": Pass}},
		{"dedup, exact, points above expected", dedup, exact(3), func() results.Observed { o := obs(3, 3, 0); o.Effects.Points++; return o }(),
			map[string]string{"duplicates_delivered": Pass, "duplicates_suppressed": Pass, "applied_twice": Fail}},
		{"dedup, bound, under it and all suppressed", dedup, bound(3), obs(2, 2, 0), map[string]string{"duplicates_delivered": Pass, "duplicates_suppressed": Pass, "applied_twice": Pass}},
		{"dedup, bound, past it", dedup, bound(3), obs(4, 4, 0), map[string]string{"duplicates_delivered": Fail, "duplicates_suppressed": Fail, "applied_twice": Pass}},
		{"dedup, bound, one not suppressed", dedup, bound(3), obs(2, 1, 1), map[string]string{"duplicates_delivered": Pass, "duplicates_suppressed": Fail, "applied_twice": Fail}},
		{"dedup, no duplicates predicted: applied_twice only", dedup, results.Predicted{}, obs(0, 0, 0), map[string]string{"applied_twice": Pass}},

		{"exactly-once, only upstream duplicates applied", eos, results.Predicted{Duplicates: n(2), DuplicatesUpstream: 2}, obs(2, 0, 2),
			map[string]string{"duplicates_delivered": Pass, "applied_twice": Pass}},
		{"exactly-once, a redelivery applied twice", eos, results.Predicted{DuplicatesMax: n(10), DuplicatesUpstream: 2}, obs(5, 0, 3),
			map[string]string{"duplicates_delivered": Pass, "applied_twice": Fail}},
		{"exactly-once, effects do not add up", eos, results.Predicted{Duplicates: n(2), DuplicatesUpstream: 2}, func() results.Observed { o := obs(2, 0, 2); o.Effects.Applied--; return o }(),
			map[string]string{"duplicates_delivered": Pass, "applied_twice": Fail}},
		{"exactly-once with a dedup store: judged as exactly-once", scenario.Group{Delivery: scenario.ExactlyOnce, Dedup: true}, results.Predicted{Duplicates: n(0)}, obs(0, 0, 0),
			map[string]string{"duplicates_delivered": Pass, "applied_twice": Pass}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Delivery(c.g, c.p, c.o); !reflect.DeepEqual(got, c.want) {
				t.Errorf("Delivery = %v\nwant       %v", got, c.want)
			}
		})
	}
}
