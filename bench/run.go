package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"golang.org/x/sync/errgroup"

	"github.com/backlogbench/backlogbench/consumer"
	"github.com/backlogbench/backlogbench/event"
	"github.com/backlogbench/backlogbench/producer"
	"github.com/backlogbench/backlogbench/scenario"
)

// ErrUnreachable is returned when the brokers cannot be reached.
var ErrUnreachable = errors.New("cannot reach the Kafka brokers")

// The speedups a run accepts: above MaxSpeedup a scenario-second is
// shorter than the sampler's 5 ms floor; below MinSpeedup durations
// overflow.
const (
	MinSpeedup = 0.001
	MaxSpeedup = 200
)

// Config is a validated run configuration.
type Config struct {
	// Scenario is the scenario to play.
	Scenario *scenario.Scenario
	// Speedup compresses time: every duration is divided by it and every
	// rate and capacity multiplied by it, so event counts and backlogs keep
	// their size. The default is 1.
	Speedup float64
	// Brokers are a real cluster's seed brokers; empty runs the embedded
	// broker (kfake, in process).
	Brokers []string
	// ClientOpts are extra client options for every connection (TLS, SASL).
	ClientOpts []kgo.Opt
	// Prefix is put before every topic and group name. The default is
	// "bb-<run id>-", unique per run, so runs never mix.
	Prefix string
	// DrainTimeout bounds, in wall time, how long the run waits after the
	// producers finish for every group to drain. The default is the
	// predicted drain time (compressed) plus 30s.
	DrainTimeout time.Duration
	// Tick is the sampling interval in scenario seconds. The default is 1.
	Tick float64
	// ReadyTimeout bounds the wait for every group to be stable before the
	// producers start. The default is 60s.
	ReadyTimeout time.Duration
	// Log receives progress lines; nil discards them.
	Log io.Writer
	// OnSample, when set, is called with every sample as it is taken, from
	// the sampling goroutine (live progress, metrics). It must not block.
	OnSample func(Sample)
	// ProgressEvery is the scenario time between progress lines. The
	// default is 60s.
	ProgressEvery float64
}

// Validate checks the configuration and fills its defaults.
func (c *Config) Validate() error {
	if c.Scenario == nil {
		return errors.New("no scenario")
	}
	if c.Speedup == 0 {
		c.Speedup = 1
	}
	if !(c.Speedup >= MinSpeedup && c.Speedup <= MaxSpeedup) {
		return fmt.Errorf("speedup must be between %v and %v, got %v (the sampler ticks at most every 5 ms of wall time, one scenario-second at ×%v)",
			MinSpeedup, MaxSpeedup, c.Speedup, MaxSpeedup)
	}
	if c.Tick == 0 {
		c.Tick = 1
	}
	if c.Tick < 0 {
		return fmt.Errorf("tick must be > 0, got %v", c.Tick)
	}
	if c.DrainTimeout < 0 {
		return fmt.Errorf("drain timeout must be ≥ 0, got %v", c.DrainTimeout)
	}
	if c.ReadyTimeout == 0 {
		c.ReadyTimeout = 60 * time.Second
	}
	if c.ProgressEvery == 0 {
		c.ProgressEvery = 60
	}
	for _, b := range c.Brokers {
		if b == "" || !strings.Contains(b, ":") {
			return fmt.Errorf("broker %q: want host:port", b)
		}
	}
	if len(c.Brokers) > 0 {
		for i, f := range c.Scenario.Faults {
			if f.Action == scenario.ProduceErrors {
				return fmt.Errorf("faults[%d]: produce-errors needs the embedded broker's fault injection; leave out --brokers", i)
			}
		}
	}
	if c.Prefix != "" {
		if !validName.MatchString(c.Prefix) {
			return fmt.Errorf("prefix %q: use letters, digits, '.', '_' and '-' only (it starts topic and group names)", c.Prefix)
		}
		longest := ""
		for _, n := range append(c.Scenario.TopicNames(), c.Scenario.GroupNames()...) {
			if len(n) > len(longest) {
				longest = n
			}
		}
		if l := len(c.Prefix) + len(longest) + len(".effects"); l > 249 {
			return fmt.Errorf("prefix %q: %q would make a Kafka name of %d characters, over the limit of 249", c.Prefix, c.Prefix+longest, l)
		}
	}
	if c.Prefix == "" {
		c.Prefix = "bb-" + time.Now().UTC().Format("20060102T150405.000") + "-"
		c.Prefix = strings.ReplaceAll(c.Prefix, ".", "")
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	return nil
}

// validName is what Kafka accepts in topic names.
var validName = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// wall converts scenario seconds to a wall duration.
func (c *Config) wall(s float64) time.Duration {
	return time.Duration(s / c.Speedup * float64(time.Second))
}

// Result is everything a run measured. Reports are derived from it.
type Result struct {
	Scenario    *scenario.Scenario
	Summary     Summary
	Samples     []Sample
	Predictions []GroupPrediction
	// Latency holds each group's end-to-end latency histogram, scenario
	// microseconds.
	Latency map[string]*LatencyHistogram
}

// Run plays the scenario and measures it. It returns the result measured
// so far together with any error, including when ctx is cancelled (then
// Summary.Complete is false).
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	sc := cfg.Scenario
	wallStart := time.Now()
	preds := Predict(sc)
	res := &Result{Scenario: sc, Predictions: preds, Latency: map[string]*LatencyHistogram{}}
	res.Summary = newSummary(sc, cfg, preds)

	// The broker.
	seeds := cfg.Brokers
	rf := int16(-1)
	var cluster *kfake.Cluster
	if len(seeds) == 0 {
		var err error
		cluster, err = kfake.NewCluster(kfake.NumBrokers(1), kfake.GroupMinSessionTimeout(100*time.Millisecond))
		if err != nil {
			return nil, fmt.Errorf("start the embedded broker: %w", err)
		}
		defer cluster.Close()
		seeds, rf = cluster.ListenAddrs(), 1
	}
	base := append([]kgo.Opt{kgo.SeedBrokers(seeds...), kgo.DialTimeout(3 * time.Second)}, cfg.ClientOpts...)
	admCl, err := kgo.NewClient(base...)
	if err != nil {
		return nil, fmt.Errorf("broker client: %w", err)
	}
	defer admCl.Close()
	adm := kadm.NewClient(admCl)
	pctx, cancel := context.WithTimeout(ctx, 8*time.Second)
	err = admCl.Ping(pctx)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w at %s: %v (is Kafka running? `docker compose up -d` starts one on localhost:9092; leave out --brokers to use the embedded broker)", ErrUnreachable, strings.Join(seeds, ","), err)
	}

	// Topics.
	phys := func(name string) string { return cfg.Prefix + name }
	logs := map[string]*ackLog{}
	topicIDs := map[[16]byte]string{}
	for _, t := range sc.TopicNames() {
		n := sc.Topics[t].Partitions
		r, err := adm.CreateTopic(ctx, int32(n), rf, nil, phys(t))
		if err == nil {
			err = r.Err
		}
		if err != nil {
			return nil, fmt.Errorf("create topic %s: %w", phys(t), err)
		}
		topicIDs[r.ID] = t
		logs[t] = newAckLog(n)
	}
	// An exactly-once group writes its effects to a topic of its own.
	effectsTopic := func(group string) string { return phys(group + ".effects") }
	for _, name := range sc.GroupNames() {
		if sc.Groups[name].Delivery != scenario.ExactlyOnce {
			continue
		}
		r, err := adm.CreateTopic(ctx, 1, rf, nil, effectsTopic(name))
		if err == nil {
			err = r.Err
		}
		if err != nil {
			return nil, fmt.Errorf("create topic %s: %w", effectsTopic(name), err)
		}
	}

	// State shared with the workers and producers.
	groups := sc.GroupNames()
	prods := sc.ProducerNames()
	pstats := make([]*producer.Stats, len(prods))
	for i := range pstats {
		pstats[i] = new(producer.Stats)
	}
	kinds := make([]event.Kind, len(prods)+1) // index: producer id, from 1
	for i, name := range prods {
		kinds[i+1], _ = event.ParseKind(sc.Producers[name].Event)
	}
	gstats := make([]*consumer.Stats, len(groups))
	assign := make([]*assignment, len(groups))
	wsets := map[string]*workerSet{}
	for i, name := range groups {
		g := sc.Groups[name]
		parts := map[string]int{}
		for _, t := range g.Topics {
			parts[phys(t)] = sc.Topics[t].Partitions
		}
		mw := maxWorkers(sc, name)
		gstats[i] = consumer.NewStats(consumer.StatsConfig{Workers: mw, Partitions: parts, Kinds: kinds, Seed: sc.Seed,
			Dedup: g.Dedup && g.Delivery != scenario.ExactlyOnce})
		assign[i] = newAssignment(mw, cfg.Prefix)
		wsets[name] = newWorkerSet(mw, g.Workers)
	}
	var startNs atomic.Int64
	startNs.Store(time.Now().Add(time.Hour).UnixNano()) // set for real once ready
	start := func() time.Time { return time.Unix(0, startNs.Load()) }

	eg, egCtx := errgroup.WithContext(ctx)
	consCtx, stopConsumers := context.WithCancel(egCtx)
	defer stopConsumers()
	groupIndex := map[string]int{}
	for gi, name := range groups {
		groupIndex[name] = gi
	}
	startWorker := func(name string, w int) {
		gi := groupIndex[name]
		g := sc.Groups[name]
		var topics []string
		for _, t := range g.Topics {
			topics = append(topics, phys(t))
		}
		perWorker := g.CapacitySchedule().Scaled(1 / float64(g.Workers))
		ws := wsets[name]
		wc := consumer.WorkerConfig{
			Group:          phys(name),
			Topics:         topics,
			Index:          w,
			Throttle:       workerThrottle(sc, name, w, perWorker),
			Start:          start,
			Speedup:        cfg.Speedup,
			CommitEvery:    max(cfg.wall(0.2), 5*time.Millisecond),
			MaxPoll:        maxPoll(g),
			SessionTimeout: crashSession(sc, name),
			Opts:           base,
			OnAssigned:     assign[gi].set,
			Crash:          ws.crash[w],
			OnCrash:        func(n int64) { ws.uncommitted.Add(n) },
			Leave:          ws.leave[w],
		}
		st := gstats[gi]
		eos := g.Delivery == scenario.ExactlyOnce
		eg.Go(func() error {
			var err error
			if eos {
				err = consumer.RunExactlyOnce(consCtx, wc, st, effectsTopic(name))
			} else {
				err = consumer.Run(consCtx, wc, st)
			}
			assign[gi].set(w, nil) // a worker that is gone holds nothing
			return err
		})
	}
	for _, name := range groups {
		for w := range sc.Groups[name].Workers {
			startWorker(name, w)
		}
	}

	// Wait until every group is stable with every partition assigned.
	readyErr := waitReady(egCtx, adm, cfg, groups, assign)
	if readyErr != nil {
		stopConsumers()
		// What stopped the workers says more than the wait's own error
		// (often just "context canceled").
		errs := []error{eg.Wait()}
		for gi := range groups {
			errs = append(errs, gstats[gi].Err())
		}
		if err := errors.Join(errs...); err != nil && (errors.Is(readyErr, context.Canceled) || ctx.Err() == nil) {
			readyErr = errors.Join(readyErr, err)
		}
		return nil, readyErr
	}
	for gi, name := range groups {
		res.Summary.Groups[name] = withAssignment(res.Summary.Groups[name], assign[gi].snapshot())
	}
	preds = res.reassign(sc) // from the assignment the groups got

	// Producers, from scenario time 0.
	t0 := time.Now().Add(20 * time.Millisecond)
	startNs.Store(t0.UnixNano())
	clients := make([]*kgo.Client, len(prods))
	for i := range prods {
		cl, err := kgo.NewClient(append(append([]kgo.Opt{}, base...), producerOptions(sc, prods[i])...)...)
		if err != nil {
			stopConsumers()
			_ = eg.Wait()
			return nil, fmt.Errorf("producer client: %w", err)
		}
		clients[i] = cl
		defer cl.Close()
	}
	var prodWG sync.WaitGroup
	prodCtx, stopProducers := context.WithCancel(egCtx)
	defer stopProducers()
	for i, name := range prods {
		p := sc.Producers[name]
		kind, _ := event.ParseKind(p.Event)
		lg := logs[p.Topic]
		pc := producer.Config{
			Name:   name,
			ID:     uint32(i + 1),
			Topic:  phys(p.Topic),
			Kind:   kind,
			Size:   p.Size,
			Seed:   sc.Seed,
			Pacer:  producer.Pacer{Schedule: p.Schedule(), Speedup: cfg.Speedup},
			Start:  t0,
			Resend: p.Resend,
			Keys:   producerKeys(sc, name),
			OnAck:  lg.add,
		}
		st, cl := pstats[i], clients[i]
		prodWG.Add(1)
		eg.Go(func() error {
			defer prodWG.Done()
			err := producer.Run(prodCtx, cl, pc, st)
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		})
	}
	prodDone := make(chan struct{})
	go func() { prodWG.Wait(); close(prodDone) }()

	// The sampler and the offset-lag reader.
	smp := &sampler{cfg: &cfg, sc: sc, preds: preds, groups: groups, prods: prods,
		pstats: pstats, gstats: gstats, logs: logs, start: t0, phys: phys}
	smp.offsetLag = make([]atomic.Int64, len(groups))
	for i := range smp.offsetLag {
		smp.offsetLag[i].Store(-1)
	}
	sampCtx, stopSampler := context.WithCancel(egCtx)
	defer stopSampler()
	var sampWG sync.WaitGroup
	sampWG.Add(2)
	eg.Go(func() error { defer sampWG.Done(); smp.run(sampCtx); return nil })
	eg.Go(func() error { defer sampWG.Done(); smp.readLag(sampCtx, adm); return nil })

	// Faults, at their scenario times.
	var notesMu sync.Mutex
	var faultNotes []string
	pf := &produceFaults{records: map[string]int64{}}
	fr := &faultRunner{cfg: &cfg, cluster: cluster, start: t0, phys: phys, groups: wsets,
		startWorker: startWorker, produce: pf, topicIDs: topicIDs,
		notes: func(s string) { notesMu.Lock(); faultNotes = append(faultNotes, s); notesMu.Unlock() }}
	eg.Go(func() error { fr.run(sampCtx); return nil })

	// Wait for the producers, then for the drain.
	complete := false
	var runErr error
	select {
	case <-prodDone:
	case <-egCtx.Done():
	}
	if egCtx.Err() == nil {
		drainTimeout := cfg.DrainTimeout
		if drainTimeout == 0 {
			drainTimeout = defaultDrainTimeout(&cfg, preds)
		}
		deadline := time.NewTimer(drainTimeout)
		tick := time.NewTicker(max(cfg.wall(cfg.Tick)/2, 5*time.Millisecond))
	wait:
		for {
			if smp.drained(egCtx, adm) {
				complete = true
				break
			}
			select {
			case <-egCtx.Done():
				break wait
			case <-deadline.C:
				res.Summary.Notes = append(res.Summary.Notes, fmt.Sprintf("drain timeout (%v wall) reached before every group drained", drainTimeout))
				break wait
			case <-tick.C:
			}
		}
		deadline.Stop()
		tick.Stop()
	}
	if ctx.Err() != nil {
		runErr = ctx.Err()
		res.Summary.Notes = append(res.Summary.Notes, "interrupted: the figures cover the run up to the interruption")
	}
	// One last sample with everything settled, then stop.
	stopSampler()
	sampWG.Wait()
	smp.take()
	stopProducers()
	stopConsumers()
	if err := eg.Wait(); err != nil && !errors.Is(err, context.Canceled) && runErr == nil {
		runErr = err
	}
	res.Samples = smp.samples
	effects := map[string]committedEffects{}
	for _, name := range groups {
		if sc.Groups[name].Delivery != scenario.ExactlyOnce || !complete {
			continue
		}
		e, err := readEffects(ctx, base, adm, effectsTopic(name), len(kinds))
		if err != nil {
			res.Summary.Notes = append(res.Summary.Notes, err.Error())
			continue
		}
		effects[name] = e
	}
	for gi, name := range groups {
		res.Latency[name] = &LatencyHistogram{gstats[gi].Latency()}
		if err := gstats[gi].Err(); err != nil {
			res.Summary.Notes = append(res.Summary.Notes, err.Error())
		}
	}
	for i := range prods {
		if err := pstats[i].FirstError(); err != nil {
			res.Summary.Notes = append(res.Summary.Notes, err.Error())
		}
	}
	res.Summary.Notes = append(res.Summary.Notes, faultNotes...)
	res.Summary.WallS = time.Since(wallStart).Seconds()
	res.finish(complete && runErr == nil, pstats, gstats, wsets, pf, effects)
	return res, runErr
}

// maxPoll is the most records a worker of g takes per poll: a quarter of a
// scenario-second of its largest capacity, so a batch (and, exactly once,
// a transaction) never holds a rebalance up for long.
func maxPoll(g scenario.Group) int {
	c := g.Capacity
	for _, ph := range g.Phases {
		c = max(c, ph.Capacity)
	}
	return max(1, int(math.Ceil(c/float64(g.Workers)*0.25)))
}

// defaultDrainTimeout is the compressed time from the end of production to
// the latest predicted drain, plus 30s of wall time for slack.
func defaultDrainTimeout(cfg *Config, preds []GroupPrediction) time.Duration {
	end := cfg.Scenario.End()
	last := end
	for _, p := range preds {
		if !math.IsInf(p.DrainedAtS, 1) {
			last = max(last, p.DrainedAtS)
		}
	}
	return cfg.wall(last-end) + 30*time.Second
}

// assignment records each worker's partitions, as its rebalance callbacks
// report them.
type assignment struct {
	mu      sync.Mutex
	prefix  string
	workers []map[string][]int32
	seen    []bool
}

func newAssignment(workers int, prefix string) *assignment {
	return &assignment{workers: make([]map[string][]int32, workers), seen: make([]bool, workers), prefix: prefix}
}

func (a *assignment) set(w int, m map[string][]int32) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.workers[w], a.seen[w] = m, true
}

// count returns the number of partitions the workers hold.
func (a *assignment) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, m := range a.workers {
		for _, ps := range m {
			n += len(ps)
		}
	}
	return n
}

// snapshot returns the assignment by worker and logical topic name.
func (a *assignment) snapshot() []map[string][]int32 {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]map[string][]int32, len(a.workers))
	for i, m := range a.workers {
		out[i] = map[string][]int32{}
		for t, ps := range m {
			ps = slices.Clone(ps)
			slices.Sort(ps)
			out[i][strings.TrimPrefix(t, a.prefix)] = ps
		}
	}
	return out
}

// waitReady waits until every group is Stable in the broker's view with
// all its members, and every partition of its topics is held by a worker
// whose assignment callback has run. Producing before that lets one early
// member hold every partition and then hand them over mid-burst.
func waitReady(ctx context.Context, adm *kadm.Client, cfg Config, groups []string, assign []*assignment) error {
	sc := cfg.Scenario
	deadline := time.Now().Add(cfg.ReadyTimeout)
	for {
		pending := ""
		for gi, name := range groups {
			g := sc.Groups[name]
			if assign[gi].count() != sc.Partitions(g) {
				pending = name
				break
			}
		}
		if pending == "" {
			ids := make([]string, len(groups))
			for i, n := range groups {
				ids[i] = cfg.Prefix + n
			}
			dg, err := adm.DescribeGroups(ctx, ids...)
			if err == nil {
				for i, n := range groups {
					d, ok := dg[ids[i]]
					if !ok || d.Err != nil || d.State != "Stable" || len(d.Members) != sc.Groups[n].Workers {
						pending = n
						break
					}
				}
			} else {
				pending = groups[0]
			}
		}
		if pending == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("group %s did not become stable with every partition assigned within %v", pending, cfg.ReadyTimeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
