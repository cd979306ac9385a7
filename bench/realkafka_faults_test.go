package bench

import (
	"strings"
	"testing"
	"time"
)

// realCrashScenario: a worker of each group dies at 20 s without
// committing or leaving; the broker's session timeout hands its partitions
// to the two others, which keep up (2 × 60/s against 100/s).
const realCrashScenario = `
name: real-crash
topics:
  orders: {partitions: 6}
producers:
  orders: {topic: orders, size: 256, phases: [{duration: 40s, rate: 100}]}
groups:
  loyalty: {topics: [orders], workers: 3, capacity: 180, dedup: true}
  email: {topics: [orders], workers: 3, capacity: 180}
  ledger: {topics: [orders], workers: 3, capacity: 180, delivery: exactly-once}
faults:
  - {at: 20s, action: crash-worker, group: loyalty}
  - {at: 20s, action: crash-worker, group: email}
  - {at: 20s, action: crash-worker, group: ledger}
`

// TestRealKafkaCrashWorker crashes a worker of each group on the real
// broker: nothing is lost, every group's duplicates stay within the
// predicted bound (what the dead worker processed and had not committed),
// the dedup store keeps loyalty's points right and the exactly-once ledger
// applies every event once. The crash's short session timeout (2 s) needs
// the broker's group.min.session.timeout.ms at or under it; kafka.sh sets
// 1 s (the stock 6 s makes the run use 6 s and say so in its notes).
func TestRealKafkaCrashWorker(t *testing.T) {
	startReal(t)
	s := runReal(t, Config{Scenario: parse(t, realCrashScenario), Speedup: 10}, 2*time.Minute)
	requirePass(t, s)
	t.Logf("notes: %q", s.Notes)
	for name, g := range s.Groups {
		o := g.Observed
		t.Logf("%s: delivered %d, unique %d, duplicates %d (bound %s), redelivered %d, applied twice %d",
			name, o.Delivered, o.Unique, o.DuplicatesDelivered, bound(g.Predicted.DuplicatesMax), o.Redelivered, o.AppliedTwice)
		if o.Lost != 0 || o.Unique != 4000 {
			t.Errorf("%s: lost %d, unique %d of 4000", name, o.Lost, o.Unique)
		}
		if g.Predicted.DuplicatesMax == nil {
			t.Fatalf("%s: no duplicates bound predicted for a crash", name)
		}
		if o.DuplicatesDelivered > *g.Predicted.DuplicatesMax {
			t.Errorf("%s: %d duplicates over the bound %d", name, o.DuplicatesDelivered, *g.Predicted.DuplicatesMax)
		}
	}
	if o := s.Groups["loyalty"].Observed; o.AppliedTwice != 0 || o.Effects.Points != o.Effects.PointsExpected {
		t.Errorf("loyalty: applied twice %d, points %d of %d", o.AppliedTwice, o.Effects.Points, o.Effects.PointsExpected)
	}
	if o := s.Groups["ledger"].Observed; o.AppliedTwice != 0 || o.Effects.Applied != 4000 || o.Effects.Points != o.Effects.PointsExpected {
		t.Errorf("ledger: applied %d (twice %d), points %d of %d; want every effect once", o.Effects.Applied, o.AppliedTwice, o.Effects.Points, o.Effects.PointsExpected)
	}
	for _, n := range s.Notes {
		if strings.Contains(n, "the broker's minimum") {
			t.Errorf("the broker raised the crash's session timeout: %s (kafka.sh sets group.min.session.timeout.ms=1000)", n)
		}
	}
}

// TestRealKafkaRemoveAddWorker plays TestRemoveAddWorker's scenario on the
// real broker: both delivery modes lose a worker while backlogged and get
// one back; the run waits for the drain the faults cause, nothing is lost,
// the exactly-once ledger applies every event once, and the backlog
// figures are judged against the prediction with the faults.
func TestRealKafkaRemoveAddWorker(t *testing.T) {
	startReal(t)
	s := runReal(t, Config{Scenario: parse(t, removeAddScenario), Speedup: 5}, 3*time.Minute)
	requirePass(t, s)
	const events = 10*80 + 30*100 + 35*20 + 30*110
	for _, g := range []string{"loyalty", "ledger"} {
		gs := s.Groups[g]
		o := gs.Observed
		if o.Lost != 0 || o.Unique != events {
			t.Errorf("%s: lost %d, unique %d of %d", g, o.Lost, o.Unique, events)
		}
		if _, ok := gs.Verdicts["peak_backlog"]; !ok {
			t.Errorf("%s: peak_backlog not judged", g)
		}
		t.Logf("%s: peak %.0f (predicted %.1f), drained at %v (%v), duplicates %d, applied twice %d",
			g, o.PeakBacklog, gs.Predicted.PeakBacklog, deref(o.DrainedAtS), deref(gs.Predicted.DrainedAtS), o.DuplicatesDelivered, o.AppliedTwice)
	}
	if l := s.Groups["ledger"].Observed; l.AppliedTwice != 0 || l.Effects.Applied != events {
		t.Errorf("ledger: applied %d of %d, twice %d; want every effect once", l.Effects.Applied, events, l.AppliedTwice)
	}
}
