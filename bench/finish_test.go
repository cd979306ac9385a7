package bench

import (
	"reflect"
	"testing"

	"github.com/backlogbench/backlogbench/report"
	"github.com/backlogbench/backlogbench/results"
	"github.com/backlogbench/backlogbench/scenario"
)

func TestCriticalPathSummary(t *testing.T) {
	sc, err := scenario.Load("flash-sale")
	if err != nil {
		t.Fatal(err)
	}
	s := criticalPathSummary(sc, 30, nil)
	if s == nil {
		t.Fatal("flash-sale has a critical path")
	}
	if s.SyncLatencyMs != 315 || report.Percent(s.SyncAvailability) != "99.4015%" || s.AsyncLatencyMs != 290 || !reflect.DeepEqual(s.Moved, []string{"notification"}) {
		t.Errorf("critical path %+v", s)
	}
}

// TestPredictDuplicates: the bound adds what the crashes left uncommitted
// and what the aborted transactions processed to the exact resends; a
// group without either keeps an exact count.
func TestPredictDuplicates(t *testing.T) {
	sc := parse(t, `
topics:
  orders: {partitions: 6}
producers:
  orders: {topic: orders, phases: [{duration: 10s, rate: 100}]}
groups:
  ledger: {topics: [orders], workers: 3, capacity: 180, delivery: exactly-once}
  email: {topics: [orders], workers: 3, capacity: 180}
`)
	resent := map[string]int64{"orders": 4}
	for _, c := range []struct {
		name                 string
		group                string
		crashes, rebalances  int
		uncommitted, aborted int64
		aborts               int64
		exact, max           int64 // max -1: an exact count
	}{
		{"no faults", "email", 0, 0, 0, 0, 0, 4, -1},
		{"a crash", "email", 1, 0, 7, 0, 0, 4, 11},
		{"a crash, two aborts", "ledger", 1, 0, 6, 24, 2, 4, 34},
		{"a rebalance that aborted nothing", "ledger", 0, 1, 0, 0, 0, 4, 4},
		{"an abort without a fault", "ledger", 0, 0, 0, 15, 1, 4, 19},
		{"a clean rebalance at least once", "email", 0, 2, 0, 0, 0, 4, -1},
	} {
		ws := newWorkerSet(3, 3)
		ws.crashes, ws.rebalances = c.crashes, c.rebalances
		ws.uncommitted.Store(c.uncommitted)
		ws.aborted.Store(c.aborted)
		ws.aborts.Store(c.aborts)
		p := predictDuplicates(sc, c.group, results.Predicted{}, resent, ws, nil)
		switch {
		case p.DuplicatesUpstream != c.exact:
			t.Errorf("%s: upstream %d, want %d", c.name, p.DuplicatesUpstream, c.exact)
		case c.max < 0 && (p.Duplicates == nil || *p.Duplicates != c.exact || p.DuplicatesMax != nil):
			t.Errorf("%s: want exactly %d duplicates, got %v (max %v)", c.name, c.exact, p.Duplicates, p.DuplicatesMax)
		case c.max >= 0 && (p.DuplicatesMax == nil || *p.DuplicatesMax != c.max || p.Duplicates != nil):
			t.Errorf("%s: want at most %d duplicates, got max %v (exact %v)", c.name, c.max, p.DuplicatesMax, p.Duplicates)
		}
	}
}
