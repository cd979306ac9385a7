package bench

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/backlogbench/backlogbench/broker"
	"github.com/backlogbench/backlogbench/event"
	"github.com/backlogbench/backlogbench/scenario"
)

// workerSet tracks a group's workers across faults: which are alive, the
// channels that crash or retire them, and what a crash left uncommitted.
type workerSet struct {
	mu          sync.Mutex
	alive       []bool
	crash       []chan struct{}
	leave       []chan struct{}
	uncommitted atomic.Int64 // summed over crashes: the duplicates bound
	// aborted sums the records processed in exactly-once transactions that
	// ended aborted while the run went on, aborts counts those
	// transactions: the next owners deliver those records again.
	aborted    atomic.Int64
	aborts     atomic.Int64
	crashes    int
	rebalances int
}

func newWorkerSet(max, initial int) *workerSet {
	w := &workerSet{alive: make([]bool, max), crash: make([]chan struct{}, max), leave: make([]chan struct{}, max)}
	for i := range max {
		w.crash[i] = make(chan struct{})
		w.leave[i] = make(chan struct{})
	}
	for i := range initial {
		w.alive[i] = true
	}
	return w
}

// pick returns the first (or last) live worker, marking it dead; -1 when
// none is alive.
func (w *workerSet) pick(last bool) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	idx := -1
	for i, a := range w.alive {
		if a {
			idx = i
			if !last {
				break
			}
		}
	}
	if idx >= 0 {
		w.alive[idx] = false
	}
	return idx
}

// add marks the next never-started worker alive and returns its index.
func (w *workerSet) add() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	started := 0
	for i, a := range w.alive {
		if a || isClosed(w.crash[i]) || isClosed(w.leave[i]) {
			started = i + 1
		}
	}
	if started >= len(w.alive) {
		return -1
	}
	w.alive[started] = true
	return started
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// maxWorkers returns the most workers a group can have: its workers plus
// every add-worker fault on it.
func maxWorkers(sc *scenario.Scenario, group string) int {
	n := sc.Groups[group].Workers
	for _, f := range sc.Faults {
		if f.Group == group && f.Action == scenario.AddWorker {
			n++
		}
	}
	return n
}

// produceFaults counts, per topic (logical name), the records in produce
// requests answered with an error after they were appended: each is
// appended again when the client retries without idempotence.
type produceFaults struct {
	mu      sync.Mutex
	records map[string]int64
}

func (p *produceFaults) add(topic string, n int64) {
	p.mu.Lock()
	p.records[topic] += n
	p.mu.Unlock()
}

func (p *produceFaults) get(topic string) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.records[topic]
}

// faultRunner plays the scenario's faults at their scenario times.
type faultRunner struct {
	cfg      *Config
	embedded *broker.Embedded // nil on a real cluster
	start    time.Time
	phys     func(string) string
	groups   map[string]*workerSet
	// startWorker launches worker w of group g.
	startWorker func(g string, w int)
	produce     *produceFaults
	notes       func(string)
	// topicIDs maps each topic's id to its logical name (produce v13+
	// names topics by id).
	topicIDs map[[16]byte]string
}

// run applies every fault when its time comes, until ctx is done.
func (r *faultRunner) run(ctx context.Context) {
	sc := r.cfg.Scenario
	type step struct {
		at    float64
		apply func()
	}
	var steps []step
	for i, f := range sc.Faults {
		switch f.Action {
		case scenario.ProduceErrors:
			var h *broker.FaultHandle
			steps = append(steps,
				step{f.At.Seconds(), func() { h = r.produceErrors(i, f) }},
				step{(f.At + f.For).Seconds(), func() {
					if h != nil {
						h.Remove()
					}
				}})
		case scenario.CrashWorker:
			steps = append(steps, step{f.At.Seconds(), func() {
				ws := r.groups[f.Group]
				if w := ws.pick(false); w >= 0 {
					close(ws.crash[w])
					ws.mu.Lock()
					ws.crashes++
					ws.mu.Unlock()
					r.notes(fmt.Sprintf("%s: worker %d crashed at %v without committing or leaving", f.Group, w, f.At))
				}
			}})
		case scenario.RemoveWorker:
			steps = append(steps, step{f.At.Seconds(), func() {
				ws := r.groups[f.Group]
				if w := ws.pick(true); w >= 0 {
					close(ws.leave[w])
					ws.mu.Lock()
					ws.rebalances++
					ws.mu.Unlock()
				}
			}})
		case scenario.AddWorker:
			steps = append(steps, step{f.At.Seconds(), func() {
				ws := r.groups[f.Group]
				if w := ws.add(); w >= 0 {
					ws.mu.Lock()
					ws.rebalances++
					ws.mu.Unlock()
					r.startWorker(f.Group, w)
				}
			}})
		}
	}
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].at < steps[j].at })
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for _, s := range steps {
		if d := time.Until(r.start.Add(r.cfg.wall(s.at))); d > 0 {
			timer.Reset(d)
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
		}
		s.apply()
	}
}

// produceErrors installs fault i on the embedded broker: a fraction of the
// produce requests (for the fault's topic, or all) is appended and then
// answered with NOT_ENOUGH_REPLICAS_AFTER_APPEND. Which requests fail
// follows from the seed and the request's number.
func (r *faultRunner) produceErrors(i int, f scenario.Fault) *broker.FaultHandle {
	if r.embedded == nil {
		return nil
	}
	topic := ""
	if f.Topic != "" {
		topic = r.phys(f.Topic)
	}
	byPhys := map[string]string{}
	for _, t := range r.cfg.Scenario.TopicNames() {
		byPhys[r.phys(t)] = t
	}
	seed := r.cfg.Scenario.Seed
	return r.embedded.InjectProduceErrors(broker.ProduceErrors{
		Topic:    topic,
		Fraction: f.Fraction,
		Decide:   func(n uint64) float64 { return event.Uniform(seed, uint32(1000+i), n, 0x6661756c74) },
		Name: func(t string, id [16]byte) (string, bool) {
			name, ok := byPhys[t]
			if !ok {
				name, ok = r.topicIDs[id]
			}
			return name, ok && (f.Topic == "" || name == f.Topic)
		},
		OnRecords: r.produce.add,
	})
}

// crashSession is the session timeout of a group with a crash fault: d, a
// short session timeout, so its partitions move on within a few seconds of
// wall time; 0 (the worker's default) without a crash fault.
func crashSession(sc *scenario.Scenario, group string, d time.Duration) time.Duration {
	for _, f := range sc.Faults {
		if f.Group == group && f.Action == scenario.CrashWorker {
			return d
		}
	}
	return 0
}
