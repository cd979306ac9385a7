package consumer

import (
	"math"
	"testing"

	"github.com/backlogbench/backlogbench/rate"
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
