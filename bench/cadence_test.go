package bench

import (
	"testing"
	"time"

	"github.com/backlogbench/backlogbench/scenario"
)

// TestCadences: every cadence is a wall-time floor bounded in scenario
// time, and a scenario that judges latency percentiles batches nothing.
func TestCadences(t *testing.T) {
	flash, err := scenario.Load("flash-sale")
	if err != nil {
		t.Fatal(err)
	}
	random, err := scenario.Load("random-service")
	if err != nil {
		t.Fatal(err)
	}
	ms := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
	for _, c := range []struct {
		sc                         *scenario.Scenario
		speedup                    float64
		commit, quantum, fetchWait time.Duration
	}{
		{flash, 1, ms(200), ms(2), 0}, // email: 25 records/s per worker
		{flash, 5, ms(40), ms(2), ms(10)},
		{flash, 10, ms(40), ms(2), ms(10)},
		{flash, 30, ms(1000.0 / 30), ms(50.0 / 30), ms(10)},
		{flash, 60, ms(1000.0 / 60), ms(50.0 / 60), ms(10)},
		{random, 2, ms(100), 0, 0},
		{random, 30, ms(1000.0 / 30), 0, 0},
	} {
		r := &run{cfg: Config{Speedup: c.speedup}, sc: c.sc}
		near := func(got, want time.Duration) bool { return (got - want).Abs() <= time.Microsecond }
		if got := r.commitEvery(); !near(got, c.commit) {
			t.Errorf("%s ×%g: commitEvery %v, want %v", c.sc.Name, c.speedup, got, c.commit)
		}
		if got := r.quantum(); !near(got, c.quantum) {
			t.Errorf("%s ×%g: quantum %v, want %v", c.sc.Name, c.speedup, got, c.quantum)
		}
		if got := r.fetchWait(c.sc.Groups["email"]); got != c.fetchWait {
			t.Errorf("%s ×%g: email's fetchWait %v, want %v", c.sc.Name, c.speedup, got, c.fetchWait)
		}
		// Commits: at least once a scenario second, never more than 0.2 s
		// of scenario apart below the wall floor.
		if s := r.commitEvery().Seconds() * c.speedup; s > 1+1e-9 || s < 0.2-1e-9 {
			t.Errorf("%s ×%g: commits every %.3g scenario s, want 0.2–1", c.sc.Name, c.speedup, s)
		}
	}
}

// TestFetchWaitThreshold: a group's fetches are batched only when its
// peak input per worker, in wall time, exceeds a record per batched wait
// (100/s): analytics takes 180 events/s on three workers, 60/s each.
func TestFetchWaitThreshold(t *testing.T) {
	sc, err := scenario.Load("flash-sale")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		speedup float64
		want    time.Duration
	}{{1, 0}, {100.0 / 60, 0}, {1.7, fetchBatchWait}, {2, fetchBatchWait}, {30, fetchBatchWait}} {
		r := &run{cfg: Config{Speedup: c.speedup}, sc: sc}
		if got := r.fetchWait(sc.Groups["analytics"]); got != c.want {
			t.Errorf("analytics ×%g: fetchWait %v, want %v", c.speedup, got, c.want)
		}
	}
}

// TestFetchFill: a worker's fetch waits for at most fetchFillS of its
// share of the group's peak input, counted at the smallest payload.
func TestFetchFill(t *testing.T) {
	sc, err := scenario.Load("flash-sale")
	if err != nil {
		t.Fatal(err)
	}
	r := &run{cfg: Config{Speedup: 30}, sc: sc}
	for name, want := range map[string]int32{
		"email":          int32(100.0 / 4 * fetchFillS * 512),        // orders only, 4 workers
		"analytics":      int32((100.0 + 80) / 3 * fetchFillS * 512), // orders and clicks, 3 workers
		"inventory-feed": int32(100.0 / 2 * fetchFillS * 512),
	} {
		if got := r.fetchFill(sc.Groups[name]); got != want {
			t.Errorf("%s: fetchFill %d, want %d", name, got, want)
		}
	}
}

// TestOneCore: a run plays on one processor up to OneCoreLoad records a
// second of wall time, counted by scenario.PeakLoad (the flash sale: 180
// events/s from its producers, 720 of capacity in its four groups).
func TestOneCore(t *testing.T) {
	sc, err := scenario.Load("flash-sale")
	if err != nil {
		t.Fatal(err)
	}
	if got := sc.PeakLoad(); got != 900 {
		t.Fatalf("flash-sale: PeakLoad %v, want 900", got)
	}
	for _, c := range []struct {
		speedup float64
		want    bool
	}{{1, true}, {10, true}, {30, true}, {33.3, true}, {34, false}, {60, false}} {
		if got := OneCore(sc, c.speedup); got != c.want {
			t.Errorf("flash-sale ×%g: OneCore %v, want %v", c.speedup, got, c.want)
		}
	}
}
