package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/backlogbench/backlogbench/audit"
	"github.com/backlogbench/backlogbench/consumer"
)

// committedEffects is what an exactly-once group's output topic holds
// for read_committed readers.
type committedEffects struct {
	Records int64 // effect records committed
	Unique  int64 // distinct event ids among them
	Points  int64
}

// readEffects reads an exactly-once group's output topic as a
// read_committed consumer once every transaction on it has ended (the last
// stable offset has reached the high watermark: an open transaction of a
// crashed worker is aborted at its timeout), and counts the effects per
// event id. It gives up after a minute of wall time.
func readEffects(ctx context.Context, base []kgo.Opt, adm *kadm.Client, topic string, producers int) (committedEffects, error) {
	var out committedEffects
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		hw, err1 := adm.ListEndOffsets(ctx, topic)
		lso, err2 := adm.ListCommittedOffsets(ctx, topic)
		if err1 == nil && err2 == nil {
			settled := true
			hw.Each(func(o kadm.ListedOffset) {
				if l, ok := lso.Lookup(o.Topic, o.Partition); !ok || l.Offset != o.Offset {
					settled = false
				}
			})
			if settled {
				break
			}
		}
		select {
		case <-ctx.Done():
			return out, fmt.Errorf("effects of %s: transactions still open: %w", topic, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, base...),
		kgo.ConsumeTopics(topic),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	)...)
	if err != nil {
		return out, err
	}
	defer cl.Close()
	// Read until three polls in a row (a second each) bring nothing: every
	// transaction has ended, so nothing more can appear, and a slow first
	// fetch cannot end the count early.
	seen := audit.New(producers)
	for empty := 0; empty < 3; {
		pctx, pcancel := context.WithTimeout(ctx, time.Second)
		fs := cl.PollFetches(pctx)
		pcancel()
		if ctx.Err() != nil {
			return out, fmt.Errorf("effects of %s: read %d records before giving up: %w", topic, out.Records, ctx.Err())
		}
		n := 0
		fs.EachRecord(func(r *kgo.Record) {
			n++
			p, seq, points, err := consumer.ParseEffect(r.Value)
			if err != nil {
				return
			}
			out.Records++
			out.Points += points
			seen.Deliver(p, seq)
		})
		if n == 0 {
			empty++
		} else {
			empty = 0
		}
	}
	out.Unique = seen.Unique()
	return out, nil
}
