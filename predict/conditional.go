package predict

import (
	"github.com/backlogbench/backlogbench/model"
	"github.com/backlogbench/backlogbench/rate"
	"github.com/backlogbench/backlogbench/scenario"
)

// Acked is what the broker really acknowledged, per producer: the
// cumulative count at each of a run's sample times.
type Acked struct {
	// T are the sample times, scenario seconds, increasing.
	T []float64
	// Counts holds, per producer in the scenario's name order, the events
	// acknowledged by each T.
	Counts [][]int64
}

// Schedule returns producer i's acknowledged input as a rate schedule:
// constant between consecutive samples, at the rate the counts imply,
//
//	r(t) = (A_i(T_k) − A_i(T_{k−1})) / (T_k − T_{k−1})   for T_{k−1} ≤ t < T_k,
//
// from t = 0 (A = 0) to the last sample, then 0.
func (a Acked) Schedule(i int) rate.Schedule {
	var segs []rate.Segment
	prevT, prevN := 0.0, int64(0)
	for k, t := range a.T {
		n := a.Counts[i][k]
		if dt := t - prevT; dt > 0 {
			r := max(float64(n-prevN), 0) / dt
			segs = append(segs, rate.Segment{Dur: dt, From: r, To: r})
			prevT, prevN = t, n
		}
	}
	return rate.New(segs...)
}

// Conditional is the group's prediction conditional on what really
// happened: the same model, with each producer's rate replaced by the
// input the broker acknowledged (Acked), and the capacity in force (the
// group's phases, on the assignment it got, with its worker faults timed
// as the run played them). Where the scenario
// prediction and the observed figures disagree but the conditional
// prediction and the observed ones agree, the harness or the broker did
// not play the scenario as written (a producer fell behind and burst, a
// broker throttled); the consumers behaved as modelled.
func Conditional(sc *scenario.Scenario, name string, assignment []map[string][]int32, acked Acked, order Order, tm Timing) GroupPrediction {
	mg := ModelGroupTimed(sc, name, assignment, tm)
	index := map[string]int{}
	for i, pn := range sc.ProducerNames() {
		index[pn] = i
	}
	g := sc.Groups[name]
	for ti, t := range g.Topics {
		k := 0
		for _, pn := range sc.ProducerNames() {
			if sc.Producers[pn].Topic != t {
				continue
			}
			mg.Topics[ti].Inputs[k].Rate = acked.Schedule(index[pn])
			k++
		}
	}
	gp := GroupPrediction{Name: name, ActiveWorkers: activeWorkers(sc, g, mg), MaxCapacity: g.MaxCapacity(), Prediction: model.Predict(mg)}
	gp.serve(sc, mg, order)
	return gp
}
