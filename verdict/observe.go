package verdict

import (
	"math"
	"sort"

	"github.com/backlogbench/backlogbench/predict"
	"github.com/backlogbench/backlogbench/results"
)

// drainFraction is how close to zero, as a fraction of the peak, the
// observed backlog must come to count as drained.
const drainFraction = 0.005

// trimFraction is the share of the growth window dropped at each end
// before fitting the observed growth rate, so the knees of the curve (where
// workers start and stop being saturated) do not bend the fit.
const trimFraction = 0.05

// Observe derives a group's observed figures from its samples (group
// index g of every sample) and its prediction:
//
//   - peak_backlog, peak_at_s: the largest sampled backlog and its first time;
//   - growth_rate: the least-squares slope of the samples inside the
//     predicted growth window [from, to], trimmed by 5% at each end (0 when
//     the prediction has no growth);
//   - drained_at_s: the first sample after the peak whose backlog is at most
//     0.5% of the peak (nil when none is);
//   - events: the group's unique events processed at the last sample.
func Observe(samples []results.Sample, g int, pred predict.GroupPrediction) results.Figures {
	var f results.Figures
	if len(samples) == 0 {
		return f
	}
	peakIdx := -1
	for i, s := range samples {
		if b := float64(s.Groups[g].Backlog); peakIdx < 0 || b > f.PeakBacklog {
			f.PeakBacklog, f.PeakAtS, peakIdx = b, s.T, i
		}
	}
	f.PeakBacklog = max(f.PeakBacklog, 0)
	if f.PeakBacklog == 0 {
		f.PeakAtS = 0
		zero := 0.0
		f.DrainedAtS = &zero
	} else {
		for _, s := range samples[peakIdx:] {
			if float64(s.Groups[g].Backlog) <= drainFraction*f.PeakBacklog {
				t := s.T
				f.DrainedAtS = &t
				break
			}
		}
	}
	f.Events = float64(samples[len(samples)-1].Groups[g].Processed)
	if pred.GrowthRate > 0 && pred.GrowthToS >= pred.GrowthFromS {
		from, to := growthFit(pred)
		f.GrowthRate = Slope(samples, g, from, to)
	}
	return f
}

// MinGrowthWindow is the shortest window, in scenario seconds, a growth
// rate is fitted over; a shorter predicted window (the steepest point of a
// ramp lasts an instant) is widened to it around its middle, and then the
// growth rate is reported, not judged.
const MinGrowthWindow = 5

// growthFit returns the window the observed growth rate is fitted over:
// the predicted growth window trimmed by 5% at each end, or MinGrowthWindow
// around its middle when that is shorter.
func growthFit(pred predict.GroupPrediction) (from, to float64) {
	w := pred.GrowthToS - pred.GrowthFromS
	from, to = pred.GrowthFromS+trimFraction*w, pred.GrowthToS-trimFraction*w
	if to-from < MinGrowthWindow {
		// 2.0, not 2: MinGrowthWindow/2 is an integer constant division
		// (2), which would fit 4 s, narrower than a 4.95 s trimmed window.
		mid, half := (from+to)/2, MinGrowthWindow/2.0
		from, to = max(0, mid-half), mid+half
	}
	return from, to
}

// GrowthJudged reports whether the predicted growth window is long enough
// for the observed growth rate to be compared with the predicted one.
func GrowthJudged(pred predict.GroupPrediction) bool {
	w := (pred.GrowthToS - pred.GrowthFromS) * (1 - 2*trimFraction)
	return w >= MinGrowthWindow
}

// Slope returns the least-squares slope of group g's sampled backlog over
// the samples with from ≤ T ≤ to (0 with fewer than two).
func Slope(samples []results.Sample, g int, from, to float64) float64 {
	lo := sort.Search(len(samples), func(i int) bool { return samples[i].T >= from })
	var n, st, sb, stt, stb float64
	for _, s := range samples[lo:] {
		if s.T > to {
			break
		}
		t, b := s.T, float64(s.Groups[g].Backlog)
		n++
		st += t
		sb += b
		stt += t * t
		stb += t * b
	}
	den := n*stt - st*st
	if n < 2 || den == 0 {
		return 0
	}
	return (n*stb - st*sb) / den
}

// MaxOffsetLag returns the largest offset lag read during the run (0 when
// none was read).
func MaxOffsetLag(samples []results.Sample, g int) int64 {
	var m int64
	for _, s := range samples {
		m = max(m, s.Groups[g].OffsetLag)
	}
	return m
}

// MaxTimeLag returns the largest time lag sampled, in scenario seconds.
func MaxTimeLag(samples []results.Sample, g int) float64 {
	return maxOf(samples, g, func(s results.GroupSample) float64 { return s.TimeLag })
}

// MaxCommitTimeLag returns the largest time lag from the committed
// offsets sampled (a lag exporter's view), in scenario seconds.
func MaxCommitTimeLag(samples []results.Sample, g int) float64 {
	return maxOf(samples, g, func(s results.GroupSample) float64 { return s.CommitTimeLag })
}

func maxOf(samples []results.Sample, g int, f func(results.GroupSample) float64) float64 {
	var m float64
	for _, s := range samples {
		m = math.Max(m, f(s.Groups[g]))
	}
	return m
}
