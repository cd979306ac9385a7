package model

import (
	"math"
	"slices"
	"sort"

	"github.com/backlogbench/backlogbench/rate"
)

// FaultKind is what a worker fault does to a group.
type FaultKind int

// The worker faults.
const (
	// RemoveWorker: the last live worker leaves the group cleanly,
	// committing what it processed; its partitions move to the others.
	RemoveWorker FaultKind = iota + 1
	// AddWorker: a new worker joins; the partitions are shared again.
	AddWorker
	// CrashWorker: the first live worker dies without committing or
	// leaving. Its partitions go unprocessed until the coordinator
	// expires its session (Fault.Session later), then move to the others,
	// who process its uncommitted records again (Fault.Redo).
	CrashWorker
)

// Fault is a worker fault at a scenario time.
type Fault struct {
	// At is the fault's scenario time, seconds.
	At   float64
	Kind FaultKind
	// Session is, for a crash, how long after At the crashed worker's
	// partitions stay with it (its session timeout), scenario seconds.
	Session float64
	// Join is, for an add, how long after At the new worker joins and
	// the rebalance starts; the others keep their partitions meanwhile.
	Join float64
	// Redo is how many events already counted processed are processed
	// again after the rebalance the fault causes (a crash's uncommitted
	// records, an exactly-once worker's aborted transaction): they cost
	// the workers that get them capacity and do not shrink the backlog,
	// which counts unique events.
	Redo float64
}

// Timeline of a group with worker faults.
//
// Workers are numbered as the harness numbers them: 0 … W−1 from the
// start, an added worker the next number; a remove takes the last live
// worker, a crash the first. At every rebalance (a remove or an add at
// its time, an add Join after it, a crash Session after it) each topic's partitions are shared
// among the live workers by the range balancer in worker order, and
// every live worker processes nothing for RebalancePause (members revoke
// everything, rejoin and fetch their committed offsets: the eager
// protocol stops the whole group). Each worker keeps the capacity
// Capacity/Workers of the configured workers (the harness throttles every
// worker, added ones too, at that share), so the group's capacity is
//
//	μ(t) = capacity(t) · active(t) / W,   active = min(live workers, partitions),
//
// but for the pauses. Between two consecutive fault times the assignment
// is fixed and each worker is the FIFO queue of the package comment,
// starting from the backlog of the partitions it holds. The backlog of a
// partition is tracked across a rebalance: at the end of a stretch
// [t0, t1] a worker with starting backlog B0 that received A and ends with
// B1 served S = B0 + A − B1; first in, first out, what is left is
//
//	S ≥ B0:  the events of each of its partitions p that arrived in
//	         [s*, t1], with A(t0, s*) = S − B0: b_p = Σ_i s_pi·(A_i(t1) − A_i(s*)),
//	S < B0:  b_p = b_p(t0)·(1 − S/B0) + Σ_i s_pi·(A_i(t1) − A_i(t0)),
//
// the second taking what was left from each partition in proportion (the
// order across partitions of an inherited backlog is not tracked; with an
// even spread every partition holds the same then). A crashed worker
// holds its partitions at capacity 0 until its session ends, so their
// backlog grows by their input meanwhile. Redo events go, in proportion
// to the partitions of the faulted worker they get, to the workers that
// take them over and are served first: a worker with r of them gets
// nothing unique done until its capacity has served r after the pause,
// i.e. its unique capacity is 0 on [t, M⁻¹(M(t + pause) + r)). Each
// worker live before and after a rebalance adds RebalanceRedo seconds of
// its capacity, μ_w(t)·RebalanceRedo, to the redo, spread over every
// partition, but at most half its backlog B_w then: what is redone is a
// poll cut short (an aborted transaction), and a poll holds at most the
// worker's backlog, so a worker that keeps up redoes next to nothing. A
// removed worker's Redo (its own cut poll) is capped the same way.
//
// The group's backlog is the sum of its workers' pieces, as without
// faults. Queues holds one queue for the whole group (its inputs, the sum
// of its workers' capacities over time, and the summed backlog), so time
// lags and latencies of a group with faults are those of one pooled FIFO
// queue: an approximation, as a rebalance moves events between workers.

// predictFaults is Predict for a group with worker faults (see above).
func predictFaults(g Group) Prediction {
	inputs := faultInputs(g)
	faults := slices.Clone(g.Faults)
	sort.SliceStable(faults, func(i, j int) bool { return faults[i].At < faults[j].At })
	slots := g.Workers
	for _, f := range faults {
		if f.Kind == AddWorker {
			slots++
		}
	}
	perWorker := g.Capacity.Scaled(1 / float64(g.Workers))
	pause := max(g.RebalancePause, 0)

	// Per worker slot: in the group (a crashed worker is until its session
	// ends), crashed, its partitions by topic, and the time before which
	// it processes nothing new (a pause, then its share of a redo).
	member := make([]bool, slots)
	crashed := make([]bool, slots)
	hold := make([][][]int32, slots)
	resume := make([]float64, slots)
	asg := g.assignment()
	for w := range slots {
		member[w] = w < g.Workers
		hold[w] = make([][]int32, len(g.Topics))
		if w < len(asg) {
			copy(hold[w], asg[w])
		}
	}
	started := g.Workers
	backlog := make([][]float64, len(g.Topics)) // by topic, partition
	for t, tp := range g.Topics {
		backlog[t] = make([]float64, tp.Partitions)
	}

	// The faults, and each crash's rebalance Session later (an expiry).
	type event struct {
		at      float64
		origin  float64 // the fault's own time (an add's, before it joins)
		kind    FaultKind
		expiry  bool
		redo    float64
		session float64 // a crash's
		slot    int     // an expiry's crashed worker
	}
	var evs []event
	for _, f := range faults {
		at := f.At
		if f.Kind == AddWorker {
			at += max(f.Join, 0)
		}
		evs = append(evs, event{at: at, origin: f.At, kind: f.Kind, redo: f.Redo, session: max(f.Session, 0), slot: -1})
	}
	curves := make([][]Piece, slots)
	var spans []capSpan
	var pauses [][2]float64 // a rebalance's pause and redo, every worker's
	t0 := 0.0
	for {
		sort.SliceStable(evs, func(i, j int) bool { return evs[i].at < evs[j].at })
		t1 := math.Inf(1)
		if len(evs) > 0 {
			t1 = evs[0].at
		}
		if t1 > t0 {
			for w := range slots {
				if !holds(hold[w]) {
					continue
				}
				capacity := zeroUntil(perWorker, resume[w])
				if crashed[w] {
					capacity = rate.Schedule{}
				}
				spans = append(spans, capSpan{from: t0, to: t1, s: capacity})
				curves[w] = append(curves[w], runStretch(inputs, hold[w], backlog, capacity, t0, t1)...)
			}
		}
		if len(evs) == 0 {
			break
		}
		e := evs[0]
		evs = evs[1:]
		t0 = e.at
		// The worker whose partitions a redo is on (-1: all).
		from := -1
		switch {
		case e.expiry:
			member[e.slot], crashed[e.slot] = false, false
			from = e.slot
		case e.kind == RemoveWorker:
			if w := live(member, crashed, true); w >= 0 {
				member[w] = false
				from = w
			}
		case e.kind == AddWorker:
			if started < slots {
				member[started] = true
				started++
			}
		case e.kind == CrashWorker:
			if w := live(member, crashed, false); w >= 0 {
				crashed[w] = true
				end := e.at + e.session
				evs = append(evs, event{at: end, origin: end, expiry: true, redo: e.redo, slot: w})
			}
			continue // no rebalance until its session ends
		}
		redo := e.redo
		redoParts := [][]int32(nil)
		if from >= 0 {
			redoParts = hold[from]
			if e.kind == RemoveWorker {
				// A leaving worker's cut batch held at most its backlog.
				redo = min(redo, held(hold[from], backlog)/2)
			}
		}
		spread := 0.0 // the redo of the workers live before and after
		for w := range slots {
			if member[w] && !crashed[w] && holds(hold[w]) {
				spread += min(perWorker.Rate(e.at)*max(g.RebalanceRedo, 0), held(hold[w], backlog)/2)
			}
		}
		// The range balancer shares every topic among the members in
		// order; a crashed member still in the group gets its share too.
		var members []int
		for w := range slots {
			hold[w] = make([][]int32, len(g.Topics))
			if member[w] {
				members = append(members, w)
			}
		}
		for t, tp := range g.Topics {
			for i, ps := range RangeAssignment(tp.Partitions, len(members)) {
				hold[members[i]][t] = ps
			}
		}
		stop := [2]float64{e.origin, e.at}
		for _, w := range members {
			if crashed[w] {
				continue
			}
			resume[w] = max(resume[w], e.at+pause)
			if r := redoShare(redo, redoParts, hold[w], g.Topics) + redoShare(spread, nil, hold[w], g.Topics); r > 0 {
				if end, ok := perWorker.TimeOf(perWorker.Count(resume[w]) + r); ok {
					resume[w] = end
				} else {
					resume[w] = math.Inf(1)
				}
			}
		}
		for _, w := range members {
			if !crashed[w] {
				stop[1] = max(stop[1], resume[w])
			}
		}
		pauses = append(pauses, stop)
	}

	var cs []Curve
	var counts []float64
	for _, ps := range curves {
		if len(ps) > 0 {
			cs = append(cs, Curve{Pieces: ps})
			counts = append(counts, 1)
		}
	}
	var pr Prediction
	pr.Curve = sumCurves(cs, counts)
	ins := g.inputs()
	for _, in := range ins {
		pr.Events += in.Total()
	}
	pr.Queues = []Queue{{Count: 1, Inputs: ins, Capacity: sumCapacity(spans), Curve: pr.Curve, Worker: -1}}
	pr.summarise()
	pr.growthOutside(pauses)
	return pr
}

// growthOutside sets the growth rate and its window from the busy pieces
// outside the rebalances, from a remove or an add to the end of the
// pause and redo it causes: that lasts a fraction of a second, and its
// slope (the whole input, or the old workers' against a new one's
// input) is no growth phase a run can fit.
func (pr *Prediction) growthOutside(pauses [][2]float64) {
	in := func(p Piece) bool {
		for _, w := range pauses {
			if p.T0 >= w[0] && p.T1 <= w[1] {
				return true
			}
		}
		return false
	}
	pr.growth(in)
}

// faultInput is one producer's input with each partition's share of it.
type faultInput struct {
	topic int
	rate  rate.Schedule
	share []float64
}

func faultInputs(g Group) []faultInput {
	var out []faultInput
	for t, tp := range g.Topics {
		for _, in := range tp.Inputs {
			sh := make([]float64, tp.Partitions)
			if in.Shares != nil {
				copy(sh, in.Shares(tp.Partitions))
			} else {
				for p := range sh {
					sh[p] = 1 / float64(tp.Partitions)
				}
			}
			out = append(out, faultInput{topic: t, rate: in.Rate, share: sh})
		}
	}
	return out
}

// runStretch plays one worker holding hold (by topic) at capacity over
// [t0, t1) from its partitions' backlogs, returns its backlog pieces and
// leaves in backlog what each of its partitions holds at t1 (first in,
// first out; see the comment above predictFaults).
func runStretch(inputs []faultInput, hold [][]int32, backlog [][]float64, capacity rate.Schedule, t0, t1 float64) []Piece {
	load := make([]float64, len(inputs))
	var scaled []rate.Schedule
	for i, in := range inputs {
		for _, p := range hold[in.topic] {
			if int(p) < len(in.share) {
				load[i] += in.share[p]
			}
		}
		if load[i] > 0 {
			scaled = append(scaled, in.rate.Scaled(load[i]))
		}
	}
	b0 := 0.0
	for t, ps := range hold {
		for _, p := range ps {
			b0 += backlog[t][p]
		}
	}
	pieces, b1 := stretch(scaled, capacity, t0, t1, b0)
	if math.IsInf(t1, 1) {
		return pieces
	}
	arrived := 0.0
	for _, s := range scaled {
		arrived += s.Count(t1) - s.Count(t0)
	}
	served := max(b0+arrived-b1, 0)
	keep, from := 0.0, t0
	if served < b0 {
		keep = 1 - served/b0
	} else {
		from = arrivalTime(scaled, t0, t1, served-b0)
	}
	for t, ps := range hold {
		for _, p := range ps {
			backlog[t][p] *= keep
		}
	}
	for _, in := range inputs {
		a := in.rate.Count(t1) - in.rate.Count(from)
		for _, p := range hold[in.topic] {
			if int(p) < len(in.share) {
				backlog[in.topic][p] += in.share[p] * a
			}
		}
	}
	return pieces
}

// held returns the backlog of the partitions a worker holds.
func held(byTopic [][]int32, backlog [][]float64) float64 {
	b := 0.0
	for t, ps := range byTopic {
		for _, p := range ps {
			b += backlog[t][p]
		}
	}
	return b
}

// holds reports whether a worker holds any partition.
func holds(byTopic [][]int32) bool {
	for _, ps := range byTopic {
		if len(ps) > 0 {
			return true
		}
	}
	return false
}

// live returns the last (or first) member that has not crashed, -1 when
// none.
func live(member, crashed []bool, last bool) int {
	idx := -1
	for w := range member {
		if member[w] && !crashed[w] {
			idx = w
			if !last {
				break
			}
		}
	}
	return idx
}

// redoShare is the part of redo a worker holding now gets: redo's
// partitions (nil: every partition) that it holds now, over all of them.
func redoShare(redo float64, on, now [][]int32, topics []Topic) float64 {
	if redo <= 0 {
		return 0
	}
	n, of := 0, 0
	for t, tp := range topics {
		if on == nil {
			of += tp.Partitions
			n += len(now[t])
			continue
		}
		of += len(on[t])
		for _, p := range now[t] {
			if slices.Contains(on[t], p) {
				n++
			}
		}
	}
	if of == 0 {
		return 0
	}
	return redo * float64(n) / float64(of)
}
