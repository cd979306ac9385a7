package watch

import (
	"sort"
	"time"
)

// timeLag returns the age at the latest sample of the partition's oldest
// unprocessed record, how it was found, and the cumulative arrival curve
// of its backlog: 0 when that record was appended, the backlog now.
//
// The record's own timestamp is used when the sample has it; otherwise
// the time the log end offset passed the committed offset is interpolated
// linearly between the samples around it (or extrapolated back at the
// input rate when it is older than every sample).
func timeLag(hist []GroupSample, key pkey, sec func(time.Time) float64, input Rate) (float64, string, []point) {
	last := hist[len(hist)-1]
	p, _ := find(last.Partitions, key)
	lag, _ := p.lag()
	if lag == 0 {
		return 0, TimeLagNone, nil
	}
	now, at := sec(last.EndAt), sec(last.CommittedAt)
	// The end offsets over the history, while they only grow.
	var ends []point
	for j := len(hist) - 1; j >= 0; j-- {
		q, ok := find(hist[j].Partitions, key)
		if !ok || q.End < 0 || len(ends) > 0 && float64(q.End) > ends[len(ends)-1].n {
			break
		}
		ends = append(ends, point{sec(hist[j].EndAt), float64(q.End)})
	}
	// Oldest first.
	for i, j := 0, len(ends)-1; i < j; i, j = i+1, j-1 {
		ends[i], ends[j] = ends[j], ends[i]
	}
	c := float64(p.Committed)
	var since float64 // when the record at the committed offset arrived
	src := TimeLagTimestamp
	if !p.RecordTime.IsZero() {
		// A record's timestamp is a wall-clock time (the producer's), so
		// its age is read on the wall clock too: the reading's wall time
		// minus the stamp. Mapping the stamp onto the monotonic timeline
		// through the origin's wall time instead would be off by every
		// step of the wall clock since the origin (seen in CI: steps of
		// 0.66 s and 0.41 s).
		since = at - last.CommittedAt.Round(0).Sub(p.RecordTime).Seconds()
	} else {
		src = TimeLagInterpolated
		i := sort.Search(len(ends), func(i int) bool { return ends[i].n > c })
		switch {
		case i == 0 && input.known() && input.Value > 0:
			since = ends[0].t - (ends[0].n-c)/input.Value
		case i == 0:
			since = ends[0].t // at least this old
		default:
			a, b := ends[i-1], ends[i]
			since = a.t + (c+1-a.n)/(b.n-a.n)*(b.t-a.t)
		}
	}
	tl := max(0, at-since)
	// The arrivals of the backlog: from 0 when the record at the
	// committed offset came, through the sampled end offsets, to the lag
	// now. At most maxArrivalPoints, evenly thinned.
	since = min(since, now-1e-3) // the backlog arrived before now
	arr := []point{{since, 0}}
	for _, q := range ends {
		if q.t > since && q.t < now && q.n > c {
			arr = append(arr, point{q.t, q.n - c})
		}
	}
	arr = append(arr, point{now, float64(lag)})
	return tl, src, thinPoints(monotone(arr), maxArrivalPoints)
}

// maxArrivalPoints bounds the points of an arrival curve.
const maxArrivalPoints = 32

// monotone makes a cumulative curve non-decreasing with increasing times.
func monotone(ps []point) []point {
	out := ps[:0]
	for _, p := range ps {
		if n := len(out); n > 0 {
			if p.t <= out[n-1].t {
				out[n-1].n = max(out[n-1].n, p.n)
				continue
			}
			p.n = max(p.n, out[n-1].n)
		}
		out = append(out, p)
	}
	return out
}

// thinPoints keeps at most m points of ps, evenly, with the first and
// the last.
func thinPoints(ps []point, m int) []point {
	if len(ps) <= m {
		return ps
	}
	out := make([]point, 0, m)
	for i := range m {
		out = append(out, ps[i*(len(ps)-1)/(m-1)])
	}
	return out
}

// at returns a cumulative curve's value at t: 0 before its first point,
// its last value after its last, linear in between.
func at(ps []point, t float64) float64 {
	if len(ps) == 0 || t <= ps[0].t {
		return 0
	}
	if t >= ps[len(ps)-1].t {
		return ps[len(ps)-1].n
	}
	i := sort.Search(len(ps), func(i int) bool { return ps[i].t >= t })
	a, b := ps[i-1], ps[i]
	return a.n + (b.n-a.n)*(t-a.t)/(b.t-a.t)
}

// sumArrivals returns the sum of cumulative curves, exact at every point
// of each, thinned to a few points.
func sumArrivals(cs [][]point) []point {
	var ts []float64
	for _, c := range cs {
		for _, p := range c {
			ts = append(ts, p.t)
		}
	}
	if len(ts) == 0 {
		return nil
	}
	sort.Float64s(ts)
	out := make([]point, 0, len(ts))
	for _, t := range ts {
		var n float64
		for _, c := range cs {
			n += at(c, t)
		}
		out = append(out, point{t, n})
	}
	return thinPoints(monotone(out), 2*maxArrivalPoints)
}
