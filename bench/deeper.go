package bench

import (
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/backlogbench/backlogbench/consumer"
	"github.com/backlogbench/backlogbench/producer"
	"github.com/backlogbench/backlogbench/rate"
	"github.com/backlogbench/backlogbench/scenario"
)

// The run's wiring of the deeper model: service times, keys, and the
// prediction from the assignment the groups got.

// workerThrottle returns worker w's throttle: its share of the group's
// capacity and, with a service distribution, its own seeded draws.
func workerThrottle(sc *scenario.Scenario, group string, w int, perWorker rate.Schedule) consumer.Throttle {
	svc, seed := WorkerService(sc, group, w)
	return consumer.Throttle{Capacity: perWorker, Service: svc, Seed: seed}
}

// producerOptions returns the client options of a producer: ClientOptions,
// and with keys the key-hash partitioner in place of the even one.
func producerOptions(sc *scenario.Scenario, name string) []kgo.Opt {
	p := sc.Producers[name]
	opts := producer.ClientOptions(p.Idempotent)
	if p.Keys != nil {
		opts = append(opts, producer.Partitioner(true))
	}
	return opts
}

// producerKeys returns a producer's keys, nil without keys.
func producerKeys(sc *scenario.Scenario, name string) *producer.KeyStream {
	p := sc.Producers[name]
	if p.Keys == nil {
		return nil
	}
	return &producer.KeyStream{Keys: keysOf(*p.Keys), Partitions: sc.Topics[p.Topic].Partitions, Stream: producer.StreamOf(name)}
}

// reassign predicts every group again from the assignment it got (as
// recorded in the summary) and puts those predictions in the result; it
// returns them. A group whose workers hold uneven shares (12 partitions on
// 5 workers) saturates its busiest workers first, so its prediction is the
// sum of its workers' and not the aggregate model's.
func (r *Result) reassign(sc *scenario.Scenario) []GroupPrediction {
	got := map[string][]map[string][]int32{}
	for name, gs := range r.Summary.Groups {
		if gs.Assignment != nil {
			got[name] = gs.Assignment
		}
	}
	preds := PredictAssigned(sc, got)
	r.Predictions = preds
	for _, p := range preds {
		gs := r.Summary.Groups[p.Name]
		gs.ActiveWorkers = p.ActiveWorkers
		gs.FloorEvents = p.Floor(gs.Workers)
		gs.Predicted = withPredictedLatency(Predicted{Figures: p.Figures()}, p)
		r.Summary.Groups[p.Name] = gs
	}
	return preds
}
