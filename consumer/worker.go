package consumer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/twmb/franz-go/pkg/kgo"

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
	firstErr error
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
	// Crash, when closed, makes the worker die on the spot: its
	// connections drop and it neither commits nor leaves the group, so its
	// partitions go to the others only after the session timeout and they
	// reprocess what it had not committed. OnCrash is then called with the
	// records it processed since its last commit: the most duplicates the
	// crash can cause.
	Crash   <-chan struct{}
	OnCrash func(uncommitted int64)
	// Leave, when closed, makes the worker leave the group cleanly:
	// it commits what it processed and hands its partitions over.
	Leave <-chan struct{}
}

// crashDialer dials the broker and can cut every connection it made, for
// good: a crashed process.
type crashDialer struct {
	mu    sync.Mutex
	d     net.Dialer
	conns []net.Conn
	dead  bool
}

var errCrashed = errors.New("worker crashed")

func (c *crashDialer) dial(ctx context.Context, network, host string) (net.Conn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead {
		return nil, errCrashed
	}
	conn, err := c.d.DialContext(ctx, network, host)
	if err == nil {
		c.conns = append(c.conns, conn)
	}
	return conn, err
}

func (c *crashDialer) crash() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dead = true
	for _, conn := range c.conns {
		_ = conn.Close()
	}
	c.conns = nil
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
		ownMu       sync.Mutex
		own         = map[string][]int32{}
		sinceCommit atomic.Int64 // records processed since the last commit
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
	dialer := &crashDialer{d: net.Dialer{Timeout: 3 * time.Second}}
	var crashed atomic.Bool
	opts := append([]kgo.Opt{}, cfg.Opts...)
	opts = append(opts,
		kgo.Dialer(dialer.dial),
		kgo.ConsumerGroup(cfg.Group),
		kgo.ConsumeTopics(cfg.Topics...),
		kgo.Balancers(kgo.RangeBalancer()),
		kgo.HeartbeatInterval(100*time.Millisecond),
		kgo.SessionTimeout(session),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.AutoCommitMarks(),
		// Commits are made explicitly (below) and on revoke; the background
		// autocommit would only blur the crash bound.
		kgo.AutoCommitInterval(time.Hour),
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
			if crashed.Load() {
				return
			}
			if err := cl.CommitMarkedOffsets(ctx); err != nil && ctx.Err() == nil {
				st.fail(fmt.Errorf("group %s worker %d: commit on revoke: %w", cfg.Group, cfg.Index, err))
			} else if err == nil {
				sinceCommit.Store(0)
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
		if err := cl.CommitMarkedOffsets(ctx); err != nil {
			if ctx.Err() == nil {
				st.fail(fmt.Errorf("group %s worker %d: commit: %w", cfg.Group, cfg.Index, err))
			}
		} else {
			sinceCommit.Store(0)
		}
		marked, lastCommit = false, time.Now()
	}

	// A crash or a leave interrupts a blocked poll through pctx; the
	// watcher goroutine ends with the worker.
	pctx, interrupt := context.WithCancel(ctx)
	defer interrupt()
	var leaving atomic.Bool
	go func() {
		select {
		case <-ctx.Done():
		case <-orNever(cfg.Crash):
			crashed.Store(true)
			dialer.crash()
			interrupt()
		case <-orNever(cfg.Leave):
			leaving.Store(true)
			interrupt()
		}
	}()
	die := func() error {
		if cfg.OnCrash != nil {
			cfg.OnCrash(sinceCommit.Load())
		}
		<-ctx.Done() // a dead member stays dead until the run ends
		return nil
	}

	for {
		idle := cl.BufferedFetchRecords() == 0
		if idle {
			commit()
		}
		fs := cl.PollRecords(pctx, maxPoll)
		if crashed.Load() {
			return die()
		}
		if leaving.Load() {
			commit()
			cl.AllowRebalance()
			return nil
		}
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
			if stopped || crashed.Load() || leaving.Load() {
				stopped = true
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
			process(r, st, hist, speedup)
			th.Take()
			cl.MarkCommitRecords(r)
			sinceCommit.Add(1)
			marked = true
			if time.Since(lastCommit) >= cfg.CommitEvery {
				commit()
			}
		})
		if crashed.Load() {
			return die()
		}
		if leaving.Load() {
			commit()
			cl.AllowRebalance()
			return nil
		}
		cl.AllowRebalance()
		if stopped {
			return nil
		}
	}
}

// orNever returns c, or a channel that never closes when c is nil.
func orNever(c <-chan struct{}) <-chan struct{} {
	if c == nil {
		return make(chan struct{})
	}
	return c
}

// process applies one record: the contiguity check on its partition, the
// audit by event id, the effect (unless the dedup store has seen the
// event), and the latency from the event's intended send time, in
// scenario units. It reports whether the record was a first delivery.
func process(r *kgo.Record, st *Stats, hist *hdrhistogram.Histogram, speedup float64) {
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
	if err != nil || int(m.ProducerID) >= len(st.cfg.Kinds) {
		st.Foreign.Add(1)
		return
	}
	first := st.Audit.Deliver(m.ProducerID, m.Seq)
	points := event.Points(st.cfg.Kinds[m.ProducerID], st.cfg.Seed, m.ProducerID, m.Seq)
	if first {
		st.Processed.Add(1)
		st.UniquePoints.Add(points)
	}
	if st.Dedup != nil && !st.Dedup.FirstApply(m.ProducerID, m.Seq) {
		st.Suppressed.Add(1)
	} else {
		st.Applied.Add(1)
		st.Points.Add(points)
		if !first {
			st.AppliedTwice.Add(1)
		}
	}
	lat := float64(time.Now().UnixNano()-m.IntendedNs) / 1e3 * speedup
	st.mu.Lock()
	_ = hist.RecordValue(max(int64(lat), latencyMin))
	st.mu.Unlock()
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
