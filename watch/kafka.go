package watch

import (
	"github.com/backlogbench/backlogbench/broker"

	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// sampler reads the watched groups from the cluster: every call bounded
// by the configured timeout.
type sampler struct {
	cfg   *Config
	cl    *kgo.Client
	adm   *kadm.Client
	probe *kgo.Client // a direct consumer for the records at committed offsets
	// stamps caches the timestamps read, by partition and offset: a
	// committed offset that did not move is not fetched again.
	stamps map[stampKey]time.Time
}

type stampKey struct {
	pkey
	offset int64
}

// newSampler connects to the cluster, failing with ErrUnreachable when it
// cannot be reached within about 8 seconds.
func newSampler(ctx context.Context, cfg *Config) (*sampler, error) {
	conn, err := broker.Connect(ctx, cfg.Brokers, cfg.ClientOpts)
	if err != nil {
		return nil, err
	}
	cl, base := conn.Client, conn.Opts
	probe, err := kgo.NewClient(append(slices.Clone(base),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), // below the log start: the oldest record left
		kgo.FetchMaxBytes(256<<10),
		kgo.FetchMaxPartitionBytes(1<<10), // one batch: the broker always returns at least one
		kgo.FetchMaxWait(100*time.Millisecond),
	)...)
	if err != nil {
		cl.Close()
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	return &sampler{cfg: cfg, cl: cl, adm: conn.Admin, probe: probe, stamps: map[stampKey]time.Time{}}, nil
}

func (s *sampler) close() {
	s.probe.Close()
	s.cl.Close()
}

// bound returns ctx bounded by the call timeout.
func (s *sampler) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.cfg.Timeout)
}

// take reads every watched group once.
func (s *sampler) take(ctx context.Context) Sample {
	smp := Sample{Time: time.Now()}
	groups := s.cfg.Groups
	auto := len(groups) == 0
	if auto {
		c, cancel := s.bound(ctx)
		listed, err := s.adm.ListGroups(c)
		cancel()
		if err != nil {
			smp.Errors = append(smp.Errors, fmt.Sprintf("list groups: %v", err))
			if len(listed) == 0 {
				return smp
			}
		}
		groups = listed.Groups()
	}
	if len(groups) == 0 {
		return smp
	}
	c, cancel := s.bound(ctx)
	described, err := s.adm.DescribeGroups(c, groups...)
	cancel()
	if err != nil && len(described) == 0 {
		smp.Errors = append(smp.Errors, fmt.Sprintf("describe groups: %v", err))
	}

	c, cancel = s.bound(ctx)
	t0 := time.Now()
	fetched := s.adm.FetchManyOffsets(c, groups...)
	committedAt := mid(t0, time.Now())
	cancel()

	topics := map[string]bool{}
	for _, g := range groups {
		fetched[g].Fetched.Each(func(o kadm.OffsetResponse) {
			if o.Err == nil && o.At >= 0 {
				topics[o.Topic] = true
			}
		})
		if d, ok := described[g]; ok {
			d.AssignedPartitions().Each(func(t string, _ int32) { topics[t] = true })
		}
	}
	var ends kadm.ListedOffsets
	var endsErr error
	endAt := time.Now()
	if len(topics) > 0 {
		c, cancel = s.bound(ctx)
		t0 = time.Now()
		ends, endsErr = s.adm.ListEndOffsets(c, slices.Sorted(maps.Keys(topics))...)
		endAt = mid(t0, time.Now())
		cancel()
		if endsErr != nil && len(ends) == 0 {
			smp.Errors = append(smp.Errors, fmt.Sprintf("list end offsets: %v", endsErr))
		}
	}

	for _, g := range groups {
		gs := GroupSample{Group: g, CommittedAt: committedAt, EndAt: endAt}
		d, ok := described[g]
		if ok {
			gs.State, gs.Members = d.State, len(d.Members)
		}
		f := fetched[g]
		switch {
		case errors.Is(f.Err, kerr.GroupIDNotFound):
			// No such group (Kafka answers with no offsets, some brokers
			// with this): nothing committed.
		case f.Err != nil:
			gs.Err = fmt.Sprintf("fetch committed offsets: %v", f.Err)
		case endsErr != nil && len(ends) == 0 && len(topics) > 0:
			gs.Err = fmt.Sprintf("list end offsets: %v", endsErr)
		}
		if gs.Err != "" {
			smp.Groups = append(smp.Groups, gs)
			continue
		}
		parts := map[pkey]*PartitionSample{}
		add := func(t string, p int32) *PartitionSample {
			k := pkey{t, p}
			if ps, ok := parts[k]; ok {
				return ps
			}
			ps := &PartitionSample{Topic: t, Partition: p, End: -1, Committed: -1}
			if lo, ok := ends.Lookup(t, p); ok && lo.Err == nil && lo.Offset >= 0 {
				ps.End = lo.Offset
			}
			parts[k] = ps
			return ps
		}
		committed := 0
		f.Fetched.Each(func(o kadm.OffsetResponse) {
			if o.Err == nil && o.At >= 0 {
				add(o.Topic, o.Partition).Committed = o.At
				committed++
			}
		})
		if auto && committed == 0 && (!ok || len(d.AssignedPartitions()) == 0) {
			// A group with no commit and no assigned partition: nothing
			// to watch. One with members consuming is shown (no-commits):
			// it may be stuck from its very first record.
			continue
		}
		if ok {
			for _, m := range d.Members {
				if c, isConsumer := m.Assigned.AsConsumer(); isConsumer {
					for _, t := range c.Topics {
						for _, p := range t.Partitions {
							add(t.Topic, p).Member = m.MemberID
						}
					}
				}
			}
		}
		for _, ps := range parts {
			gs.Partitions = append(gs.Partitions, *ps)
		}
		sortPartitions(gs.Partitions)
		smp.Groups = append(smp.Groups, gs)
	}
	s.readStamps(ctx, &smp)
	return smp
}

func mid(a, b time.Time) time.Time { return a.Add(b.Sub(a) / 2) }

// readStamps fills the timestamp of the record at every lagging committed
// offset: from the cache when that offset was read before, else with one
// small fetch per partition and offset, all within one call timeout.
func (s *sampler) readStamps(ctx context.Context, smp *Sample) {
	want := map[pkey][]int64{}
	used := map[stampKey]time.Time{}
	for _, g := range smp.Groups {
		for _, p := range g.Partitions {
			if p.Committed < 0 || p.End <= p.Committed {
				continue
			}
			k := stampKey{p.key(), p.Committed}
			if ts, ok := s.stamps[k]; ok {
				used[k] = ts
				continue
			}
			if !slices.Contains(want[k.pkey], k.offset) {
				want[k.pkey] = append(want[k.pkey], k.offset)
			}
		}
	}
	c, cancel := s.bound(ctx)
	defer cancel()
	// A partition is consumed at one offset at a time: a round per
	// distinct offset (groups at different places in one partition).
	for round := 0; c.Err() == nil; round++ {
		batch := map[pkey]int64{}
		for k, offs := range want {
			if round < len(offs) {
				batch[k] = offs[round]
			}
		}
		if len(batch) == 0 {
			break
		}
		for k, ts := range s.fetchStamps(c, batch) {
			used[k] = ts
		}
	}
	s.stamps = used
	for gi := range smp.Groups {
		for pi := range smp.Groups[gi].Partitions {
			p := &smp.Groups[gi].Partitions[pi]
			if ts, ok := used[stampKey{p.key(), p.Committed}]; ok && usable(ts, smp.Time) {
				p.RecordTime = ts
			}
		}
	}
}

// usable reports whether a record timestamp can date a record read at
// now: set, after 2000, and not more than a minute ahead of this clock.
func usable(ts, now time.Time) bool {
	return ts.Year() >= 2000 && ts.Before(now.Add(time.Minute))
}

// fetchStamps reads the first record at or after each partition's offset
// and returns their timestamps (a zero time for a record without one).
// Partitions whose record does not come before ctx ends are left out.
func (s *sampler) fetchStamps(ctx context.Context, batch map[pkey]int64) map[stampKey]time.Time {
	add := map[string]map[int32]kgo.Offset{}
	rm := map[string][]int32{}
	for k, o := range batch {
		if add[k.Topic] == nil {
			add[k.Topic] = map[int32]kgo.Offset{}
		}
		add[k.Topic][k.Partition] = kgo.NewOffset().At(o)
		rm[k.Topic] = append(rm[k.Topic], k.Partition)
	}
	s.probe.AddConsumePartitions(add)
	defer s.probe.RemoveConsumePartitions(rm)
	got := map[stampKey]time.Time{}
	done := map[pkey]bool{}
	for len(done) < len(batch) && ctx.Err() == nil {
		fs := s.probe.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) {
			k := pkey{r.Topic, r.Partition}
			o, ok := batch[k]
			if !ok || done[k] || r.Offset < o {
				return
			}
			done[k] = true
			got[stampKey{k, o}] = r.Timestamp
		})
	}
	return got
}
