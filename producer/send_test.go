package producer

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/backlogbench/backlogbench/event"
	"github.com/backlogbench/backlogbench/rate"
)

// sendOne is the send loop's path for one event without the client: the
// pacer, the record built, the partitioner, and the acknowledgement
// through the promise (counts, publish latency, OnAck, the buffer back to
// the pool).
func sendOne(snd *sender, part kgo.TopicPartitioner, offsets []int64, k uint64) {
	due, _ := snd.cfg.Pacer.Due(k)
	snd.cfg.Pacer.Wait(due, time.Duration(k)*time.Millisecond)
	rec, _ := snd.next(k, due, time.Duration(k)*time.Millisecond)
	rec.Partition = int32(part.Partition(rec, len(offsets)))
	rec.Offset = offsets[rec.Partition]
	offsets[rec.Partition]++
	snd.acked(rec, nil)
}

func newBenchSender(b testing.TB) (*sender, kgo.TopicPartitioner) {
	var acks int
	cfg := &Config{
		Name: "orders", ID: 1, Topic: "orders", Kind: event.Order, Size: 512, Seed: 1,
		Pacer: Pacer{Schedule: rate.New(rate.Segment{Dur: 1e6, From: 1000, To: 1000}), Speedup: 1},
		Start: time.Now(),
		OnAck: func(int32, int64, float64) { acks++ },
	}
	return newSender(cfg, &Stats{}), EvenPartitioner().ForTopic("orders")
}

// BenchmarkSend is the send loop's cost per event apart from the client:
// pace, encode (key, 512-byte JSON payload, header), fill the pooled
// record, partition, and the ack callback. Budget: 0 allocations per
// event in steady state (the acked-id store grows a page per 65,536
// events: amortized, under 0.0001).
func BenchmarkSend(b *testing.B) {
	snd, part := newBenchSender(b)
	offsets := make([]int64, 12)
	b.ReportAllocs()
	for k := uint64(0); b.Loop(); k++ {
		sendOne(snd, part, offsets, k)
	}
	if got := snd.st.Acked.Load(); got != int64(b.N) {
		b.Fatalf("acked %d of %d", got, b.N)
	}
}

// TestSendAllocs holds the send path to its budget, counted (not timed):
// no allocation per event once the pool holds a record.
func TestSendAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector drops pooled records on purpose")
	}
	snd, part := newBenchSender(t)
	offsets := make([]int64, 12)
	k := uint64(0)
	sendOne(snd, part, offsets, k)
	if n := testing.AllocsPerRun(10000, func() { k++; sendOne(snd, part, offsets, k) }); n != 0 {
		t.Errorf("the send path allocates %v times an event, want 0", n)
	}
	if got := snd.st.Acked.Load(); got != int64(k+1) {
		t.Errorf("acked %d of %d", got, k+1)
	}
}

// TestPublishFrom: an event held back by the quantum is timed from its
// send; an on-time one, and one later than the quantum (a stall), from
// its intended time.
func TestPublishFrom(t *testing.T) {
	s := &sender{cfg: &Config{Quantum: 2 * time.Millisecond}}
	ms := int64(time.Millisecond)
	for _, c := range []struct{ intended, sent, want int64 }{
		{100 * ms, 100 * ms, 100 * ms},
		{100 * ms, 101 * ms, 101 * ms},
		{100 * ms, 102 * ms, 102 * ms},
		{100 * ms, 103 * ms, 100 * ms},
		{100 * ms, 99 * ms, 100 * ms},
	} {
		if got := s.publishFrom(c.intended, c.sent); got != c.want {
			t.Errorf("publishFrom(%d, %d) = %d, want %d", c.intended, c.sent, got, c.want)
		}
	}
	s.cfg.Quantum = 0
	if got := s.publishFrom(100*ms, 101*ms); got != 100*ms {
		t.Errorf("with no quantum publishFrom = %d, want the intended time", got)
	}
}
