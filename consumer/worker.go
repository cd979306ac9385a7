package consumer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/backlogbench/backlogbench/event"
)

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
	// committed: while the worker is busy, and by an idle worker whose
	// last commit is that old (never once per idle poll).
	CommitEvery time.Duration
	// MaxPoll bounds the records taken per poll, so a rebalance never
	// waits long for a batch to finish.
	MaxPoll int
	// FetchMaxBytes and FetchMaxPartitionBytes are the client's fetch
	// limits, in all and per partition; 0 is franz-go's default (50 MiB,
	// 1 MiB).
	FetchMaxBytes, FetchMaxPartitionBytes int32
	// FetchWait, when above zero, lets the broker hold a fetch up to
	// FetchWait (franz-go's least is 10 ms) until it can answer with
	// FetchMinBytes, so a worker that keeps up fetches a batch at most
	// every FetchWait instead of one round trip per record; zero answers
	// as soon as one record is there. A worker behind its partitions
	// always finds FetchMinBytes waiting and never waits.
	FetchWait time.Duration
	// FetchMinBytes is what a batched fetch waits for; 0 is 64 KiB. It
	// is never more than the fetch limits let one fetch carry.
	FetchMinBytes int32
	// Quantum is the shortest wait for capacity (wall time): a record due
	// less than Quantum ahead is processed at once, so a worker at its
	// capacity wakes about once a Quantum rather than once a record, and
	// is never more than Quantum ahead of its schedule. Zero waits until
	// each record is due (within 20 µs).
	Quantum time.Duration
	// SessionTimeout is the group session timeout. The default is 6s.
	SessionTimeout time.Duration
	// Opts are the client's connection options (seed brokers, SASL).
	Opts []kgo.Opt
	// Dial dials a broker (TCP, or TLS on a secured cluster); the worker's
	// crash dialer wraps it. Nil dials plain TCP.
	Dial func(ctx context.Context, network, host string) (net.Conn, error)
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
	// OnAbort, when set, is called by an exactly-once worker with the
	// records processed in each transaction that ended aborted while the
	// run went on (a rebalance revoked its partitions, the broker refused
	// the commit, the worker left midway): the next owner delivers them
	// again.
	OnAbort func(processed int64)
	// Leave, when closed, makes the worker leave the group cleanly:
	// it commits what it processed and hands its partitions over.
	Leave <-chan struct{}
}

// Run runs one at-least-once worker until ctx is done. It joins the group,
// processes every record it is assigned at its throttled pace, counts into
// st and commits what it processed (every CommitEvery while busy, at once
// when idle, and on revoke), leaving the group on return.
func Run(ctx context.Context, cfg WorkerConfig, st *Stats) error {
	m := newMember(cfg, st)
	defer m.timer.Stop()
	defer m.flushBehind()
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
	var processed marks
	commit := func() {
		if !marked {
			return
		}
		processed.flush(cl.MarkCommitOffsets)
		if err := cl.CommitMarkedOffsets(ctx); err != nil {
			if ctx.Err() == nil && !m.crashed.Load() {
				m.errorf("commit: %w", err)
			}
		} else {
			m.sinceCommit.Store(0)
		}
		marked, lastCommit = false, time.Now()
	}
	// allow lets a rebalance happen once the client holds every mark: a
	// commit on revoke, or on the close's leave, then covers every record
	// processed.
	allow := func() {
		processed.flush(cl.MarkCommitOffsets)
		cl.AllowRebalance()
	}
	// A worker about to wait for capacity longer than the commit cadence
	// (a slow phase, an outage of capacity 0) commits what it processed
	// first, so its offset lag does not hold processed records.
	m.onWait = func(d time.Duration) {
		if d < 0 || d >= cfg.CommitEvery {
			commit()
		}
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
			allow()
			return true, nil
		}
		return false, nil
	}

	emptyAt := -1.0 // scenario time the fetch buffer ran out; -1 while it holds records
	for {
		idle := cl.BufferedFetchRecords() == 0
		if idle && emptyAt < 0 {
			emptyAt = m.scenarioNow()
		}
		// Commit on the cadence, never once per idle poll: an idle worker
		// with marks waits for records at most until its next commit is
		// due, then commits (a worker that keeps up would otherwise make a
		// commit round trip per record).
		wctx, cancel := pctx, context.CancelFunc(func() {})
		if idle && marked {
			if wait := cfg.CommitEvery - time.Since(lastCommit); wait <= 0 {
				commit()
			} else {
				wctx, cancel = context.WithTimeout(pctx, wait)
			}
		}
		fs := cl.PollRecords(wctx, maxPoll)
		timedOut := wctx.Err() != nil && pctx.Err() == nil
		cancel()
		if done, err := exit(); done {
			return err
		}
		if ctx.Err() != nil || fs.IsClientClosed() {
			allow()
			return nil
		}
		if timedOut && fs.NumRecords() == 0 {
			commit()
			allow()
			continue
		}
		fs.EachError(func(t string, p int32, err error) {
			if timedOut && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)) {
				return // the commit cadence's own deadline
			}
			m.errorf("fetch %s[%d]: %w", t, p, err)
		})
		if idle && fs.NumRecords() > 0 {
			m.idleEnded(emptyAt, fs)
			emptyAt = -1
		}
		stopped := false
		fs.EachRecord(func(r *kgo.Record) {
			if stopped {
				return
			}
			now, ok := m.await(pctx)
			if !ok {
				stopped = true
				return
			}
			process(r, st, hist, m.speedup, event.UnixNano(now))
			m.th.Take()
			processed.add(r)
			m.sinceCommit.Add(1)
			marked = true
			if now.Sub(lastCommit) >= cfg.CommitEvery {
				commit()
			}
		})
		if done, err := exit(); done {
			return err
		}
		allow()
		if stopped {
			return nil
		}
	}
}
