package watch

import (
	"cmp"
	"slices"
	"time"
)

// Sample is one reading of the watched groups: what the brokers said, and
// nothing derived from it.
type Sample struct {
	// Time is when the reading started.
	Time   time.Time
	Groups []GroupSample
	// Errors are the reading's failures that are not one group's (a
	// listing that timed out, say).
	Errors []string
}

// GroupSample is one group's reading.
type GroupSample struct {
	Group string
	// State is the broker's state of the group: Stable, Empty,
	// PreparingRebalance, Dead, ...; "" when it could not be described.
	State   string
	Members int
	// CommittedAt and EndAt are when the committed offsets and the log end
	// offsets were read (the middle of each request). Rates are fitted
	// against them, so the gap between the two reads bends nothing.
	CommittedAt, EndAt time.Time
	// Partitions are sorted by topic and partition.
	Partitions []PartitionSample
	// Err says why the group could not be read; its partitions are then
	// empty.
	Err string
}

// PartitionSample is one partition's reading.
type PartitionSample struct {
	Topic     string
	Partition int32
	// End is the log end offset (the next offset to be written); -1 when
	// the topic or partition is gone or could not be listed.
	End int64
	// Committed is the group's committed offset (the next offset to
	// process); -1 when the group has committed none here.
	Committed int64
	// Member is the ID of the group member the partition is assigned to;
	// "" when none is.
	Member string
	// RecordTime is the timestamp of the record at Committed (the oldest
	// the group has not processed), the zero time when it was not read or
	// is of no use (no lag, a fetch that timed out, a record without a
	// timestamp).
	RecordTime time.Time
}

// lag returns the partition's offset lag, and false when it has none to
// report (no commit, or no log end offset).
func (p PartitionSample) lag() (int64, bool) {
	if p.End < 0 || p.Committed < 0 {
		return 0, false
	}
	return max(0, p.End-p.Committed), true
}

// pkey names a partition.
type pkey struct {
	Topic     string
	Partition int32
}

func (p PartitionSample) key() pkey { return pkey{p.Topic, p.Partition} }

func sortPartitions(ps []PartitionSample) {
	slices.SortFunc(ps, func(a, b PartitionSample) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
}
