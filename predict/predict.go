// Package predict turns a scenario into each group's prediction: it builds
// the model's view of every group (topics, producers' rates and key shares,
// workers, capacity phases, the assignment) and runs package model on it.
// It is the one adapter between the scenario format and the model; it
// imports no Kafka package, so predict and plan run without a broker.
package predict

import (
	"fmt"
	"hash/fnv"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/backlogbench/backlogbench/keys"
	"github.com/backlogbench/backlogbench/model"
	"github.com/backlogbench/backlogbench/results"
	"github.com/backlogbench/backlogbench/scenario"
	"github.com/backlogbench/backlogbench/service"
)

// GroupPrediction is the model's answer for one group, with the curve.
type GroupPrediction struct {
	Name string
	// ActiveWorkers are the workers that hold a partition; MaxCapacity is
	// the largest capacity of its phases (the floor of backlog verdicts is
	// one second of it, scaled by the active workers).
	ActiveWorkers int
	MaxCapacity   float64
	model.Prediction
	// Latency is the predicted latency of the group's events: the
	// stationary time in system of its workers' queues when it has a
	// service distribution and keeps up, else each event's fluid FIFO wait.
	Latency model.Latency
	// Served is the group's time lag as its workers really serve their
	// partitions (a fetch at a time, partition by partition), over the
	// phases of their fetch cycles; TimeLag reads it.
	Served model.ServedLag
	// MaxTimeLagS is the largest predicted time lag (the age of the
	// oldest unprocessed event), scenario seconds, as the workers serve
	// their partitions: the middle of its range over the fetch cycle's
	// phases, MaxTimeLagLowS to MaxTimeLagHighS. FIFOMaxTimeLagS is the
	// fluid FIFO's, a lower bound. +Inf when some event is never
	// processed.
	MaxTimeLagS, MaxTimeLagLowS, MaxTimeLagHighS float64
	FIFOMaxTimeLagS                              float64
}

// Order is the order a broker answers a fetch's partitions in: the time
// lag depends on it.
type Order int

const (
	// Embedded is the embedded broker's: the request's order, which
	// franz-go moves along by one partition each fetch.
	Embedded Order = iota
	// Kafka is Apache Kafka's: its fetch session's order, a partition that
	// returned records moved to the end.
	Kafka
)

// TimeLag returns the predicted time lag at scenario time t, as the
// group's workers serve their partitions: the highest over the phases of
// their fetch cycles (model.ServedLag.At).
func (p GroupPrediction) TimeLag(t float64) float64 { return p.Served.At(t) }

// FIFOTimeLag returns the fluid FIFO time lag at t: the lag were every
// worker to serve its events first in, first out.
func (p GroupPrediction) FIFOTimeLag(t float64) float64 { return p.Prediction.TimeLag(t) }

// serve fills the prediction's served time lag and its figures.
func (p *GroupPrediction) serve(sc *scenario.Scenario, mg model.Group, order Order) {
	p.Served = model.ServeGroup(mg, Serving(sc, p.Name, order))
	p.MaxTimeLagS, p.MaxTimeLagLowS, p.MaxTimeLagHighS = p.Served.Max()
	p.FIFOMaxTimeLagS = p.Prediction.MaxTimeLag()
}

// Serving returns how the group's workers fetch, for model.ServeGroup:
// its fetch settings, what a record of each of its topics takes in a
// fetch, and the broker's order.
func Serving(sc *scenario.Scenario, name string, order Order) model.Serving {
	g := sc.Groups[name]
	f := g.FetchSettings()
	sv := model.Serving{
		Fetch:  model.Fetch{MaxPartitionBytes: float64(f.MaxPartitionBytes), MaxBytes: float64(f.MaxBytes), MaxPoll: float64(f.MaxPollRecords)},
		Rotate: order == Embedded,
	}
	for _, t := range g.Topics {
		b := 0.0
		for _, pn := range sc.ProducerNames() {
			if p := sc.Producers[pn]; p.Topic == t {
				b = max(b, FetchBytes(pn, p))
			}
		}
		sv.Bytes = append(sv.Bytes, b)
	}
	return sv
}

// FetchBytes returns what one of the producer's records takes in a fetch:
// the records go uncompressed, mostly one to a batch at the rates a run
// plays (61 bytes of batch header), and a record is its key and payload
// plus 41 bytes of lengths, deltas and its 28-byte "bb" header.
func FetchBytes(name string, p scenario.Producer) float64 {
	digits := func(n float64) float64 { return float64(len(strconv.FormatFloat(math.Max(n, 1), 'f', 0, 64))) }
	var key float64
	switch {
	case p.Keys != nil:
		key = 2 + digits(float64(p.Keys.Count))
	case p.Event == "click":
		key = 2 + 5
	default:
		key = 2 + float64(len(name)) + 1 + digits(p.Schedule().Total())
	}
	return key + float64(p.Size) + 41 + 61
}

// Figures returns the prediction's headline numbers.
func (p GroupPrediction) Figures() results.Figures {
	f := results.Figures{
		Events:      p.Events,
		PeakBacklog: p.PeakBacklog,
		PeakAtS:     p.PeakAtS,
		GrowthRate:  p.GrowthRate,
	}
	if !math.IsInf(p.DrainedAtS, 1) {
		d := p.DrainedAtS
		f.DrainedAtS = &d
	}
	return f
}

// Predict runs the model for every group of the scenario, in name order,
// with the assignment the range balancer gives every group.
func Predict(sc *scenario.Scenario) []GroupPrediction {
	return PredictAssigned(sc, nil, Embedded)
}

// PredictAssigned is Predict with the assignment each group actually got,
// by group name: each worker's partitions by topic (as summary.json's
// assignment holds them), and the broker's fetch order. A group missing
// from assigned gets the range balancer's.
func PredictAssigned(sc *scenario.Scenario, assigned map[string][]map[string][]int32, order Order) []GroupPrediction {
	return PredictTimed(sc, assigned, order, Timing{})
}

// PredictTimed is PredictAssigned with the run's timing of worker faults
// (its speedup, crash session, rebalance pause).
func PredictTimed(sc *scenario.Scenario, assigned map[string][]map[string][]int32, order Order, tm Timing) []GroupPrediction {
	var out []GroupPrediction
	for _, name := range sc.GroupNames() {
		g := sc.Groups[name]
		mg := ModelGroupTimed(sc, name, assigned[name], tm)
		gp := GroupPrediction{
			Name:          name,
			ActiveWorkers: activeWorkers(sc, g, mg),
			MaxCapacity:   g.MaxCapacity(),
			Prediction:    model.Predict(mg),
		}
		gp.serve(sc, mg, order)
		gp.Latency = gp.FluidLatency()
		if g.Service != nil {
			svc := service.Service{Dist: g.Service.Dist, CV: g.Service.CV}
			if l, ok := model.Stochastic(mg, gp.Prediction, svc, serviceSeed(sc.Seed, name)); ok {
				gp.Latency = l
			}
		}
		out = append(out, gp)
	}
	return out
}

// activeWorkers returns the workers holding a partition: min(workers,
// partitions) with the range balancer, else those the assignment gives
// partitions to.
func activeWorkers(sc *scenario.Scenario, g scenario.Group, mg model.Group) int {
	if mg.Assignment == nil {
		return sc.ActiveWorkers(g)
	}
	n := 0
	for _, byTopic := range mg.Assignment {
		for _, ps := range byTopic {
			if len(ps) > 0 {
				n++
				break
			}
		}
	}
	return n
}

// ModelGroup returns the group as the model sees it: its topics in order,
// each with the producers writing to it (by name) and, for keyed ones, the
// partition shares of their key distribution; its workers and capacity;
// the assignment, when given (each worker's partitions by topic; the
// first Workers entries count); and its worker faults, timed as a run at
// speedup 1 on the embedded broker plays them.
func ModelGroup(sc *scenario.Scenario, name string, assignment []map[string][]int32) model.Group {
	return ModelGroupTimed(sc, name, assignment, Timing{})
}

// ModelGroupTimed is ModelGroup with the run's timing of worker faults.
func ModelGroupTimed(sc *scenario.Scenario, name string, assignment []map[string][]int32, tm Timing) model.Group {
	g := sc.Groups[name]
	mg := model.Group{Workers: g.Workers, Capacity: g.CapacitySchedule()}
	mg.Faults, mg.RebalancePause, mg.RebalanceRedo = modelFaults(sc, name, tm)
	for _, t := range g.Topics {
		tp := model.Topic{Partitions: sc.Topics[t].Partitions}
		for _, pn := range sc.ProducerNames() {
			p := sc.Producers[pn]
			if p.Topic != t {
				continue
			}
			in := model.Input{Rate: p.Schedule()}
			if p.Keys != nil {
				in.Shares = KeysOf(*p.Keys).Shares
			}
			tp.Inputs = append(tp.Inputs, in)
		}
		mg.Topics = append(mg.Topics, tp)
	}
	if assignment != nil {
		mg.Assignment = make([][][]int32, g.Workers)
		for w := range mg.Assignment {
			mg.Assignment[w] = make([][]int32, len(g.Topics))
			if w < len(assignment) {
				for i, t := range g.Topics {
					mg.Assignment[w][i] = assignment[w][t]
				}
			}
		}
	}
	return mg
}

// keyCache holds one key distribution per definition, so its partition
// shares are computed once per process.
var keyCache sync.Map // scenario.Keys → *keys.Keys

// KeysOf returns the producer's key distribution for a scenario's keys.
func KeysOf(k scenario.Keys) *keys.Keys {
	if v, ok := keyCache.Load(k); ok {
		return v.(*keys.Keys)
	}
	v, _ := keyCache.LoadOrStore(k, keys.New(k.Dist, k.S, k.Count))
	return v.(*keys.Keys)
}

// serviceSeed derives a group's service-time seed from the scenario's.
func serviceSeed(seed int64, group string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(group))
	return uint64(seed) ^ h.Sum64()
}

// WorkerService returns worker w's service-time distribution and seed for
// its Throttle: none without a service, else the group's distribution
// with a seed of its own.
func WorkerService(sc *scenario.Scenario, group string, w int) (service.Service, uint64) {
	g := sc.Groups[group]
	if g.Service == nil {
		return service.Service{}, 0
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s/%d", sc.Seed, group, w)
	return service.Service{Dist: g.Service.Dist, CV: g.Service.CV}, h.Sum64()
}

// CriticalPath returns the scenario's critical-path comparison, or nil
// when it has none.
func CriticalPath(sc *scenario.Scenario) *model.CriticalPath {
	if sc.CriticalPath == nil {
		return nil
	}
	steps := make([]model.Step, len(sc.CriticalPath.Sync))
	for i, s := range sc.CriticalPath.Sync {
		steps[i] = model.Step{Name: s.Name, Latency: s.Latency, Availability: s.Availability}
	}
	cp := model.Critical(steps, sc.CriticalPath.Async)
	return &cp
}

// Floor returns the verdict floor for backlog figures: one scenario-second
// of the group's largest effective capacity.
func (p GroupPrediction) Floor(workers int) float64 {
	return p.MaxCapacity * float64(p.ActiveWorkers) / float64(workers)
}

// Predicted returns a group's predicted figures as summary.json stores
// them: the headline figures, the predicted latency and the largest time
// lag (left out when some event is never processed: JSON has no +Inf).
func (p GroupPrediction) Predicted() results.Predicted {
	out := results.Predicted{Figures: p.Figures()}
	if l := p.Latency; !math.IsInf(l.P50, 1) && !math.IsInf(l.P99, 1) { // else some event is never processed
		out.LatencyMs = &results.PredictedLatency{P50: Round(l.P50*1000, 3), P99: Round(l.P99*1000, 3), Method: l.Method}
	}
	if !math.IsInf(p.MaxTimeLagHighS, 1) {
		out.MaxTimeLagS = ptr(Round(p.MaxTimeLagS, 3))
		out.MaxTimeLagLowS = ptr(Round(p.MaxTimeLagLowS, 3))
		out.MaxTimeLagHighS = ptr(Round(p.MaxTimeLagHighS, 3))
	}
	if !math.IsInf(p.FIFOMaxTimeLagS, 1) {
		out.FIFOMaxTimeLagS = ptr(Round(p.FIFOMaxTimeLagS, 3))
	}
	return out
}

// CriticalPathChains returns the scenario's critical-path chains, nil
// without a critical path.
func CriticalPathChains(sc *scenario.Scenario) *results.CriticalPathChains {
	cp := CriticalPath(sc)
	if cp == nil {
		return nil
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	return &results.CriticalPathChains{
		Sync: cp.Sync.Steps, SyncLatencyMs: ms(cp.Sync.Latency), SyncAvailability: cp.Sync.Availability,
		Kept: cp.Async.Steps, Moved: cp.Moved, AsyncLatencyMs: ms(cp.Async.Latency), AsyncAvailability: cp.Async.Availability,
	}
}

// Round rounds x to digits decimals, as summary.json stores figures.
func Round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

func ptr(x float64) *float64 { return &x }
