package consumer

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// member is what both delivery modes share: the group options, the
// crash-able connections, the assignment it reports, and the throttled
// wait before each record.
type member struct {
	cfg     WorkerConfig
	st      *Stats
	dialer  *crashDialer
	crashed atomic.Bool
	leaving atomic.Bool
	// sinceCommit counts the records processed since the last commit
	// (an exactly-once worker's: in its open transaction): what a crash
	// would leave to be redelivered.
	sinceCommit atomic.Int64

	ownMu sync.Mutex
	own   map[string][]int32

	th      Throttle
	speedup float64
	timer   *time.Timer
	// onWait, when set, is told before the worker waits for capacity: for
	// d, or for ever (d < 0).
	onWait func(d time.Duration)
	// behind is how far the worker fell behind its capacity; the group's
	// Stats get it when the worker ends (flushBehind).
	behind Behind
}

// flushBehind hands the worker's record of falling behind to the group.
func (m *member) flushBehind() { m.st.addBehind(m.cfg.Index, m.behind) }

func newMember(cfg WorkerConfig, st *Stats) *member {
	m := &member{cfg: cfg, st: st, dialer: newCrashDialer(cfg.Dial),
		own: map[string][]int32{}, th: cfg.Throttle, speedup: cfg.Speedup}
	if m.speedup <= 0 {
		m.speedup = 1
	}
	m.timer = time.NewTimer(time.Hour)
	m.timer.Stop()
	return m
}

func (m *member) errorf(format string, args ...any) {
	m.st.fail(fmt.Errorf("group %s worker %d: "+format, append([]any{m.cfg.Group, m.cfg.Index}, args...)...), m.scenarioNow())
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
// reading from the start of the run's fresh topics, fetches answered as
// soon as one record is there or batched over FetchWait, and the
// scenario's fetch limits.
func (m *member) groupOpts() []kgo.Opt {
	session := m.cfg.SessionTimeout
	if session <= 0 {
		session = 6 * time.Second
	}
	opts := append(append([]kgo.Opt{}, m.cfg.Opts...),
		kgo.Dialer(m.dialer.dial),
		kgo.ConsumerGroup(m.cfg.Group),
		kgo.ConsumeTopics(m.cfg.Topics...),
		kgo.Balancers(kgo.RangeBalancer()),
		kgo.HeartbeatInterval(100*time.Millisecond),
		kgo.SessionTimeout(session),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	)
	if m.cfg.FetchWait > 0 {
		opts = append(opts, kgo.FetchMinBytes(m.cfg.fetchMinBytes()), kgo.FetchMaxWait(m.cfg.FetchWait))
	} else {
		opts = append(opts, kgo.FetchMinBytes(1))
	}
	if m.cfg.FetchMaxBytes > 0 {
		opts = append(opts, kgo.FetchMaxBytes(m.cfg.FetchMaxBytes))
	}
	if m.cfg.FetchMaxPartitionBytes > 0 {
		opts = append(opts, kgo.FetchMaxPartitionBytes(m.cfg.FetchMaxPartitionBytes))
	}
	return opts
}

// fetchMinBytes is what a batched fetch waits for: FetchMinBytes, 64 KiB
// (128 of the seed's 512-byte records) by default, but never more than
// one fetch may carry (FetchMaxBytes) or one partition may give
// (FetchMaxPartitionBytes), so a worker behind even one of its partitions
// is answered at once.
func (c *WorkerConfig) fetchMinBytes() int32 {
	n := int32(64 << 10)
	if c.FetchMinBytes > 0 {
		n = c.FetchMinBytes
	}
	for _, limit := range []int32{c.FetchMaxBytes, c.FetchMaxPartitionBytes} {
		if limit > 0 {
			n = min(n, limit)
		}
	}
	return n
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

// idleEnded tells the throttle how long the worker was really idle: from
// emptyAt, the scenario time its fetch buffer ran out, until the first of
// the polled records reached the broker (its timestamp), not until the
// poll returned. Records produced before emptyAt end no idle time at all:
// they were waiting at the broker while the worker fetched them (every
// round of a backlogged worker empties its buffer before the next fetch),
// and the fluid model's server is busy while anything waits. Treating
// each such fetch as idle dropped ~25 records of capacity per analytics
// worker at a time, 4 to 5 times in its busy period with both cores busy
// (flash sale ×30: peak +0.6 to +1.2%).
func (m *member) idleEnded(emptyAt float64, fs kgo.Fetches) {
	var first time.Time
	fs.EachRecord(func(r *kgo.Record) {
		if first.IsZero() || r.Timestamp.Before(first) {
			first = r.Timestamp
		}
	})
	if first.IsZero() {
		return
	}
	// The stamp is a wall time (the producer's clock, in milliseconds):
	// its age is read on the wall clock, its place in scenario time
	// from now.
	at := m.scenarioNow() - time.Since(first).Seconds()*m.speedup
	if at > emptyAt {
		m.th.Idle(at)
	}
}

// await waits until the throttle lets the next record be processed and
// returns the time it may be: the record's one reading of the clock, which
// its latency and the commit cadence take too (a reading cost 57–83 ns on
// the 2-core machine; a record took three before). ok is false when the
// worker must stop instead (ctx done, crash, leave, or a capacity of 0 for
// ever). ctx is the watch context, so a crash or a leave cuts a long wait
// (a capacity-0 phase) short.
func (m *member) await(ctx context.Context) (now time.Time, ok bool) {
	if m.crashed.Load() || m.leaving.Load() {
		return now, false
	}
	due, ok := m.th.Due()
	if !ok {
		if m.onWait != nil {
			m.onWait(-1)
		}
		<-ctx.Done() // no capacity, ever: hold the records
		return now, false
	}
	start := m.cfg.Start()
	now = time.Now()
	d := start.Add(time.Duration(due / m.speedup * 1e9)).Sub(now)
	if d <= max(m.cfg.Quantum, 20*time.Microsecond) {
		if d < 0 {
			// Overdue: the worker may be behind its capacity (the audit).
			at := now.Sub(start).Seconds() * m.speedup
			if b := m.th.Behind(at); b > 0 {
				m.behind.add(b, at)
			}
		}
		return now, true
	}
	if m.onWait != nil {
		m.onWait(d)
	}
	m.timer.Reset(d)
	select {
	case <-ctx.Done():
		m.timer.Stop()
		return now, false
	case <-m.timer.C:
		return time.Now(), !m.crashed.Load() && !m.leaving.Load()
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

// orNever returns c, or a channel that never closes when c is nil.
func orNever(c <-chan struct{}) <-chan struct{} {
	if c == nil {
		return make(chan struct{})
	}
	return c
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
