package sampler

import (
	"testing"
	"time"

	"github.com/backlogbench/backlogbench/consumer"
	"github.com/backlogbench/backlogbench/event"
	"github.com/backlogbench/backlogbench/predict"
	"github.com/backlogbench/backlogbench/producer"
	"github.com/backlogbench/backlogbench/scenario"
)

// flashSampler is a sampler of the seed's flash sale (2 producers, 18
// partitions, 4 groups) over counters that no worker moves.
func flashSampler(tb testing.TB) *Sampler {
	sc, err := scenario.Load("flash-sale")
	if err != nil {
		tb.Fatal(err)
	}
	preds := predict.Predict(sc)
	var pstats []*producer.Stats
	for range sc.ProducerNames() {
		pstats = append(pstats, &producer.Stats{})
	}
	var gstats []*consumer.Stats
	logs := map[string]*AckLog{}
	parts := map[string]int{}
	for _, t := range sc.TopicNames() {
		parts["bb-"+t] = sc.Topics[t].Partitions
		logs[t] = NewAckLog(sc.Topics[t].Partitions)
	}
	for _, name := range sc.GroupNames() {
		g := sc.Groups[name]
		gstats = append(gstats, consumer.NewStats(consumer.StatsConfig{Workers: g.Workers, Partitions: parts, Kinds: []event.Kind{event.Order, event.Order, event.Click}, Seed: 1}))
	}
	return New(Config{Scenario: sc, Predictions: preds, Producers: pstats, Groups: gstats, Logs: logs,
		Start: time.Now(), Speedup: 30, Tick: 1, Phys: func(s string) string { return "bb-" + s }})
}

// BenchmarkTake is one sampling tick of the flash sale: every group's
// backlog, time lag from the ack logs, predictions, and the ack logs
// trimmed. Budget: 3 allocations a tick (the sample's three slices, which
// the run keeps), plus the samples slice's amortized growth; nothing per
// partition or per event (broker names were once built per partition:
// 116 allocations a tick).
func BenchmarkTake(b *testing.B) {
	s := flashSampler(b)
	b.ReportAllocs()
	for b.Loop() {
		s.Take()
	}
}
