package consumer

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/backlogbench/backlogbench/event"
)

// EffectLen is the size of an effect record's value: the event's producer
// id (uint32), sequence number (uint64) and points (int64), big endian.
const EffectLen = 20

// AppendEffect appends the effect record value of event m worth points.
func AppendEffect(b []byte, m event.Meta, points int64) []byte {
	b = binary.BigEndian.AppendUint32(b, m.ProducerID)
	b = binary.BigEndian.AppendUint64(b, m.Seq)
	return binary.BigEndian.AppendUint64(b, uint64(points))
}

// ParseEffect decodes an effect record value.
func ParseEffect(b []byte) (producer uint32, seq uint64, points int64, err error) {
	if len(b) != EffectLen {
		return 0, 0, 0, errors.New("not an effect record")
	}
	return binary.BigEndian.Uint32(b), binary.BigEndian.Uint64(b[4:]), int64(binary.BigEndian.Uint64(b[12:])), nil
}

// RunExactlyOnce runs one exactly-once worker until ctx is done: each
// poll is one transaction (franz-go's GroupTransactSession) in which the
// worker produces one effect record per event to out and commits the
// consumed offsets, so an effect is visible to read_committed readers
// exactly when its input is marked consumed. A crash leaves the open
// transaction to be aborted (at the transaction timeout, or when the
// partitions' new owner fences it) and its records are processed again by
// the others: delivered twice, applied once. The effects are counted by
// reading out afterwards, not here.
func RunExactlyOnce(ctx context.Context, cfg WorkerConfig, st *Stats, out string) error {
	m := newMember(cfg, st)
	defer m.timer.Stop()
	defer m.flushBehind()
	opts := append(m.groupOpts(),
		kgo.TransactionalID(fmt.Sprintf("%s-%d", cfg.Group, cfg.Index)),
		kgo.TransactionTimeout(10*time.Second),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ProducerLinger(0),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, a map[string][]int32) { m.assigned(a) }),
		kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, r map[string][]int32) { m.revoked(r) }),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, r map[string][]int32) { m.revoked(r) }),
	)
	sess, err := kgo.NewGroupTransactSession(opts...)
	if err != nil {
		return fmt.Errorf("group %s worker %d: %w", cfg.Group, cfg.Index, err)
	}
	defer sess.Close()
	hist := st.hists[cfg.Index]
	maxPoll := max(cfg.MaxPoll, 1)
	pctx, stop := m.watch(ctx)
	defer stop()

	emptyAt := -1.0 // scenario time the fetch buffer ran out; -1 while it holds records
	for {
		idle := sess.Client().BufferedFetchRecords() == 0
		if idle && emptyAt < 0 {
			emptyAt = m.scenarioNow()
		}
		fs := sess.PollRecords(pctx, maxPoll)
		switch {
		case m.crashed.Load():
			return m.die(ctx, sess.AllowRebalance)
		case m.leaving.Load() || ctx.Err() != nil || fs.IsClientClosed():
			sess.AllowRebalance()
			return nil
		}
		fs.EachError(func(t string, p int32, err error) { m.errorf("fetch %s[%d]: %w", t, p, err) })
		if fs.NumRecords() == 0 {
			continue
		}
		if idle {
			m.idleEnded(emptyAt, fs)
			emptyAt = -1
		}
		if err := sess.Begin(); err != nil {
			return fmt.Errorf("group %s worker %d: begin: %w", cfg.Group, cfg.Index, err)
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
			meta, ok := processMeta(r, st, hist, m.speedup, false, event.UnixNano(now))
			m.th.Take()
			m.sinceCommit.Add(1)
			if !ok {
				return
			}
			points := event.Points(st.cfg.Kinds[meta.ProducerID], st.cfg.Seed, meta.ProducerID, meta.Seq)
			eff := &kgo.Record{Topic: out, Value: AppendEffect(make([]byte, 0, EffectLen), meta, points)}
			sess.Produce(ctx, eff, func(_ *kgo.Record, err error) {
				if err != nil && ctx.Err() == nil && !m.crashed.Load() {
					m.errorf("produce effect: %w", err)
				}
			})
		})
		if m.crashed.Load() {
			return m.die(ctx, sess.AllowRebalance)
		}
		// Commit what was processed, or abort the whole batch when it was
		// stopped midway (the run is over, or the worker leaves): End
		// commits the offsets *polled*, so committing a cut batch would
		// skip its unprocessed tail for the next owner. Aborted, the batch
		// is processed again by the partitions' next owner: delivered
		// twice, applied once.
		try := kgo.TryCommit
		if stopped {
			try = kgo.TryAbort
		}
		committed, err := sess.End(ctx, try)
		if err != nil && ctx.Err() == nil && !m.crashed.Load() {
			m.errorf("end transaction: %w", err)
		}
		if m.crashed.Load() {
			// Dead mid-End: what the transaction processed is reported
			// as the crash's (uncommitted, at most), not as an abort.
			return m.die(ctx, sess.AllowRebalance)
		}
		// Either way the transaction is over: what it processed is
		// committed, or aborted and the next owner's to process again.
		// An abort while the run goes on (a rebalance revoked the
		// partitions, the broker refused the commit, the worker leaves)
		// is reported: those records are delivered twice.
		if n := m.sinceCommit.Swap(0); !committed && n > 0 && ctx.Err() == nil && cfg.OnAbort != nil {
			cfg.OnAbort(n)
		}
		if stopped {
			sess.AllowRebalance()
			return nil
		}
	}
}
