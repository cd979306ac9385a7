package consumer

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/backlogbench/backlogbench/event"
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
				process(r, st, st.hists[0], 1)
			}
			if got := st.Processed.Load(); got != int64(b.N) {
				b.Fatalf("processed %d of %d", got, b.N)
			}
		})
	}
}
