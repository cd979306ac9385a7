// Package bench orchestrates a backlogbench run: it predicts every group's
// backlog from the scenario, plays the scenario against a Kafka broker
// (embedded or real), samples what happens, and compares the two.
package bench

import (
	"fmt"
	"hash/fnv"
	"math"
	"sync"

	"github.com/backlogbench/backlogbench/keys"
	"github.com/backlogbench/backlogbench/model"
	"github.com/backlogbench/backlogbench/scenario"
	"github.com/backlogbench/backlogbench/service"
)

// Figures are a group's headline numbers, predicted or observed, in
// scenario units. DrainedAtS is nil when the backlog never drains.
type Figures struct {
	Events      float64  `json:"events"`
	PeakBacklog float64  `json:"peak_backlog"`
	PeakAtS     float64  `json:"peak_at_s"`
	GrowthRate  float64  `json:"growth_rate"`
	DrainedAtS  *float64 `json:"drained_at_s"`
}

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
	// MaxTimeLagS is the largest predicted time lag (the age of the
	// oldest unprocessed event), scenario seconds; +Inf when some event is
	// never processed.
	MaxTimeLagS float64
}

// Figures returns the prediction's headline numbers.
func (p GroupPrediction) Figures() Figures {
	f := Figures{
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
	return PredictAssigned(sc, nil)
}

// PredictAssigned is Predict with the assignment each group actually got,
// by group name: each worker's partitions by topic (as summary.json's
// assignment holds them). A group missing from assigned gets the range
// balancer's.
func PredictAssigned(sc *scenario.Scenario, assigned map[string][]map[string][]int32) []GroupPrediction {
	var out []GroupPrediction
	for _, name := range sc.GroupNames() {
		g := sc.Groups[name]
		mg := ModelGroup(sc, name, assigned[name])
		mc := g.Capacity
		for _, ph := range g.Phases {
			mc = max(mc, ph.Capacity)
		}
		gp := GroupPrediction{
			Name:          name,
			ActiveWorkers: activeWorkers(sc, g, mg),
			MaxCapacity:   mc,
			Prediction:    model.Predict(mg),
		}
		gp.MaxTimeLagS = gp.MaxTimeLag()
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
// and the assignment, when given (each worker's partitions by topic; the
// first Workers entries count).
func ModelGroup(sc *scenario.Scenario, name string, assignment []map[string][]int32) model.Group {
	g := sc.Groups[name]
	mg := model.Group{Workers: g.Workers, Capacity: g.CapacitySchedule()}
	for _, t := range g.Topics {
		tp := model.Topic{Partitions: sc.Topics[t].Partitions}
		for _, pn := range sc.ProducerNames() {
			p := sc.Producers[pn]
			if p.Topic != t {
				continue
			}
			in := model.Input{Rate: p.Schedule()}
			if p.Keys != nil {
				in.Shares = keysOf(*p.Keys).Shares
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

// keysOf returns the producer's key distribution for a scenario's keys.
func keysOf(k scenario.Keys) *keys.Keys {
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
