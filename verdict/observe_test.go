package verdict

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/backlogbench/backlogbench/model"
	"github.com/backlogbench/backlogbench/predict"
	"github.com/backlogbench/backlogbench/results"
)

// ticks returns one single-group sample per backlog, dt seconds apart from
// t=0; sample i has processed 100·i events.
func ticks(dt float64, backlogs ...int64) []results.Sample {
	out := make([]results.Sample, len(backlogs))
	for i, b := range backlogs {
		out[i] = results.Sample{T: float64(i) * dt, Groups: []results.GroupSample{{Backlog: b, Processed: 100 * int64(i)}}}
	}
	return out
}

// line returns single-group samples b(t) at t = from, from+dt, … ≤ to.
func line(from, to, dt float64, b func(t float64) int64) []results.Sample {
	var out []results.Sample
	for i := 0; ; i++ {
		t := from + float64(i)*dt
		if t > to+1e-9 {
			return out
		}
		out = append(out, results.Sample{T: t, Groups: []results.GroupSample{{Backlog: b(t)}}})
	}
}

func ptr(v float64) *float64 { return &v }

func showDrain(d *float64) string {
	if d == nil {
		return "nil (never drained)"
	}
	return fmt.Sprint(*d)
}

// noGrowth is a prediction without a growth phase: Observe fits nothing.
var noGrowth predict.GroupPrediction

func TestObservePeakAndDrain(t *testing.T) {
	for _, c := range []struct {
		name    string
		samples []results.Sample
		peak    float64
		peakAt  float64
		drained *float64
		events  float64
	}{
		{name: "no samples: zero figures, drained_at nil (read as never drained)", samples: nil},
		{name: "one zero sample: drained at 0", samples: ticks(1, 0), drained: ptr(0)},
		{name: "one busy sample: its peak, never drained", samples: ticks(1, 7), peak: 7},
		{name: "flat zero: peak 0 at t=0, drained at t=0 (not at the first sample)",
			samples: []results.Sample{{T: 3, Groups: []results.GroupSample{{}}}, {T: 4, Groups: []results.GroupSample{{Processed: 5}}}},
			drained: ptr(0), events: 5},
		{name: "negative backlog only (acks read after processing): peak 0",
			samples: ticks(1, -2, -1, -3), drained: ptr(0), events: 200},
		{name: "triangle", samples: ticks(1, 0, 10, 20, 30, 20, 10, 0), peak: 30, peakAt: 3, drained: ptr(6), events: 600},
		{name: "triangle at half-second ticks", samples: ticks(0.5, 0, 10, 20, 30, 20, 10, 0), peak: 30, peakAt: 1.5, drained: ptr(3), events: 600},
		{name: "plateau reports its first time", samples: ticks(1, 0, 10, 40, 40, 40, 10, 0), peak: 40, peakAt: 2, drained: ptr(6), events: 600},
		{name: "never drains: drained_at nil", samples: ticks(1, 0, 10, 20, 30, 25), peak: 30, peakAt: 3, events: 400},
		{name: "never back below 0.5% of the peak: nil", samples: ticks(1, 0, 1000, 6, 6), peak: 1000, peakAt: 1, events: 300},
		{name: "drained at exactly 0.5% of the peak", samples: ticks(1, 0, 1000, 6, 5, 0), peak: 1000, peakAt: 1, drained: ptr(3), events: 400},
		{name: "drained below zero", samples: ticks(1, 0, 1000, -1), peak: 1000, peakAt: 1, drained: ptr(2), events: 200},
		{name: "drains, then rises lower again: the first drain after the peak",
			samples: ticks(1, 0, 10, 0, 5, 5), peak: 10, peakAt: 1, drained: ptr(2), events: 400},
		{name: "drains, then rises higher: the drain after the larger peak",
			samples: ticks(1, 0, 10, 0, 20, 1, 0), peak: 20, peakAt: 3, drained: ptr(5), events: 500},
		{name: "drains, then rises higher and stays: nil",
			samples: ticks(1, 0, 10, 0, 20, 15), peak: 20, peakAt: 3, events: 400},
		{name: "a zero before the peak is not a drain", samples: ticks(1, 0, 0, 5, 10), peak: 10, peakAt: 3, events: 300},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := Observe(c.samples, 0, noGrowth)
			if f.PeakBacklog != c.peak || f.PeakAtS != c.peakAt || f.Events != c.events || f.GrowthRate != 0 {
				t.Errorf("peak %v at %v, events %v, growth %v; want peak %v at %v, events %v, growth 0",
					f.PeakBacklog, f.PeakAtS, f.Events, f.GrowthRate, c.peak, c.peakAt, c.events)
			}
			if (f.DrainedAtS == nil) != (c.drained == nil) || (f.DrainedAtS != nil && *f.DrainedAtS != *c.drained) {
				t.Errorf("drained at %s, want %s", showDrain(f.DrainedAtS), showDrain(c.drained))
			}
		})
	}
}

// TestObserveGroupIndex checks Observe reads group g's column, not
// another group's: a missing column cannot happen (the sampler gives every
// sample one entry per group, and a backlog is an int64, never NaN).
func TestObserveGroupIndex(t *testing.T) {
	var samples []results.Sample
	for i, b := range []int64{0, 50, 100, 50, 0} {
		samples = append(samples, results.Sample{T: float64(i), Groups: []results.GroupSample{
			{Backlog: 1000 - b, Processed: 1},
			{Backlog: b, Processed: 2 * int64(i)},
		}})
	}
	f := Observe(samples, 1, noGrowth)
	if f.PeakBacklog != 100 || f.PeakAtS != 2 || f.Events != 8 || f.DrainedAtS == nil || *f.DrainedAtS != 4 {
		t.Errorf("group 1: peak %v at %v, events %v, drained %s; want 100 at 2, 8 events, drained at 4",
			f.PeakBacklog, f.PeakAtS, f.Events, showDrain(f.DrainedAtS))
	}
}

// growth is a prediction whose growth phase is [from, to].
func growth(rate, from, to float64) predict.GroupPrediction {
	return predict.GroupPrediction{Prediction: model.Prediction{GrowthRate: rate, GrowthFromS: from, GrowthToS: to}}
}

func TestObserveGrowth(t *testing.T) {
	// 3/s over [0, 100] and 50/s after: a fit over the trimmed predicted
	// window [5, 95] sees only the 3/s.
	b := func(t float64) int64 {
		if t <= 100 {
			return int64(math.Round(3 * t))
		}
		return int64(300 + math.Round(50*(t-100)))
	}
	samples := line(0, 200, 1, b)
	for _, c := range []struct {
		name string
		pred predict.GroupPrediction
		want float64
	}{
		{"fitted over the trimmed predicted window", growth(3, 0, 100), 3},
		{"fitted over the later window", growth(50, 110, 200), 50},
		{"no growth predicted: 0", noGrowth, 0},
		{"a window but no growth rate: 0", growth(0, 0, 100), 0},
		{"a negative growth rate: 0", growth(-3, 0, 100), 0},
		{"an inverted window: 0", growth(3, 100, 0), 0},
		{"an instant window: widened and fitted", growth(50, 150, 150), 50},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Observe(samples, 0, c.pred).GrowthRate; math.Abs(got-c.want) > 1e-9 {
				t.Errorf("growth %v, want %v", got, c.want)
			}
		})
	}
}

func TestGrowthFit(t *testing.T) {
	for _, c := range []struct {
		name     string
		pred     predict.GroupPrediction
		from, to float64
		judged   bool
	}{
		{name: "long window trimmed by 5% at each end", pred: growth(1, 10, 110), from: 15, to: 105, judged: true},
		{name: "6 s window: 5.4 s once trimmed, judged", pred: growth(1, 0, 6), from: 0.3, to: 5.7, judged: true},
		{name: "5.5 s window: 4.95 s once trimmed, widened to 5 s, not judged", pred: growth(1, 10, 15.5), from: 10.25, to: 15.25},
		{name: "short window widened to 5 s around its middle", pred: growth(1, 10, 14), from: 9.5, to: 14.5},
		{name: "instant window widened to 5 s", pred: growth(1, 20, 20), from: 17.5, to: 22.5},
		{name: "widened window clipped at t=0", pred: growth(1, 1, 1), from: 0, to: 3.5},
		{name: "no growth phase: not judged", pred: noGrowth, from: 0, to: 2.5},
	} {
		t.Run(c.name, func(t *testing.T) {
			from, to := growthFit(c.pred)
			if math.Abs(from-c.from) > 1e-9 || math.Abs(to-c.to) > 1e-9 {
				t.Errorf("growthFit = [%v, %v], want [%v, %v]", from, to, c.from, c.to)
			}
			if got := GrowthJudged(c.pred); got != c.judged {
				t.Errorf("GrowthJudged = %v, want %v", got, c.judged)
			}
		})
	}
}

func TestSlope(t *testing.T) {
	exact := func(a, b0 float64) func(float64) int64 {
		return func(t float64) int64 { return int64(math.Round(b0 + a*t)) }
	}
	for _, c := range []struct {
		name     string
		samples  []results.Sample
		from, to float64
		want     float64
	}{
		{"exact line", line(0, 20, 0.5, exact(5, 100)), 2, 8, 5},
		{"exact falling line", line(0, 20, 1, exact(-40, 1000)), 0, 20, -40},
		{"flat", line(0, 20, 1, exact(0, 7)), 0, 20, 0},
		{"exact line far from t=0", line(1e5, 1e5+100, 0.1, exact(1000, 0)), 1e5, 1e5 + 100, 1000},
		{"window bounds are inclusive", ticks(1, 100, 0, 10, 100), 1, 2, 10},
		{"samples outside the window are ignored", ticks(1, 500, 0, 2, 4, 6, -500), 1, 4, 2},
		{"one sample in the window: 0", ticks(1, 0, 10, 20, 30), 1, 1.5, 0},
		{"no sample in the window: 0", ticks(1, 0, 10, 20, 30), 1.2, 1.8, 0},
		{"window past the samples: 0", ticks(1, 0, 10, 20, 30), 10, 20, 0},
		{"inverted window: 0", ticks(1, 0, 10, 20, 30), 3, 0, 0},
		{"no samples: 0", nil, 0, 10, 0},
		{"two samples at one time: 0", []results.Sample{
			{T: 1, Groups: []results.GroupSample{{Backlog: 0}}},
			{T: 1, Groups: []results.GroupSample{{Backlog: 10}}},
		}, 0, 10, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Slope(c.samples, 0, c.from, c.to); math.Abs(got-c.want) > 1e-9*max(1, math.Abs(c.want)) {
				t.Errorf("Slope = %v, want %v", got, c.want)
			}
		})
	}
}

// TestSlopeNoise fits a line plus bounded noise. The least-squares slope
// is off by Σ(t−t̄)e / Σ(t−t̄)², at most A·Σ|t−t̄| / Σ(t−t̄)² for any
// noise |e| ≤ A: that bound, computed from the sample times, is the
// tolerance, whatever the seed.
func TestSlopeNoise(t *testing.T) {
	for _, c := range []struct {
		slope, amp, dt float64
		from, to       float64
	}{
		{slope: 7, amp: 20, dt: 1, from: 0, to: 100},
		{slope: 250, amp: 500, dt: 0.5, from: 30, to: 90},
		{slope: -12, amp: 3, dt: 0.1, from: 10, to: 15},
	} {
		name := fmt.Sprintf("slope %v ± noise %v over [%v, %v]", c.slope, c.amp, c.from, c.to)
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(c.amp)))
			samples := line(0, 200, c.dt, func(t float64) int64 {
				return int64(math.Round(10000 + c.slope*t + c.amp*(2*rng.Float64()-1)))
			})
			var ts []float64
			for _, s := range samples {
				if s.T >= c.from && s.T <= c.to {
					ts = append(ts, s.T)
				}
			}
			var mean, abs, sq float64
			for _, x := range ts {
				mean += x / float64(len(ts))
			}
			for _, x := range ts {
				abs += math.Abs(x - mean)
				sq += (x - mean) * (x - mean)
			}
			bound := (c.amp + 0.5) * abs / sq // +0.5: rounding to whole events
			got := Slope(samples, 0, c.from, c.to)
			if math.Abs(got-c.slope) > bound {
				t.Errorf("Slope = %v, want %v ± %.3g", got, c.slope, bound)
			}
			// Uniform noise has σ = A/√3, so the least-squares slope's
			// standard error is σ/√Σ(t−t̄)²: with this seed it lands within
			// 4 of them (a fit that is not least squares, the endpoints'
			// slope say, would be off by up to 2A/W).
			if se := c.amp / math.Sqrt(3) / math.Sqrt(sq); math.Abs(got-c.slope) > 4*se {
				t.Errorf("Slope = %v, want %v ± 4σ = %.3g", got, c.slope, 4*se)
			}
			t.Logf("Slope = %v: off by %.3g (worst case %.3g, σ %.3g)", got, got-c.slope, bound, c.amp/math.Sqrt(3)/math.Sqrt(sq))
			// The bound is tight enough to mean something.
			if bound > 0.2*math.Abs(c.slope) {
				t.Fatalf("bound %v too loose for slope %v", bound, c.slope)
			}
		})
	}
}

func TestMaxLags(t *testing.T) {
	samples := []results.Sample{
		{Groups: []results.GroupSample{{OffsetLag: -1, TimeLag: 0}}},
		{Groups: []results.GroupSample{{OffsetLag: 40, TimeLag: 2.5}}},
		{Groups: []results.GroupSample{{OffsetLag: 10, TimeLag: 1}}},
	}
	if got := MaxOffsetLag(samples, 0); got != 40 {
		t.Errorf("MaxOffsetLag = %d, want 40", got)
	}
	if got := MaxTimeLag(samples, 0); got != 2.5 {
		t.Errorf("MaxTimeLag = %v, want 2.5", got)
	}
	if got := MaxOffsetLag(samples[:1], 0); got != 0 {
		t.Errorf("MaxOffsetLag before any reading = %d, want 0", got)
	}
}
