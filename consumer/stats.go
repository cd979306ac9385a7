package consumer

import (
	"math"
	"sync"
	"sync/atomic"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/backlogbench/backlogbench/audit"
	"github.com/backlogbench/backlogbench/event"
)

// Latency histograms record scenario microseconds from 1 µs to 7 days at
// 3 significant digits.
const (
	latencyMin = 1
	latencyMax = 7 * 24 * 3600 * 1_000_000
	latencySig = 3
)

// NewLatencyHistogram returns an empty histogram of the range and
// precision the workers record in (scenario microseconds).
func NewLatencyHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(latencyMin, latencyMax, latencySig)
}

// Stats is a group's shared state: what its workers processed, per
// event id (the audit) and per partition (the next offset to process, for
// the contiguity check and the time lag), and the effects they applied. A
// partition is owned by one worker at a time, so its entry needs no more
// than atomic loads and stores.
type Stats struct {
	// Processed counts first deliveries: the unique events processed.
	Processed atomic.Int64
	// Delivered counts every record processed, duplicates included.
	Delivered atomic.Int64
	// Redelivered counts records at an offset the group had already
	// processed (a rewind: after a rebalance or a crash).
	Redelivered atomic.Int64
	// Skipped counts offsets jumped over (a record never seen).
	Skipped atomic.Int64
	// Foreign counts records without backlogbench metadata.
	Foreign atomic.Int64
	// Suppressed counts duplicates the dedup store kept from being applied.
	Suppressed atomic.Int64
	// Applied counts effects applied; AppliedTwice those applied for an
	// event whose effect was already applied.
	Applied      atomic.Int64
	AppliedTwice atomic.Int64
	// Points is the sum of the points the applied effects added (loyalty);
	// UniquePoints the sum over unique events, what it should be.
	Points       atomic.Int64
	UniquePoints atomic.Int64

	// Audit records every delivery by event id.
	Audit *audit.Log
	// Dedup is the group's dedup store, nil when dedup is off.
	Dedup *audit.Store

	cfg  StatsConfig
	next map[string][]atomic.Int64

	mu       sync.Mutex
	hists    []*hdrhistogram.Histogram
	behind   []Behind
	firstErr error
	// errAt holds the scenario second of every error, whole seconds,
	// each once: bounded by the run's length.
	errAt map[int64]bool
}

// LateAfter is how far behind its capacity, in scenario seconds, a worker
// processes a record before the record counts as late (as for a
// producer's sends).
const LateAfter = 1.0

// Behind is how far a worker fell behind its capacity while records
// waited (see Throttle.Behind): the most, when, and the records it
// processed more than LateAfter behind, between which scenario times.
type Behind struct {
	MaxS, MaxAt      float64
	Late             int64
	LateFrom, LateTo float64
}

// add records that a record was processed behind seconds behind the
// worker's capacity at scenario time now.
func (b *Behind) add(behind, now float64) {
	if behind > b.MaxS {
		b.MaxS, b.MaxAt = behind, now
	}
	if behind > LateAfter {
		if b.Late == 0 || now < b.LateFrom {
			b.LateFrom = now
		}
		b.LateTo = max(b.LateTo, now)
		b.Late++
	}
}

// merge adds o's records to b.
func (b *Behind) merge(o Behind) {
	if o.MaxS > b.MaxS {
		b.MaxS, b.MaxAt = o.MaxS, o.MaxAt
	}
	if o.Late > 0 {
		if b.Late == 0 || o.LateFrom < b.LateFrom {
			b.LateFrom = o.LateFrom
		}
		b.LateTo = max(b.LateTo, o.LateTo)
		b.Late += o.Late
	}
}

// addBehind merges a worker's record into the group's.
func (s *Stats) addBehind(worker int, b Behind) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if worker >= 0 && worker < len(s.behind) {
		s.behind[worker].merge(b)
	}
}

// Behind returns the group's workers' records of falling behind their
// capacity, the worst first, and the worker it was.
func (s *Stats) Behind() (Behind, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all Behind
	worst := -1
	for w, b := range s.behind {
		if b.MaxS > all.MaxS {
			worst = w
		}
		all.merge(b)
	}
	return all, worst
}

// StatsConfig describes a group for its shared state.
type StatsConfig struct {
	// Workers is the most workers the group will have (faults that add a
	// worker included).
	Workers int
	// Partitions maps each Kafka topic read to its partition count.
	Partitions map[string]int
	// Kinds gives each producer id's event kind (index: producer id).
	Kinds []event.Kind
	// Seed is the scenario seed the events' fields derive from.
	Seed int64
	// Dedup turns on the idempotent consumer's dedup store.
	Dedup bool
}

// NewStats returns the shared state of a group.
func NewStats(cfg StatsConfig) *Stats {
	s := &Stats{cfg: cfg, next: make(map[string][]atomic.Int64, len(cfg.Partitions))}
	for t, n := range cfg.Partitions {
		s.next[t] = make([]atomic.Int64, n)
	}
	s.behind = make([]Behind, cfg.Workers)
	s.hists = make([]*hdrhistogram.Histogram, cfg.Workers)
	for i := range s.hists {
		s.hists[i] = NewLatencyHistogram()
	}
	s.Audit = audit.New(len(cfg.Kinds))
	if cfg.Dedup {
		s.Dedup = audit.NewStore(len(cfg.Kinds))
	}
	return s
}

// Next returns the next offset the group has to process in the partition:
// every offset below it has been processed.
func (s *Stats) Next(topic string, partition int32) int64 {
	ps := s.next[topic]
	if int(partition) >= len(ps) {
		return 0
	}
	return ps[partition].Load()
}

// Latency returns the merged end-to-end latency histogram of every worker.
func (s *Stats) Latency() *hdrhistogram.Histogram {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := NewLatencyHistogram()
	for _, w := range s.hists {
		h.Merge(w)
	}
	return h
}

// Err returns the first error a worker reported, if any.
func (s *Stats) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.firstErr
}

// ErrOutside returns the first error, if any worker reported one outside
// every window [from, to] of scenario seconds (a broker outage, where
// workers cannot fetch or commit), widened by slack on each side; an
// error's time is known to the whole second.
func (s *Stats) ErrOutside(windows [][2]float64, slack float64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for sec := range s.errAt {
		in := false
		for _, w := range windows {
			in = in || float64(sec+1) > w[0]-slack && float64(sec) <= w[1]+slack
		}
		if !in {
			return s.firstErr
		}
	}
	return nil
}

// fail records a worker's error at scenario time at (seconds).
func (s *Stats) fail(err error, at float64) {
	s.mu.Lock()
	if s.firstErr == nil {
		s.firstErr = err
	}
	if s.errAt == nil {
		s.errAt = map[int64]bool{}
	}
	s.errAt[int64(math.Floor(at))] = true
	s.mu.Unlock()
}

// Compact frees the memory of the audit's pages whose events were each
// delivered exactly once, and of the dedup store's full pages; counts
// stay exact (see audit.Log.Compact). It returns the pages freed.
func (s *Stats) Compact() int {
	n := s.Audit.Compact()
	if s.Dedup != nil {
		n += s.Dedup.Compact()
	}
	return n
}
