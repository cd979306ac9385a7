package keys

import (
	"hash/fnv"
	"math"
	"testing"
)

// TestMurmur2 checks murmur2 against Kafka's golden vectors
// (UtilsTest.testMurmur2). producer's TestPartitionMatchesKafka checks
// Partition against kgo's partitioner.
func TestMurmur2(t *testing.T) {
	for _, tt := range []struct {
		key  string
		want int32
	}{{"21", -973932308}, {"foobar", -790332482}, {"a-little-bit-long-string", -985981536}, {"abc", 479470107}} {
		if got := int32(murmur2([]byte(tt.key))); got != tt.want {
			t.Errorf("murmur2(%q) = %d, want %d", tt.key, got, tt.want)
		}
	}
}

func TestKeys(t *testing.T) {
	tests := []struct {
		name string
		k    *Keys
		top  float64 // probability of the first key
	}{
		{"uniform", New(Uniform, 0, 1000), 0.001},
		// 1/Σ_{k≤10000} k^−1.1: the hottest key is 15% of the events.
		{"zipf", New(Zipf, 1.1, 10000), 1 / zipfNorm(1.1, 10000)},
	}
	for _, tt := range tests {
		if got := tt.k.Prob(0); math.Abs(got-tt.top) > 1e-9 {
			t.Errorf("%s: P(k-0) = %v, want %v", tt.name, got, tt.top)
		}
		sh := tt.k.Shares(12)
		var sum float64
		for _, x := range sh {
			sum += x
		}
		if math.Abs(sum-1) > 1e-9 {
			t.Errorf("%s: shares add up to %v", tt.name, sum)
		}
		// Each key is drawn with its probability; its partition is the
		// one murmur2 gives it; and every partition's count stays within a
		// few events of its share at every point of the run.
		const n = 200_000
		counts := make([]float64, 12)
		first := 0
		worst := 0.0
		var buf []byte
		for seq := range uint64(n) {
			r := tt.k.Rank(1, streamOf("orders"), seq, 12)
			if r == 0 {
				first++
			}
			buf = AppendKey(buf[:0], r)
			counts[Partition(buf, 12)]++
			if seq%1000 == 999 {
				for p, c := range counts {
					worst = max(worst, math.Abs(c-float64(seq+1)*sh[p]))
				}
			}
		}
		if got := float64(first) / n; math.Abs(got-tt.top) > 5*math.Sqrt(tt.top/n) {
			t.Errorf("%s: drew k-0 %.4f of the time, want %.4f", tt.name, got, tt.top)
		}
		if worst > 5 {
			t.Errorf("%s: a partition's count strayed %v events from its share", tt.name, worst)
		}
	}
}

// TestRankResend checks that an event's key depends only on the seed,
// the producer and its sequence number.
func TestRankResend(t *testing.T) {
	k := New(Zipf, 1.1, 1000)
	a, b := k.Rank(3, streamOf("orders"), 12345, 6), k.Rank(3, streamOf("orders"), 12345, 6)
	if a != b {
		t.Errorf("the same event drew keys %d and %d", a, b)
	}
	same := 0
	for seq := range uint64(1000) {
		if k.Rank(3, streamOf("orders"), seq, 6) == k.Rank(3, streamOf("clicks"), seq, 6) {
			same++
		}
	}
	if same > 300 {
		t.Errorf("two producers drew the same key %d times in 1000", same)
	}
}

func zipfNorm(s float64, n int) float64 {
	var sum float64
	for k := n; k >= 1; k-- {
		sum += math.Pow(float64(k), -s)
	}
	return sum
}

// streamOf is producer.StreamOf, which keys cannot import: the stream id
// the producer named name draws its keys with.
func streamOf(name string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(name))
	return h.Sum32()
}
