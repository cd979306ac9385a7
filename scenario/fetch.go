package scenario

import (
	"math"

	"go.yaml.in/yaml/v3"
)

// The defaults of a group's fetch settings (franz-go's) and their bounds:
// a fetch's sizes are int32 on the wire.
const (
	DefaultFetchMaxPartitionBytes = 1 << 20
	DefaultFetchMaxBytes          = 50 << 20
	maxFetchBytes                 = math.MaxInt32
	maxPollRecords                = 1 << 20
)

var fetchKeys = []string{"max_partition_bytes", "max_bytes", "max_poll_records"}

// FetchSettings returns the group's fetch settings with every default
// filled in.
func (g Group) FetchSettings() Fetch {
	var f Fetch
	if g.Fetch != nil {
		f = *g.Fetch
	}
	switch {
	case f.MaxPartitionBytes == 0 && f.MaxBytes == 0:
		f.MaxPartitionBytes, f.MaxBytes = DefaultFetchMaxPartitionBytes, DefaultFetchMaxBytes
	case f.MaxPartitionBytes == 0:
		// A client clamps a partition's limit to the fetch's.
		f.MaxPartitionBytes = min(DefaultFetchMaxPartitionBytes, f.MaxBytes)
	case f.MaxBytes == 0:
		f.MaxBytes = max(DefaultFetchMaxBytes, f.MaxPartitionBytes)
	}
	if f.MaxPollRecords == 0 {
		f.MaxPollRecords = int(min(maxPollRecords, max(1, math.Ceil(g.MaxCapacity()/float64(max(g.Workers, 1))*0.25))))
	}
	return f
}

// fetch decodes a group's fetch settings: whole numbers ≥ 1, bytes at
// most 2³¹−1, a partition's limit no more than the fetch's.
func (d *decoder) fetch(n *yaml.Node, path string) *Fetch {
	f := &Fetch{}
	m, ok := d.object(n, path, fetchKeys, nil)
	if !ok {
		return f
	}
	get := func(key string, hi int64) int {
		e, ok := m[key]
		if !ok {
			return 0
		}
		v, ok := d.integer(e.v, join(path, key))
		if !ok {
			return 0
		}
		if msg := inRange(v, 1, hi); msg != "" {
			d.errorf(deref(e.v).Line, join(path, key), "%s", msg)
			return 0
		}
		return int(v)
	}
	f.MaxPartitionBytes = get("max_partition_bytes", maxFetchBytes)
	f.MaxBytes = get("max_bytes", maxFetchBytes)
	f.MaxPollRecords = get("max_poll_records", maxPollRecords)
	if f.MaxPartitionBytes > 0 && f.MaxBytes > 0 && f.MaxPartitionBytes > f.MaxBytes {
		d.errorf(deref(m["max_partition_bytes"].v).Line, join(path, "max_partition_bytes"),
			"must be ≤ max_bytes (%d), got %d", f.MaxBytes, f.MaxPartitionBytes)
	}
	return f
}

// fetchNode is a group's fetch settings as written, only those set.
func fetchNode(f Fetch) *yaml.Node {
	n := mapping(true)
	for i, v := range []int{f.MaxPartitionBytes, f.MaxBytes, f.MaxPollRecords} {
		if v > 0 {
			add(n, fetchKeys[i], integer(int64(v)))
		}
	}
	return n
}
