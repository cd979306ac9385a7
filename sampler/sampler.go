// Package sampler watches a run from beside the data path: every tick it
// reads the producers' and groups' counters into a results.Sample (exact
// backlog, time lag from the ack log, predicted backlog and time lag), and
// beside it the offset lag operators see through the admin API. It also
// tells when every group has drained.
package sampler

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/backlogbench/backlogbench/consumer"
	"github.com/backlogbench/backlogbench/predict"
	"github.com/backlogbench/backlogbench/producer"
	"github.com/backlogbench/backlogbench/results"
	"github.com/backlogbench/backlogbench/scenario"
)

// Config is what a Sampler reads.
type Config struct {
	// Scenario is the scenario played; producers and groups are in its
	// name order.
	Scenario *scenario.Scenario
	// Predictions are the groups' predictions, in name order.
	Predictions []predict.GroupPrediction
	// Producers and Groups are the counters of each producer and group, in
	// name order.
	Producers []*producer.Stats
	Groups    []*consumer.Stats
	// Logs are the ack logs by (logical) topic name.
	Logs map[string]*AckLog
	// Start is the wall time of scenario time 0.
	Start time.Time
	// Speedup is the run's time compression (scenario seconds per wall
	// second).
	Speedup float64
	// Tick is the sampling interval, scenario seconds.
	Tick float64
	// Phys maps a logical topic or group name to its name on the broker.
	Phys func(string) string
	// OnSample, when set, is called with every sample from the sampling
	// goroutine. It must not block.
	OnSample func(results.Sample)
	// Log receives a plain progress line every ProgressEvery scenario
	// seconds; nil discards them.
	Log           io.Writer
	ProgressEvery float64
}

// Sampler takes a Sample every tick from the producers' and groups'
// counters, and reads the offset lag through the admin API beside it.
type Sampler struct {
	cfg    Config
	sc     *scenario.Scenario
	preds  []predict.GroupPrediction
	groups []string
	prods  []string
	pstats []*producer.Stats
	gstats []*consumer.Stats
	logs   map[string]*AckLog
	start  time.Time
	phys   func(string) string

	offsetLag []atomic.Int64
	// committedSent is, per group, the send time (scenario seconds, as
	// float64 bits) of the oldest event at a committed offset not yet
	// processed at the last admin reading; NaN when nothing lags.
	committedSent []atomic.Uint64
	logical       map[string]string // a topic's logical name by its name on the broker
	physical      map[string]string // a topic's name on the broker by its logical name
	topics        []string          // the scenario's topics, in name order
	// lagErrors counts failed offset-lag readings, lagOK the answered ones.
	lagErrors atomic.Int64
	lagOK     atomic.Int64
	lastErr   atomic.Value // string

	mu       sync.Mutex
	samples  []results.Sample
	nextLine float64
}

// New returns a sampler of cfg.
func New(cfg Config) *Sampler {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.ProgressEvery <= 0 {
		cfg.ProgressEvery = 60
	}
	s := &Sampler{cfg: cfg, sc: cfg.Scenario, preds: cfg.Predictions, groups: cfg.Scenario.GroupNames(),
		prods: cfg.Scenario.ProducerNames(), pstats: cfg.Producers, gstats: cfg.Groups, logs: cfg.Logs,
		start: cfg.Start, phys: cfg.Phys}
	s.offsetLag = make([]atomic.Int64, len(s.groups))
	s.committedSent = make([]atomic.Uint64, len(s.groups))
	for i := range s.offsetLag {
		s.offsetLag[i].Store(-1)
		s.committedSent[i].Store(math.Float64bits(math.NaN()))
	}
	s.logical, s.physical = map[string]string{}, map[string]string{}
	for t := range cfg.Scenario.Topics {
		s.logical[s.phys(t)] = t
		s.physical[t] = s.phys(t)
	}
	s.topics = cfg.Scenario.TopicNames()
	return s
}

// wall converts scenario seconds to a wall duration.
func (s *Sampler) wall(sec float64) time.Duration {
	return time.Duration(sec / s.cfg.Speedup * float64(time.Second))
}

// Samples returns the samples taken so far.
func (s *Sampler) Samples() []results.Sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.samples)
}

// Answered returns how many offset-lag readings the broker answered: a
// sign of life while no event moves.
func (s *Sampler) Answered() int64 { return s.lagOK.Load() }

// LagErrors returns how many offset-lag readings failed, and the last
// failure.
func (s *Sampler) LagErrors() (int64, string) {
	last, _ := s.lastErr.Load().(string)
	return s.lagErrors.Load(), last
}

// Run samples every tick until ctx is done.
func (s *Sampler) Run(ctx context.Context) {
	t := time.NewTicker(max(s.wall(s.cfg.Tick), 5*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if time.Now().Before(s.start) {
				continue
			}
			s.Take()
		}
	}
}

// ReadLag reads every group's offset lag until ctx is done, at most every
// tick and at least 100ms of wall time apart.
func (s *Sampler) ReadLag(ctx context.Context, adm *kadm.Client) {
	ids := make([]string, len(s.groups))
	for i, g := range s.groups {
		ids[i] = s.phys(g)
	}
	t := time.NewTicker(max(s.wall(s.cfg.Tick), 100*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		lags, err := adm.Lag(ctx, ids...)
		if err != nil {
			if ctx.Err() == nil {
				s.lagErrors.Add(1)
				s.lastErr.Store(err.Error())
			}
			continue
		}
		s.lagOK.Add(1)
		for i, id := range ids {
			if l, ok := lags[id]; ok && l.Error() == nil {
				s.offsetLag[i].Store(l.Lag.Total())
				s.committedSent[i].Store(math.Float64bits(s.oldestCommitted(l.Lag)))
			}
		}
	}
}

// oldestCommitted returns the send time of the oldest event at a committed
// offset that is not yet processed, over the group's partitions (a
// partition never committed starts at its log start); NaN when nothing
// lags. This is the record a lag exporter dates the group's time lag by.
func (s *Sampler) oldestCommitted(lag kadm.GroupLag) float64 {
	oldest := math.NaN()
	for topic, ps := range lag {
		lg := s.logs[s.logical[topic]]
		if lg == nil {
			continue
		}
		for p, l := range ps {
			at := l.Commit.At
			if at < 0 {
				at = max(l.Start.Offset, 0)
			}
			if l.End.Err != nil || at >= l.End.Offset {
				continue
			}
			if sent, ok := lg.Oldest(p, at); ok && !(sent >= oldest) {
				oldest = sent
			}
		}
	}
	return oldest
}

// acked returns the events acked so far on each topic.
func (s *Sampler) ackedByTopic(acked []int64) map[string]int64 {
	out := map[string]int64{}
	for i, name := range s.prods {
		out[s.sc.Producers[name].Topic] += acked[i]
	}
	return out
}

// Take appends one sample.
func (s *Sampler) Take() {
	now := time.Since(s.start).Seconds() * s.cfg.Speedup
	smp := results.Sample{T: now, Acked: make([]int64, len(s.prods)), Failed: make([]int64, len(s.prods)), Groups: make([]results.GroupSample, len(s.groups))}
	// Read the groups' progress first, then the acks: an event is acked
	// before it can be processed, so this order never counts a processed
	// event as missing from the acked ones.
	for i := range s.groups {
		smp.Groups[i].Processed = s.gstats[i].Processed.Load()
		smp.Groups[i].Duplicates = s.gstats[i].Delivered.Load() - s.gstats[i].Foreign.Load() - smp.Groups[i].Processed
	}
	for i := range s.prods {
		smp.Acked[i] = s.pstats[i].Acked.Load()
		smp.Failed[i] = s.pstats[i].Failed.Load()
	}
	byTopic := s.ackedByTopic(smp.Acked)
	for i, name := range s.groups {
		g := s.sc.Groups[name]
		gs := &smp.Groups[i]
		var acked int64
		for _, t := range g.Topics {
			acked += byTopic[t]
			lg := s.logs[t]
			for p := range s.sc.Topics[t].Partitions {
				next := s.gstats[i].Next(s.physical[t], int32(p))
				if sent, ok := lg.Oldest(int32(p), next); ok {
					gs.TimeLag = max(gs.TimeLag, now-sent)
				}
			}
		}
		// A record can be processed before its producer's ack callback
		// has run: count it as acked when either side has seen it.
		gs.Backlog = max(acked-gs.Processed, 0)
		gs.Predicted = s.preds[i].Curve.Backlog(now)
		gs.PredictedTimeLag = s.preds[i].TimeLag(now)
		gs.FIFOTimeLag = s.preds[i].FIFOTimeLag(now)
		gs.OffsetLag = s.offsetLag[i].Load()
		if sent := math.Float64frombits(s.committedSent[i].Load()); sent == sent { // not NaN
			gs.CommitTimeLag = max(0, now-sent)
		}
	}
	s.trim()
	s.mu.Lock()
	s.samples = append(s.samples, smp)
	s.mu.Unlock()
	if s.cfg.OnSample != nil {
		s.cfg.OnSample(smp)
	}
	if now >= s.nextLine {
		s.nextLine += s.cfg.ProgressEvery
		s.progress(smp)
	}
}

// progress writes one plain line about the sample.
func (s *Sampler) progress(smp results.Sample) {
	var b strings.Builder
	fmt.Fprintf(&b, "t=%5.0fs", smp.T)
	for i, name := range s.groups {
		fmt.Fprintf(&b, "  %s %d (pred %.0f)", name, smp.Groups[i].Backlog, smp.Groups[i].Predicted)
	}
	fmt.Fprintln(s.cfg.Log, b.String())
}

// Drained reports whether every group has processed every acked event of
// its topics. An exactly-once group has drained only once its input
// offsets are all committed too (a fresh read of its offset lag is 0):
// its last transaction may still be open when its last event is processed,
// and a crash may have left a transaction whose fate only the broker knows.
func (s *Sampler) Drained(ctx context.Context, adm *kadm.Client) bool {
	acked := make([]int64, len(s.prods))
	procs := make([]int64, len(s.groups))
	for i := range s.groups {
		procs[i] = s.gstats[i].Processed.Load()
	}
	for i := range s.prods {
		acked[i] = s.pstats[i].Acked.Load()
	}
	byTopic := s.ackedByTopic(acked)
	var eos []string
	for i, name := range s.groups {
		g := s.sc.Groups[name]
		var want int64
		for _, t := range g.Topics {
			want += byTopic[t]
		}
		if procs[i] < want && !math.IsInf(s.preds[i].DrainedAtS, 1) {
			return false // a group predicted never to drain is not waited for
		}
		if g.Delivery == scenario.ExactlyOnce {
			eos = append(eos, s.phys(name))
		}
	}
	if len(eos) == 0 {
		return true
	}
	lags, err := adm.Lag(ctx, eos...)
	if err != nil {
		return false
	}
	for _, id := range eos {
		l, ok := lags[id]
		if !ok || l.Error() != nil || l.Lag.Total() != 0 {
			return false
		}
	}
	return true
}

// trim drops from each topic's ack log what every group reading it has
// processed, so the log does not grow with the run.
func (s *Sampler) trim() {
	for _, t := range s.topics {
		lg := s.logs[t]
		for p := range s.sc.Topics[t].Partitions {
			slowest, any := int64(0), false
			for i, name := range s.groups {
				if !slices.Contains(s.sc.Groups[name].Topics, t) {
					continue
				}
				n := s.gstats[i].Next(s.physical[t], int32(p))
				if !any || n < slowest {
					slowest, any = n, true
				}
			}
			if any {
				lg.Trim(int32(p), slowest)
			}
		}
	}
}
