package consumer

import "github.com/twmb/franz-go/pkg/kgo"

// marks collects the offsets a worker processed since it last handed
// them to its client, so a record costs a map write: kgo's
// MarkCommitRecords sorts its arguments, an allocation per call, which
// per record was a third of the run's allocated objects. The worker
// hands them over (flush) before every commit and before it lets a
// rebalance happen, so a commit, on the cadence or on revoke, holds every
// record processed.
type marks struct {
	heads map[string]map[int32]kgo.EpochOffset
	n     int
}

// add marks r processed: its partition's next offset to commit is
// r.Offset+1.
func (k *marks) add(r *kgo.Record) {
	if k.heads == nil {
		k.heads = make(map[string]map[int32]kgo.EpochOffset)
	}
	ps := k.heads[r.Topic]
	if ps == nil {
		ps = make(map[int32]kgo.EpochOffset)
		k.heads[r.Topic] = ps
	}
	ps[r.Partition] = kgo.EpochOffset{Epoch: r.LeaderEpoch, Offset: r.Offset + 1}
	k.n++
}

// flush hands the marks to mark (the client's MarkCommitOffsets) and
// forgets them, keeping the maps for the next records.
func (k *marks) flush(mark func(map[string]map[int32]kgo.EpochOffset)) {
	if k.n == 0 {
		return
	}
	mark(k.heads)
	for _, ps := range k.heads {
		clear(ps)
	}
	k.n = 0
}
