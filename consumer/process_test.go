package consumer

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/backlogbench/backlogbench/event"
	"github.com/backlogbench/backlogbench/rate"
)

// BenchmarkProcess is a worker's per-record path: the contiguity check,
// the audit, the dedup store, the effect and the latency histogram.
// Budget: 0 allocations per event.
func BenchmarkProcess(b *testing.B) {
	for _, dedup := range []bool{false, true} {
		name := "plain"
		if dedup {
			name = "dedup"
		}
		b.Run(name, func(b *testing.B) {
			st := NewStats(StatsConfig{Workers: 1, Partitions: map[string]int{"t": 1}, Kinds: []event.Kind{event.Order, event.Order}, Seed: 1, Dedup: dedup})
			hdr := make([]byte, 0, event.HeaderLen)
			r := &kgo.Record{Topic: "t", Headers: []kgo.RecordHeader{{Key: event.HeaderKey}}}
			now := time.Now().UnixNano() // latencies in the histogram's range
			b.ReportAllocs()
			for i := range b.N {
				r.Offset = int64(i)
				r.Headers[0].Value = event.AppendHeader(hdr[:0], event.Meta{ProducerID: 1, Seq: uint64(i), IntendedNs: now})
				process(r, st, st.hists[0], 1, event.Now())
			}
			if got := st.Processed.Load(); got != int64(b.N) {
				b.Fatalf("processed %d of %d", got, b.N)
			}
		})
	}
}

// BenchmarkRecordPath is a worker's whole per-record path apart from the
// client and its sleeps: the throttle's due time and take, the one clock
// reading, process (as BenchmarkProcess), and the commit mark, handed to
// the client every millisecond as a worker's commit cadence does. Budget:
// 0 allocations per event in steady state.
func BenchmarkRecordPath(b *testing.B) {
	st := NewStats(StatsConfig{Workers: 1, Partitions: map[string]int{"t": 4}, Kinds: []event.Kind{event.Order, event.Order}, Seed: 1})
	th := Throttle{Capacity: rate.New(rate.Segment{Dur: 1e9, From: 1e6, To: 1e6})}
	hdr := make([]byte, 0, event.HeaderLen)
	r := &kgo.Record{Topic: "t", Headers: []kgo.RecordHeader{{Key: event.HeaderKey}}}
	now := time.Now().UnixNano()
	var done marks
	var heads int
	mark := func(m map[string]map[int32]kgo.EpochOffset) { heads += len(m["t"]) }
	offsets := make([]int64, 4)
	last := time.Now()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r.Partition = int32(i % 4)
		r.Offset = offsets[r.Partition]
		offsets[r.Partition]++
		r.Headers[0].Value = event.AppendHeader(hdr[:0], event.Meta{ProducerID: 1, Seq: uint64(i), IntendedNs: now})
		if _, ok := th.Due(); !ok {
			b.Fatal("no capacity")
		}
		at := time.Now() // the record's one clock reading (member.await)
		process(r, st, st.hists[0], 1, event.UnixNano(at))
		th.Take()
		done.add(r)
		if at.Sub(last) >= time.Millisecond {
			done.flush(mark)
			last = at
		}
	}
	if got := st.Processed.Load(); got != int64(b.N) {
		b.Fatalf("processed %d of %d", got, b.N)
	}
}
