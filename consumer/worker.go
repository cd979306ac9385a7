package consumer

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/twmb/franz-go/pkg/kgo"

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

// Stats is a group's shared state: what its workers processed, and per
// partition the next offset to process, so a redelivery (after a
// rebalance) is told apart from a first delivery. A partition is owned by
// one worker at a time, so its entry needs no more than atomic loads and
// stores.
type Stats struct {
	// Processed counts first deliveries: the unique events processed.
	Processed atomic.Int64
	// Delivered counts every record processed, redeliveries included.
	Delivered atomic.Int64
	// Redelivered counts records at an offset already processed.
	Redelivered atomic.Int64
	// Skipped counts offsets jumped over (a record never seen).
	Skipped atomic.Int64
	// Foreign counts records without backlogbench metadata.
	Foreign atomic.Int64

	next map[string][]atomic.Int64

	mu       sync.Mutex
	hists    []*hdrhistogram.Histogram
	firstErr error
}

// NewStats returns the state of a group of workers reading topics, given
// each topic's partition count.
func NewStats(workers int, partitions map[string]int) *Stats {
	s := &Stats{next: make(map[string][]atomic.Int64, len(partitions))}
	for t, n := range partitions {
		s.next[t] = make([]atomic.Int64, n)
	}
	s.hists = make([]*hdrhistogram.Histogram, workers)
	for i := range s.hists {
		s.hists[i] = NewLatencyHistogram()
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

func (s *Stats) fail(err error) {
	s.mu.Lock()
	if s.firstErr == nil {
		s.firstErr = err
	}
	s.mu.Unlock()
}

// WorkerConfig is one worker's part in a run.
type WorkerConfig struct {
	// Group is the Kafka consumer group id.
	Group string
	// Topics are the Kafka topics read.
	Topics []string
	// Index numbers the worker within its group, from 0.
	Index int
	// Throttle paces the worker at its share of the group's capacity.
	Throttle Throttle
	// Start returns the wall time of scenario time 0 (which may be set
	// after the worker has joined its group); Speedup converts scenario
	// time to wall time (wall = scenario / Speedup).
	Start   func() time.Time
	Speedup float64
	// CommitEvery is how often, in wall time, processed offsets are
	// committed while the worker is busy; an idle worker commits at once.
	CommitEvery time.Duration
	// MaxPoll bounds the records taken per poll, so a rebalance never
	// waits long for a batch to finish.
	MaxPoll int
	// SessionTimeout is the group session timeout. The default is 6s.
	SessionTimeout time.Duration
	// Opts are the client's connection options (seed brokers, TLS, SASL).
	Opts []kgo.Opt
	// OnAssigned, when set, is called with the worker's index and its
	// whole assignment after every rebalance (possibly empty).
	OnAssigned func(worker int, assigned map[string][]int32)
}

// Run runs one worker until ctx is done. It joins the group, processes
// every record it is assigned at its throttled pace, counts into st and
// commits what it processed, leaving the group on return.
func Run(ctx context.Context, cfg WorkerConfig, st *Stats) error {
	session := cfg.SessionTimeout
	if session <= 0 {
		session = 6 * time.Second
	}
	var (
		ownMu sync.Mutex
		own   = map[string][]int32{}
	)
	report := func() {
		if cfg.OnAssigned == nil {
			return
		}
		ownMu.Lock()
		cp := make(map[string][]int32, len(own))
		for t, ps := range own {
			cp[t] = append([]int32(nil), ps...)
		}
		ownMu.Unlock()
		cfg.OnAssigned(cfg.Index, cp)
	}
	opts := append([]kgo.Opt{}, cfg.Opts...)
	opts = append(opts,
		kgo.ConsumerGroup(cfg.Group),
		kgo.ConsumeTopics(cfg.Topics...),
		kgo.Balancers(kgo.RangeBalancer()),
		kgo.HeartbeatInterval(100*time.Millisecond),
		kgo.SessionTimeout(session),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.AutoCommitMarks(),
		kgo.AutoCommitInterval(time.Second),
		kgo.BlockRebalanceOnPoll(),
		kgo.FetchMinBytes(1),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
			ownMu.Lock()
			for t, ps := range m {
				own[t] = append(own[t], ps...)
			}
			ownMu.Unlock()
			report()
		}),
		kgo.OnPartitionsRevoked(func(ctx context.Context, cl *kgo.Client, m map[string][]int32) {
			if err := cl.CommitMarkedOffsets(ctx); err != nil && ctx.Err() == nil {
				st.fail(fmt.Errorf("group %s worker %d: commit on revoke: %w", cfg.Group, cfg.Index, err))
			}
			ownMu.Lock()
			for t, ps := range m {
				own[t] = without(own[t], ps)
			}
			ownMu.Unlock()
			report()
		}),
	)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return fmt.Errorf("group %s worker %d: %w", cfg.Group, cfg.Index, err)
	}
	defer cl.Close()

	hist := st.hists[cfg.Index]
	speedup := cfg.Speedup
	if speedup <= 0 {
		speedup = 1
	}
	maxPoll := max(cfg.MaxPoll, 1)
	th := cfg.Throttle
	scenarioNow := func() float64 { return time.Since(cfg.Start()).Seconds() * speedup }
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	sleep := func(d time.Duration) bool {
		timer.Reset(d)
		select {
		case <-ctx.Done():
			return false
		case <-timer.C:
			return true
		}
	}

	lastCommit := time.Now()
	marked := false
	commit := func() {
		if !marked {
			return
		}
		if err := cl.CommitMarkedOffsets(ctx); err != nil && ctx.Err() == nil {
			st.fail(fmt.Errorf("group %s worker %d: commit: %w", cfg.Group, cfg.Index, err))
		}
		marked, lastCommit = false, time.Now()
	}

	for {
		idle := cl.BufferedFetchRecords() == 0
		if idle {
			commit()
		}
		fs := cl.PollRecords(ctx, maxPoll)
		if ctx.Err() != nil || fs.IsClientClosed() {
			cl.AllowRebalance()
			return nil
		}
		fs.EachError(func(t string, p int32, err error) {
			st.fail(fmt.Errorf("group %s worker %d: fetch %s[%d]: %w", cfg.Group, cfg.Index, t, p, err))
		})
		if idle {
			th.Idle(scenarioNow())
		}
		stopped := false
		fs.EachRecord(func(r *kgo.Record) {
			if stopped {
				return
			}
			due, ok := th.Due()
			if !ok {
				<-ctx.Done() // no capacity, ever: hold the records
				stopped = true
				return
			}
			dueWall := cfg.Start().Add(time.Duration(due / speedup * 1e9))
			if d := time.Until(dueWall); d > 20*time.Microsecond && !sleep(d) {
				stopped = true
				return
			}
			process(r, st, hist, &st.mu, speedup)
			th.Take()
			cl.MarkCommitRecords(r)
			marked = true
			if time.Since(lastCommit) >= cfg.CommitEvery {
				commit()
			}
		})
		cl.AllowRebalance()
		if stopped {
			return nil
		}
	}
}

// process applies one record: the group's bookkeeping and the latency
// from the event's intended send time, in scenario units.
func process(r *kgo.Record, st *Stats, hist *hdrhistogram.Histogram, mu *sync.Mutex, speedup float64) {
	st.Delivered.Add(1)
	if ps := st.next[r.Topic]; int(r.Partition) < len(ps) {
		n := &ps[r.Partition]
		switch next := n.Load(); {
		case r.Offset < next:
			st.Redelivered.Add(1)
		default:
			if r.Offset > next {
				st.Skipped.Add(r.Offset - next)
			}
			n.Store(r.Offset + 1)
			st.Processed.Add(1)
		}
	}
	var m event.Meta
	var err error = event.ErrNoMeta
	for _, h := range r.Headers {
		if h.Key == event.HeaderKey {
			m, err = event.ParseHeader(h.Value)
			break
		}
	}
	if err != nil {
		st.Foreign.Add(1)
		return
	}
	lat := float64(time.Now().UnixNano()-m.IntendedNs) / 1e3 * speedup
	mu.Lock()
	_ = hist.RecordValue(max(int64(lat), latencyMin))
	mu.Unlock()
}

func without(have, drop []int32) []int32 {
	out := have[:0]
	for _, p := range have {
		keep := true
		for _, d := range drop {
			if p == d {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, p)
		}
	}
	return out
}
