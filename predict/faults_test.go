package predict

import (
	"math"
	"testing"
	"time"

	"github.com/backlogbench/backlogbench/scenario"
)

// TestPredictFaults checks that a scenario's worker faults reach the
// model timed as a run plays them, on figures worked out by hand.
func TestPredictFaults(t *testing.T) {
	tests := []struct {
		name, yaml string
		tm         Timing
		peak, at   float64
		growth     float64
		drained    float64
	}{
		{
			// A crash at ×10 with a 2 s session: worker 0's partitions 0
			// and 1 (18/s of the 54/s) wait 20 s of scenario time, 360 at
			// 50 s. Their new owner (partitions 0–2, 27/s against 30/s)
			// first redoes half of 0.2 s of commits at 30/s, 3 records,
			// 0.1 s: 362.7 at 50.1 s. Then −3/s to 213 when the input
			// stops at 100 s, and 213/30 = 7.1 s more.
			name: "crash-worker",
			yaml: `
topics: {orders: {partitions: 6}}
producers: {orders: {topic: orders, phases: [{duration: 100s, rate: 54}]}}
groups: {g: {topics: [orders], workers: 3, capacity: 90}}
faults: [{at: 30s, action: crash-worker, group: g}]`,
			tm:   Timing{Speedup: 10, CrashSession: 2 * time.Second, RebalancePause: -1, CommitEvery: 0.2},
			peak: 362.7, at: 50.1, growth: 18, drained: 107.1,
		},
		{
			// An add at ×10 whose worker joins 100 ms (1 s) later: 2
			// workers at 30/s against 100/s until 51 s, 2,040; then 3:
			// +10/s to 2,530 at 100 s, drained 2,530/90 later.
			name: "add-worker",
			yaml: `
topics: {orders: {partitions: 6}}
producers: {orders: {topic: orders, phases: [{duration: 100s, rate: 100}]}}
groups: {g: {topics: [orders], workers: 2, capacity: 60}}
faults: [{at: 50s, action: add-worker, group: g}]`,
			tm:   Timing{Speedup: 10, RebalancePause: -1, JoinDelay: 100 * time.Millisecond},
			peak: 2530, at: 100, growth: 40, drained: 100 + 2530.0/90,
		},
		{
			// An exactly-once group losing a worker at 50 s, every
			// member 100 ms (0.1 s at ×1) without processing and each
			// aborting half a poll: 6 partitions, 3 workers at 30/s,
			// 100/s; a poll is max_poll_records, ⌈30·0.25⌉ = 8 records.
			// At 50 s each worker holds 500/3; the leaver's cut poll is 4
			// records (its partitions 4 and 5 go to the second survivor),
			// each survivor's 4 spread over all 6 partitions. The first
			// is idle 0.1 + 4/30 s, the second 0.1 + 8/30 s: 500 + 40·50
			// + 30·(0.2 + 12/30) = 2,518 at 100 s. From 250 each at 50 s
			// the second holds 250 + 2,500 − 30·(50 − 0.1 − 8/30) = 1,261
			// then, and is empty 1,261/30 s later.
			name: "remove-worker, exactly once",
			yaml: `
topics: {orders: {partitions: 6}}
producers: {orders: {topic: orders, phases: [{duration: 100s, rate: 100}]}}
groups: {g: {topics: [orders], workers: 3, capacity: 90, delivery: exactly-once}}
faults: [{at: 50s, action: remove-worker, group: g}]`,
			tm:   Timing{RebalancePause: 100 * time.Millisecond},
			peak: 2518, at: 100, growth: 40, drained: 100 + 1261.0/30,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, err := scenario.Parse("t.yaml", []byte("name: t"+tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			p := PredictTimed(sc, nil, Embedded, tt.tm)[0]
			for _, c := range []struct {
				name      string
				got, want float64
			}{{"peak", p.PeakBacklog, tt.peak}, {"peak at", p.PeakAtS, tt.at}, {"growth", p.GrowthRate, tt.growth}, {"drained", p.DrainedAtS, tt.drained}} {
				if math.Abs(c.got-c.want) > 1e-6*max(1, c.want) {
					t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
				}
			}
		})
	}
}
