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

// member is what both delivery modes share: the group options, the
// crash-able connections, the assignment it reports, and the throttled
// wait before each record.
type member struct {
	cfg     WorkerConfig
	st      *Stats
	dialer  *crashDialer
	crashed atomic.Bool
	leaving atomic.Bool
	// sinceCommit counts the records processed since the last commit:
	// what a crash would leave to be redelivered.
	sinceCommit atomic.Int64

	ownMu sync.Mutex
	own   map[string][]int32

	th      Throttle
	speedup float64
	timer   *time.Timer
}

func newMember(cfg WorkerConfig, st *Stats) *member {
	m := &member{cfg: cfg, st: st, dialer: &crashDialer{d: net.Dialer{Timeout: 3 * time.Second}},
		own: map[string][]int32{}, th: cfg.Throttle, speedup: cfg.Speedup}
	if m.speedup <= 0 {
		m.speedup = 1
	}
	m.timer = time.NewTimer(time.Hour)
	m.timer.Stop()
	return m
}

func (m *member) errorf(format string, args ...any) {
	m.st.fail(fmt.Errorf("group %s worker %d: "+format, append([]any{m.cfg.Group, m.cfg.Index}, args...)...))
}

// report sends the member's whole assignment to OnAssigned.
func (m *member) report() {
	if m.cfg.OnAssigned == nil {
		return
	}
	m.ownMu.Lock()
	cp := make(map[string][]int32, len(m.own))
	for t, ps := range m.own {
		cp[t] = append([]int32(nil), ps...)
	}
	m.ownMu.Unlock()
	m.cfg.OnAssigned(m.cfg.Index, cp)
}

func (m *member) assigned(a map[string][]int32) {
	m.ownMu.Lock()
	for t, ps := range a {
		m.own[t] = append(m.own[t], ps...)
	}
	m.ownMu.Unlock()
	m.report()
}

func (m *member) revoked(r map[string][]int32) {
	m.ownMu.Lock()
	for t, ps := range r {
		m.own[t] = without(m.own[t], ps)
	}
	m.ownMu.Unlock()
	m.report()
}

// groupOpts are the options of a group member: connections through the
// crash-able dialer, the range balancer (an even share of each topic's
// partitions per member), fast heartbeats so joining takes milliseconds,
// reading from the start of the run's fresh topics, and fetches answered
// as soon as one record is there.
func (m *member) groupOpts() []kgo.Opt {
	session := m.cfg.SessionTimeout
	if session <= 0 {
		session = 6 * time.Second
	}
	return append(append([]kgo.Opt{}, m.cfg.Opts...),
		kgo.Dialer(m.dialer.dial),
		kgo.ConsumerGroup(m.cfg.Group),
		kgo.ConsumeTopics(m.cfg.Topics...),
		kgo.Balancers(kgo.RangeBalancer()),
		kgo.HeartbeatInterval(100*time.Millisecond),
		kgo.SessionTimeout(session),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMinBytes(1),
	)
}

// watch interrupts a blocked poll (through the returned context) when the
// member crashes or is told to leave. The watching goroutine ends when
// the returned stop function is called.
func (m *member) watch(ctx context.Context) (context.Context, func()) {
	pctx, interrupt := context.WithCancel(ctx)
	go func() {
		select {
		case <-pctx.Done():
		case <-orNever(m.cfg.Crash):
			m.crashed.Store(true)
			m.dialer.crash()
			interrupt()
		case <-orNever(m.cfg.Leave):
			m.leaving.Store(true)
			interrupt()
		}
	}()
	return pctx, interrupt
}

// scenarioNow is the scenario time now.
func (m *member) scenarioNow() float64 {
	return time.Since(m.cfg.Start()).Seconds() * m.speedup
}

// await waits until the throttle lets the next record be processed; false
// when the worker must stop instead (ctx done, crash, leave, or a capacity
// of 0 for ever). ctx is the watch context, so a crash or a leave cuts a
// long wait (a capacity-0 phase) short.
func (m *member) await(ctx context.Context) bool {
	if m.crashed.Load() || m.leaving.Load() {
		return false
	}
	due, ok := m.th.Due()
	if !ok {
		<-ctx.Done() // no capacity, ever: hold the records
		return false
	}
	d := time.Until(m.cfg.Start().Add(time.Duration(due / m.speedup * 1e9)))
	if d <= 20*time.Microsecond {
		return true
	}
	m.timer.Reset(d)
	select {
	case <-ctx.Done():
		m.timer.Stop()
		return false
	case <-m.timer.C:
		return !m.crashed.Load() && !m.leaving.Load()
	}
}

// die reports a crash and stays dead until the run ends.
func (m *member) die(ctx context.Context, allow func()) error {
	if m.cfg.OnCrash != nil {
		m.cfg.OnCrash(m.sinceCommit.Load())
	}
	// Let the client's own rebalance machinery run (it can reach no
	// broker); Close would otherwise wait for it for ever.
	allow()
	<-ctx.Done()
	return nil
}

// Run runs one at-least-once worker until ctx is done. It joins the group,
// processes every record it is assigned at its throttled pace, counts into
// st and commits what it processed (every CommitEvery while busy, at once
// when idle, and on revoke), leaving the group on return.
func Run(ctx context.Context, cfg WorkerConfig, st *Stats) error {
	m := newMember(cfg, st)
	defer m.timer.Stop()
	opts := append(m.groupOpts(),
		kgo.AutoCommitMarks(),
		// Commits are made explicitly (below) and on revoke; the background
		// autocommit would only blur the crash bound.
		kgo.AutoCommitInterval(time.Hour),
		kgo.BlockRebalanceOnPoll(),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, a map[string][]int32) { m.assigned(a) }),
		kgo.OnPartitionsRevoked(func(ctx context.Context, cl *kgo.Client, r map[string][]int32) {
			if !m.crashed.Load() {
				if err := cl.CommitMarkedOffsets(ctx); err != nil {
					if ctx.Err() == nil {
						m.errorf("commit on revoke: %w", err)
					}
				} else {
					m.sinceCommit.Store(0)
				}
			}
			m.revoked(r)
		}),
	)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return fmt.Errorf("group %s worker %d: %w", cfg.Group, cfg.Index, err)
	}
	defer cl.Close()
	hist := st.hists[cfg.Index]
	maxPoll := max(cfg.MaxPoll, 1)

	lastCommit := time.Now()
	marked := false
	commit := func() {
		if !marked {
			return
		}
		if err := cl.CommitMarkedOffsets(ctx); err != nil {
			if ctx.Err() == nil && !m.crashed.Load() {
				m.errorf("commit: %w", err)
			}
		} else {
			m.sinceCommit.Store(0)
		}
		marked, lastCommit = false, time.Now()
	}
	pctx, stop := m.watch(ctx)
	defer stop()
	// exit ends the worker after a crash (dead, uncommitted) or a leave
	// (committed, partitions handed over).
	exit := func() (bool, error) {
		switch {
		case m.crashed.Load():
			return true, m.die(ctx, cl.AllowRebalance)
		case m.leaving.Load():
			commit()
			cl.AllowRebalance()
			return true, nil
		}
		return false, nil
	}

	for {
		idle := cl.BufferedFetchRecords() == 0
		if idle {
			commit()
		}
		fs := cl.PollRecords(pctx, maxPoll)
		if done, err := exit(); done {
			return err
		}
		if ctx.Err() != nil || fs.IsClientClosed() {
			cl.AllowRebalance()
			return nil
		}
		fs.EachError(func(t string, p int32, err error) { m.errorf("fetch %s[%d]: %w", t, p, err) })
		if idle {
			m.th.Idle(m.scenarioNow())
		}
		stopped := false
		fs.EachRecord(func(r *kgo.Record) {
			if stopped || !m.await(pctx) {
				stopped = true
				return
			}
			process(r, st, hist, m.speedup)
			m.th.Take()
			cl.MarkCommitRecords(r)
			m.sinceCommit.Add(1)
			marked = true
			if time.Since(lastCommit) >= cfg.CommitEvery {
				commit()
			}
		})
		if done, err := exit(); done {
			return err
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
	processMeta(r, st, hist, speedup, true)
}

// processMeta is process; with apply false the effect is left to the
// caller (exactly-once groups produce it in their transaction), and it
// returns the event's metadata and whether it has any.
func processMeta(r *kgo.Record, st *Stats, hist *hdrhistogram.Histogram, speedup float64, apply bool) (event.Meta, bool) {
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
		return m, false
	}
	first := st.Audit.Deliver(m.ProducerID, m.Seq)
	points := event.Points(st.cfg.Kinds[m.ProducerID], st.cfg.Seed, m.ProducerID, m.Seq)
	if first {
		st.Processed.Add(1)
		st.UniquePoints.Add(points)
	}
	switch {
	case !apply:
	case st.Dedup != nil && !st.Dedup.FirstApply(m.ProducerID, m.Seq):
		st.Suppressed.Add(1)
	default:
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
	return m, true
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
