package bench

import (
	"context"
	"testing"
	"time"
)

// deeperMini plays 12 partitions on 5 workers (search: two workers hold 3
// partitions, 30/s against 22/s: 960 at 60 s, where the aggregate model
// says 600) and keyed events whose hottest keys overload one of loyalty's
// two workers: 60/s against 56/s is 240 pooled, but the worker whose
// partitions get 59% of the events peaks at 427.
const deeperMini = `
name: deeper-mini
topics:
  orders: {partitions: 12}
  carts: {partitions: 6}
producers:
  orders:
    topic: orders
    size: 256
    phases: [{duration: 60s, rate: 120}]
  carts:
    topic: carts
    size: 256
    keys: {dist: zipf, s: 1.1, count: 1000}
    phases: [{duration: 60s, rate: 60}]
groups:
  search: {topics: [orders], workers: 5, capacity: 110}
  loyalty: {topics: [carts], workers: 2, capacity: 56}
tolerance: 2%
`

// TestRunDeeper checks on the embedded broker that the assignment-aware
// prediction (uneven partitions, hot keys) is what a run observes.
func TestRunDeeper(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a 60 s scenario at ×10")
	}
	sc := parse(t, deeperMini)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := Run(ctx, Config{Scenario: sc, Speedup: 10})
	if err != nil {
		t.Fatal(err)
	}
	s := res.Summary
	if !s.Complete {
		t.Fatalf("run not complete: %v", s.Notes)
	}
	if got := s.Groups["search"].Predicted.PeakBacklog; got != 960 {
		t.Errorf("search: predicted peak %v, want 960 (the aggregate model says 600)", got)
	}
	if got := s.Groups["loyalty"].Predicted.PeakBacklog; !(got > 100) {
		t.Errorf("loyalty: predicted peak %v, want the hot worker's backlog", got)
	}
	for name, g := range s.Groups {
		if len(g.Assignment) == 0 {
			t.Errorf("%s: no assignment recorded", name)
		}
	}
	requirePass(t, s)
}
