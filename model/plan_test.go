package model

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backlogbench/backlogbench/rate"
)

func seedGroup() Group {
	return Group{Topics: []Topic{
		even(12, rate.New(constant(600, 100))),
		even(6, rate.New(constant(120, 0), constant(300, 80))),
	}, Workers: 3, Capacity: forever(120)}
}

func outageGroup() Group {
	return Group{Topics: []Topic{even(12, rate.New(constant(300, 100)))}, Workers: 3,
		Capacity: rate.New(constant(60, 150), constant(60, 0), rate.Segment{Dur: math.Inf(1), From: 150, To: 150})}
}

// bruteForce returns the least whole capacity, scanning up from 0 in
// steps of 1 event/s, that meets the target; -1 when none up to limit does.
func bruteForce(g Group, t Target, limit int) int {
	_, shape := nominal(g.Capacity)
	for c := 0; c <= limit; c++ {
		h := g
		h.Capacity = shape.Scaled(float64(c))
		if t.Met(Predict(h)) {
			return c
		}
	}
	return -1
}

func TestPlanGroup(t *testing.T) {
	tests := []struct {
		name       string
		g          Group
		t          Target
		capacity   float64
		workers    int
		partitions []int
		atCurrent  int
	}{
		{
			// (180 − C)·300 ≤ 5,000: C ≥ 163.33. At 40/s a worker, 5
			// workers; with 12 and 6 partitions the worker holding 3+2 grows
			// at 11.67/s, 3,500 in all: the partitions do.
			name: "seed, max backlog", g: seedGroup(), t: Target{MaxBacklog: 5000},
			capacity: 163.4, workers: 5, partitions: []int{12, 6}, atCurrent: 5,
		},
		{
			// 180 − C ≤ 0 from 2:00 to 7:00 for no backlog at all.
			name: "seed, max backlog 0.5", g: seedGroup(), t: Target{MaxBacklog: 0.5},
			capacity: 180, workers: 5, partitions: []int{15, 10}, atCurrent: 6,
		},
		{
			// The backlog at 7:00 is (180 − C)·300 and drains at C − 100 to
			// 10:00, then at C: drained within 60 s of the peak needs
			// (180 − C)·300 ≤ 60·(C − 100): C ≥ 166.67.
			// At 5 workers the one with 3+2 partitions peaks at 3,500 and
			// drains at 15/s: an even split (15 and 10) or a 6th worker.
			name: "seed, drain within 60s", g: seedGroup(), t: Target{DrainWithin: 60},
			capacity: 166.7, workers: 5, partitions: []int{15, 10}, atCurrent: 6,
		},
		{
			// The wait of the event arriving at 7:00 is (180 − C)·300 / C.
			name: "seed, max time lag 30s", g: seedGroup(), t: Target{MaxTimeLag: 30},
			capacity: 163.7, workers: 5, partitions: []int{15, 10}, atCurrent: 6,
		},
		{
			// 6,000 events back up during the outage whatever the capacity;
			// they must drain at C − 100 ≥ 100/s. Phases 150/0/150 scale.
			name: "outage, drain within 60s", g: outageGroup(), t: Target{DrainWithin: 60},
			capacity: 200, workers: 4, partitions: []int{12}, atCurrent: 4,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pl := PlanGroup(tt.g, tt.t)
			if !pl.Feasible {
				t.Fatalf("infeasible: %s", pl.Reason)
			}
			if math.Abs(pl.Capacity-tt.capacity) > 1e-9 {
				t.Errorf("capacity = %v, want %v", pl.Capacity, tt.capacity)
			}
			if pl.Workers != tt.workers || !slices.Equal(pl.Partitions, tt.partitions) || pl.WorkersAtCurrentPartitions != tt.atCurrent {
				t.Errorf("workers %d, partitions %v, at current partitions %d; want %d, %v, %d",
					pl.Workers, pl.Partitions, pl.WorkersAtCurrentPartitions, tt.workers, tt.partitions, tt.atCurrent)
			}
			if n := bruteForce(tt.g, tt.t, 1000); n < 0 || pl.Capacity > float64(n)+1e-9 || pl.Capacity <= float64(n)-1 {
				t.Errorf("capacity %v, brute force at 1 event/s: %d", pl.Capacity, n)
			}
			if !tt.t.Met(pl.Prediction) {
				t.Errorf("the planned prediction does not meet the target")
			}
		})
	}
}

func TestPlanInfeasible(t *testing.T) {
	tests := []struct {
		name string
		g    Group
		t    Target
		want string
	}{
		{"backlog during the outage", outageGroup(), Target{MaxBacklog: 5000},
			"the capacity is 0 from 1:00.0 to 2:00.0: the 6000 events that arrive meanwhile exceed --max-backlog 5000 whatever the capacity"},
		{"time lag across the outage", outageGroup(), Target{MaxTimeLag: 30},
			"the capacity is 0 from 1:00.0 to 2:00.0: an event arriving at 1:00.0 waits for it whatever the capacity, beyond --max-time-lag 30s"},
		{"capacity 0 for ever", Group{Topics: []Topic{even(3, rate.New(constant(60, 10)))}, Workers: 1,
			Capacity: rate.New(constant(30, 20), rate.Segment{Dur: math.Inf(1)})}, Target{DrainWithin: 600},
			"the capacity is 0 from 0:30.0 on and events arrive then: the backlog never drains"},
	}
	for _, tt := range tests {
		pl := PlanGroup(tt.g, tt.t)
		if pl.Feasible {
			t.Errorf("%s: feasible at %v, want infeasible", tt.name, pl.Capacity)
			continue
		}
		if pl.Reason != tt.want {
			t.Errorf("%s: reason\n%s\nwant\n%s", tt.name, pl.Reason, tt.want)
		}
	}
}

// TestPlanDrainNotMonotone is the case that rules out bisection for the
// drain target: 100/s for 10 s then 50/s for 100 s. At 49/s the backlog
// grows throughout and drains 12.4 s after its one peak at 1:50; at 60/s
// it peaks at 0:10 and takes 40 s to drain.
func TestPlanDrainNotMonotone(t *testing.T) {
	g := Group{Topics: []Topic{even(1, rate.New(constant(10, 100), constant(100, 50)))}, Workers: 1, Capacity: forever(1)}
	tgt := Target{DrainWithin: 20}
	at := func(c float64) bool { h := g; h.Capacity = forever(c); return tgt.Met(Predict(h)) }
	if !at(49) || at(60) {
		t.Fatalf("met at 49: %v (want true), at 60: %v (want false)", at(49), at(60))
	}
	pl := PlanGroup(g, tgt)
	if n := bruteForce(g, tgt, 1000); pl.Capacity > float64(n)+1e-9 || pl.Capacity <= float64(n)-1 {
		t.Errorf("capacity %v, brute force %d", pl.Capacity, n)
	}
}

func TestPlanHotKey(t *testing.T) {
	// One key is 60% of 100/s; a worker does 25/s: no number of workers
	// serves its partition, though capacity (a faster worker) does.
	hot := func(n int) []float64 {
		sh := make([]float64, n)
		for i := range sh {
			sh[i] = 0.4 / float64(n)
		}
		sh[0] += 0.6
		return sh
	}
	g := Group{Topics: []Topic{{Partitions: 8, Inputs: []Input{{Rate: rate.New(constant(60, 100)), Shares: hot}}}}, Workers: 4, Capacity: forever(100)}
	pl := PlanGroup(g, Target{MaxBacklog: 100})
	if !pl.Feasible || pl.Workers != 0 || !strings.Contains(pl.Reason, "hot key") {
		t.Errorf("plan = feasible %v, capacity %v, workers %d, reason %q; want capacity only", pl.Feasible, pl.Capacity, pl.Workers, pl.Reason)
	}
}

func TestClock(t *testing.T) {
	tests := []struct {
		s    float64
		want string
	}{
		{0, "0:00.0"},
		{-1e-12, "0:00.0"},
		{0.04, "0:00.0"},
		{30, "0:30.0"},
		{59.97, "1:00.0"}, // rounded before it is split: never 0:60.0
		{659.97, "11:00.0"},
		{750, "12:30.0"},
		{3599.94, "59:59.9"},
		{3599.96, "1h0m0s"},
		{7500, "2h5m0s"},
		{7499999.97, "2083h20m0s"}, // was 124999:60.0
		{1e5*3600 - 1, "99999h59m59s"},
		{1e5 * 3600, "3.60e+08 s"},
		{2.4e15, "2.40e+15 s"}, // was 40000000000000:00.0
		{1e300, "1.00e+300 s"}, // was -153722867280912930:2400…0.0
		{-90, "-1:30.0"},
		{math.Inf(1), "never"},
		{math.NaN(), "—"},
		{math.Inf(-1), "—"},
	}
	for _, tt := range tests {
		if got := Clock(tt.s); got != tt.want {
			t.Errorf("Clock(%v) = %q, want %q", tt.s, got, tt.want)
		}
	}
}

func TestFigure(t *testing.T) {
	tests := []struct {
		x    float64
		prec int
		want string
	}{
		{18000, 0, "18000"},
		{163.35, 1, "163.3"},
		{60, 2, "60.00"},
		{999999999999750, 2, "999999999999750.00"},
		{6e17, 0, "6.000e+17"},
		{-6e17, 0, "-6.000e+17"},
		{6e299, 0, "6.000e+299"},
		{math.Inf(1), 0, "∞"},
		{math.NaN(), 0, "—"},
	}
	for _, tt := range tests {
		if got := Figure(tt.x, tt.prec); got != tt.want {
			t.Errorf("Figure(%v, %d) = %q, want %q", tt.x, tt.prec, got, tt.want)
		}
	}
}

// TestPlanHugeRates plans where capacity 0 passed for a plan and where
// float64 spacing stalled the bisection: the least capacity at 1e15
// events/s lies above 1e12/s, where the search gave up ("infeasible"), and
// above about 1e14/s, where the cells of Resolution/4 cannot be split and
// the bisection spun for ever. Every plan is bounded by 5 s.
func TestPlanHugeRates(t *testing.T) {
	huge := func(c rate.Schedule, workers int) Group {
		return Group{Topics: []Topic{even(12, rate.New(constant(600, 1e15)))}, Workers: workers, Capacity: c}
	}
	tests := []struct {
		name     string
		g        Group
		t        Target
		capacity float64 // 0 when infeasible
		tol      float64
		reason   string
	}{
		// 60,000 events in all fit --max-backlog 100000 at any capacity
		// above 0; at 0 the backlog never drains, which passed for a plan.
		{"every event fits the bound", Group{Topics: []Topic{even(12, rate.New(constant(600, 100)))}, Workers: 4, Capacity: forever(250)},
			Target{MaxBacklog: 100000}, 0.1, 1e-9, "the group receives 60000 events in all, within --max-backlog 100000: any capacity above 0 meets it; at 0.1/s it drains at 166h40m0s"},
		// The same, but the capacity drops to 0 for ever while events
		// still arrive: no capacity drains them.
		{"capacity 0 for ever, within the bound", Group{Topics: []Topic{even(3, rate.New(constant(60, 10)))}, Workers: 1,
			Capacity: rate.New(constant(30, 20), rate.Segment{Dur: math.Inf(1)})}, Target{MaxBacklog: 1000}, 0, 0,
			"the capacity is 0 from 0:30.0 on and events arrive then: the backlog never drains"},
		// (1e15 − C)·600 ≤ 100,000.
		{"1e15/s, max backlog", huge(forever(250), 4), Target{MaxBacklog: 100000}, 1e15 - 100000.0/600, 1, ""},
		{"1e15/s, max backlog, from 1e15/s", huge(forever(1e15), 4), Target{MaxBacklog: 100000}, 1e15 - 100000.0/600, 1, ""},
		// Two of 5 workers hold 3 of the 12 partitions: C/5 ≥ 1e15·3/12.
		{"1e15/s on 5 workers", huge(forever(250), 5), Target{MaxBacklog: 100000}, 1.25e15, 1e3, ""},
		// (1e15 − C)·600 / C ≤ 60, the drain after 10:00. Met allows 1e-9 s
		// over the target, which the drain time, falling 7e-13 s per 1/s
		// of capacity here, turns into about 1,400/s.
		{"1e15/s, drain within 60s", huge(forever(250), 4), Target{DrainWithin: 60}, 1e15 / 1.1, 1e4, ""},
		// The event arriving at 10:00 waits (1e15 − C)·600 / C ≤ 30.
		{"1e15/s, max time lag 30s", huge(forever(1e15), 4), Target{MaxTimeLag: 30}, 1e15 * 600 / 630, 1e4, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := make(chan Plan, 1)
			go func() { plan <- PlanGroup(tt.g, tt.t) }()
			var pl Plan
			select {
			case pl = <-plan:
			case <-time.After(5 * time.Second):
				t.Fatal("PlanGroup did not return within 5s")
			}
			if tt.capacity == 0 {
				if pl.Feasible {
					t.Fatalf("feasible at %v/s, want infeasible", pl.Capacity)
				}
			} else {
				if !pl.Feasible {
					t.Fatalf("infeasible (%s), want %v/s", pl.Reason, tt.capacity)
				}
				if math.Abs(pl.Capacity-tt.capacity) > tt.tol {
					t.Errorf("capacity %v/s, want %v/s ± %v", pl.Capacity, tt.capacity, tt.tol)
				}
				if !tt.t.Met(pl.Prediction) || math.IsInf(pl.Prediction.DrainedAtS, 1) {
					t.Errorf("the prediction at %v/s does not meet %s (peak %v, drained at %v)", pl.Capacity, tt.t, pl.Prediction.PeakBacklog, pl.Prediction.DrainedAtS)
				}
			}
			if tt.reason != "" && pl.Reason != tt.reason {
				t.Errorf("reason\n%s\nwant\n%s", pl.Reason, tt.reason)
			}
		})
	}
}
