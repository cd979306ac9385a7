package model

import (
	"math"
	"slices"
	"strings"
	"testing"

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
