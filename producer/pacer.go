// Package producer plays a producer's rate phases against Kafka, open loop:
// every event has an intended send time fixed by the schedule, the send
// loop never waits for an acknowledgement, and latency is measured from
// the intended time, so a stalled broker shows up as latency instead of
// hiding (no coordinated omission).
package producer

import (
	"math"
	"time"

	"github.com/backlogbench/backlogbench/rate"
)

// Pacer says when to send the next event. It is a pure function of the
// wall time elapsed since the start and the number of events sent so far,
// computed from an absolute schedule: event k is due at T(k)/speedup,
// where T is the schedule's inverse count (see package rate). Sleeping too
// long never makes it drift: a late sender finds the next events already
// due and sends them at once.
type Pacer struct {
	// Schedule is the producer's rate over scenario time.
	Schedule rate.Schedule
	// Speedup divides every duration of the schedule and multiplies every
	// rate. The default (0) is 1.
	Speedup float64
}

func (p Pacer) speedup() float64 {
	if p.Speedup <= 0 {
		return 1
	}
	return p.Speedup
}

// Due returns the scenario time at which event k (counting from 0) is due,
// and false when the schedule ends before it.
func (p Pacer) Due(k uint64) (float64, bool) {
	t, ok := p.Schedule.TimeOf(float64(k))
	if !ok || t >= p.Schedule.End() {
		return 0, false
	}
	return t, true
}

// Pace returns how long to wait before sending event number sent, given
// the wall time elapsed since the start, and stop = true once the schedule
// has no more events.
func (p Pacer) Pace(elapsed time.Duration, sent uint64) (wait time.Duration, stop bool) {
	due, ok := p.Due(sent)
	if !ok {
		return 0, true
	}
	dueWall := time.Duration(math.Round(due / p.speedup() * 1e9))
	if dueWall <= elapsed {
		return 0, false
	}
	return dueWall - elapsed, false
}

// Total returns the number of events the schedule sends: the k with
// T(k) before the end, that is ⌈N(end)⌉.
func (p Pacer) Total() uint64 {
	n := p.Schedule.Total()
	if math.IsInf(n, 1) || n <= 0 {
		return 0
	}
	c := math.Ceil(n - 1e-9)
	// The last candidate may fall exactly on the end; Due decides.
	for c > 0 {
		if _, ok := p.Due(uint64(c - 1)); ok {
			break
		}
		c--
	}
	return uint64(c)
}
