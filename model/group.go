package model

import (
	"math"
	"slices"
	"sort"

	"github.com/backlogbench/backlogbench/rate"
)

// Input is one producer's events on one topic a group reads.
type Input struct {
	// Rate is the producer's rate over scenario time.
	Rate rate.Schedule
	// Shares, when set, returns the share of the events each of n
	// partitions gets (events keyed and hashed to partitions); nil means
	// an even spread (event i goes to partition i mod n).
	Shares func(n int) []float64
}

// Topic is one topic a group reads.
type Topic struct {
	Partitions int
	Inputs     []Input
}

// Group is a consumer group as the model sees it: Workers members that
// split Topics' partitions between them and Capacity evenly.
type Group struct {
	Topics  []Topic
	Workers int
	// Capacity is the group's capacity over scenario time; each worker
	// gets Capacity/Workers.
	Capacity rate.Schedule
	// Assignment, when set, lists each worker's partitions of each topic:
	// Assignment[w][t] are the partitions of Topics[t] that worker w
	// holds. nil means the range balancer's assignment (RangeAssignment),
	// which is what the run's consumers use.
	Assignment [][][]int32
	// Faults, when set, add, remove and crash workers at their times (see
	// the comment above predictFaults); RebalancePause is how long, in
	// scenario seconds, every live worker processes nothing at each
	// rebalance they cause, and RebalanceRedo how much of its capacity,
	// in scenario seconds, each worker that stays processes again after
	// one (an exactly-once worker's aborted transaction).
	Faults         []Fault
	RebalancePause float64
	RebalanceRedo  float64
}

// RangeAssignment returns the partitions of one topic each worker gets
// from Kafka's range balancer: the members in order, each a contiguous
// run of partitions/workers of them, the first partitions mod workers one
// more. The balancer orders members the same way for every topic, so the
// same workers get the extra partitions of every topic.
func RangeAssignment(partitions, workers int) [][]int32 {
	out := make([][]int32, workers)
	if workers <= 0 {
		return out
	}
	div, rem := partitions/workers, partitions%workers
	p := int32(0)
	for w := range out {
		n := div
		if w < rem {
			n++
		}
		for range n {
			out[w] = append(out[w], p)
			p++
		}
	}
	return out
}

// assignment returns the group's assignment, by worker then topic.
func (g Group) assignment() [][][]int32 {
	if g.Assignment != nil {
		return g.Assignment
	}
	out := make([][][]int32, g.Workers)
	for w := range out {
		out[w] = make([][]int32, len(g.Topics))
	}
	for t, tp := range g.Topics {
		for w, ps := range RangeAssignment(tp.Partitions, g.Workers) {
			out[w][t] = ps
		}
	}
	return out
}

// Loads returns each worker's share of each input, the inputs of all
// topics in order: with an even spread, the partitions it holds over the
// topic's partitions; with keys, the sum of its partitions' shares.
func (g Group) Loads() [][]float64 {
	asg := g.assignment()
	var shares [][]float64 // per flattened input, nil for even
	var parts []int        // per flattened input: its topic's partitions
	var topic []int        // per flattened input: its topic
	for t, tp := range g.Topics {
		for _, in := range tp.Inputs {
			var sh []float64
			if in.Shares != nil {
				sh = in.Shares(tp.Partitions)
			}
			shares = append(shares, sh)
			parts = append(parts, tp.Partitions)
			topic = append(topic, t)
		}
	}
	out := make([][]float64, len(asg))
	for w, byTopic := range asg {
		l := make([]float64, len(shares))
		for i, sh := range shares {
			if topic[i] >= len(byTopic) {
				continue
			}
			held := byTopic[topic[i]]
			if sh == nil {
				l[i] = float64(len(held)) / float64(parts[i])
				continue
			}
			for _, p := range held {
				if int(p) < len(sh) {
					l[i] += sh[p]
				}
			}
		}
		out[w] = l
	}
	return out
}

// inputs returns the group's inputs, all topics in order.
func (g Group) inputs() []rate.Schedule {
	var out []rate.Schedule
	for _, tp := range g.Topics {
		for _, in := range tp.Inputs {
			out = append(out, in.Rate)
		}
	}
	return out
}

// Predict predicts the group's backlog from its assignment: each worker
// is a FIFO fluid queue fed by its share of every input (its partitions)
// at Capacity/Workers, and the group's backlog is the sum of its workers'
// (see the package comment). Workers with the same shares are computed
// once. When every worker that holds a partition has the same shares,
// the sum is the aggregate model: the group's input against its capacity
// scaled by its active workers, which Predict then computes directly.
func Predict(g Group) Prediction {
	if g.Workers <= 0 {
		return Fluid(g.inputs(), rate.Schedule{})
	}
	if len(g.Faults) > 0 {
		return predictFaults(g)
	}
	loads := g.Loads()
	classes, active := loadClasses(loads)
	ins := g.inputs()
	if len(classes) <= 1 && complete(loads, len(ins)) {
		return Fluid(ins, g.Capacity.Scaled(float64(active)/float64(g.Workers)))
	}
	perWorker := g.Capacity.Scaled(1 / float64(g.Workers))
	queues := make([]Queue, 0, len(classes))
	for _, c := range classes {
		var scaled []rate.Schedule
		for i, in := range ins {
			if c.load[i] > 0 {
				scaled = append(scaled, in.Scaled(c.load[i]))
			}
		}
		p := Fluid(scaled, perWorker)
		queues = append(queues, Queue{Count: c.count, Inputs: scaled, Capacity: perWorker, Curve: p.Curve, Worker: c.first})
	}
	pr := Combine(queues)
	if complete(loads, len(ins)) {
		// Every event reaches a worker: the sum of the shares is the
		// inputs' total but for rounding.
		pr.Events = 0
		for _, in := range ins {
			pr.Events += in.Total()
		}
	}
	return pr
}

// complete reports whether the workers' shares of every input add up to
// 1, so the aggregate model sees every event.
func complete(loads [][]float64, inputs int) bool {
	for i := range inputs {
		sum := 0.0
		for _, l := range loads {
			sum += l[i]
		}
		if math.Abs(sum-1) > 1e-9 {
			return false
		}
	}
	return true
}

// Combine returns the prediction of a group made of the queues: its
// backlog curve is the sum of theirs, each Count times.
func Combine(queues []Queue) Prediction {
	var pr Prediction
	curves := make([]Curve, len(queues))
	counts := make([]float64, len(queues))
	for i, q := range queues {
		for _, in := range q.Inputs {
			pr.Events += float64(q.Count) * in.Total()
		}
		curves[i], counts[i] = q.Curve, float64(q.Count)
	}
	pr.Curve = sumCurves(curves, counts)
	pr.Queues = queues
	pr.summarise()
	return pr
}

// sumCurves returns Σ counts[i]·curves[i]: on every stretch between two
// consecutive piece boundaries of any curve each term is one quadratic
// piece, so the sum is one too.
func sumCurves(cs []Curve, counts []float64) Curve {
	var ts []float64
	for _, c := range cs {
		for _, p := range c.Pieces {
			ts = append(ts, p.T0, p.T1)
		}
	}
	sort.Float64s(ts)
	ts = dedup(ts)
	idx := make([]int, len(cs))
	var out []Piece
	for k := 0; k+1 < len(ts); k++ {
		a, b := ts[k], ts[k+1]
		sum := Piece{T0: a, T1: b}
		for i, c := range cs {
			for idx[i] < len(c.Pieces) && c.Pieces[idx[i]].T1 <= a {
				idx[i]++
			}
			if idx[i] == len(c.Pieces) || c.Pieces[idx[i]].T0 > a {
				continue
			}
			p := c.Pieces[idx[i]]
			if isEmpty(p) {
				continue
			}
			m := counts[i]
			sum.B0 += m * p.At(a)
			sum.D0 += m * p.Slope(a)
			sum.C += m * p.C
		}
		out = appendPiece(out, sum)
	}
	return Curve{Pieces: trimTail(out)}
}

// loadClass is a set of workers with the same shares of the inputs.
type loadClass struct {
	load  []float64 // the workers' share of each input
	count int       // how many workers have it
	first int       // the first of them
}

// loadClasses groups the workers holding a partition by their shares, in
// worker order, and counts those workers.
func loadClasses(loads [][]float64) (classes []loadClass, active int) {
	for w, l := range loads {
		if !slices.ContainsFunc(l, func(x float64) bool { return x > 0 }) {
			continue
		}
		active++
		i := slices.IndexFunc(classes, func(c loadClass) bool { return slices.Equal(c.load, l) })
		if i < 0 {
			classes = append(classes, loadClass{load: l, count: 1, first: w})
			continue
		}
		classes[i].count++
	}
	return classes, active
}
