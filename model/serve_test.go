package model

import (
	"math"
	"testing"

	"github.com/backlogbench/backlogbench/rate"
)

func steady(dur, r float64) rate.Schedule {
	return rate.New(rate.Segment{Dur: dur, From: r, To: r})
}

// defaultFetch is franz-go's (1 MiB a partition, 50 MiB a fetch), with
// polls of maxPoll records.
func defaultFetch(maxPoll float64) Fetch {
	return Fetch{MaxPartitionBytes: 1 << 20, MaxBytes: 50 << 20, MaxPoll: maxPoll}
}

// TestServeOnePartitionIsFIFO: a worker with one partition serves it
// first in, first out whatever its fetches, so its time lag is the fluid
// FIFO wait.
func TestServeOnePartitionIsFIFO(t *testing.T) {
	for _, tc := range []struct {
		name     string
		arrivals rate.Schedule
		capacity rate.Schedule
		want     float64 // the longest FIFO wait, by hand
	}{
		// 20/s for 100 s against 10/s: the last event waits for the 1,000
		// ahead of it, 100 s.
		{"overload", steady(100, 20), forever(10), 100},
		// 10/s for 100 s; no capacity from 20 s to 50 s, then 20/s: the
		// event of 20 s waits for the outage, and for the 0 ahead of it.
		{"outage", steady(100, 10), rate.New(rate.Segment{Dur: 20, From: 10, To: 10}, rate.Segment{Dur: 30}, rate.Segment{Dur: math.Inf(1), From: 20, To: 20}), 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Server{Partitions: []ServedPartition{{Arrivals: tc.arrivals, Bytes: 600}}, Capacity: tc.capacity, Fetch: defaultFetch(10), Rotate: true}
			q := Queue{Inputs: []rate.Schedule{tc.arrivals}, Capacity: tc.capacity, Curve: Fluid([]rate.Schedule{tc.arrivals}, tc.capacity).Curve}
			fifo := q.MaxWait()
			for _, phase := range []float64{0, 0.5} {
				s.Phase = phase
				if got := s.Serve().Max(); math.Abs(got-tc.want) > 0.01*tc.want || math.Abs(fifo-tc.want) > 1e-6 {
					t.Errorf("phase %v: served max %v, FIFO %v; want %v", phase, got, fifo, tc.want)
				}
			}
		})
	}
}

// TestServeKeepingUp: a worker with capacity to spare serves each event
// as it comes.
func TestServeKeepingUp(t *testing.T) {
	s := Server{Partitions: []ServedPartition{{Arrivals: steady(600, 5), Bytes: 600}, {Arrivals: steady(600, 5), Bytes: 600}},
		Capacity: forever(40), Fetch: defaultFetch(10), Rotate: true}
	if got := s.Serve().Max(); got > 0.1 {
		t.Errorf("max time lag %v s, want about 0 (it keeps up)", got)
	}
}

// TestServeStuck: events that are never processed make the time lag grow
// for ever.
func TestServeStuck(t *testing.T) {
	// 10/s for 10 s, capacity 10/s for 5 s then none.
	s := Server{Partitions: []ServedPartition{{Arrivals: steady(10, 10), Bytes: 600}},
		Capacity: steady(5, 10), Fetch: defaultFetch(1)}
	c := s.Serve()
	if !c.Stuck || !math.IsInf(c.Max(), 1) {
		t.Fatalf("stuck %v, max %v; want stuck, +Inf", c.Stuck, c.Max())
	}
	// The oldest event never processed came at 5 s: at 100 s it is 95 s old.
	if got := c.At(100); math.Abs(got-95) > 0.2 {
		t.Errorf("time lag at 100 s: %v, want about 95", got)
	}
}

// TestServeLimitedFetch: with one record per partition per fetch, a
// worker serves its partitions in turn, not by age. Partition A gets
// 12/s for 100 s, B 4/s for 200 s, the worker 12/s. Each fetch takes one of
// A's events and what B got meanwhile (a fetch of d seconds: d = (1 +
// 4d)/12, so 1/8 s and half an event of B), so A is served at 8/s, B at
// its 4/s: A's event of time s is served at 12s/8 = 1.5s, waiting s/2, 50 s
// for the last. First in, first out the worker would clear A's 400 events
// left at 100 s by 133.3 s: 33.3 s.
func TestServeLimitedFetch(t *testing.T) {
	ps := []ServedPartition{{Arrivals: steady(100, 12), Bytes: 100}, {Arrivals: steady(200, 4), Bytes: 100}}
	s := Server{Partitions: ps, Capacity: forever(12), Fetch: Fetch{MaxPartitionBytes: 100, MaxBytes: 1 << 20, MaxPoll: 1}, Rotate: true}
	c := s.Serve()
	if got := c.Max(); math.Abs(got-50) > 1 {
		t.Errorf("max time lag %v s, want 50", got)
	}
	if got := c.At(120); math.Abs(got-40) > 1 {
		t.Errorf("time lag at 120 s: %v, want 40 (A's event of 80 s is next)", got)
	}
	all := []rate.Schedule{ps[0].Arrivals, ps[1].Arrivals}
	q := Queue{Inputs: all, Capacity: forever(12), Curve: Fluid(all, forever(12)).Curve}
	if got := q.MaxWait(); math.Abs(got-100.0/3) > 1e-6 {
		t.Errorf("FIFO max wait %v, want 33.3", got)
	}
}

// TestServeFlashSale pins the seed's analytics worker (4 order partitions
// at 100/12 per s for 10 min, 2 click partitions at 80/6 per s from 2 to 7
// min, 40/s): its fetches grow by 1.5 each while the backlog grows, and
// the last partition of a fetch waits for nearly two of them, so the peak
// is near 1.6 times the FIFO's 150 s. Over the phases of the fetch cycle
// (and the partitions its first fetch starts at) it spans 233 to 274 s;
// runs measured 237 to 273 s (×10, ×30, and Apache Kafka at ×10).
func TestServeFlashSale(t *testing.T) {
	orders := steady(600, 100.0/12)
	clicks := rate.New(rate.Segment{Dur: 120}, rate.Segment{Dur: 300, From: 80.0 / 6, To: 80.0 / 6})
	var ps []ServedPartition
	for range 4 {
		ps = append(ps, ServedPartition{Topic: 0, Arrivals: orders, Bytes: 630})
	}
	for range 2 {
		ps = append(ps, ServedPartition{Topic: 1, Arrivals: clicks, Bytes: 630})
	}
	lo, hi := math.Inf(1), 0.0
	for k := range Phases {
		s := Server{Partitions: ps, Capacity: forever(40), Fetch: defaultFetch(10), Rotate: true, Phase: float64(k) / Phases, Start: k}
		m := s.Serve().Max()
		lo, hi = min(lo, m), max(hi, m)
	}
	if math.Abs(lo-233.1) > 1 || math.Abs(hi-274.4) > 1 {
		t.Errorf("max time lag over the phases %.1f to %.1f s, want 233.1 to 274.4", lo, hi)
	}
}

func TestLagCurveAt(t *testing.T) {
	c := LagCurve{T: []float64{10, 20, 20, 30}, Lag: []float64{0, 10, 2, 12}}
	for _, tc := range []struct{ t, want float64 }{
		{5, 0}, {10, 0}, {15, 5}, {20, 2}, {25, 7}, {30, 12}, {31, 0},
	} {
		if got := c.At(tc.t); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("At(%v) = %v, want %v", tc.t, got, tc.want)
		}
	}
	if got := c.Max(); got != 12 {
		t.Errorf("Max() = %v, want 12", got)
	}
}
