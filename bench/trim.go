package bench

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
)

// TrimEvery is the wall time between two trims of the embedded broker's
// records.
const TrimEvery = 2 * time.Second

// trimmer deletes, on the embedded broker, the records every group that
// reads a topic has committed. kfake keeps an index entry (~35 B) per
// batch in memory even with its records on disk, and each record in
// memory without: the run's memory would grow with its events, not with
// its backlog. A committed record is processed (at least once: a worker
// commits what it marked after processing; exactly once: the offset is
// committed in the transaction of its effects), and a rewind after a
// fault goes back to the committed offset, never below it, so nothing a
// group still needs is deleted. A partition some group has not committed
// yet is left alone. A real cluster's records are never touched.
type trimmer struct {
	adm    *kadm.Client
	topics map[string][]string // physical topic → physical groups reading it
	done   map[string]map[int32]int64
	// Trimmed counts the records deleted; Errors the failed rounds.
	trimmed, errors atomic.Int64
	lastErr         atomic.Value // string
}

func (r *run) newTrimmer() *trimmer {
	tr := &trimmer{adm: r.conn.Admin, topics: map[string][]string{}, done: map[string]map[int32]int64{}}
	for _, name := range r.groups {
		for _, t := range r.sc.Groups[name].Topics {
			tr.topics[r.phys(t)] = append(tr.topics[r.phys(t)], r.phys(name))
		}
	}
	return tr
}

// run trims every TrimEvery until ctx is done.
func (tr *trimmer) run(ctx context.Context) {
	every(ctx, TrimEvery, func() {
		if err := tr.trim(ctx); err != nil && ctx.Err() == nil {
			tr.errors.Add(1)
			tr.lastErr.Store(err.Error())
		}
	})
}

// trim deletes, per partition, the records below the least offset the
// groups reading it have committed.
func (tr *trimmer) trim(ctx context.Context) error {
	committed := map[string]kadm.OffsetResponses{}
	for _, gs := range tr.topics {
		for _, g := range gs {
			if _, ok := committed[g]; ok {
				continue
			}
			or, err := tr.adm.FetchOffsets(ctx, g)
			if err != nil {
				return fmt.Errorf("committed offsets of %s: %w", g, err)
			}
			committed[g] = or
		}
	}
	del := kadm.Offsets{}
	for topic, gs := range tr.topics {
		least := map[int32]int64{}
		for gi, g := range gs {
			seen := map[int32]bool{}
			committed[g].Each(func(o kadm.OffsetResponse) {
				if o.Topic != topic || o.Err != nil || o.At < 0 {
					return
				}
				seen[o.Partition] = true
				if cur, ok := least[o.Partition]; gi == 0 || (ok && o.At < cur) {
					least[o.Partition] = o.At
				}
			})
			for p := range least {
				if !seen[p] {
					delete(least, p) // this group has not committed it yet
				}
			}
		}
		for p, at := range least {
			if at > tr.done[topic][p] {
				del.Add(kadm.Offset{Topic: topic, Partition: p, At: at})
			}
		}
	}
	if len(del) == 0 {
		return nil
	}
	resp, err := tr.adm.DeleteRecords(ctx, del)
	if err != nil {
		return fmt.Errorf("delete records: %w", err)
	}
	var errs []string
	resp.Each(func(d kadm.DeleteRecordsResponse) {
		if d.Err != nil {
			errs = append(errs, fmt.Sprintf("%s[%d]: %v", d.Topic, d.Partition, d.Err))
			return
		}
		if tr.done[d.Topic] == nil {
			tr.done[d.Topic] = map[int32]int64{}
		}
		tr.trimmed.Add(d.LowWatermark - tr.done[d.Topic][d.Partition])
		tr.done[d.Topic][d.Partition] = d.LowWatermark
	})
	if len(errs) > 0 {
		slices.Sort(errs)
		return fmt.Errorf("delete records: %s", errs[0])
	}
	return nil
}
