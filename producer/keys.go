package producer

import (
	"hash/fnv"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/backlogbench/backlogbench/event"
	"github.com/backlogbench/backlogbench/keys"
)

// KeyStream is one producer's keys on its topic.
type KeyStream struct {
	Keys *keys.Keys
	// Partitions is the topic's partition count.
	Partitions int
	// Stream tells the producers sharing a key distribution apart (a
	// hash of the producer's name, see StreamOf).
	Stream uint32
}

// StreamOf returns a producer's key stream id: a hash of its name, so the
// keys do not depend on the order producers start in.
func StreamOf(name string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(name))
	return h.Sum32()
}

// appendKey appends event seq's record key: drawn from cfg.Keys when set,
// else the event's own id (event.AppendKey).
func (cfg *Config) appendKey(b []byte, seq uint64) []byte {
	if cfg.Keys == nil {
		return event.AppendKey(b, cfg.Kind, cfg.Name, cfg.Seed, seq)
	}
	ks := cfg.Keys
	return keys.AppendKey(b, ks.Keys.Rank(cfg.Seed, ks.Stream, seq, ks.Partitions))
}

// Partitioner returns the client option that places a producer's
// records: by key hash when its events are keyed (Kafka's default
// partitioner, so hot keys make hot partitions), else EvenPartitioner. It
// goes after ClientOptions, whose partitioner it replaces.
func Partitioner(keyed bool) kgo.Opt {
	if keyed {
		return kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil))
	}
	return kgo.RecordPartitioner(EvenPartitioner())
}
