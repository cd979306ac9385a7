// Package bench orchestrates a backlogbench run, in stages: connect to the
// broker (embedded or real), prepare the run's topics, start every group
// and wait until each is stable, play the producers and the faults on the
// scenario's clock while the sampler watches, wait for the groups to
// drain, and collect what was measured into a Result, judged against the
// prediction. The data path itself lives in the packages it wires:
// producer → broker → consumer → sampler → results.
package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"golang.org/x/sync/errgroup"

	"github.com/backlogbench/backlogbench/broker"
	"github.com/backlogbench/backlogbench/consumer"
	"github.com/backlogbench/backlogbench/event"
	"github.com/backlogbench/backlogbench/predict"
	"github.com/backlogbench/backlogbench/producer"
	"github.com/backlogbench/backlogbench/results"
	"github.com/backlogbench/backlogbench/sampler"
	"github.com/backlogbench/backlogbench/scenario"
)

// Result is everything a run measured (the stored data) and the
// predictions it was judged against.
type Result struct {
	results.Data
	Predictions []predict.GroupPrediction
	// order is the broker's fetch order, which the time lag depends on.
	order predict.Order
	// timing is how the run played worker faults, for the conditional
	// prediction.
	timing predict.Timing
}

// stopWait bounds the wait for the workers to stop when a run is stopped
// before it started playing.
const stopWait = time.Second

// startPace spaces the starts of the workers beyond scenario.MaxClients.
const startPace = 2 * time.Millisecond

// run is one run's state, shared by its stages.
type run struct {
	// cpuTimes reads the machine's CPU times for oneProcessor; nil is
	// readCPUTimes (tests replace it).
	cpuTimes func() (cpuTimes, bool)
	cfg      Config
	sc       *scenario.Scenario
	res      *Result
	preds    []predict.GroupPrediction
	groups   []string
	prods    []string

	embedded *broker.Embedded // nil on a real cluster
	spill    string           // the embedded broker's temporary data folder, if any
	conn     *broker.Conn
	// topics are the run's topics on the broker, for the cleanup.
	topics   []string
	topicIDs map[[16]byte]string
	logs     map[string]*sampler.AckLog

	pstats  []*producer.Stats
	kinds   []event.Kind // by producer id, from 1
	gstats  []*consumer.Stats
	assign  []*assignment
	wsets   map[string]*workerSet
	groupIx map[string]int
	// t0 is the time of scenario time 0, set once every group is ready (an
	// hour ahead until then, so no worker paces early). It keeps its
	// monotonic reading, so producers, workers, sampler and faults share
	// one clock that a wall-clock step cannot move.
	t0 atomic.Pointer[time.Time]

	// eg owns every goroutine of the run; consCtx the workers'.
	eg            *errgroup.Group
	egCtx         context.Context
	consCtx       context.Context
	stopConsumers context.CancelFunc

	smp    *sampler.Sampler
	faults *faultRunner
	// crashSession is the session timeout of groups with a crash fault.
	crashSession time.Duration

	// stopRun stops the run from inside (a dead broker), with the cause.
	stopRun context.CancelCauseFunc

	notesMu sync.Mutex
	notes   []string
	outages []results.Outage
}

// Run plays the scenario and measures it. It returns the result measured
// so far together with any error, including when ctx is cancelled (then
// Summary.Complete is false).
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	wallStart := time.Now()
	ctx, stopRun := context.WithCancelCause(ctx)
	defer stopRun(nil)
	r := &run{stopRun: stopRun, cfg: cfg, sc: cfg.Scenario, groups: cfg.Scenario.GroupNames(), prods: cfg.Scenario.ProducerNames()}
	r.preds = predict.Predict(r.sc)
	r.res = &Result{Data: results.Data{Scenario: r.sc, Latency: map[string]*results.LatencyHistogram{}}, Predictions: r.preds}
	r.res.Summary = newSummary(r.sc, cfg, r.preds)

	stopWatch, restoreProcs := r.oneProcessor()
	defer restoreProcs()
	if err := r.connect(ctx); err != nil {
		return nil, err
	}
	defer r.close()
	defer r.cleanup(ctx)
	if err := r.prepareTopics(ctx); err != nil {
		return nil, err
	}
	r.prepareState()
	r.eg, r.egCtx = errgroup.WithContext(ctx)
	r.consCtx, r.stopConsumers = context.WithCancel(r.egCtx)
	defer r.stopConsumers()
	if err := r.startGroups(ctx); err != nil {
		return nil, err
	}
	smp, stopPlay, prodDone, err := r.play()
	if err != nil {
		return nil, err
	}
	complete := r.drain(prodDone)
	var runErr error
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, ErrBrokerDead):
		runErr = cause
		r.note(cause.Error() + ": the run stopped; the figures cover it up to then")
	case ctx.Err() != nil:
		runErr = ctx.Err()
		r.note("interrupted: the figures cover the run up to the interruption")
	}
	// One last sample with everything settled, then stop.
	stopPlay()
	smp.Take()
	stopWatch()
	r.stopConsumers()
	if err := r.eg.Wait(); err != nil && !errors.Is(err, context.Canceled) && runErr == nil {
		runErr = err
	}
	r.collect(ctx, smp, complete && runErr == nil, wallStart)
	return r.res, runErr
}

// prepareState makes the counters the producers and workers share with
// the sampler.
func (r *run) prepareState() {
	sc := r.sc
	r.pstats = make([]*producer.Stats, len(r.prods))
	for i := range r.pstats {
		r.pstats[i] = new(producer.Stats)
	}
	r.kinds = make([]event.Kind, len(r.prods)+1)
	for i, name := range r.prods {
		r.kinds[i+1], _ = event.ParseKind(sc.Producers[name].Event)
	}
	r.gstats = make([]*consumer.Stats, len(r.groups))
	r.assign = make([]*assignment, len(r.groups))
	r.wsets = map[string]*workerSet{}
	r.groupIx = map[string]int{}
	for i, name := range r.groups {
		g := sc.Groups[name]
		parts := map[string]int{}
		for _, t := range g.Topics {
			parts[r.phys(t)] = sc.Topics[t].Partitions
		}
		mw := maxWorkers(sc, name)
		r.gstats[i] = consumer.NewStats(consumer.StatsConfig{Workers: mw, Partitions: parts, Kinds: r.kinds, Seed: sc.Seed,
			Dedup: g.Dedup && g.Delivery != scenario.ExactlyOnce})
		r.assign[i] = newAssignment(mw, r.cfg.Prefix)
		r.wsets[name] = newWorkerSet(mw, g.Workers)
		r.groupIx[name] = i
	}
	later := time.Now().Add(time.Hour)
	r.t0.Store(&later)
}

// start is the wall time of scenario time 0.
func (r *run) start() time.Time { return *r.t0.Load() }

// startWorker launches worker w of the named group under the run's
// errgroup.
func (r *run) startWorker(name string, w int) {
	gi := r.groupIx[name]
	g := r.sc.Groups[name]
	var topics []string
	for _, t := range g.Topics {
		topics = append(topics, r.phys(t))
	}
	perWorker := g.CapacitySchedule().Scaled(1 / float64(g.Workers))
	fetch := g.FetchSettings()
	ws := r.wsets[name]
	wc := consumer.WorkerConfig{
		Group:                  r.phys(name),
		Topics:                 topics,
		Index:                  w,
		Throttle:               workerThrottle(r.sc, name, w, perWorker),
		Start:                  r.start,
		Speedup:                r.cfg.Speedup,
		CommitEvery:            r.commitEvery(),
		MaxPoll:                fetch.MaxPollRecords,
		FetchMaxBytes:          int32(fetch.MaxBytes),
		FetchMaxPartitionBytes: int32(fetch.MaxPartitionBytes),
		FetchWait:              r.fetchWait(g),
		FetchMinBytes:          r.fetchFill(g),
		Quantum:                r.quantum(),
		SessionTimeout:         crashSession(r.sc, name, r.crashSession),
		Opts:                   r.conn.Opts,
		Dial:                   r.dial(),
		OnAssigned:             r.assign[gi].set,
		Crash:                  ws.crash[w],
		OnCrash:                func(n int64) { ws.uncommitted.Add(n) },
		OnAbort:                func(n int64) { ws.aborted.Add(n); ws.aborts.Add(1) },
		Leave:                  ws.leave[w],
	}
	st := r.gstats[gi]
	eos := g.Delivery == scenario.ExactlyOnce
	effects := r.effectsTopic(name)
	r.eg.Go(func() error {
		var err error
		if eos {
			err = consumer.RunExactlyOnce(r.consCtx, wc, st, effects)
		} else {
			err = consumer.Run(r.consCtx, wc, st)
		}
		r.assign[gi].set(w, nil) // a worker that is gone holds nothing
		return err
	})
}

// startGroups starts every group's workers and waits until every group is
// stable with every partition assigned; then it predicts again from the
// assignment the groups got.
func (r *run) startGroups(ctx context.Context) error {
	deadline := time.Now().Add(r.cfg.ReadyTimeout)
	started := 0
start:
	for _, name := range r.groups {
		for w := range r.sc.Groups[name].Workers {
			if started >= scenario.MaxClients {
				// Beyond what the machine can run (played with --force):
				// a few at a time, so the run still answers a signal.
				select {
				case <-r.egCtx.Done():
				case <-time.After(startPace):
				}
			}
			if r.egCtx.Err() != nil || time.Now().After(deadline) {
				break start // interrupted or out of time: start no more
			}
			r.startWorker(name, w)
			started++
		}
	}
	snaps, readyErr := waitReady(r.egCtx, r.conn.Admin, r.cfg, deadline, r.groups, r.assign)
	if readyErr != nil {
		// Not called in line: with many workers the cancellation already
		// running holds the context's lock for seconds.
		go r.stopConsumers()
		if ctx.Err() != nil {
			// The user stopped the run: nothing was measured yet, and
			// the workers close on their own while the process exits.
			return readyErr
		}
		// What stopped the workers says more than the wait's own error
		// (often just "context canceled"). Thousands of workers take long
		// to close: a failed start waits a bounded time for them.
		done := make(chan error, 1)
		go func() { done <- r.eg.Wait() }()
		var werr error
		select {
		case werr = <-done:
		case <-time.After(stopWait):
			werr = fmt.Errorf("the workers were still stopping after %v", stopWait)
		}
		errs := []error{werr}
		for gi := range r.groups {
			errs = append(errs, r.gstats[gi].Err())
		}
		if err := errors.Join(errs...); err != nil {
			readyErr = errors.Join(readyErr, err)
		}
		return readyErr
	}
	for gi, name := range r.groups {
		gs := r.res.Summary.Groups[name]
		gs.Assignment = snaps[gi]
		r.res.Summary.Groups[name] = gs
	}
	r.preds = r.reassign()
	return nil
}

// play starts the producers at scenario time 0, the sampler and the
// offset-lag reader beside them, and the faults at their times. It returns
// the sampler, a function that stops the sampler, the faults and the
// producers, and a channel closed when every producer has finished.
func (r *run) play() (*sampler.Sampler, func(), <-chan struct{}, error) {
	sc := r.sc
	t0 := time.Now().Add(20 * time.Millisecond)
	r.t0.Store(&t0)
	clients := make([]*kgo.Client, len(r.prods))
	for i := range r.prods {
		cl, err := r.conn.NewClient(producerOptions(sc, r.prods[i])...)
		if err != nil {
			for _, c := range clients[:i] {
				c.Close()
			}
			r.stopConsumers()
			_ = r.eg.Wait()
			return nil, nil, nil, fmt.Errorf("producer client: %w", err)
		}
		clients[i] = cl
	}
	var prodWG sync.WaitGroup
	prodCtx, stopProducers := context.WithCancel(r.egCtx)
	for i, name := range r.prods {
		p := sc.Producers[name]
		pc := producer.Config{
			Name:    name,
			ID:      uint32(i + 1),
			Topic:   r.phys(p.Topic),
			Kind:    r.kinds[i+1],
			Size:    p.Size,
			Seed:    sc.Seed,
			Pacer:   producer.Pacer{Schedule: p.Schedule(), Speedup: r.cfg.Speedup},
			Start:   t0,
			Resend:  p.Resend,
			Keys:    producerKeys(sc, name),
			OnAck:   r.logs[p.Topic].Add,
			Quantum: r.quantum(),
		}
		st, cl := r.pstats[i], clients[i]
		prodWG.Add(1)
		r.eg.Go(func() error {
			defer prodWG.Done()
			defer cl.Close()
			err := producer.Run(prodCtx, cl, pc, st)
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		})
	}
	prodDone := make(chan struct{})
	go func() { prodWG.Wait(); close(prodDone) }()

	smp := sampler.New(sampler.Config{Scenario: sc, Predictions: r.preds, Producers: r.pstats, Groups: r.gstats,
		Logs: r.logs, Start: t0, Speedup: r.cfg.Speedup, Tick: r.cfg.Tick, Phys: r.phys,
		OnSample: r.cfg.OnSample, Log: r.cfg.Log, ProgressEvery: r.cfg.ProgressEvery})
	r.smp = smp
	sampCtx, stopSampler := context.WithCancel(r.egCtx)
	var sampWG sync.WaitGroup
	sampWG.Add(3)
	r.eg.Go(func() error { defer sampWG.Done(); smp.Run(sampCtx); return nil })
	r.eg.Go(func() error { defer sampWG.Done(); smp.ReadLag(sampCtx, r.conn.Admin); return nil })
	fr := &faultRunner{cfg: &r.cfg, embedded: r.embedded, start: t0, phys: r.phys, groups: r.wsets,
		startWorker: r.startWorker, produce: &produceFaults{records: map[string]int64{}}, topicIDs: r.topicIDs, notes: r.note}
	r.faults = fr
	r.eg.Go(func() error { defer sampWG.Done(); fr.run(sampCtx); return nil })
	sampWG.Add(2)
	r.eg.Go(func() error { defer sampWG.Done(); r.watchBroker(sampCtx); return nil })
	r.eg.Go(func() error { defer sampWG.Done(); r.compact(sampCtx); return nil })
	var tr *trimmer
	if r.embedded != nil {
		tr = r.newTrimmer()
		sampWG.Add(1)
		r.eg.Go(func() error { defer sampWG.Done(); tr.run(sampCtx); return nil })
	}
	stop := func() {
		stopSampler()
		sampWG.Wait()
		stopProducers()
		if tr != nil && tr.errors.Load() > 0 {
			r.note(fmt.Sprintf("embedded broker: %d of the rounds deleting committed records failed (last: %v); its memory grew with them", tr.errors.Load(), tr.lastErr.Load()))
		}
	}
	return smp, stop, prodDone, nil
}

// drain waits for the producers, then until every group has drained, the
// drain timeout passes or the run is stopped. It reports whether every
// group drained.
func (r *run) drain(prodDone <-chan struct{}) bool {
	select {
	case <-prodDone:
	case <-r.egCtx.Done():
	}
	if r.egCtx.Err() != nil {
		return false
	}
	drainTimeout := r.cfg.DrainTimeout
	if drainTimeout == 0 {
		drainTimeout = defaultDrainTimeout(&r.cfg, r.preds)
	}
	deadline := time.NewTimer(drainTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(max(r.cfg.wall(r.cfg.Tick)/2, 5*time.Millisecond))
	defer tick.Stop()
	for {
		if r.drained() {
			return true
		}
		select {
		case <-r.egCtx.Done():
			return false
		case <-deadline.C:
			r.res.Summary.Notes = append(r.res.Summary.Notes, fmt.Sprintf("drain timeout (%v wall) reached before every group drained", drainTimeout))
			return false
		case <-tick.C:
		}
	}
}

// drained reports whether every group has drained (see Sampler.Drained).
func (r *run) drained() bool {
	return r.smp.Drained(r.egCtx, r.conn.Admin)
}

// note records a note of the run's, from any goroutine.
func (r *run) note(s string) {
	r.notesMu.Lock()
	r.notes = append(r.notes, s)
	r.notesMu.Unlock()
}

// collect reads what the run measured into the result and judges it.
func (r *run) collect(ctx context.Context, smp *sampler.Sampler, complete bool, wallStart time.Time) {
	res := r.res
	res.Samples = smp.Samples()
	effects := map[string]committedEffects{}
	for _, name := range r.groups {
		if r.sc.Groups[name].Delivery != scenario.ExactlyOnce || !complete {
			continue
		}
		e, err := readEffects(ctx, r.conn.Opts, r.conn.Admin, r.effectsTopic(name), len(r.kinds))
		if err != nil {
			res.Summary.Notes = append(res.Summary.Notes, err.Error())
			continue
		}
		effects[name] = e
	}
	for gi, name := range r.groups {
		res.Latency[name] = &results.LatencyHistogram{Histogram: r.gstats[gi].Latency()}
		if err := r.gstats[gi].Err(); err != nil {
			res.Summary.Notes = append(res.Summary.Notes, err.Error())
		}
	}
	for i := range r.prods {
		if err := r.pstats[i].FirstError(); err != nil {
			res.Summary.Notes = append(res.Summary.Notes, err.Error())
		}
	}
	if n, last := smp.LagErrors(); n > 0 {
		res.Summary.Notes = append(res.Summary.Notes, fmt.Sprintf("offset lag: %d readings failed (last: %s)", n, last))
	}
	r.notesMu.Lock()
	res.Summary.Notes = append(res.Summary.Notes, r.notes...)
	res.Summary.Outages = append(res.Summary.Outages, r.outages...)
	r.notesMu.Unlock()
	res.Summary.WallS = time.Since(wallStart).Seconds()
	res.Summary.Procs = runtime.GOMAXPROCS(0)
	if t0 := r.t0.Load(); t0 != nil {
		res.Summary.StartedAt = t0.UTC().Format(time.RFC3339Nano)
	}
	res.finish(complete, r.pstats, r.gstats, r.wsets, r.faults.produce, effects)
}

// reassign predicts every group again from the assignment it got (as
// recorded in the summary) and puts those predictions in the result; it
// returns them. A group whose workers hold uneven shares (12 partitions on
// 5 workers) saturates its busiest workers first, so its prediction is the
// sum of its workers' and not the aggregate model's.
func (r *run) reassign() []predict.GroupPrediction {
	got := map[string][]map[string][]int32{}
	for name, gs := range r.res.Summary.Groups {
		if gs.Assignment != nil {
			got[name] = gs.Assignment
		}
	}
	r.res.timing = r.timing()
	preds := predict.PredictTimed(r.sc, got, r.res.order, r.res.timing)
	r.res.Predictions = preds
	for _, p := range preds {
		gs := r.res.Summary.Groups[p.Name]
		gs.ActiveWorkers = p.ActiveWorkers
		gs.FloorEvents = p.Floor(gs.Workers)
		gs.Predicted = p.Predicted()
		r.res.Summary.Groups[p.Name] = gs
	}
	return preds
}

// defaultDrainTimeout is the compressed time from the end of production to
// the latest predicted drain, plus 30s of wall time for slack. The
// predictions include the groups' worker faults (a removed or crashed
// worker's capacity, a crash's session, the rebalances), so a run with
// faults waits for the drain they cause.
func defaultDrainTimeout(cfg *Config, preds []predict.GroupPrediction) time.Duration {
	end := cfg.Scenario.End()
	last := end
	for _, p := range preds {
		if !math.IsInf(p.DrainedAtS, 1) {
			last = max(last, p.DrainedAtS)
		}
	}
	return cfg.wall(last-end) + 30*time.Second
}
