package consumer

import (
	"math"
	"testing"

	"github.com/backlogbench/backlogbench/rate"
	"github.com/backlogbench/backlogbench/service"
)

func forever(r float64) rate.Schedule {
	return rate.New(rate.Segment{Dur: math.Inf(1), From: r, To: r})
}

func TestThrottleSchedule(t *testing.T) {
	th := Throttle{Capacity: forever(40)}
	for k := range 5 {
		due, ok := th.Due()
		if want := float64(k) / 40; !ok || math.Abs(due-want) > 1e-12 {
			t.Fatalf("record %d due at %v, %v; want %v", k, due, ok, want)
		}
		th.Take()
	}
}

func TestThrottleIdleKeepsCredit(t *testing.T) {
	th := Throttle{Capacity: forever(10)}
	th.Take()
	// Idle until t = 100 s: the worker keeps 2 records of credit (0.2 s at
	// 10/s), so the next record was due at 99.8 s and two records later the
	// worker is back on the clock at 100 s.
	th.Idle(100)
	due, _ := th.Due()
	if math.Abs(due-99.8) > 1e-9 {
		t.Errorf("after idling, next due at %v, want 99.8", due)
	}
	th.Take()
	th.Take()
	due, _ = th.Due()
	if math.Abs(due-100) > 1e-9 {
		t.Errorf("after spending the credit, next due at %v, want 100", due)
	}
}

func TestThrottleIdleNeverRewinds(t *testing.T) {
	// A worker that is behind (busy) and briefly idle keeps its schedule:
	// Idle only ever drops banked capacity, it never adds.
	th := Throttle{Capacity: forever(10)}
	for range 50 {
		th.Take()
	}
	th.Idle(1) // C(1) − 2 = 8 < 50
	if due, _ := th.Due(); math.Abs(due-5) > 1e-9 {
		t.Errorf("next due at %v, want 5", due)
	}
}

func TestThrottleOutage(t *testing.T) {
	// 10/s for 1 s, nothing for 2 s, then 10/s: the 11th record waits for
	// the outage to end.
	th := Throttle{Capacity: rate.New(
		rate.Segment{Dur: 1, From: 10, To: 10},
		rate.Segment{Dur: 2},
		rate.Segment{Dur: math.Inf(1), From: 10, To: 10},
	)}
	for range 10 {
		th.Take()
	}
	if due, ok := th.Due(); !ok || math.Abs(due-3) > 1e-9 {
		t.Errorf("after the outage, due at %v, %v; want 3", due, ok)
	}
	stopped := Throttle{Capacity: rate.New(rate.Segment{Dur: 1, From: 10, To: 10}, rate.Segment{Dur: math.Inf(1)})}
	for range 10 {
		stopped.Take()
	}
	if _, ok := stopped.Due(); ok {
		t.Error("a capacity of 0 for ever should never be due")
	}
}

func TestThrottleService(t *testing.T) {
	exp := service.Service{Dist: service.Exponential, CV: 1}
	// Constant service: a record is processed when its service ends, one
	// unit after the previous one ended.
	th := Throttle{Capacity: forever(10), Service: service.Service{Dist: service.Constant}}
	for k := range 3 {
		due, ok := th.Due()
		if want := float64(k+1) / 10; !ok || math.Abs(due-want) > 1e-12 {
			t.Fatalf("constant: record %d due at %v, want %v", k, due, want)
		}
		th.Take()
	}
	// Exponential: the draws average 1 and are reproducible from the seed.
	a := Throttle{Capacity: forever(1), Service: exp, Seed: 7}
	b := Throttle{Capacity: forever(1), Service: exp, Seed: 7}
	c := Throttle{Capacity: forever(1), Service: exp, Seed: 8}
	const n = 100_000
	same := true
	for range n {
		da, _ := a.Due()
		db, _ := b.Due()
		dc, _ := c.Due()
		if da != db {
			t.Fatal("the same seed drew different service times")
		}
		same = same && da == dc
		a.Take()
		b.Take()
		c.Take()
	}
	if same {
		t.Error("different seeds drew the same service times")
	}
	if mean := a.next / n; math.Abs(mean-1) > 0.02 {
		t.Errorf("mean service time %v, want 1", mean)
	}
	// An idle worker banks nothing: its next record's service starts now.
	idle := Throttle{Capacity: forever(10), Service: exp, Seed: 1}
	idle.Idle(50)
	s := idle.service()
	if due, _ := idle.Due(); math.Abs(due-(50+s/10)) > 1e-9 {
		t.Errorf("after idling until 50 s, due at %v, want %v", due, 50+s/10)
	}
}

// TestThrottleStreamsIndependent checks that throttles with related seeds
// (consecutive, or a SplitMix64 increment apart) draw unrelated service
// times, shifted or not: correlated workers would make the group's latency
// tail lighter or heavier than independent queues.
func TestThrottleStreamsIndependent(t *testing.T) {
	const n = 20000
	draws := func(seed uint64) []float64 {
		th := Throttle{Capacity: forever(1), Service: service.Service{Dist: service.Exponential, CV: 1}, Seed: seed}
		out := make([]float64, n+1)
		for k := range out {
			out[k] = th.service()
			th.Take()
		}
		return out
	}
	corr := func(a, b []float64) float64 {
		var sa, sb, sab, saa, sbb float64
		for i := range n {
			sa += a[i]
			sb += b[i]
			sab += a[i] * b[i]
			saa += a[i] * a[i]
			sbb += b[i] * b[i]
		}
		cov := sab/n - sa/n*sb/n
		return cov / math.Sqrt((saa/n-sa/n*sa/n)*(sbb/n-sb/n*sb/n))
	}
	for _, pair := range [][2]uint64{{1, 2}, {7, 7 + 0x9e3779b97f4a7c15}, {7, 7 ^ 0x9e3779b97f4a7c15}} {
		a, b := draws(pair[0]), draws(pair[1])
		for shift := range 2 {
			if c := corr(a[shift:], b); math.Abs(c) > 0.03 {
				t.Errorf("seeds %#x and %#x, shifted by %d: correlation %.3f", pair[0], pair[1], shift, c)
			}
		}
	}
}

// TestBehind: a worker on schedule is 0 behind; one that processed
// nothing for 5 s of capacity 10/s while records waited is 5 s behind,
// less its credit (2 records, 0.2 s); each record it then takes brings it
// 0.1 s closer, and an idle worker owes nothing.
func TestBehind(t *testing.T) {
	th := Throttle{Capacity: forever(10)}
	if b := th.Behind(0.05); b != 0 {
		t.Errorf("on schedule: behind %v", b)
	}
	if b := th.Behind(5); math.Abs(b-4.8) > 1e-9 {
		t.Errorf("after 5 s without processing: behind %v, want 4.8", b)
	}
	for range 10 {
		th.Take()
	}
	if b := th.Behind(5); math.Abs(b-3.8) > 1e-9 {
		t.Errorf("after 10 records: behind %v, want 3.8", b)
	}
	th.Idle(5)
	if b := th.Behind(5); b != 0 {
		t.Errorf("idle: behind %v", b)
	}
	var b Behind
	for i, v := range []float64{0.5, 3, 1.5, 0.2} {
		b.add(v, float64(10+i))
	}
	if b.MaxS != 3 || b.MaxAt != 11 || b.Late != 2 || b.LateFrom != 11 || b.LateTo != 12 {
		t.Errorf("audit %+v; want max 3 s at t=11, 2 late records from t=11 to 12", b)
	}
}
