package bench

import "testing"

// removeAddScenario: each group loses a worker at 10 s while it keeps up
// (80/s against 3 × 30/s), so its 2 workers (3 partitions each, 60/s)
// fall behind at 100/s: +40/s to 1,200 at 40 s; at 20/s they drain it by
// 70 s. A worker joins at 75 s, before the input rises to 110/s, and the
// partitions move again. The leave and the join each take partitions from
// a worker in the middle of a batch: the at-least-once group commits what
// it processed, the exactly-once group aborts the batch's transaction.
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
// modes while the groups are backlogged: nothing is lost, and the
// exactly-once group applies every event's effect exactly once (a leave
// mid-batch once committed the polled, unprocessed tail: 7 events lost).
// The fluid model has no worker faults, so these groups' backlog figures
// are reported, not judged; the delivery audit is what this checks.
func TestRemoveAddWorker(t *testing.T) {
	s := runScenario(t, removeAddScenario, 5)
	const events = 10*80 + 30*100 + 35*20 + 30*110
	for _, g := range []string{"loyalty", "ledger"} {
		o := s.Groups[g].Observed
		if o.Lost != 0 || o.Unprocessed != 0 {
			t.Errorf("%s: lost %d, unprocessed %d", g, o.Lost, o.Unprocessed)
		}
		t.Logf("%s: peak %.0f, lost %d, duplicates %d, applied twice %d", g, o.PeakBacklog, o.Lost, o.DuplicatesDelivered, o.AppliedTwice)
	}
	l := s.Groups["ledger"].Observed
	if l.AppliedTwice != 0 || l.Effects.Applied != events || l.Effects.Points != l.Effects.PointsExpected {
		t.Errorf("ledger: applied %d of %d (twice %d), points %d of %d; want every effect once",
			l.Effects.Applied, events, l.AppliedTwice, l.Effects.Points, l.Effects.PointsExpected)
	}
}
