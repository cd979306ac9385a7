package bench

import (
	"testing"
	"time"

	"github.com/backlogbench/backlogbench/predict"
	"github.com/backlogbench/backlogbench/results"
)

// removeAddScenario: each group loses a worker at 10 s while it keeps up
// (80/s against 3 × 30/s), so its 2 workers (3 partitions each, 60/s)
// fall behind at 100/s: +40/s to 1,200 at 40 s; at 20/s they drain it by
// 70 s. A worker joins at 75 s, before the input rises to 110/s: 3
// workers grow at +20/s to 600 (with 2 it would be +50/s, to 1,500). The
// fluid model without the faults says 300 at 40 s. The leave and the join
// each take partitions from a worker in the middle of a batch: the
// at-least-once group commits what it processed, the exactly-once group
// aborts the batch's transaction.
const removeAddScenario = `
name: remove-add
topics:
  orders: {partitions: 6}
producers:
  orders:
    topic: orders
    phases:
      - {duration: 10s, rate: 80}
      - {duration: 30s, rate: 100}
      - {duration: 35s, rate: 20}
      - {duration: 30s, rate: 110}
groups:
  loyalty: {topics: [orders], workers: 3, capacity: 90}
  ledger: {topics: [orders], workers: 3, capacity: 90, delivery: exactly-once}
faults:
  - {at: 10s, action: remove-worker, group: loyalty}
  - {at: 10s, action: remove-worker, group: ledger}
  - {at: 75s, action: add-worker, group: loyalty}
  - {at: 75s, action: add-worker, group: ledger}
`

// TestRemoveAddWorker plays remove-worker and add-worker on both delivery
// modes while the groups are backlogged. The prediction has the faults,
// so the run waits for their drain and completes, and the groups' backlog
// figures are judged and pass. Nothing is lost, and the exactly-once group
// applies every event's effect exactly once (a leave mid-batch once
// committed the polled, unprocessed tail: 7 events lost). It plays at ×5:
// at ×10 on 2 cores with others' work beside it (load 5–6) the
// exactly-once group's transactions starved the workers and both groups
// drained 1.7–3.7 s late (3 runs of 3), the conditional prediction failing
// too; at ×5 under the same load they drained on time.
func TestRemoveAddWorker(t *testing.T) {
	s := runScenario(t, removeAddScenario, 5)
	requirePass(t, s)
	const events = 10*80 + 30*100 + 35*20 + 30*110
	for _, g := range []string{"loyalty", "ledger"} {
		gs := s.Groups[g]
		o := gs.Observed
		if o.Lost != 0 || o.Unprocessed != 0 {
			t.Errorf("%s: lost %d, unprocessed %d", g, o.Lost, o.Unprocessed)
		}
		for _, m := range []string{"peak_backlog", "peak_at_s", "growth_rate", "drained_at_s"} {
			if v, ok := gs.Verdicts[m]; !ok {
				t.Errorf("%s %s: not judged", g, m)
			} else if v != results.Pass && gs.Verdicts["conditional."+m] != results.Pass {
				t.Errorf("%s %s: %s", g, m, v) // requirePass said why
			}
		}
		// The faults are in the prediction: 2 workers from 10 s to 75 s.
		if p := gs.Predicted.PeakBacklog; p < 1200 || p > 1250 {
			t.Errorf("%s: predicted peak %.0f, want the 1,200 of 2 workers (and the rebalance's pause)", g, p)
		}
		t.Logf("%s: peak %.0f (predicted %.1f) at %.2f s, growth %.2f/s (%.2f), drained at %v (%v), lost %d, duplicates %d, applied twice %d",
			g, o.PeakBacklog, gs.Predicted.PeakBacklog, o.PeakAtS, o.GrowthRate, gs.Predicted.GrowthRate,
			deref(o.DrainedAtS), deref(gs.Predicted.DrainedAtS), o.Lost, o.DuplicatesDelivered, o.AppliedTwice)
	}
	l := s.Groups["ledger"].Observed
	if l.AppliedTwice != 0 || l.Effects.Applied != events || l.Effects.Points != l.Effects.PointsExpected {
		t.Errorf("ledger: applied %d of %d (twice %d), points %d of %d; want every effect once",
			l.Effects.Applied, events, l.AppliedTwice, l.Effects.Points, l.Effects.PointsExpected)
	}
}

// TestDrainTimeoutFaults: the default drain timeout waits for the drain a
// worker fault causes. 80/s for 10 minutes against 3 workers at 30/s keeps
// up; without the worker removed at 1 minute the run would wait 30 s after
// the producers. With 2 workers it grows at 20/s for 540 s, 10,800 events,
// which they drain in 180 s (and 0.8 more events of the rebalance's 10 ms
// pause, 0.013 s): 180 s plus the 30 s of slack, at ×1.
func TestDrainTimeoutFaults(t *testing.T) {
	sc := parse(t, `
name: drain
topics: {orders: {partitions: 6}}
producers: {orders: {topic: orders, phases: [{duration: 10m, rate: 80}]}}
groups: {g: {topics: [orders], workers: 3, capacity: 90}}
faults: [{at: 1m, action: remove-worker, group: g}]
`)
	cfg := &Config{Scenario: sc, Speedup: 1}
	got := defaultDrainTimeout(cfg, predict.PredictTimed(sc, nil, predict.Embedded, predict.Timing{Speedup: 1}))
	if want := 210 * time.Second; got < want || got > want+20*time.Millisecond {
		t.Errorf("drain timeout %v, want %v (and the pause's 13 ms)", got, want)
	}
}
