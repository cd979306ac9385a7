package bench

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/backlogbench/backlogbench/consumer"
	"github.com/backlogbench/backlogbench/predict"
	"github.com/backlogbench/backlogbench/producer"
	"github.com/backlogbench/backlogbench/rate"
	"github.com/backlogbench/backlogbench/results"
	"github.com/backlogbench/backlogbench/scenario"
	"github.com/backlogbench/backlogbench/verdict"
)

// The result's figures: the summary from the prediction before the run,
// then the observed figures and verdicts from what the run measured.

func newSummary(sc *scenario.Scenario, cfg Config, preds []predict.GroupPrediction) results.Summary {
	s := results.Summary{
		Scenario:  sc.Name,
		Speedup:   cfg.Speedup,
		Broker:    "embedded",
		Tolerance: sc.Tolerance,
		Producers: map[string]results.ProducerSummary{},
		Groups:    map[string]results.GroupSummary{},
	}
	if len(cfg.Brokers) > 0 {
		s.Broker = strings.Join(cfg.Brokers, ",")
	}
	for _, name := range sc.ProducerNames() {
		p := producer.Pacer{Schedule: sc.Producers[name].Schedule()}
		s.Producers[name] = results.ProducerSummary{TargetEvents: int64(p.Total())}
	}
	for _, p := range preds {
		g := sc.Groups[p.Name]
		gs := results.GroupSummary{
			Workers:       g.Workers,
			ActiveWorkers: p.ActiveWorkers,
			Delivery:      g.Delivery,
			Dedup:         g.Dedup,
			FloorEvents:   p.Floor(g.Workers),
			Predicted:     p.Predicted(),
		}
		if e, ok := sc.Expect[p.Name]; ok {
			gs.Expected = &results.ExpectFigures{Events: e.Events, PeakBacklog: e.PeakBacklog, PeakAtS: e.PeakAtS, GrowthRate: e.GrowthRate, DrainedAtS: e.DrainedAtS}
		}
		s.Groups[p.Name] = gs
	}
	return s
}

// predictDuplicates fills a group's predicted duplicates from the causes
// its scenario injects and the harness saw: every resend of an event on
// its topics is delivered once more (exact), every record appended by a
// faulted produce is appended again by the retry (exact), a crashed
// worker's uncommitted records are redelivered, and so are the records of
// every exactly-once transaction that ended aborted (at most that many:
// the workers count them, a rebalance aborting every member's open
// transaction, see consumer.WorkerConfig.OnAbort). A clean rebalance of
// at-least-once workers commits before handing partitions over, so it
// adds none.
func predictDuplicates(sc *scenario.Scenario, group string, p results.Predicted, resent map[string]int64, ws *workerSet, pf *produceFaults) results.Predicted {
	var exact int64
	for _, t := range sc.Groups[group].Topics {
		exact += resent[t]
		if pf != nil {
			exact += pf.get(t) // non-idempotent records only
		}
	}
	p.DuplicatesUpstream = exact
	bounded := false
	var bound int64
	if ws != nil {
		ws.mu.Lock()
		rebalances := ws.crashes + ws.rebalances
		ws.mu.Unlock()
		eos := sc.Groups[group].Delivery == scenario.ExactlyOnce
		bounded = ws.crashes > 0 || ws.aborts.Load() > 0 || eos && rebalances > 0
		bound = ws.uncommitted.Load() + ws.aborted.Load()
	}
	if bounded {
		m := exact + bound
		p.DuplicatesMax = &m
	} else {
		p.Duplicates = &exact
	}
	return p
}

// lostEvents counts the events acknowledged to a producer feeding group
// and never delivered to it, id by id: the audit's record of each event
// against the producers' record of each acknowledgement.
func lostEvents(sc *scenario.Scenario, group string, pstats []*producer.Stats, gst *consumer.Stats) int64 {
	var lost int64
	for i, name := range sc.ProducerNames() {
		if !slices.Contains(sc.Groups[group].Topics, sc.Producers[name].Topic) {
			continue
		}
		id := uint32(i + 1) // producer ids are the name order, from 1
		sent := uint64(pstats[i].Sent.Load())
		for seq := range sent {
			if pstats[i].WasAcked(seq) && gst.Audit.Count(id, seq) == 0 {
				lost++
			}
		}
	}
	return lost
}

// A stretch without a sample longer than stallTicks sampling intervals
// and stallWall seconds of wall time is a stall of the whole run. On the
// embedded broker a shortfall of the producers that they make up within
// hiccupTicks sampling intervals or hiccupWall seconds of wall time,
// whichever is longer, is a hiccup of the whole process.
const (
	stallTicks  = 3
	stallWall   = 0.1
	hiccupTicks = 5
	hiccupWall  = 0.5
)

// replayHiccups returns the acknowledged input the conditional prediction
// takes: the whole run standing still (a gap in the samples), and on the
// embedded broker any shortfall the producers made up soon after, are
// time neither side lost (see predict.Acked.Replay and Smooth). It notes
// each stall in s.
func (r *Result) replayHiccups(acked predict.Acked, s *results.Summary) predict.Acked {
	var intended []rate.Schedule
	for _, name := range r.Scenario.ProducerNames() {
		intended = append(intended, r.Scenario.Producers[name].Schedule())
	}
	tick := acked.Tick()
	stalls := acked.Stalls(max(stallTicks*tick, stallWall*s.Speedup))
	if len(stalls) > 0 {
		acked = acked.Replay(intended, stalls)
		for _, st := range stalls {
			s.Notes = append(s.Notes, fmt.Sprintf("harness: the whole run stood still at t=%.1f–%.1f s (no sample for %.1f s of scenario time): the conditional prediction takes it as time neither the producers nor the workers lost, as they caught up after it",
				st[0], st[1], st[1]-st[0]))
		}
	}
	if r.order == predict.Embedded {
		acked = acked.Smooth(intended, max(hiccupTicks*tick, hiccupWall*s.Speedup))
	}
	return acked
}

// outageSlack is how far, in wall time, a recorded outage's ends can be
// from the broker's: the watchdog looks every 250 ms at most.
const outageSlack = 0.25

// outageWindows returns the outages as scenario-second windows.
func outageWindows(os []results.Outage) [][2]float64 {
	w := make([][2]float64, len(os))
	for i, o := range os {
		w[i] = [2]float64{o.FromS, o.ToS}
	}
	return w
}

// workerFaults names the worker faults of a group ("" when none).
func workerFaults(sc *scenario.Scenario, group string) string {
	var names []string
	for _, f := range sc.Faults {
		if f.Group == group && !slices.Contains(names, f.Action) {
			names = append(names, f.Action)
		}
	}
	return strings.Join(names, " and ")
}

// unmodelled names the faults that touch a group and that the model
// leaves out: produce errors on a topic it reads (whose retries hold
// events back and then deliver them in a burst), and on a Kafka broker a
// crash of an exactly-once worker. Its open transaction can hold the
// partitions it had until the broker aborts it, 10 s (the workers'
// transaction timeout) or more after it began: the real-Kafka crash test
// saw the ledger's partitions wait 17 s of wall time once and not at all
// another time. The embedded broker does not hold them. Other worker
// faults are in the prediction. "" when none.
func unmodelled(sc *scenario.Scenario, group string, order predict.Order) string {
	for _, f := range sc.Faults {
		if f.Action == scenario.ProduceErrors && (f.Topic == "" || slices.Contains(sc.Groups[group].Topics, f.Topic)) {
			return f.Action
		}
	}
	if order == predict.Embedded || sc.Groups[group].Delivery != scenario.ExactlyOnce {
		return ""
	}
	for _, f := range sc.Faults {
		if f.Group == group && f.Action == scenario.CrashWorker {
			return "crash-worker's open transaction, which a Kafka broker may hold for 10 s of wall time or more"
		}
	}
	return ""
}

// finish fills the observed figures and verdicts from the samples.
func (r *Result) finish(complete bool, pstats []*producer.Stats, gstats []*consumer.Stats, wsets map[string]*workerSet, pf *produceFaults, effects map[string]committedEffects) {
	s := &r.Summary
	s.Complete = complete
	resentByTopic := map[string]int64{}
	for i, name := range r.Scenario.ProducerNames() {
		p := s.Producers[name]
		p.Acked, p.Failed = pstats[i].Acked.Load(), pstats[i].Failed.Load()
		p.Resent = pstats[i].ResentAcked.Load()
		sl := pstats[i].Slip()
		p.Harness = &results.ProducerHarness{SlipP99S: predict.Round(sl.P99, 3), SlipMaxS: predict.Round(sl.Max, 3), SlipMaxAt: predict.Round(sl.MaxAt, 1), LateEvents: sl.Late}
		if sl.Late > 0 {
			p.Harness.LateFromS, p.Harness.LateToS = predict.Round(sl.LateFrom, 1), predict.Round(sl.LateTo, 1)
			s.Notes = append(s.Notes, fmt.Sprintf("harness: producer %s fell %.1f s behind schedule (at t=%.0f s); %d events sent more than %g s late, intended t=%.0f–%.0f s: figures after that are not the scenario as written",
				name, sl.Max, sl.MaxAt, sl.Late, producer.LateAfter, sl.LateFrom, sl.LateTo))
		}
		s.Producers[name] = p
		resentByTopic[r.Scenario.Producers[name].Topic] += p.Resent
	}
	passed := complete
	acked := predict.Acked{T: make([]float64, len(r.Samples)), Counts: make([][]int64, len(r.Scenario.ProducerNames()))}
	for i := range acked.Counts {
		acked.Counts[i] = make([]int64, len(r.Samples))
	}
	for k, smp := range r.Samples {
		acked.T[k] = smp.T
		for i := range acked.Counts {
			acked.Counts[i][k] = smp.Acked[i]
		}
	}
	acked = r.replayHiccups(acked, s)
	for gi, pred := range r.Predictions {
		gs := s.Groups[pred.Name]
		obs := results.Observed{Figures: verdict.Observe(r.Samples, gi, pred)}
		obs.Redelivered = gstats[gi].Redelivered.Load()
		obs.LatencyMs = r.Latency[pred.Name].Millis()
		obs.MaxOffsetLag = verdict.MaxOffsetLag(r.Samples, gi)
		obs.MaxTimeLagS = predict.Round(verdict.MaxTimeLag(r.Samples, gi), 3)
		obs.MaxCommitTimeLagS = predict.Round(verdict.MaxCommitTimeLag(r.Samples, gi), 3)
		obs.Lost = lostEvents(r.Scenario, pred.Name, pstats, gstats[gi])
		if !complete {
			// The run stopped before the group could drain: what it has not
			// processed yet is unprocessed, not lost.
			obs.Unprocessed, obs.Lost = obs.Lost, 0
		}
		gst := gstats[gi]
		obs.Delivered = gst.Delivered.Load() - gst.Foreign.Load()
		obs.Unique = gst.Processed.Load()
		obs.DuplicatesDelivered = obs.Delivered - obs.Unique
		obs.DuplicatesSuppressed = gst.Suppressed.Load()
		obs.AppliedTwice = gst.AppliedTwice.Load()
		obs.OutOfOrder = gst.Skipped.Load() + gst.Redelivered.Load()
		obs.Effects = results.Effects{Applied: gst.Applied.Load(), Points: gst.Points.Load(), PointsExpected: gst.UniquePoints.Load()}
		eos := r.Scenario.Groups[pred.Name].Delivery == scenario.ExactlyOnce
		if e, ok := effects[pred.Name]; ok && eos {
			// The effects are what read_committed readers of the output
			// topic see, not what the workers did.
			obs.Effects.Applied, obs.Effects.Points = e.Records, e.Points
			obs.AppliedTwice = e.Records - e.Unique
		}
		gs.Observed = obs
		if b, w := gst.Behind(); w >= 0 {
			gs.Harness = &results.WorkerHarness{BehindMaxS: predict.Round(b.MaxS, 3), BehindMaxAt: predict.Round(b.MaxAt, 1), BehindWorker: w, LateRecords: b.Late}
			if b.Late > 0 {
				gs.Harness.LateFromS, gs.Harness.LateToS = predict.Round(b.LateFrom, 1), predict.Round(b.LateTo, 1)
				s.Notes = append(s.Notes, fmt.Sprintf("harness: group %s's workers fell %.1f s behind their capacity (worker %d at t=%.0f s); %d records processed more than %g s behind it, t=%.0f–%.0f s, then caught up above capacity: figures then are not the scenario as written",
					pred.Name, b.MaxS, w, b.MaxAt, b.Late, consumer.LateAfter, b.LateFrom, b.LateTo))
			}
		} else {
			gs.Harness = &results.WorkerHarness{BehindWorker: -1}
		}
		gs.Predicted = predictDuplicates(r.Scenario, pred.Name, gs.Predicted, resentByTopic, wsets[pred.Name], pf)
		if ws := wsets[pred.Name]; ws != nil && ws.aborts.Load() > 0 {
			s.Notes = append(s.Notes, fmt.Sprintf("%s: %d transactions aborted while the run went on, with %d records processed in them, which their partitions' next owners deliver again",
				pred.Name, ws.aborts.Load(), ws.aborted.Load()))
		}
		gs.Verdicts = verdict.Verdicts(gs.Predicted.Figures, obs.Figures, s.Tolerance, gs.FloorEvents)
		// The model counts ∫λ events, a producer sends ⌈∫λ⌉: allow one
		// event per producer the group reads.
		gs.Verdicts["events"] = verdict.Of(verdict.Within(gs.Predicted.Events, obs.Events, s.Tolerance, float64(len(r.Scenario.Inputs(r.Scenario.Groups[pred.Name])))))
		if math.IsInf(pred.DrainedAtS, 1) {
			// Predicted never to drain: it processes fewer events than it
			// receives, and what it holds at the end is not lost.
			delete(gs.Verdicts, "events")
			obs.Unprocessed += obs.Lost
			obs.Lost = 0
			gs.Observed = obs
			s.Notes = append(s.Notes, fmt.Sprintf("%s: predicted never to drain (its capacity ends at 0): the run did not wait for it, and what it still holds is not counted as lost", pred.Name))
		}
		if _, ok := gs.Verdicts["growth_rate"]; ok && !verdict.GrowthJudged(pred) {
			delete(gs.Verdicts, "growth_rate")
			s.Notes = append(s.Notes, fmt.Sprintf("%s: growth_rate reported, not judged: the predicted steepest stretch lasts under %ds (a ramp peaks for an instant), too short to fit", pred.Name, verdict.MinGrowthWindow))
		}
		if f := unmodelled(r.Scenario, pred.Name, r.order); f != "" {
			// The model has the producers' pace fixed: the group's
			// backlog figures are reported, not judged.
			for _, m := range []string{"peak_backlog", "peak_at_s", "growth_rate", "drained_at_s"} {
				delete(gs.Verdicts, m)
			}
			s.Notes = append(s.Notes, fmt.Sprintf("%s: backlog figures and time lag not judged: the fluid model does not include the %s", pred.Name, f))
		}
		for k, v := range verdict.Latency(gs.Predicted, obs, s.Tolerance) {
			gs.Verdicts[k] = v
		}
		// The time lag follows the workers' fetches, which the model plays
		// with a fixed set of workers: not judged where faults move
		// partitions or hold events back.
		switch w := workerFaults(r.Scenario, pred.Name); {
		case unmodelled(r.Scenario, pred.Name, r.order) != "":
		case w != "":
			s.Notes = append(s.Notes, fmt.Sprintf("%s: time lag not judged: the model of the workers' fetches does not include the %s", pred.Name, w))
		default:
			for k, v := range verdict.TimeLag(gs.Predicted, obs, s.Tolerance, gs.FloorEvents) {
				gs.Verdicts[k] = v
			}
		}
		if complete {
			gs.Verdicts["lost"] = verdict.Of(obs.Lost == 0)
			for k, v := range verdict.Delivery(r.Scenario.Groups[pred.Name], gs.Predicted, obs) {
				gs.Verdicts[k] = v
			}
			// A partition's offsets are processed in order: never skipped
			// (that record would be missing), rewound only when a worker
			// fault handed the partition over before its commit.
			rewound := gst.Redelivered.Load()
			gs.Verdicts["out_of_order"] = verdict.Of(gst.Skipped.Load() == 0 && (rewound == 0 || workerFaults(r.Scenario, pred.Name) != "" || len(s.Outages) > 0))
		}
		if gs.Expected != nil {
			for k, v := range verdict.ExpectVerdicts(*gs.Expected, obs.Figures, s.Tolerance, gs.FloorEvents) {
				gs.Verdicts[k] = v
			}
		}
		if len(r.Samples) > 1 {
			cond := predict.Conditional(r.Scenario, pred.Name, gs.Assignment, acked, r.order, r.timing)
			for k := range r.Samples {
				r.Samples[k].Groups[gi].Conditional = cond.Curve.Backlog(r.Samples[k].T)
			}
			cf := cond.Figures()
			gs.Predicted.Conditional = &cf
			cv := verdict.Verdicts(cf, obs.Figures, s.Tolerance, gs.FloorEvents)
			var slipped []string
			// Not growth_rate: a burst of acknowledgements after a stall is
			// the conditional input's steepest stretch, not a growth phase.
			for _, m := range []string{"peak_backlog", "peak_at_s", "drained_at_s"} {
				v, ok := cv[m]
				if _, judged := gs.Verdicts[m]; !ok || !judged {
					continue
				}
				gs.Verdicts["conditional."+m] = v
				if v == verdict.Pass && gs.Verdicts[m] == verdict.Fail {
					slipped = append(slipped, m)
				}
			}
			if len(slipped) > 0 {
				s.Notes = append(s.Notes, fmt.Sprintf("%s: %s fail against the scenario's prediction but pass against the conditional one (the model fed the input the broker acknowledged): the harness or the broker did not play the scenario as written; the consumers behaved as modelled", pred.Name, strings.Join(slipped, ", ")))
			}
		}
		if len(s.Outages) > 0 {
			// The broker was down: the scenario was not played as written,
			// and what a worker processed but could not commit is
			// delivered again after the outage (a bound the run cannot
			// know). Loss is still judged, id by id, and so is a dedup
			// store's or a transaction's applying nothing twice.
			drop := []string{"peak_backlog", "peak_at_s", "growth_rate", "drained_at_s", "max_time_lag_s", "duplicates_delivered", "duplicates_suppressed",
				"expect.peak_backlog", "expect.peak_at_s", "expect.growth_rate", "expect.drained_at_s",
				"conditional.peak_backlog", "conditional.peak_at_s", "conditional.growth_rate", "conditional.drained_at_s"}
			if g := r.Scenario.Groups[pred.Name]; !g.Dedup && g.Delivery != scenario.ExactlyOnce {
				drop = append(drop, "applied_twice")
			}
			for _, m := range drop {
				delete(gs.Verdicts, m)
			}
		}
		for k, v := range gs.Verdicts {
			if v != verdict.Pass {
				passed = false
				if !complete {
					// Judged on a run that stopped early: not a failure of
					// the model, and not a pass either.
					gs.Verdicts[k] = results.Incomplete
				}
			}
		}
		// A worker that failed is a failed run, but for errors while the
		// broker was down (it recorded the outage): the run rode through
		// those, and the audit judges what they did.
		if err := gst.ErrOutside(outageWindows(s.Outages), outageSlack*s.Speedup); err != nil {
			passed = false
		} else if err := gst.Err(); err != nil {
			s.Notes = append(s.Notes, fmt.Sprintf("%s: every worker error came while the broker was down: not a failure of the run", pred.Name))
		}
		s.Groups[pred.Name] = gs
	}
	for _, p := range s.Producers {
		if p.Failed > 0 {
			passed = false
		}
	}
	if len(s.Outages) > 0 {
		var ws []string
		for _, o := range s.Outages {
			ws = append(ws, fmt.Sprintf("t=%s–%ss", strconv.FormatFloat(o.FromS, 'f', -1, 64), strconv.FormatFloat(o.ToS, 'f', -1, 64)))
		}
		s.Notes = append(s.Notes, fmt.Sprintf("broker outage at %s: backlog and duplicate figures reported, not judged (the scenario was not played as written); loss still judged", strings.Join(ws, ", ")))
	}
	s.Passed = passed
	s.CriticalPath = criticalPathSummary(r.Scenario, s.Speedup, pstats)
}

// criticalPathSummary returns the critical path's predicted chains and
// the publish latency measured by the producers; nil without a critical
// path.
func criticalPathSummary(sc *scenario.Scenario, speedup float64, pstats []*producer.Stats) *results.CriticalPathSummary {
	cp := predict.CriticalPath(sc)
	if cp == nil {
		return nil
	}
	s := &results.CriticalPathSummary{CriticalPathChains: *predict.CriticalPathChains(sc)}
	h := hdrhistogram.New(1, 7*24*3600*1_000_000, 3)
	for _, st := range pstats {
		h.Merge(st.PublishLatency())
	}
	s.PublishMs = (&results.LatencyHistogram{Histogram: h}).Millis()
	if speedup <= 0 {
		speedup = 1
	}
	s.PublishMs = results.LatencyMs{P50: predict.Round(s.PublishMs.P50/speedup, 3), P99: predict.Round(s.PublishMs.P99/speedup, 3), Max: predict.Round(s.PublishMs.Max/speedup, 3)}
	if len(cp.Moved) > 0 {
		s.AsyncWithPublishMs = results.LatencyMs{P50: predict.Round(s.AsyncLatencyMs+s.PublishMs.P50, 3), P99: predict.Round(s.AsyncLatencyMs+s.PublishMs.P99, 3), Max: predict.Round(s.AsyncLatencyMs+s.PublishMs.Max, 3)}
	} else {
		s.AsyncWithPublishMs = results.LatencyMs{P50: s.AsyncLatencyMs, P99: s.AsyncLatencyMs, Max: s.AsyncLatencyMs}
	}
	return s
}
