package producer

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/backlogbench/backlogbench/keys"
)

// TestPartitionMatchesKafka checks that keys.Partition, which predict uses to
// compute each partition's share, picks the partition kgo's default
// (Kafka-compatible) partitioner picks for the same key.
func TestPartitionMatchesKafka(t *testing.T) {
	tp := kgo.StickyKeyPartitioner(nil).ForTopic("t")
	var buf []byte
	for _, n := range []int{1, 3, 12, 40} {
		for r := range 5000 {
			buf = keys.AppendKey(buf[:0], r)
			if got, want := keys.Partition(buf, n), tp.Partition(&kgo.Record{Key: buf}, n); got != want {
				t.Fatalf("key %s of %d partitions: Partition = %d, kgo = %d", buf, n, got, want)
			}
		}
	}
}
