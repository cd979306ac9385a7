package bench

import (
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/backlogbench/backlogbench/consumer"
	"github.com/backlogbench/backlogbench/predict"
	"github.com/backlogbench/backlogbench/producer"
	"github.com/backlogbench/backlogbench/rate"
	"github.com/backlogbench/backlogbench/scenario"
)

// The run's wiring of the deeper model: service times, keys, and the
// prediction from the assignment the groups got.

// workerThrottle returns worker w's throttle: its share of the group's
// capacity and, with a service distribution, its own seeded draws.
func workerThrottle(sc *scenario.Scenario, group string, w int, perWorker rate.Schedule) consumer.Throttle {
	svc, seed := predict.WorkerService(sc, group, w)
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
	return &producer.KeyStream{Keys: predict.KeysOf(*p.Keys), Partitions: sc.Topics[p.Topic].Partitions, Stream: producer.StreamOf(name)}
}
