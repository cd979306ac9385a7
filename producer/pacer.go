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
//
// Every answer is closed form, whatever the rate: the schedule sends the
// events k < N(end), ⌈N(end)⌉ of them counted in integers (not stepped in
// float64, which cannot count past 2⁵³), and event k is due at T(k), the
// root of the count's quadratic on k's segment, so ramps (`to`) are exact
// too. No call loops over events: a rate of 1e15/s costs what 1/s does.
type Pacer struct {
	// Schedule is the producer's rate over scenario time.
	Schedule rate.Schedule
	// Speedup divides every duration of the schedule and multiplies every
	// rate. The default (0) is 1.
	Speedup float64
}

// MaxEvents bounds the events a pacer sends: the largest count an int64
// (a producer's counters, summary.json) holds. A schedule with more stops
// there.
const MaxEvents = math.MaxInt64

func (p Pacer) speedup() float64 {
	if p.Speedup <= 0 {
		return 1
	}
	return p.Speedup
}

// Due returns the scenario time at which event k (counting from 0) is due,
// and false when the schedule ends before it: exactly when k ≥ Total().
//
// Above 2⁵³ float64(k) rounds to a multiple of a power of two, so events
// that close together share a due time (they are then a few femtoseconds
// apart at most); float64(k) may round up onto N(end), and then the due
// time is that of the last float64 count below it.
func (p Pacer) Due(k uint64) (float64, bool) {
	n := p.Schedule.Total()
	if k >= total(n) {
		return 0, false
	}
	// k < ⌈N(end)⌉ means k < N(end): T(k) is before the end.
	x := float64(k)
	if x >= n {
		x = math.Nextafter(n, 0)
	}
	t, ok := p.Schedule.TimeOf(x)
	if !ok {
		return 0, false // not reached: some segment's count exceeds the argument
	}
	// The root may round onto the end itself.
	if end := p.Schedule.End(); t >= end {
		t = math.Nextafter(end, 0)
	}
	return t, true
}

// Pace returns how long to wait before sending event number sent, given
// the wall time elapsed since the start, and stop = true once the schedule
// has no more events. A due time beyond what a time.Duration holds (292
// years of wall time) waits the longest Duration.
func (p Pacer) Pace(elapsed time.Duration, sent uint64) (wait time.Duration, stop bool) {
	due, ok := p.Due(sent)
	if !ok {
		return 0, true
	}
	return p.Wait(due, elapsed), false
}

// Wait returns how long to wait, at wall time elapsed since the start, for
// an event due at scenario time due (from Due): 0 once it is due.
func (p Pacer) Wait(due float64, elapsed time.Duration) time.Duration {
	ns := math.Round(due / p.speedup() * 1e9)
	if ns >= math.MaxInt64 {
		return max(0, time.Duration(math.MaxInt64)-elapsed)
	}
	if dueWall := time.Duration(ns); dueWall > elapsed {
		return dueWall - elapsed
	}
	return 0
}

// Total returns the number of events the schedule sends, the integers
// k < N(end): ⌈N(end)⌉, exact for any float64 count (every float64 above
// 2⁵³ is an integer), and MaxEvents when N(end) is that large or +Inf.
func (p Pacer) Total() uint64 { return total(p.Schedule.Total()) }

// total is ⌈n⌉ as a count of events, at most MaxEvents.
func total(n float64) uint64 {
	switch {
	case !(n > 0): // also NaN
		return 0
	case n >= MaxEvents: // float64(MaxEvents) is 2⁶³
		return MaxEvents
	}
	return uint64(math.Ceil(n))
}
