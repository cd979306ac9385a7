package model

import (
	"math"
	"reflect"
	"testing"

	"github.com/backlogbench/backlogbench/rate"
)

func TestRangeAssignment(t *testing.T) {
	tests := []struct {
		partitions, workers int
		want                [][]int32
	}{
		{12, 5, [][]int32{{0, 1, 2}, {3, 4, 5}, {6, 7}, {8, 9}, {10, 11}}},
		{6, 3, [][]int32{{0, 1}, {2, 3}, {4, 5}}},
		{2, 3, [][]int32{{0}, {1}, nil}},
	}
	for _, tt := range tests {
		if got := RangeAssignment(tt.partitions, tt.workers); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("RangeAssignment(%d, %d) = %v, want %v", tt.partitions, tt.workers, got, tt.want)
		}
	}
}

func even(partitions int, rates ...rate.Schedule) Topic {
	tp := Topic{Partitions: partitions}
	for _, r := range rates {
		tp.Inputs = append(tp.Inputs, Input{Rate: r})
	}
	return tp
}

func TestPredictAssignment(t *testing.T) {
	orders := rate.New(constant(600, 100))
	clicks := rate.New(constant(120, 0), constant(300, 80))
	tests := []struct {
		name   string
		g      Group
		want   Prediction // Curve and Queues ignored
		queues int
	}{
		{
			// Every worker gets 4 orders and 2 clickstream partitions: the
			// aggregate model, exactly the seed's numbers.
			name:   "seed analytics",
			g:      Group{Topics: []Topic{even(12, orders), even(6, clicks)}, Workers: 3, Capacity: forever(120)},
			want:   Prediction{Events: 84000, PeakBacklog: 18000, PeakAtS: 420, GrowthRate: 60, DrainedAtS: 720},
			queues: 1,
		},
		{
			// 120/s on 12 partitions, 5 workers at 22/s: two workers hold 3
			// partitions (30/s) and grow at 8/s for 300 s, 2,400 each; the
			// other three (20/s) keep up. The aggregate model (120 against
			// 110) says 3,000.
			name:   "12 partitions on 5 workers",
			g:      Group{Topics: []Topic{even(12, rate.New(constant(300, 120)))}, Workers: 5, Capacity: forever(110)},
			want:   Prediction{Events: 36000, PeakBacklog: 4800, PeakAtS: 300, GrowthRate: 16, DrainedAtS: 300 + 2400.0/22},
			queues: 2,
		},
		{
			// 16 workers on 12 partitions: 4 idle, the other 12 alike.
			name:   "idle workers",
			g:      Group{Topics: []Topic{even(12, rate.New(constant(100, 200)))}, Workers: 16, Capacity: forever(240)},
			want:   Prediction{Events: 20000, PeakBacklog: 2000, PeakAtS: 100, GrowthRate: 20, DrainedAtS: 100 + 2000.0/180},
			queues: 1,
		},
		{
			// An explicit assignment: one worker holds 5 of 6 partitions.
			name: "explicit assignment",
			g: Group{Topics: []Topic{even(6, rate.New(constant(60, 60)))}, Workers: 2, Capacity: forever(80),
				Assignment: [][][]int32{{{0, 1, 2, 3, 4}}, {{5}}}},
			want:   Prediction{Events: 3600, PeakBacklog: 600, PeakAtS: 60, GrowthRate: 10, DrainedAtS: 75},
			queues: 2,
		},
		{
			// Keyed: partition 0 gets half the events, the rest share the
			// other half; worker 0 holds partitions 0 and 1 of 4.
			name: "keyed shares",
			g: Group{Topics: []Topic{{Partitions: 4, Inputs: []Input{{Rate: rate.New(constant(100, 120)),
				Shares: func(n int) []float64 { return []float64{0.5, 1.0 / 6, 1.0 / 6, 1.0 / 6} }}}}},
				Workers: 2, Capacity: forever(120)},
			// Worker 0: 2/3 of 120 = 80 against 60: +20/s, 2,000 at 100 s,
			// drained 2000/60 s later.
			want:   Prediction{Events: 12000, PeakBacklog: 2000, PeakAtS: 100, GrowthRate: 20, DrainedAtS: 100 + 2000.0/60},
			queues: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Predict(tt.g)
			check := func(what string, got, want float64) {
				t.Helper()
				if math.Abs(got-want) > 1e-6*max(1, math.Abs(want)) {
					t.Errorf("%s = %v, want %v", what, got, want)
				}
			}
			check("events", got.Events, tt.want.Events)
			check("peak_backlog", got.PeakBacklog, tt.want.PeakBacklog)
			check("peak_at_s", got.PeakAtS, tt.want.PeakAtS)
			check("growth_rate", got.GrowthRate, tt.want.GrowthRate)
			check("drained_at_s", got.DrainedAtS, tt.want.DrainedAtS)
			if len(got.Queues) != tt.queues {
				t.Errorf("%d queues, want %d", len(got.Queues), tt.queues)
			}
		})
	}
}

// TestSeedExact checks that the seed's figures come out exactly, not
// merely within rounding: reports print them as they are.
func TestSeedExact(t *testing.T) {
	g := Group{Topics: []Topic{even(12, rate.New(constant(600, 100))), even(6, rate.New(constant(120, 0), constant(300, 80)))}, Workers: 3, Capacity: forever(120)}
	got := Predict(g)
	if got.PeakBacklog != 18000 || got.GrowthRate != 60 || got.DrainedAtS != 720 {
		t.Errorf("peak %v, growth %v, drained %v; want exactly 18000, 60, 720", got.PeakBacklog, got.GrowthRate, got.DrainedAtS)
	}
}

// TestCombineMatchesAggregate sums three identical worker queues and
// compares with the aggregate model of the same group.
func TestCombineMatchesAggregate(t *testing.T) {
	in := rate.New(rate.Segment{Dur: 100, From: 0, To: 300}, constant(50, 300), rate.Segment{Dur: 60, From: 300, To: 0})
	agg := Fluid([]rate.Schedule{in}, forever(150))
	w := Fluid([]rate.Schedule{in.Scaled(1.0 / 3)}, forever(50))
	sum := Combine([]Queue{{Count: 3, Inputs: []rate.Schedule{in.Scaled(1.0 / 3)}, Capacity: forever(50), Curve: w.Curve}})
	for _, x := range []float64{0, 30, 60, 99, 120, 150, 170, 200, 230, 260} {
		if a, s := agg.Curve.Backlog(x), sum.Curve.Backlog(x); math.Abs(a-s) > 1e-6*max(1, a) {
			t.Errorf("Backlog(%v): sum %v, aggregate %v", x, s, a)
		}
	}
	if math.Abs(agg.PeakBacklog-sum.PeakBacklog) > 1e-6*agg.PeakBacklog || math.Abs(agg.DrainedAtS-sum.DrainedAtS) > 1e-6*agg.DrainedAtS {
		t.Errorf("sum peak %v drained %v, aggregate %v %v", sum.PeakBacklog, sum.DrainedAtS, agg.PeakBacklog, agg.DrainedAtS)
	}
}
