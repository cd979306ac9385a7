package consumer

import (
	"github.com/backlogbench/backlogbench/rate"
	"github.com/backlogbench/backlogbench/service"
)

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
//
// With a Service distribution each record takes a random amount of
// capacity S (mean 1, so the worker's capacity is unchanged), drawn from
// the seed and the record's number: the worker is a single server with
// service times S/μ. A record then counts as processed when its service
// ends, C(t) = next + S, so the latency measured is the time in system
// (waiting plus service), and an idle worker banks no credit by default:
// its next record's service starts when the record arrives.
type Throttle struct {
	// Capacity is the worker's capacity over scenario time, in records/s.
	Capacity rate.Schedule
	// Credit is the most records an idle worker may bank. The default (0)
	// is DefaultCredit, or none with a Service; a negative Credit is none.
	Credit float64
	// Service, when its Dist is set, draws each record's service time in
	// units of the mean; Seed makes the draws reproducible.
	Service service.Service
	Seed    uint64

	next float64
	k    uint64 // records taken
}

// random reports whether records take random service times.
func (t *Throttle) random() bool { return t.Service.Dist != "" }

// service returns the service time of the next record, in records of
// capacity: 1, or its draw.
func (t *Throttle) service() float64 {
	if !t.random() {
		return 1
	}
	// Two SplitMix64 streams from a hash of the seed: record k takes the
	// k-th output of each.
	s := splitmix(t.Seed)
	u1 := float64(splitmix(s+(t.k+1)*0x9e3779b97f4a7c15)>>11) / (1 << 53)
	u2 := float64(splitmix(^s+(t.k+1)*0x9e3779b97f4a7c15)>>11) / (1 << 53)
	return t.Service.Sample(u1, u2)
}

// Due returns the scenario time at which the next record may be
// processed, and false when the capacity never allows it (a capacity of 0
// for ever). With a Service it is when the record's service ends.
func (t *Throttle) Due() (float64, bool) {
	if !t.random() {
		return t.Capacity.TimeOf(t.next)
	}
	return t.Capacity.TimeOf(t.next + t.service())
}

// Take accounts for one processed record.
func (t *Throttle) Take() {
	t.next += t.service()
	t.k++
}

// Idle tells the throttle that the worker had nothing to process until
// scenario time now: banked capacity beyond the credit is dropped.
func (t *Throttle) Idle(now float64) {
	if c := t.Capacity.Count(now) - t.credit(); c > t.next {
		t.next = c
	}
}

// credit is the banked capacity an idle worker keeps, in records.
func (t *Throttle) credit() float64 {
	switch {
	case t.Credit < 0, t.Credit == 0 && t.random():
		return 0
	case t.Credit == 0:
		return DefaultCredit
	}
	return t.Credit
}

// Behind returns how far, in scenario seconds, the worker is behind its
// capacity at scenario time now: now − T(next + credit), T the inverse of
// C, or 0. A worker that processes each record when it is due is 0
// behind; one that was descheduled, or blocked on a commit, while records
// waited is behind by the time it lost, and catches up above its capacity.
// (An idle worker's banked credit is not lag.)
func (t *Throttle) Behind(now float64) float64 {
	at, ok := t.Capacity.TimeOf(t.next + t.credit())
	if !ok || at >= now {
		return 0
	}
	return now - at
}

// splitmix is splitmix64's finaliser: a well-spread hash of x.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
