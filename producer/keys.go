package producer

import (
	"math"
	"sort"
	"strconv"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/backlogbench/backlogbench/event"
)

// Key distributions.
const (
	Uniform = "uniform"
	Zipf    = "zipf"
)

// keySalt picks the keys independently of the payload fields and resends.
const keySalt = 0x6b65_7973 // "keys"

// Keys draws each event's record key from Count distinct keys, "k-0" to
// "k-<Count−1>": uniformly, or by Zipf's law (key k drawn with probability
// ∝ 1/(k+1)^S). The draw is a pure function of the seed, the producer and
// the event's sequence number, so a resent event keeps its key and its
// partition. Use NewKeys.
type Keys struct {
	Dist  string
	S     float64
	Count int

	cdf []float64 // zipf: P(rank ≤ k)

	mu     sync.Mutex
	shares map[int][]float64
}

// NewKeys returns the key distribution dist (Uniform or Zipf) over count
// keys with zipf exponent s.
func NewKeys(dist string, s float64, count int) *Keys {
	k := &Keys{Dist: dist, S: s, Count: max(count, 1), shares: map[int][]float64{}}
	if dist == Zipf {
		k.cdf = make([]float64, k.Count)
		var sum float64
		for r := range k.Count {
			sum += math.Pow(float64(r+1), -s)
			k.cdf[r] = sum
		}
		for r := range k.cdf {
			k.cdf[r] /= sum
		}
	}
	return k
}

// Prob returns the probability of the key of rank r.
func (k *Keys) Prob(r int) float64 {
	if k.cdf == nil {
		return 1 / float64(k.Count)
	}
	if r == 0 {
		return k.cdf[0]
	}
	return k.cdf[r] - k.cdf[r-1]
}

// Rank returns the rank of the key of event seq of producer id.
func (k *Keys) Rank(seed int64, id uint32, seq uint64) int {
	u := event.Uniform(seed, id, seq, keySalt)
	if k.cdf == nil {
		return min(int(u*float64(k.Count)), k.Count-1)
	}
	return min(sort.SearchFloat64s(k.cdf, u), k.Count-1)
}

// AppendKey appends the key of rank r.
func AppendKey(b []byte, r int) []byte {
	b = append(b, "k-"...)
	return strconv.AppendInt(b, int64(r), 10)
}

// Shares returns the share of the events each of n partitions gets when
// every key goes to its murmur2 partition: the sum of the probabilities of
// the keys hashed to it. It is computed once per n.
func (k *Keys) Shares(n int) []float64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	if sh, ok := k.shares[n]; ok {
		return sh
	}
	sh := make([]float64, n)
	var buf []byte
	for r := range k.Count {
		buf = AppendKey(buf[:0], r)
		sh[Partition(buf, n)] += k.Prob(r)
	}
	k.shares[n] = sh
	return sh
}

// Partition returns the partition Kafka's default partitioner (and kgo's
// StickyKeyPartitioner) picks for a key among n: the murmur2 hash with the
// sign bit cleared, mod n.
func Partition(key []byte, n int) int {
	return int(murmur2(key)&0x7fffffff) % n
}

// murmur2 is Kafka's murmur2 (Utils.murmur2), as kgo's partitioner has it.
func murmur2(b []byte) uint32 {
	const (
		seed uint32 = 0x9747b28c
		m    uint32 = 0x5bd1e995
		r           = 24
	)
	h := seed ^ uint32(len(b))
	for len(b) >= 4 {
		k := uint32(b[3])<<24 + uint32(b[2])<<16 + uint32(b[1])<<8 + uint32(b[0])
		b = b[4:]
		k *= m
		k ^= k >> r
		k *= m
		h *= m
		h ^= k
	}
	switch len(b) {
	case 3:
		h ^= uint32(b[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(b[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(b[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return h
}

// appendKey appends event seq's record key: drawn from cfg.Keys when set,
// else the event's own id (event.AppendKey).
func (cfg *Config) appendKey(b []byte, seq uint64) []byte {
	if cfg.Keys == nil {
		return event.AppendKey(b, cfg.Kind, cfg.Name, cfg.Seed, seq)
	}
	return AppendKey(b, cfg.Keys.Rank(cfg.Seed, cfg.ID, seq))
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
