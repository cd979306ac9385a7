package bench

import (
	"time"

	"github.com/backlogbench/backlogbench/predict"
	"github.com/backlogbench/backlogbench/scenario"
)

// The harness's own cadences. Every one is a wall-time floor under a
// scenario-time figure: at ×30 a cadence in scenario time alone made a
// round trip per record (70 µs of CPU per delivered event); each floor is
// bounded in scenario time by what the verdicts can absorb.

// timing is how this run plays worker faults, for the model: its
// speedup, the session timeout of a group with a crash, and the commit
// cadence of its workers (CommitEvery, in scenario time).
func (r *run) timing() predict.Timing {
	return predict.Timing{
		Speedup:      r.cfg.Speedup,
		CrashSession: r.crashSession,
		CommitEvery:  r.commitEvery().Seconds() * r.cfg.Speedup,
	}
}

// commitEvery is how often a worker commits, wall time: every 0.2
// scenario seconds, or every 40 ms of wall time when that is longer (at
// ×30 a commit every 6.7 ms was a fifth of the run's CPU), but at least
// once a scenario second, so the offset lag never holds more than a
// second of a group's capacity of processed records: the backlog
// verdicts' floor.
func (r *run) commitEvery() time.Duration {
	return max(r.cfg.wall(0.2), min(40*time.Millisecond, r.cfg.wall(1)))
}

// fetchWait is how long a worker of group g may let its fetch wait on
// the broker to fill (consumer.WorkerConfig.FetchWait): franz-go's least,
// fetchBatchWait, so a worker that keeps up makes at most 100 fetches a
// second, not one per record. What it waits for, fetchFill, bounds the
// wait in scenario time too.
//
// None where batching saves nothing: when the group's peak input comes to
// at most a record per fetchBatchWait per worker in wall time, a fetch per
// record is no dearer, and a worker with nothing to read then waits on the
// broker for seconds instead of fetching nothing every 10 ms (at ×1 the
// flash sale's eleven idle workers made 1,100 empty fetches a second, 0.1
// core of the harness's and the cluster's CPU) while no record waits for
// a fill. None either in a scenario that judges latency percentiles.
func (r *run) fetchWait(g scenario.Group) time.Duration {
	if r.judgesLatency() {
		return 0
	}
	rate, _ := r.sc.PeakInput(g)
	perWorker := rate * r.cfg.Speedup / float64(max(r.sc.ActiveWorkers(g), 1))
	if perWorker*fetchBatchWait.Seconds() <= 1 {
		return 0
	}
	return fetchBatchWait
}

// fetchBatchWait is a batched fetch's longest wait on the broker.
const fetchBatchWait = 10 * time.Millisecond

// fetchFillS is the most scenario time a worker's fetch waits to fill at
// the group's peak input: its backlog then holds at most that much of its
// share of the input more than a fetch per record would leave, at 100
// events/s 25 events, a sixth of the floor of one second of capacity.
const fetchFillS = 0.25

// fetchFill is the bytes a worker's batched fetch waits for
// (consumer.WorkerConfig.FetchMinBytes): its share of the group's peak
// input over fetchFillS, counted at the smallest payload (a record's own
// overhead only makes it fill sooner). A fetch answers once it holds
// that much or after fetchWait, whichever comes first, so however slow
// the input, a worker's extra backlog is at most this many bytes'
// records: λ_peak/workers · fetchFillS. At ×30 the fill takes 8 ms of
// wall time at the peak; at ×60 4 ms.
func (r *run) fetchFill(g scenario.Group) int32 {
	rate, size := r.sc.PeakInput(g)
	workers := max(r.sc.ActiveWorkers(g), 1)
	b := rate / float64(workers) * fetchFillS * float64(size)
	return int32(min(max(b, 1), 64<<10))
}

// quantum is the producers' and the workers' shortest sleep
// (producer.Config.Quantum, consumer.WorkerConfig.Quantum): 2 ms of wall
// time, at most 0.05 scenario seconds, so an event is never sent more than
// 0.05 s of scenario late nor a record processed more than that early
// (for the seed's analytics, 120/s, 6 records of an 18,000 peak); none in
// a scenario that judges latency percentiles (a group with random service
// times), where every millisecond counts.
func (r *run) quantum() time.Duration {
	if r.judgesLatency() {
		return 0
	}
	return min(2*time.Millisecond, r.cfg.wall(0.05))
}

// judgesLatency reports whether a group of the scenario has random service
// times, whose latency percentiles the verdict compares with queueing
// theory's.
func (r *run) judgesLatency() bool {
	for _, g := range r.sc.Groups {
		if g.Service != nil {
			return true
		}
	}
	return false
}
