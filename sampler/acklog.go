package sampler

import (
	"slices"
	"sync"
)

// AckLog remembers, per partition of one topic, the intended scenario send
// time of every acknowledged offset, so the age of a group's oldest
// unprocessed event can be read off its next offset. It keeps 4 bytes per
// event not yet processed by every group (plus TrimSlack per partition):
// Trim drops what every group is past.
type AckLog struct {
	mu    sync.Mutex
	base  []int64     // [partition] the offset of times[partition][0]
	times [][]float32 // [partition][offset − base]
}

// TrimSlack is how many entries below the slowest group's next offset a
// partition keeps, so that a rewind after a worker fault (to the last
// committed offset, a commit interval's worth) still reads exact ages.
const TrimSlack = 1 << 16

// NewAckLog returns the ack log of a topic of that many partitions.
func NewAckLog(partitions int) *AckLog {
	return &AckLog{base: make([]int64, partitions), times: make([][]float32, partitions)}
}

// Add records that offset of partition was acked, for an event meant to be
// sent at scenario time t. Offsets arrive in order per partition; a gap
// (an offset never acked to us) takes the next acked event's time.
func (l *AckLog) Add(partition int32, offset int64, t float64) {
	if partition < 0 || int(partition) >= len(l.times) || offset < 0 {
		return
	}
	l.mu.Lock()
	ts, i := l.times[partition], offset-l.base[partition]
	for int64(len(ts)) < i {
		ts = append(ts, float32(t))
	}
	if int64(len(ts)) == i {
		ts = append(ts, float32(t))
	}
	l.times[partition] = ts
	l.mu.Unlock()
}

// Oldest returns the send time of the oldest event at or after next in
// the partition, and false when every acked event is below next. Below
// the trimmed part it answers with the oldest time kept.
func (l *AckLog) Oldest(partition int32, next int64) (float64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ts, i := l.times[partition], next-l.base[partition]
	if next < 0 || i >= int64(len(ts)) || len(ts) == 0 {
		return 0, false
	}
	return float64(ts[max(i, 0)]), true
}

// Trim forgets the partition's entries more than TrimSlack below offset
// below (the slowest group's next offset), in steps of at least
// TrimSlack, so the log's memory follows the backlog, not the run.
func (l *AckLog) Trim(partition int32, below int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	drop := below - TrimSlack - l.base[partition]
	ts := l.times[partition]
	if drop < TrimSlack || drop > int64(len(ts)) {
		return
	}
	l.times[partition] = slices.Clone(ts[drop:])
	l.base[partition] += drop
}

// Len returns the entries the partition holds.
func (l *AckLog) Len(partition int32) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.times[partition])
}
