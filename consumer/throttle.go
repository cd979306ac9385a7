// Package consumer runs a consumer group's workers: members of one Kafka
// consumer group, each throttled to its share of the group's capacity,
// processing records in partition order and committing what they
// processed (at-least-once).
package consumer

import "github.com/backlogbench/backlogbench/rate"

// DefaultCredit is how many records an idle worker may bank: enough to
// absorb scheduling noise, small enough that an idle server does not bank
// capacity (the fluid model assumes it banks none).
const DefaultCredit = 2

// Throttle paces one worker's processing from an absolute schedule of
// capacity. With C(t) the worker's cumulative capacity (its capacity
// phases integrated over scenario time), the worker may process its next
// record once C(t) > next, and each record processed adds 1 to next. A
// worker that falls behind (descheduled, or blocked on a commit) catches up
// at once instead of losing capacity; a worker that was idle (it polled
// and had to wait for records) has next raised to C(now) − credit, so it
// keeps at most credit records of banked capacity. Throttle is a pure
// state machine over scenario time: it never reads a clock.
type Throttle struct {
	// Capacity is the worker's capacity over scenario time, in records/s.
	Capacity rate.Schedule
	// Credit is the most records an idle worker may bank. The default (0)
	// is DefaultCredit.
	Credit float64

	next float64
}

// Due returns the scenario time at which the next record may be
// processed, and false when the capacity never allows it (a capacity of 0
// for ever).
func (t *Throttle) Due() (float64, bool) { return t.Capacity.TimeOf(t.next) }

// Take accounts for one processed record.
func (t *Throttle) Take() { t.next++ }

// Idle tells the throttle that the worker had nothing to process until
// scenario time now: banked capacity beyond the credit is dropped.
func (t *Throttle) Idle(now float64) {
	credit := t.Credit
	if credit <= 0 {
		credit = DefaultCredit
	}
	if c := t.Capacity.Count(now) - credit; c > t.next {
		t.next = c
	}
}
