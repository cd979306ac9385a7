package watch

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// The states of a group (and of a partition).
const (
	// KeepingUp: the group processes what arrives; its lag is work in
	// flight, and its processing rate is only known to be at least its
	// input rate. A group saturated at exactly its input rate with a
	// steady backlog is keeping up too (its processing rate is measured
	// then, and its backlog never drains).
	KeepingUp = "keeping-up"
	// Draining: backlogged and processing faster than the input.
	Draining = "draining"
	// Growing: backlogged and processing slower than the input.
	Growing = "growing"
	// Stalled: lagging with no commit over the last StallSamples samples.
	Stalled = "stalled"
	// Measuring: fewer than two comparable samples yet, or a group that
	// has been backlogged for fewer than minBusy samples: its processing
	// rate is not measured yet, and its lag says it is not keeping up.
	Measuring = "measuring"
	// NoCommits: the group has committed no offset yet.
	NoCommits = "no-commits"
	// NoTopic: every topic the group committed offsets on is gone.
	NoTopic = "no-topic"
	// Unreadable: the group could not be read in this sample.
	Unreadable = "unreadable"
)

// The sources of a time lag.
const (
	// TimeLagTimestamp: the age of the record at the committed offset,
	// read from the record's timestamp.
	TimeLagTimestamp = "timestamp"
	// TimeLagInterpolated: when the log end offset passed the committed
	// offset, interpolated from the sampled end offsets (records without
	// a usable timestamp, or a fetch that timed out).
	TimeLagInterpolated = "interpolated"
	// TimeLagNone: nothing is lagging.
	TimeLagNone = "none"
)

// Rate is an estimated rate: the least-squares slope of an offset over
// the samples, with its standard error.
type Rate struct {
	// Value is in events per second; NaN when unknown.
	Value float64
	// SE is the slope's standard error; NaN with fewer than 3 samples.
	SE float64
	// N is the number of samples fitted.
	N int
}

// Low returns the lower end of the band Value − 2·SE (at least 0), NaN
// when the band is unknown.
func (r Rate) Low() float64 { return max(0, r.Value-2*r.SE) }

// High returns the upper end of the band Value + 2·SE, NaN when unknown.
func (r Rate) High() float64 { return r.Value + 2*r.SE }

// known reports whether the rate has a value.
func (r Rate) known() bool { return !math.IsNaN(r.Value) }

// banded reports whether the rate has a band.
func (r Rate) banded() bool { return r.known() && !math.IsNaN(r.SE) }

var unknownRate = Rate{Value: math.NaN(), SE: math.NaN()}

// fit returns the least-squares slope of ys over ts and its standard
// error,
//
//	b = Σ(t−t̄)(y−ȳ) / Σ(t−t̄)²,   SE = √( Σ(y − ȳ − b(t−t̄))² / (n−2) / Σ(t−t̄)² ).
func fit(ts, ys []float64) Rate {
	n := len(ts)
	if n < 2 {
		return Rate{Value: math.NaN(), SE: math.NaN(), N: n}
	}
	var tm, ym float64
	for i := range ts {
		tm += ts[i]
		ym += ys[i]
	}
	tm /= float64(n)
	ym /= float64(n)
	var stt, sty float64
	for i := range ts {
		dt := ts[i] - tm
		stt += dt * dt
		sty += dt * (ys[i] - ym)
	}
	if stt <= 0 {
		return Rate{Value: math.NaN(), SE: math.NaN(), N: n}
	}
	b := sty / stt
	r := Rate{Value: b, SE: math.NaN(), N: n}
	if n >= 3 {
		var res float64
		for i := range ts {
			e := ys[i] - ym - b*(ts[i]-tm)
			res += e * e
		}
		r.SE = math.Sqrt(res / float64(n-2) / stt)
	}
	return r
}

// Options tune the estimator. The zero value takes every default.
type Options struct {
	// Window is the number of most recent samples the rates are fitted
	// over. The default is 10.
	Window int
	// StallSamples is the number of consecutive samples with no commit,
	// while lagging, that make a group, a member or a partition held by no
	// member stalled. The default is 3. A partition held by a member is
	// stalled when its member is (the member may be serving the others).
	StallSamples int
}

func (o Options) withDefaults() Options {
	if o.Window == 0 {
		o.Window = 10
	}
	if o.StallSamples == 0 {
		o.StallSamples = 3
	}
	return o
}

// minBusy is the fewest consecutive backlogged samples a processing rate
// is measured over.
const minBusy = 3

// Estimate is the estimator's view of one group at its latest sample.
type Estimate struct {
	Group      string
	GroupState string
	Members    int
	State      string
	// Now is the time of the latest sample's end offsets, seconds since
	// the origin passed to Estimate.
	Now float64
	// Lag is the offset lag over the partitions with a commit and a log
	// end offset; HasLag is false when there are none.
	Lag    int64
	HasLag bool
	// TimeLag is the age of the oldest unprocessed record, seconds, over
	// the partitions; TimeLagSource says how it was found.
	TimeLag       float64
	TimeLagSource string
	// Input is the rate of the log end offsets.
	Input Rate
	// Processing is the rate of the committed offsets while backlogged.
	// When the group was not backlogged over enough samples it is the
	// input rate and ProcessingAtLeast is true: a group that keeps up
	// commits at its input rate, whatever it could do.
	Processing        Rate
	ProcessingAtLeast bool
	Stalled           bool
	// Rewind is set while the window is cut short by a committed offset
	// that moved back (an offset reset, a rewind).
	Rewind bool
	// Samples is the number of samples in the window.
	Samples    int
	Partitions []PartitionEstimate
	// MemberEstimates are per member of the group, in the order of the
	// first partition each holds.
	MemberEstimates []MemberEstimate
	Notes           []string
	// arrivals is the cumulative arrival curve of the group's backlog,
	// for the forecast.
	arrivals []point
}

// PartitionEstimate is the estimator's view of one partition.
type PartitionEstimate struct {
	PartitionSample
	Lag           int64
	TimeLag       float64
	TimeLagSource string
	Input         Rate
	Processing    Rate
	// ProcessingAtLeast: see Estimate.ProcessingAtLeast.
	ProcessingAtLeast bool
	Stalled, Rewind   bool
	State             string
	// live is false for a partition without a commit or a log end offset;
	// it has no rates and takes no part in the sums.
	live     bool
	arrivals []point
}

// point is one point (t, n) of a cumulative count.
type point struct{ t, n float64 }

// EstimateGroup estimates a group's rates and state from its samples, oldest
// first; every sample is of the group and read without error. Times are
// measured in seconds from origin.
//
// The input rate λ is the least-squares slope of the summed log end
// offsets over the window, with its standard error. The group is
// backlogged at a sample when its summed committed offset is behind the
// summed log end offset of the sample before: it has not caught up with
// what was there one interval ago. The processing rate μ is the slope of
// the summed committed offsets over the trailing run of backlogged
// samples, when it has at least 3; otherwise μ is reported as at least λ.
// The window starts after the last sample that cannot be compared: a
// committed offset that moved back (a rewind), a log end offset that
// moved back (a recreated topic), or a sample none of the partitions is
// read in. A partition the group starts committing on joins the sums as
// if its offsets had held at its first reading; when it joins lagging, the
// rates restart from there (see cut).
func EstimateGroup(hist []GroupSample, origin time.Time, opt Options) Estimate {
	opt = opt.withDefaults()
	last := hist[len(hist)-1]
	sec := func(t time.Time) float64 { return t.Sub(origin).Seconds() }
	e := Estimate{Group: last.Group, GroupState: last.State, Members: last.Members, Now: sec(last.EndAt),
		Input: unknownRate, Processing: unknownRate, TimeLagSource: TimeLagNone}

	// The partitions that take part: a commit and a log end offset.
	var live []pkey
	var noCommit, gone []string
	for _, p := range last.Partitions {
		pe := PartitionEstimate{PartitionSample: p, Input: unknownRate, Processing: unknownRate, TimeLagSource: TimeLagNone}
		switch {
		case p.Committed < 0:
			pe.State = NoCommits
			noCommit = append(noCommit, pname(p.key()))
		case p.End < 0:
			pe.State = NoTopic
			gone = append(gone, pname(p.key()))
		default:
			pe.live = true
			live = append(live, p.key())
		}
		e.Partitions = append(e.Partitions, pe)
	}
	if len(noCommit) > 0 {
		e.Notes = append(e.Notes, "no commit yet on "+list(noCommit))
	}
	if len(gone) > 0 {
		e.Notes = append(e.Notes, "no log end offset for "+list(gone)+" (topic deleted?)")
	}
	if len(live) == 0 {
		if last.State == "Dead" && len(last.Partitions) == 0 {
			e.Notes = append(e.Notes, "no such group (or it expired)")
		}
		e.State = NoCommits
		if len(gone) > 0 {
			e.State = NoTopic
		}
		return e
	}
	e.HasLag = true

	// The window: back from the latest sample while comparable.
	lo := len(hist) - 1
	for j := len(hist) - 2; j >= 0 && j >= len(hist)-opt.Window; j-- {
		ok, why := comparable(hist[j], hist[j+1], live)
		if !ok {
			if why != "" {
				e.Notes = append(e.Notes, why)
			}
			e.Rewind = isRewind(hist[j], hist[j+1], live)
			break
		}
		lo = j
	}
	win := hist[lo:]
	e.Samples = len(win)

	// Per partition, then the group from the sums.
	idx := map[pkey]int{}
	for i, p := range e.Partitions {
		idx[p.key()] = i
	}
	n := len(win)
	tC, tE := make([]float64, n), make([]float64, n)
	sumC, sumE := make([]float64, n), make([]float64, n)
	for k, s := range win {
		tC[k], tE[k] = sec(s.CommittedAt), sec(s.EndAt)
	}
	pcs, pes, pfirst := map[pkey][]float64{}, map[pkey][]float64{}, map[pkey]int{}
	for _, key := range live {
		cs, es := make([]float64, n), make([]float64, n)
		pcs[key], pes[key] = cs, es
		pe := &e.Partitions[idx[key]]
		// The partition's own samples are the trailing run it is read in.
		// Before that (a partition the group starts committing on) its
		// offsets are taken to have held at its first reading, so that the
		// group's sums stay continuous.
		first := n - 1
		for k := n - 2; k >= 0; k-- {
			p, ok := find(win[k].Partitions, key)
			if !ok || p.Committed < 0 || p.End < 0 {
				break
			}
			first = k
		}
		p0, _ := find(win[first].Partitions, key)
		base := float64(p0.Committed)
		for k, s := range win {
			p := p0
			if k >= first {
				p, _ = find(s.Partitions, key)
			}
			cs[k], es[k] = float64(p.Committed)-base, float64(p.End)-base
			sumC[k] += cs[k]
			sumE[k] += es[k]
		}
		pfirst[key] = first
		// A partition held by a member may wait many samples while the
		// member serves the others (a consumer that falls behind serves
		// partition by partition): it is stalled when its member is.
		popt := opt
		if pe.Member != "" {
			popt.StallSamples = math.MaxInt
		}
		st := rates(tC[first:], tE[first:], cs[first:], es[first:], popt)
		pe.Input, pe.Processing, pe.ProcessingAtLeast, pe.Stalled = st.input, st.processing, st.atLeast, st.stalled
		pe.Lag, _ = pe.lag()
		pe.Rewind = e.Rewind && lo > 0 && isRewind(hist[lo-1], hist[lo], []pkey{key})
		pe.State = state(st, pe.Lag, n-first)
		pe.TimeLag, pe.TimeLagSource, pe.arrivals = timeLag(hist, key, sec, pe.Input)
		e.Lag += pe.Lag
		e.TimeLag = max(e.TimeLag, pe.TimeLag)
		switch {
		case pe.TimeLagSource == TimeLagInterpolated:
			e.TimeLagSource = TimeLagInterpolated
		case pe.TimeLagSource == TimeLagTimestamp && e.TimeLagSource == TimeLagNone:
			e.TimeLagSource = TimeLagTimestamp
		}
	}
	if e.TimeLagSource == TimeLagInterpolated {
		e.Notes = append(e.Notes, "time lag interpolated from the sampled end offsets: some records have no usable timestamp")
	}
	j := cut(win, live, pfirst)
	e.Samples = n - j
	st := rates(tC[j:], tE[j:], sumC[j:], sumE[j:], opt)
	e.Input, e.Processing, e.ProcessingAtLeast, e.Stalled = st.input, st.processing, st.atLeast, st.stalled
	e.State = state(st, e.Lag, n-j)
	var parts [][]point
	for _, key := range live {
		parts = append(parts, e.Partitions[idx[key]].arrivals)
	}
	e.arrivals = sumArrivals(parts)

	// Per member: the sums over the partitions it holds.
	held := map[string][]pkey{}
	var ids []string
	for _, key := range live {
		p := &e.Partitions[idx[key]]
		if p.Member == "" {
			continue
		}
		if _, ok := held[p.Member]; !ok {
			ids = append(ids, p.Member)
		}
		held[p.Member] = append(held[p.Member], key)
	}
	for _, id := range ids {
		m := MemberEstimate{Member: id, keys: held[id], Input: unknownRate, Processing: unknownRate}
		cs, es := make([]float64, n), make([]float64, n)
		// From the first reading of its earliest partition, or later
		// where a partition joined lagging.
		from := n - 1
		for _, key := range m.keys {
			from = min(from, pfirst[key])
		}
		from = max(from, cut(win, m.keys, pfirst))
		var arr [][]point
		for _, key := range m.keys {
			p := &e.Partitions[idx[key]]
			for k := range n {
				cs[k] += pcs[key][k]
				es[k] += pes[key][k]
			}
			m.Lag += p.Lag
			m.TimeLag = max(m.TimeLag, p.TimeLag)
			m.Partitions = append(m.Partitions, pname(key))
			arr = append(arr, p.arrivals)
		}
		st := rates(tC[from:], tE[from:], cs[from:], es[from:], opt)
		m.Input, m.Processing, m.ProcessingAtLeast, m.Stalled = st.input, st.processing, st.atLeast, st.stalled
		m.State = state(st, m.Lag, n-from)
		m.arrivals = sumArrivals(arr)
		if m.Stalled {
			for _, key := range m.keys {
				if p := &e.Partitions[idx[key]]; p.Lag > 0 {
					p.Stalled, p.State = true, Stalled
				}
			}
		}
		e.MemberEstimates = append(e.MemberEstimates, m)
	}
	return e
}

// MemberEstimate is the estimator's view of one member of the group: the
// sums over the partitions it holds, since its capacity moves between
// them.
type MemberEstimate struct {
	Member            string
	Partitions        []string
	Lag               int64
	TimeLag           float64
	Input, Processing Rate
	ProcessingAtLeast bool
	Stalled           bool
	State             string
	keys              []pkey
	arrivals          []point
}

// comparable reports whether two consecutive samples can share a window
// for the partitions: no offset read in both moved back, and at least one
// is read in both. When not, why says what happened ("" when nothing can
// be compared).
func comparable(a, b GroupSample, keys []pkey) (ok bool, why string) {
	both := false
	for _, k := range keys {
		pa, okA := find(a.Partitions, k)
		pb, okB := find(b.Partitions, k)
		if !okA || !okB || pa.Committed < 0 || pa.End < 0 || pb.Committed < 0 || pb.End < 0 {
			continue
		}
		both = true
		if pb.Committed < pa.Committed {
			return false, fmt.Sprintf("committed offset of %s moved back from %d to %d (an offset reset or rewind); rates restart after it", pname(k), pa.Committed, pb.Committed)
		}
		if pb.End < pa.End {
			return false, fmt.Sprintf("log end offset of %s moved back from %d to %d (topic recreated?); rates restart after it", pname(k), pa.End, pb.End)
		}
	}
	return both, ""
}

func isRewind(a, b GroupSample, keys []pkey) bool {
	for _, k := range keys {
		pa, okA := find(a.Partitions, k)
		pb, okB := find(b.Partitions, k)
		if okA && okB && pa.Committed >= 0 && pb.Committed >= 0 && pb.Committed < pa.Committed {
			return true
		}
	}
	return false
}

// find returns the sample of partition k in ps (sorted).
func find(ps []PartitionSample, k pkey) (PartitionSample, bool) {
	i := sort.Search(len(ps), func(i int) bool {
		return ps[i].Topic > k.Topic || ps[i].Topic == k.Topic && ps[i].Partition >= k.Partition
	})
	if i < len(ps) && ps[i].Topic == k.Topic && ps[i].Partition == k.Partition {
		return ps[i], true
	}
	return PartitionSample{}, false
}

// series is what the rates of one committed/end offset series say.
type series struct {
	input, processing Rate
	atLeast, stalled  bool
	lagging           bool // the latest sample lags
	// short: backlogged at the latest sample, but for fewer than minBusy
	// samples, so μ is not measured yet.
	short bool
}

// rates fits a series of committed offsets cs (at times tC) and log end
// offsets es (at tE), oldest first.
func rates(tC, tE, cs, es []float64, opt Options) series {
	n := len(cs)
	s := series{input: fit(tE, es), processing: unknownRate, lagging: es[n-1] > cs[n-1]}
	// The trailing run of backlogged samples.
	j := n - 1
	for j >= 1 && cs[j] < es[j-1] {
		j--
	}
	if run := n - 1 - j; run >= minBusy {
		s.processing = fit(tC[j+1:], cs[j+1:])
	} else {
		s.processing, s.atLeast = s.input, true
		s.short = run > 0
	}
	if m := opt.StallSamples; n >= m {
		s.stalled = true
		for k := n - m; k < n; k++ {
			if cs[k] != cs[n-1] || es[k] <= cs[k] {
				s.stalled = false
			}
		}
	}
	if s.stalled {
		// No commit: μ is measured, and it is 0.
		s.processing, s.atLeast = Rate{Value: 0, SE: 0, N: opt.StallSamples}, false
	}
	if !s.input.known() {
		s.processing, s.atLeast = unknownRate, true
	}
	return s
}

// state names the state of a series with lag at its latest of n samples.
func state(s series, lag int64, n int) string {
	switch {
	case s.stalled:
		return Stalled
	case n < 2 || !s.input.known() || s.short:
		return Measuring
	case s.atLeast:
		return KeepingUp
	}
	net := s.input.Value - s.processing.Value
	thr := 0.01 * max(s.input.Value, s.processing.Value)
	if s.input.banded() && s.processing.banded() {
		thr = max(thr, 2*math.Hypot(s.input.SE, s.processing.SE))
	}
	switch {
	case net > thr:
		return Growing
	case net < -thr && lag > 0:
		return Draining
	}
	return KeepingUp
}

// cut is where the rates of the partitions keys start in the window win:
// after the latest first reading of a partition that joined lagging.
// Before its first commit such a partition's member was already serving
// it (or its input was arriving), unseen; holding its offsets at their
// first reading would leave that work out of the sums and bias both rates
// low, so the rates restart from the join. A partition that joins caught
// up (an idle one) keeps the window: it had nothing to leave out.
func cut(win []GroupSample, keys []pkey, pfirst map[pkey]int) int {
	j := 0
	for _, key := range keys {
		if f := pfirst[key]; f > j {
			if p, _ := find(win[f].Partitions, key); p.End > p.Committed {
				j = f
			}
		}
	}
	return j
}

func pname(k pkey) string { return fmt.Sprintf("%s/%d", k.Topic, k.Partition) }

// list joins names, eliding after a few.
func list(names []string) string {
	const most = 5
	if len(names) > most {
		return fmt.Sprintf("%s and %d more", strings.Join(names[:most], ", "), len(names)-most)
	}
	return strings.Join(names, ", ")
}
