// Package keys holds the key distributions of keyed producers and the
// maths of Kafka's default partitioner: which key event n of a producer
// gets, and which partition that key lands on. It imports no Kafka
// client, so the prediction can compute each partition's share of the
// events without one.
//
// A distribution has Count keys "k-0" to "k-<Count−1>"; key r has
// probability p_r = 1/Count (Uniform) or p_r = (r+1)^{−s} / Σ_j (j+1)^{−s}
// (Zipf, exponent s). Kafka's default partitioner (and kgo's
// StickyKeyPartitioner) puts a key on partition
//
//	P(key) = (murmur2(key) & 0x7fffffff) mod n,
//
// so partition p gets the share s_p = Σ_{r: P(k-r) = p} p_r of the events,
// and a hot key makes a hot partition. Event seq of a producer first picks
// its partition by a golden-ratio (Weyl) sequence u_seq = frac(u₀ + seq·φ⁻¹)
// against the cumulative shares, so any run of N events puts within a few
// events of N·s_p on partition p, then draws its key among that partition's
// keys in proportion to their probabilities; each key is thus drawn with
// probability p_r, and always hashes to the partition chosen.
package keys

import (
	"math"
	"sort"
	"strconv"
	"sync"

	"github.com/backlogbench/backlogbench/event"
)

// Key distributions.
const (
	Uniform = "uniform"
	Zipf    = "zipf"
)

// keySalt picks the keys independently of the payload fields and resends.
const keySalt = 0x6b65_7973 // "keys"

// Keys is a distribution of record keys: Count distinct keys, "k-0" to
// "k-<Count−1>", drawn uniformly or by Zipf's law (key k with probability
// ∝ 1/(k+1)^S). Kafka's default partitioner puts a key on partition
// murmur2(key) mod n, so partition p gets the share s_p of the events, the
// sum of the probabilities of the keys it hashes; a hot key makes a hot
// partition. Use New; a Keys is safe for concurrent use.
type Keys struct {
	Dist  string
	S     float64
	Count int

	probs []float64 // by rank
	hash  []uint32  // murmur2 of each key, sign bit cleared

	mu      sync.Mutex
	layouts map[int]*layout   // for Rank: a producer's one topic
	shares  map[int][]float64 // for Shares: any partition count
}

// layout is the distribution split by partition for n partitions.
type layout struct {
	shares []float64   // s_p
	cum    []float64   // Σ_{q≤p} s_q
	ranks  [][]int     // the keys of each partition
	kcum   [][]float64 // their cumulative probabilities within it
}

// New returns the key distribution dist (Uniform or Zipf) over count
// keys with zipf exponent s.
func New(dist string, s float64, count int) *Keys {
	k := &Keys{Dist: dist, S: s, Count: max(count, 1), layouts: map[int]*layout{}, shares: map[int][]float64{}}
	k.probs = make([]float64, k.Count)
	k.hash = make([]uint32, k.Count)
	var sum float64
	var buf []byte
	for r := range k.Count {
		p := 1.0
		if dist == Zipf {
			p = math.Pow(float64(r+1), -s)
		}
		k.probs[r] = p
		sum += p
		buf = AppendKey(buf[:0], r)
		k.hash[r] = murmur2(buf) & 0x7fffffff
	}
	for r := range k.probs {
		k.probs[r] /= sum
	}
	return k
}

// Prob returns the probability of the key of rank r.
func (k *Keys) Prob(r int) float64 { return k.probs[r] }

// Shares returns the share of the events each of n partitions gets: the
// sum of the probabilities of the keys murmur2 puts on it.
func (k *Keys) Shares(n int) []float64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	if l, ok := k.layouts[n]; ok {
		return l.shares
	}
	if sh, ok := k.shares[n]; ok {
		return sh
	}
	sh := make([]float64, n)
	for r, h := range k.hash {
		sh[int(h)%n] += k.probs[r]
	}
	k.shares[n] = sh
	return sh
}

func (k *Keys) layout(n int) *layout {
	k.mu.Lock()
	defer k.mu.Unlock()
	if l, ok := k.layouts[n]; ok {
		return l
	}
	l := &layout{shares: make([]float64, n), cum: make([]float64, n), ranks: make([][]int, n), kcum: make([][]float64, n)}
	for r, h := range k.hash {
		p := int(h) % n
		l.shares[p] += k.probs[r]
		l.ranks[p] = append(l.ranks[p], r)
		l.kcum[p] = append(l.kcum[p], l.shares[p])
	}
	var c float64
	for p, s := range l.shares {
		c += s
		l.cum[p] = c
		for i := range l.kcum[p] {
			l.kcum[p][i] /= s
		}
	}
	k.layouts[n] = l
	return l
}

// Rank returns the rank of the key of event seq of a producer (stream)
// writing to n partitions. The partition is chosen first, by a golden-ratio
// (Weyl) sequence over the partitions' shares, so every partition's share
// of any run of events stays within a few events of s_p, as the even
// partitioner keeps unkeyed events exactly even; the key is then drawn at
// random among the partition's keys in proportion to their probabilities.
// Each key is so drawn with its probability under the distribution, and
// the key hashes to the chosen partition. The draw is a pure function of
// the seed, the stream and seq, so a resent event keeps its key.
func (k *Keys) Rank(seed int64, stream uint32, seq uint64, n int) int {
	l := k.layout(n)
	// The Weyl sequence in 64-bit fixed point: frac(u₀ + seq·φ⁻¹).
	w := uint64(seed)*0xbf58476d1ce4e5b9 ^ uint64(stream)<<32 + seq*0x9e3779b97f4a7c15
	u := float64(w>>11) / (1 << 53)
	p := min(sort.SearchFloat64s(l.cum, u), n-1)
	for l.shares[p] == 0 { // u on the edge of an empty partition
		p = (p + 1) % n
	}
	v := event.Uniform(seed, stream, seq, keySalt)
	i := min(sort.SearchFloat64s(l.kcum[p], v), len(l.ranks[p])-1)
	return l.ranks[p][i]
}

// AppendKey appends the key of rank r.
func AppendKey(b []byte, r int) []byte {
	b = append(b, "k-"...)
	return strconv.AppendInt(b, int64(r), 10)
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
