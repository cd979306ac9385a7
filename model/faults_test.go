package model

import (
	"math"
	"testing"

	"github.com/backlogbench/backlogbench/rate"
)

// TestPredictFaults checks worker faults against figures worked out by
// hand; every partition of a topic gets the same share of an unkeyed
// producer, and each worker keeps capacity/workers.
func TestPredictFaults(t *testing.T) {
	in := func(partitions int, r, d float64) []Topic {
		return []Topic{even(partitions, rate.New(constant(d, r)))}
	}
	tests := []struct {
		name string
		g    Group
		want Prediction // Curve and Queues ignored
	}{
		{
			// 100/s on 6 partitions, 3 workers at 30/s: +10/s to 500 at
			// 50 s; then 2 workers (3 partitions each, 60/s): +40/s to
			// 500 + 40·50 = 2,500 at 100 s, drained 2,500/60 later.
			name: "remove-worker",
			g:    Group{Topics: in(6, 100, 100), Workers: 3, Capacity: forever(90), Faults: []Fault{{At: 50, Kind: RemoveWorker}}},
			want: Prediction{Events: 10000, PeakBacklog: 2500, PeakAtS: 100, GrowthRate: 40, DrainedAtS: 100 + 2500.0/60},
		},
		{
			// As above with a 1 s rebalance pause: 100 more arrive while
			// nothing is processed, 600 at 51 s, then +40/s for 49 s:
			// 2,560 at 100 s, drained 2,560/60 later. The pause's 100/s
			// is not the growth rate (see growthOutside).
			name: "remove-worker, pause",
			g:    Group{Topics: in(6, 100, 100), Workers: 3, Capacity: forever(90), Faults: []Fault{{At: 50, Kind: RemoveWorker}}, RebalancePause: 1},
			want: Prediction{Events: 10000, PeakBacklog: 2560, PeakAtS: 100, GrowthRate: 40, DrainedAtS: 100 + 2560.0/60},
		},
		{
			// As "remove-worker" with redone records: the leaving worker
			// (partitions 4 and 5) leaves 6, and each of the 2 workers
			// that stay redoes 0.5 s of its 30/s, 30 spread over the 6
			// partitions. The worker with 0–2 gets 15 (0.5 s without a
			// unique event), the one with 3–5 15 + 6 (0.7 s): 36 events
			// of capacity lost while both are busy, 2,536 at 100 s
			// (growth 40/s after the redo). From 250 each at 50 s they
			// hold 250 + 2,500 − 30·49.5 = 1,265 and 1,271 at 100 s; the
			// second is empty 1,271/30 s later.
			name: "remove-worker, redo",
			g: Group{Topics: in(6, 100, 100), Workers: 3, Capacity: forever(90), RebalanceRedo: 0.5,
				Faults: []Fault{{At: 50, Kind: RemoveWorker, Redo: 6}}},
			want: Prediction{Events: 10000, PeakBacklog: 2536, PeakAtS: 100, GrowthRate: 40, DrainedAtS: 100 + 1271.0/30},
		},
		{
			// A rebalance of workers that keep up (70/s against 3 ×
			// 30/s) redoes nothing: a cut poll holds at most half the
			// worker's backlog, here 0. Then 2 workers at 35/s against
			// 30/s: +10/s to 500 at 100 s, 250 each, drained 250/30 s
			// later. (Without the cap the 2 · 30 + 10 redone records
			// would make it 570.)
			name: "remove-worker, redo while keeping up",
			g: Group{Topics: in(6, 70, 100), Workers: 3, Capacity: forever(90), RebalanceRedo: 1,
				Faults: []Fault{{At: 50, Kind: RemoveWorker, Redo: 10}}},
			want: Prediction{Events: 7000, PeakBacklog: 500, PeakAtS: 100, GrowthRate: 10, DrainedAtS: 100 + 250.0/30},
		},
		{
			// Keyed: partition 0 gets 3/4 of 60/s, partition 1 1/4; 2
			// workers at 30/s. The first grows at 45 − 30 = 15/s to 750
			// at 50 s, the second keeps up. It leaves: the first holds
			// both, 60/s against 30/s, 750 + 30·50 = 2,250 at 100 s,
			// drained 2,250/30 s later. (Evenly spread it would be 1,500.)
			name: "remove-worker, keyed",
			g: Group{Topics: []Topic{{Partitions: 2, Inputs: []Input{{Rate: rate.New(constant(100, 60)),
				Shares: func(int) []float64 { return []float64{0.75, 0.25} }}}}},
				Workers: 2, Capacity: forever(60), Faults: []Fault{{At: 50, Kind: RemoveWorker}}},
			want: Prediction{Events: 6000, PeakBacklog: 2250, PeakAtS: 100, GrowthRate: 30, DrainedAtS: 175},
		},
		{
			// 4 partitions (20/s each) on 2 workers at 30/s (capacity
			// 60 of 2 workers): each gets 40/s, +10/s: 400 each at 40 s,
			// 200 on every partition. A third worker (30/s, the same
			// share) joins: the range balancer gives [0 1] [2] [3]. The
			// first keeps 400 and +10/s; the others get 200 each at
			// 20/s against 30/s and are empty 20 s later. The group: 800
			// at 40 s, −10/s to 600 at 60 s, +10/s to 1,000 at 100 s; the
			// first worker drains it at 30/s.
			name: "add-worker moves backlog",
			g:    Group{Topics: in(4, 80, 100), Workers: 2, Capacity: forever(60), Faults: []Fault{{At: 40, Kind: AddWorker}}},
			want: Prediction{Events: 8000, PeakBacklog: 1000, PeakAtS: 100, GrowthRate: 20, DrainedAtS: 100 + 1000.0/30},
		},
		{
			// 54/s on 6 partitions, 3 workers at 30/s: each gets 18/s and
			// keeps up. Worker 0 crashes at 30 s: its 2 partitions get
			// 18/s with nothing processed for its 5 s session: 90 at 35 s.
			// Then 2 workers get 3 partitions each (27/s against 30/s);
			// the one with partitions 0–2 drains 90 at 3/s: empty at 65 s.
			name: "crash-worker",
			g:    Group{Topics: in(6, 54, 100), Workers: 3, Capacity: forever(90), Faults: []Fault{{At: 30, Kind: CrashWorker, Session: 5}}},
			want: Prediction{Events: 5400, PeakBacklog: 90, PeakAtS: 35, GrowthRate: 18, DrainedAtS: 65},
		},
		{
			// As above with a 1 s rebalance pause and 15 records redone:
			// at 36 s the worker with partitions 0–2 holds 90 + 27 = 117,
			// the other 27 (+54/s while both pause). The first one
			// then serves the 15 redone records (0.5 s at 30/s, no unique
			// event done): 130.5 at 36.5 s, the group 130.5 + 27 − 1.5 =
			// 156 (+24/s). Outside that pause the growth is the crash's
			// 18/s. Then both drain at 3/s: the second is empty at
			// 45 s, the first 130.5/3 = 43.5 s after 36.5 s, at 80 s.
			name: "crash-worker, pause and redo",
			g: Group{Topics: in(6, 54, 100), Workers: 3, Capacity: forever(90), RebalancePause: 1,
				Faults: []Fault{{At: 30, Kind: CrashWorker, Session: 5, Redo: 15}}},
			want: Prediction{Events: 5400, PeakBacklog: 156, PeakAtS: 36.5, GrowthRate: 18, DrainedAtS: 80},
		},
		{
			// Remove then add (the bench's scenario): 6 partitions, 3
			// workers at 30/s, 100/s: +10/s to 300 at 30 s, +40/s with
			// 2 workers to 1,100 at 50 s, +10/s with 3 again to 1,600 at
			// 100 s, drained at 90/s.
			name: "remove-worker then add-worker",
			g: Group{Topics: in(6, 100, 100), Workers: 3, Capacity: forever(90),
				Faults: []Fault{{At: 30, Kind: RemoveWorker}, {At: 50, Kind: AddWorker}}},
			want: Prediction{Events: 10000, PeakBacklog: 1600, PeakAtS: 100, GrowthRate: 40, DrainedAtS: 100 + 1600.0/90},
		},
		{
			// As above, the new worker joining 2 s after the fault: +40/s
			// until 52 s (1,180), then +10/s to 1,660 at 100 s. The
			// growth between the fault and the join (still +40/s) is a
			// transient, but here it equals the stretch before.
			name: "remove-worker then add-worker, join",
			g: Group{Topics: in(6, 100, 100), Workers: 3, Capacity: forever(90),
				Faults: []Fault{{At: 30, Kind: RemoveWorker}, {At: 50, Kind: AddWorker, Join: 2}}},
			want: Prediction{Events: 10000, PeakBacklog: 1660, PeakAtS: 100, GrowthRate: 40, DrainedAtS: 100 + 1660.0/90},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Predict(tt.g)
			for _, c := range []struct {
				name      string
				got, want float64
			}{
				{"events", got.Events, tt.want.Events},
				{"peak", got.PeakBacklog, tt.want.PeakBacklog},
				{"peak at", got.PeakAtS, tt.want.PeakAtS},
				{"growth", got.GrowthRate, tt.want.GrowthRate},
				{"drained", got.DrainedAtS, tt.want.DrainedAtS},
			} {
				if math.Abs(c.got-c.want) > 1e-6*max(1, math.Abs(c.want)) {
					t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
				}
			}
		})
	}
}
