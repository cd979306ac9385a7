package producer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/backlogbench/backlogbench/audit"
	"github.com/backlogbench/backlogbench/event"
)

// Config is one producer's part in a run.
type Config struct {
	// Name is the producer's name in the scenario.
	Name string
	// ID is the producer's number, unique within the run; with the
	// sequence number it makes every event's id.
	ID uint32
	// Topic is the Kafka topic written to.
	Topic string
	// Kind is the payload shape.
	Kind event.Kind
	// Size is the payload size in bytes.
	Size int
	// Seed makes the payloads reproducible.
	Seed int64
	// Pacer is the send schedule.
	Pacer Pacer
	// Start is the wall time of scenario time 0.
	Start time.Time
	// Resend is the fraction of events sent a second time, right after
	// the first, with the same id, key and payload: an upstream resend.
	// Which events are resent follows from the seed.
	Resend float64
	// Keys, when set, draws each event's record key from a distribution
	// (see Keys); the client then needs Partitioner(true).
	Keys *KeyStream
	// OnAck, when set, is called for every acknowledged event with its
	// partition, offset and intended scenario send time in seconds. It is
	// called from the client's callback goroutine, in offset order per
	// partition.
	OnAck func(partition int32, offset int64, scenarioS float64)
	// Quantum is the shortest sleep of the send loop (wall time): events
	// due less than Quantum after the loop wakes wait for the next wake
	// and go out together, each at most Quantum after its due time. At
	// 5,400 events a second a sleep per event costs a timer, a wake-up and
	// a produce request each; 2 ms sends them in ~11-record bursts. Zero
	// sleeps until each event is due.
	Quantum time.Duration
}

// Stats counts a producer's events. Its fields are safe to read at any
// time.
type Stats struct {
	// Sent, Acked and Failed count the events (first sends).
	Sent   atomic.Int64
	Acked  atomic.Int64
	Failed atomic.Int64
	// Resent counts the resends made; ResentAcked and ResentFailed how
	// they ended.
	Resent       atomic.Int64
	ResentAcked  atomic.Int64
	ResentFailed atomic.Int64

	ackedOnce sync.Once
	acked     *audit.Store // the sequence numbers acknowledged (first sends)

	errMu    sync.Mutex
	firstErr error
	publish  *hdrhistogram.Histogram // intended send → ack, scenario µs

	// Late counts the events sent more than LateAfter behind their
	// intended time: the harness's own slip, not the broker's.
	Late     atomic.Int64
	slipMu   sync.Mutex
	slip     *hdrhistogram.Histogram // actual − intended send, scenario µs
	worst    float64                 // the largest slip, scenario seconds
	worstAt  float64                 // its intended scenario time
	lateFrom float64                 // first late event's intended time (−1: none)
	lateTo   float64                 // last late event's intended time
}

// LateAfter is how far behind its intended time, in scenario seconds, an
// event must be sent to count as late: one sampling tick.
const LateAfter = 1.0

// recordSlip records that the event due at scenario time due was sent at
// scenario time at.
func (s *Stats) recordSlip(due, at float64) {
	d := max(at-due, 0)
	s.slipMu.Lock()
	if s.slip == nil {
		s.slip = hdrhistogram.New(1, 7*24*3600*1_000_000, 3)
		s.lateFrom = -1
	}
	_ = s.slip.RecordValue(max(int64(d*1e6), 1))
	if d > s.worst {
		s.worst, s.worstAt = d, due
	}
	if d > LateAfter {
		s.Late.Add(1)
		if s.lateFrom < 0 {
			s.lateFrom = due
		}
		s.lateTo = due
	}
	s.slipMu.Unlock()
}

// Slip is how far a producer's sends fell behind their schedule, scenario
// seconds: the 99th percentile and the largest (with when), and the span of
// intended times of the events sent more than LateAfter late.
type Slip struct {
	P99, Max, MaxAt  float64
	Late             int64
	LateFrom, LateTo float64
}

// Slip returns the producer's schedule slip so far.
func (s *Stats) Slip() Slip {
	s.slipMu.Lock()
	defer s.slipMu.Unlock()
	if s.slip == nil {
		return Slip{}
	}
	return Slip{P99: float64(s.slip.ValueAtQuantile(99)) / 1e6, Max: s.worst, MaxAt: s.worstAt,
		Late: s.Late.Load(), LateFrom: s.lateFrom, LateTo: s.lateTo}
}

// ackedIDs returns the set of acknowledged sequence numbers.
func (s *Stats) ackedIDs() *audit.Store {
	s.ackedOnce.Do(func() { s.acked = audit.NewStore(1) })
	return s.acked
}

// MarkAcked records that event seq (its first send) was acknowledged.
func (s *Stats) MarkAcked(seq uint64) { s.ackedIDs().FirstApply(0, seq) }

// WasAcked reports whether event seq (its first send) was acknowledged:
// the events a group must process for nothing to be lost.
func (s *Stats) WasAcked(seq uint64) bool { return s.ackedIDs().Has(0, seq) }

// PublishLatency returns a copy of the publish latency histogram: from
// each event's intended send time (or its send, when the send loop held it
// back by at most Config.Quantum) to the broker's acknowledgement, in
// scenario microseconds. This is what an asynchronous hand-off costs the
// caller.
func (s *Stats) PublishLatency() *hdrhistogram.Histogram {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	h := hdrhistogram.New(1, 7*24*3600*1_000_000, 3)
	if s.publish != nil {
		h.Merge(s.publish)
	}
	return h
}

func (s *Stats) recordPublish(us int64) {
	s.errMu.Lock()
	if s.publish == nil {
		s.publish = hdrhistogram.New(1, 7*24*3600*1_000_000, 3)
	}
	_ = s.publish.RecordValue(max(us, 1))
	s.errMu.Unlock()
}

// FirstError returns the first produce error seen, if any.
func (s *Stats) FirstError() error {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return s.firstErr
}

func (s *Stats) fail(err error) {
	s.Failed.Add(1)
	s.errMu.Lock()
	if s.firstErr == nil {
		s.firstErr = err
	}
	s.errMu.Unlock()
}

// MaxBufferedBytes bounds the bytes a producer holds unacknowledged; past
// it a send waits, which shows as latency (the pacer is open loop).
const MaxBufferedBytes = 256 << 20

// ClientOptions are the kgo options a producer client needs on top of the
// connection ones: idempotent, acks=all (kgo's defaults), no linger so a
// record leaves as soon as it is due, a buffer large enough that Produce
// never blocks the open loop, the even partitioner, and no compression: a
// payload's size is its size on the wire, so the consumers' fetch limits
// hold as many records as the time-lag model counts (snappy shrinks the
// padded payloads about sixfold, which a real payload would not).
//
// With idempotent false the client retries a failed produce without
// sequence numbers, so a produce the broker appended but answered with an
// error is appended again: a duplicate.
func ClientOptions(idempotent bool) []kgo.Opt {
	opts := []kgo.Opt{
		kgo.RecordPartitioner(EvenPartitioner()),
		kgo.ProducerLinger(0),
		kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.MaxBufferedRecords(1 << 20),
		// Bounded in bytes too: a stalled broker would otherwise let a
		// million large records pile up in memory (1 MiB each: 1 TiB).
		kgo.MaxBufferedBytes(MaxBufferedBytes),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.RecordDeliveryTimeout(60 * time.Second),
		// A retried produce waits 20 ms rather than kgo's default backoff
		// (up to a second), so an injected error costs the schedule little:
		// at ×30 a second of wall time is half a minute of scenario.
		kgo.RetryBackoffFn(func(int) time.Duration { return 20 * time.Millisecond }),
	}
	if !idempotent {
		opts = append(opts, kgo.DisableIdempotentWrite())
	}
	return opts
}

// resendSalt picks the resent events independently of the payload fields.
const resendSalt = 0x7265_7365_6e64 // "resend"

// Resends reports whether event seq of producer id is resent at fraction f.
func Resends(seed int64, id uint32, seq uint64, f float64) bool {
	return f > 0 && event.Uniform(seed, id, seq, resendSalt) < f
}

// EvenPartitioner places event number seq of a producer on partition
// seq mod n, so every partition gets the same share of the events, which
// is what the fluid model assumes. Events are still keyed (order id,
// session id), and an event sent twice lands on the same partition both
// times, as a keyed record would; a hashed key spreads the events unevenly
// (murmur2 over 60,000 order ids leaves partitions ±1–2% apart), and that
// imbalance, not the model, then decides when the slowest worker drains.
// A record without backlogbench metadata falls back to its key's hash.
func EvenPartitioner() kgo.Partitioner {
	hashed := kgo.StickyKeyPartitioner(nil)
	return kgo.BasicConsistentPartitioner(func(topic string) func(*kgo.Record, int) int {
		fallback := hashed.ForTopic(topic)
		return func(r *kgo.Record, n int) int {
			for _, h := range r.Headers {
				if h.Key == event.HeaderKey {
					if m, err := event.ParseHeader(h.Value); err == nil {
						return int(m.Seq % uint64(n))
					}
				}
			}
			return fallback.Partition(r, n)
		}
	})
}

// Run sends cfg's events through cl until the schedule ends or ctx is
// done, then waits for every outstanding acknowledgement. It counts into
// st. It returns ctx's error when stopped early.
func Run(ctx context.Context, cl *kgo.Client, cfg Config, st *Stats) error {
	snd := newSender(&cfg, st)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()

	var runErr error
	for sent := uint64(0); ; sent++ {
		due, ok := cfg.Pacer.Due(sent)
		if !ok {
			break
		}
		elapsed := time.Since(cfg.Start)
		wait := cfg.Pacer.Wait(due, elapsed)
		if wait > 0 && wait < cfg.Quantum {
			wait = cfg.Quantum
		}
		if wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				runErr = ctx.Err()
			case <-timer.C:
			}
			if runErr != nil {
				break
			}
		}
		if ctx.Err() != nil {
			runErr = ctx.Err()
			break
		}
		if wait > 0 {
			elapsed = time.Since(cfg.Start)
		}
		rec, resend := snd.next(sent, due, elapsed)
		cl.Produce(ctx, rec, snd.acked)
		if resend != nil {
			cl.Produce(ctx, resend, snd.acked)
		}
	}
	// Wait for every acknowledgement; when stopping early give them a
	// moment, then let the remaining ones fail.
	// A finished schedule flushes under ctx, so a dead broker cannot hold
	// the run: whoever stops the run stops the flush too.
	fctx := ctx
	if runErr != nil {
		fctx = context.Background()
		var cancel context.CancelFunc
		fctx, cancel = context.WithTimeout(fctx, 5*time.Second)
		defer cancel()
	}
	if err := cl.Flush(fctx); err != nil && runErr == nil {
		runErr = err
	}
	if runErr != nil && !errors.Is(runErr, context.Canceled) && !errors.Is(runErr, context.DeadlineExceeded) {
		return fmt.Errorf("producer %s: %w", cfg.Name, runErr)
	}
	return runErr
}

// Compact frees the memory of the acknowledged ids whose pages are full
// (every first send of them acknowledged); see audit.Store.Compact. It
// returns the pages freed.
func (s *Stats) Compact() int { return s.ackedIDs().Compact() }
