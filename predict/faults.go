package predict

import (
	"time"

	"github.com/backlogbench/backlogbench/model"
	"github.com/backlogbench/backlogbench/scenario"
)

// DefaultCrashSession is the session timeout of a group with a
// crash-worker fault on the embedded broker, wall time: a crashed
// worker's partitions move on that long after the crash.
const DefaultCrashSession = 2 * time.Second

// DefaultRebalancePause is how long, in wall time, a group's workers
// process nothing at a rebalance: every member revokes everything (the
// range balancer is eager), rejoins, and fetches its committed offsets
// again. On the embedded broker at ×10, a remove-worker, an add-worker
// and a crash's rebalance each left the observed backlog 5–15 events
// above the prediction without a pause, at 60–90 events/s of capacity:
// about 0.1 s of scenario time, 10 ms of wall time.
const DefaultRebalancePause = 10 * time.Millisecond

// DefaultJoinDelay is how long, in wall time, an added worker takes to
// start the rebalance that gives it partitions: the group's members
// learn of its join at their next heartbeat (every 100 ms), half an
// interval on average, and keep their partitions until then. At ×10 the
// observed backlog of a group with an add-worker fault went on growing
// for 0.7 s or more after the fault (the peak's sample 0.8–1.8 s after
// it).
const DefaultJoinDelay = 50 * time.Millisecond

// Timing is how the harness plays worker faults, for the model: the wall
// times it takes, converted to scenario time by Speedup.
type Timing struct {
	// Speedup is the run's: a wall duration d is d·Speedup of scenario
	// time. The default is 1.
	Speedup float64
	// CrashSession is the session timeout of a group with a crash-worker
	// fault (wall). The default is DefaultCrashSession.
	CrashSession time.Duration
	// RebalancePause is how long every worker of a group stops at each
	// rebalance (wall). The default is DefaultRebalancePause; a negative
	// value is none.
	RebalancePause time.Duration
	// JoinDelay is how long an added worker takes to join (wall). The
	// default is DefaultJoinDelay; a negative value is none.
	JoinDelay time.Duration
	// CommitEvery is how often, in scenario seconds, an at-least-once
	// worker commits what it processed: a crash leaves on average half of
	// it uncommitted, to be processed again. The default is 0.2 s.
	CommitEvery float64
	// Poll is the scenario time of capacity one poll (one transaction of
	// an exactly-once worker) holds: a crash aborts on average half of
	// one. The default is the group's max_poll_records at its largest
	// capacity per worker: 0.25 s unless its fetch block sets it.
	Poll float64
}

func (tm Timing) withDefaults() Timing {
	if tm.Speedup <= 0 {
		tm.Speedup = 1
	}
	if tm.CrashSession <= 0 {
		tm.CrashSession = DefaultCrashSession
	}
	if tm.RebalancePause == 0 {
		tm.RebalancePause = DefaultRebalancePause
	}
	if tm.JoinDelay == 0 {
		tm.JoinDelay = DefaultJoinDelay
	}
	if tm.CommitEvery <= 0 {
		tm.CommitEvery = 0.2
	}
	return tm
}

// scenario converts a wall duration to scenario seconds.
func (tm Timing) scenario(d time.Duration) float64 { return max(d.Seconds(), 0) * tm.Speedup }

// modelFaults returns the group's worker faults as the model takes them,
// the rebalance pause and each member's redo at a rebalance, in scenario
// seconds.
//
// A crash's redone records are what its worker processed and had not
// committed: an at-least-once worker commits every CommitEvery, an
// exactly-once one at the end of each poll's transaction, so the model
// takes half of that interval of the worker's capacity at the crash,
// μ_w(t)·CommitEvery/2 or μ_w(t)·Poll/2 (at most 0.2 s of one worker's
// capacity: under the verdicts' floor of a second of the group's). An
// exactly-once group also aborts the open transaction of every member at
// each rebalance (a leaving worker its cut batch): half a poll each,
// which the model takes as μ_w(t)·Poll/2 per member (RebalanceRedo), at
// most half the member's backlog (a poll holds no more than that).
// An at-least-once worker commits on revoke and on leaving: nothing is
// redone.
func modelFaults(sc *scenario.Scenario, name string, tm Timing) (faults []model.Fault, pause, redo float64) {
	tm = tm.withDefaults()
	g := sc.Groups[name]
	perWorker := g.CapacitySchedule().Scaled(1 / float64(g.Workers))
	if tm.Poll <= 0 {
		// The group's max_poll_records at its largest per-worker
		// capacity: a quarter of a second by default.
		if top := g.MaxCapacity(); top > 0 {
			tm.Poll = float64(g.FetchSettings().MaxPollRecords) / (top / float64(g.Workers))
		} else {
			tm.Poll = 0.25
		}
	}
	eos := g.Delivery == scenario.ExactlyOnce
	if eos {
		redo = tm.Poll / 2
	}
	for _, f := range sc.Faults {
		if f.Group != name {
			continue
		}
		mf := model.Fault{At: f.At.Seconds()}
		switch f.Action {
		case scenario.RemoveWorker:
			mf.Kind = model.RemoveWorker
			if eos {
				mf.Redo = perWorker.Rate(mf.At) * tm.Poll / 2
			}
		case scenario.AddWorker:
			mf.Kind = model.AddWorker
			mf.Join = tm.scenario(tm.JoinDelay)
		case scenario.CrashWorker:
			mf.Kind = model.CrashWorker
			mf.Session = tm.scenario(tm.CrashSession)
			open := tm.CommitEvery
			if eos {
				open = tm.Poll
			}
			mf.Redo = perWorker.Rate(mf.At) * open / 2
		default:
			continue
		}
		faults = append(faults, mf)
	}
	return faults, tm.scenario(tm.RebalancePause), redo
}
