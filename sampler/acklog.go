package sampler

import "sync"

// AckLog remembers, per partition of one topic, the intended scenario send
// time of every acknowledged offset, so the age of a group's oldest
// unprocessed event can be read off its next offset. It keeps 4 bytes per
// event.
type AckLog struct {
	mu    sync.Mutex
	times [][]float32 // [partition][offset]
}

// NewAckLog returns the ack log of a topic of that many partitions.
func NewAckLog(partitions int) *AckLog {
	return &AckLog{times: make([][]float32, partitions)}
}

// Add records that offset of partition was acked, for an event meant to be
// sent at scenario time t. Offsets arrive in order per partition; a gap
// (an offset never acked to us) takes the next acked event's time.
func (l *AckLog) Add(partition int32, offset int64, t float64) {
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

// Oldest returns the send time of the oldest event at or after next in
// the partition, and false when every acked event is below next.
func (l *AckLog) Oldest(partition int32, next int64) (float64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ts := l.times[partition]
	if next < 0 || next >= int64(len(ts)) {
		return 0, false
	}
	return float64(ts[next]), true
}
