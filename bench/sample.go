package bench

import (
	"sync"
)

// Sample is the state of a run at one tick, in scenario time.
type Sample struct {
	// T is the scenario time of the sample, seconds.
	T float64
	// Acked holds, per producer in name order, the events acked so far.
	Acked []int64
	// Failed holds, per producer in name order, the events that failed.
	Failed []int64
	// Groups holds one entry per group in name order.
	Groups []GroupSample
}

// GroupSample is one group's state at a tick.
type GroupSample struct {
	// Processed is the unique events processed so far.
	Processed int64
	// Backlog is the exact backlog: events acked on the group's topics
	// minus events it processed.
	Backlog int64
	// Predicted is the model's backlog at the same scenario time.
	Predicted float64
	// OffsetLag is the last offset lag read through the admin API (log end
	// offsets minus committed offsets), or -1 before the first reading.
	OffsetLag int64
	// TimeLag is the age, in scenario seconds, of the oldest event acked
	// and not yet processed (0 when there is none).
	TimeLag float64
	// Duplicates counts the deliveries of events the group had already
	// processed.
	Duplicates int64
}

// ackLog remembers, per partition of one topic, the intended scenario send
// time of every acknowledged offset, so the age of a group's oldest
// unprocessed event can be read off its next offset. It keeps 4 bytes per
// event.
type ackLog struct {
	mu    sync.Mutex
	times [][]float32 // [partition][offset]
}

func newAckLog(partitions int) *ackLog {
	return &ackLog{times: make([][]float32, partitions)}
}

// add records that offset of partition was acked, for an event meant to be
// sent at scenario time t. Offsets arrive in order per partition; a gap
// (an offset never acked to us) takes the next acked event's time.
func (l *ackLog) add(partition int32, offset int64, t float64) {
	if partition < 0 || int(partition) >= len(l.times) || offset < 0 {
		return
	}
	l.mu.Lock()
	ts := l.times[partition]
	for int64(len(ts)) < offset {
		ts = append(ts, float32(t))
	}
	if int64(len(ts)) == offset {
		ts = append(ts, float32(t))
	}
	l.times[partition] = ts
	l.mu.Unlock()
}

// oldest returns the send time of the oldest event at or after next in
// the partition, and false when every acked event is below next.
func (l *ackLog) oldest(partition int32, next int64) (float64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ts := l.times[partition]
	if next < 0 || next >= int64(len(ts)) {
		return 0, false
	}
	return float64(ts[next]), true
}
