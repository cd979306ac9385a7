package bench

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/backlogbench/backlogbench/consumer"
	"github.com/backlogbench/backlogbench/producer"
	"github.com/backlogbench/backlogbench/scenario"
)

// Summary is summary.json: every predicted and observed figure of a run
// with its verdict. All figures are in scenario units.
type Summary struct {
	Scenario  string                     `json:"scenario"`
	Speedup   float64                    `json:"speedup"`
	Complete  bool                       `json:"complete"`
	Passed    bool                       `json:"passed"`
	Broker    string                     `json:"broker"`
	Tolerance float64                    `json:"tolerance"`
	WallS     float64                    `json:"wall_s"`
	Producers map[string]ProducerSummary `json:"producers"`
	Groups    map[string]GroupSummary    `json:"groups"`
	Notes     []string                   `json:"notes,omitempty"`
	// CriticalPath is the scenario's critical path, predicted, with the
	// publish latency measured.
	CriticalPath *CriticalPathSummary `json:"critical_path,omitempty"`
}

// ProducerSummary is one producer's counts.
type ProducerSummary struct {
	TargetEvents int64 `json:"target_events"`
	Acked        int64 `json:"acked"`
	Failed       int64 `json:"failed"`
	// Resent counts the events sent a second time (upstream resends) and
	// acknowledged.
	Resent int64 `json:"resent"`
}

// GroupSummary is one group's figures.
type GroupSummary struct {
	Workers       int `json:"workers"`
	ActiveWorkers int `json:"active_workers"`
	// Delivery is the group's delivery mode and Dedup whether it keeps a
	// dedup store.
	Delivery    string  `json:"delivery"`
	Dedup       bool    `json:"dedup"`
	FloorEvents float64 `json:"floor_events"`
	// Assignment is each worker's partitions by topic, as the group got it.
	Assignment []map[string][]int32 `json:"assignment"`
	Predicted  Predicted            `json:"predicted"`
	Observed   Observed             `json:"observed"`
	Expected   *ExpectFigures       `json:"expected,omitempty"`
	Verdicts   map[string]string    `json:"verdicts"`
}

// Predicted is a group's predicted figures: the model's, and the
// duplicates its scenario's causes make, exactly (Duplicates) or at most
// (DuplicatesMax, when a crash is among them).
type Predicted struct {
	Figures
	Duplicates    *int64 `json:"duplicates,omitempty"`
	DuplicatesMax *int64 `json:"duplicates_max,omitempty"`
	// LatencyMs is the predicted end-to-end latency; MaxTimeLagS the
	// largest predicted time lag (fluid FIFO), nil when some event is
	// never processed.
	LatencyMs   *PredictedLatency `json:"latency_ms,omitempty"`
	MaxTimeLagS *float64          `json:"max_time_lag_s,omitempty"`
	// DuplicatesUpstream is the exact part of the duplicates: events
	// resent or appended twice before any consumer saw them. They are
	// distinct records, so even an exactly-once group applies each of them
	// (only a dedup store, keyed by event id, can tell).
	DuplicatesUpstream int64 `json:"duplicates_upstream"`
}

// Observed is a group's measured figures.
type Observed struct {
	Figures
	// Lost counts events acked on the group's topics and never processed
	// by it, once the run has drained.
	Lost int64 `json:"lost"`
	// Delivered counts every delivery; Unique the events delivered at
	// least once.
	Delivered int64 `json:"delivered"`
	Unique    int64 `json:"unique"`
	// DuplicatesDelivered = Delivered − Unique: deliveries of an event
	// already delivered. DuplicatesSuppressed are those the group's dedup
	// store kept from being applied; AppliedTwice those applied again.
	DuplicatesDelivered  int64 `json:"duplicates_delivered"`
	DuplicatesSuppressed int64 `json:"duplicates_suppressed"`
	AppliedTwice         int64 `json:"applied_twice"`
	// OutOfOrder counts offsets a partition's processing skipped or
	// rewound to (Kafka's VerifiableConsumer check).
	OutOfOrder int64 `json:"out_of_order"`
	// Effects are the side effects applied: one per application, and the
	// points they added against the points of the unique events.
	Effects Effects `json:"effects"`
	// Redelivered counts records processed again at an offset already
	// processed (after a rebalance or a crash).
	Redelivered  int64     `json:"redelivered"`
	LatencyMs    LatencyMs `json:"latency_ms"`
	MaxOffsetLag int64     `json:"max_offset_lag"`
	MaxTimeLagS  float64   `json:"max_time_lag_s"`
}

// Effects are a group's counted side effects: loyalty adds an order's
// points, email sends a receipt, analytics counts; an effect applied twice
// shows as Points above PointsExpected.
type Effects struct {
	Applied        int64 `json:"applied"`
	Points         int64 `json:"points"`
	PointsExpected int64 `json:"points_expected"`
}

// LatencyMs holds end-to-end latency percentiles in scenario milliseconds.
type LatencyMs struct {
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// LatencyHistogram is a group's end-to-end latency, from each event's
// intended send time to its processing, in scenario microseconds.
type LatencyHistogram struct{ *hdrhistogram.Histogram }

// Millis returns the p50, p99 and max in milliseconds.
func (h *LatencyHistogram) Millis() LatencyMs {
	if h == nil || h.Histogram == nil || h.TotalCount() == 0 {
		return LatencyMs{}
	}
	return LatencyMs{
		P50: float64(h.ValueAtQuantile(50)) / 1000,
		P99: float64(h.ValueAtQuantile(99)) / 1000,
		Max: float64(h.Max()) / 1000,
	}
}

func newSummary(sc *scenario.Scenario, cfg Config, preds []GroupPrediction) Summary {
	s := Summary{
		Scenario:  sc.Name,
		Speedup:   cfg.Speedup,
		Broker:    "embedded",
		Tolerance: sc.Tolerance,
		Producers: map[string]ProducerSummary{},
		Groups:    map[string]GroupSummary{},
	}
	if len(cfg.Brokers) > 0 {
		s.Broker = joinComma(cfg.Brokers)
	}
	for _, name := range sc.ProducerNames() {
		p := producer.Pacer{Schedule: sc.Producers[name].Schedule()}
		s.Producers[name] = ProducerSummary{TargetEvents: int64(p.Total())}
	}
	for _, p := range preds {
		g := sc.Groups[p.Name]
		gs := GroupSummary{
			Workers:       g.Workers,
			ActiveWorkers: p.ActiveWorkers,
			Delivery:      g.Delivery,
			Dedup:         g.Dedup,
			FloorEvents:   p.Floor(g.Workers),
			Predicted:     withPredictedLatency(Predicted{Figures: p.Figures()}, p),
		}
		if e, ok := sc.Expect[p.Name]; ok {
			gs.Expected = &ExpectFigures{Events: e.Events, PeakBacklog: e.PeakBacklog, PeakAtS: e.PeakAtS, GrowthRate: e.GrowthRate, DrainedAtS: e.DrainedAtS}
		}
		s.Groups[p.Name] = gs
	}
	return s
}

// predictDuplicates fills a group's predicted duplicates from the causes
// its scenario injects: every resend of an event on its topics is
// delivered once more (exact), every record appended by a faulted produce
// is appended again by the retry (exact), and a crashed worker's
// uncommitted records are redelivered (at most that many). A clean
// rebalance commits before handing partitions over, so it adds none.
func predictDuplicates(sc *scenario.Scenario, group string, p Predicted, resent map[string]int64, ws *workerSet, pf *produceFaults) Predicted {
	var exact int64
	for _, t := range sc.Groups[group].Topics {
		exact += resent[t]
		if pf != nil {
			exact += pf.get(t) // non-idempotent records only
		}
	}
	p.DuplicatesUpstream = exact
	crashed := false
	var bound int64
	if ws != nil {
		ws.mu.Lock()
		crashed = ws.crashes > 0
		rebalances := ws.crashes + ws.rebalances
		ws.mu.Unlock()
		bound = ws.uncommitted.Load()
		if g := sc.Groups[group]; g.Delivery == scenario.ExactlyOnce && rebalances > 0 {
			// A rebalance aborts every member's open transaction, whose
			// records (a poll's worth at most) are then processed again.
			crashed = true
			bound += int64(rebalances * maxWorkers(sc, group) * maxPoll(g))
		}
	}
	if crashed {
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

// faultsOn names the faults that touch a group: its worker faults, and
// produce errors on a topic it reads (whose retries hold events back and
// then deliver them in a burst). "" when none.
func faultsOn(sc *scenario.Scenario, group string) string {
	names := []string{}
	if w := workerFaults(sc, group); w != "" {
		names = append(names, w)
	}
	for _, f := range sc.Faults {
		if f.Action != scenario.ProduceErrors || slices.Contains(names, f.Action) {
			continue
		}
		if f.Topic == "" || slices.Contains(sc.Groups[group].Topics, f.Topic) {
			names = append(names, f.Action)
		}
	}
	return strings.Join(names, " and ")
}

// deliveryVerdicts checks the audit: duplicates delivered equal the
// prediction (or stay within its bound); a group with dedup suppresses
// every one of them and applies none twice; one without applies each
// again. Effects must add up: points applied = expected points plus the
// points of what was applied twice (checked through applied_twice = 0 when
// dedup is on).
func deliveryVerdicts(g scenario.Group, p Predicted, o Observed) map[string]string {
	v := map[string]string{}
	switch {
	case p.Duplicates != nil:
		v["duplicates_delivered"] = verdict(o.DuplicatesDelivered == *p.Duplicates)
	case p.DuplicatesMax != nil:
		v["duplicates_delivered"] = verdict(o.DuplicatesDelivered <= *p.DuplicatesMax)
	}
	switch {
	case g.Delivery == scenario.ExactlyOnce:
		// Every record's effect committed once, whatever crashes and
		// rebalances redelivered: the only effects applied twice are the
		// upstream duplicates (other records with the same event id).
		v["applied_twice"] = verdict(o.AppliedTwice == p.DuplicatesUpstream && o.Effects.Applied == o.Unique+p.DuplicatesUpstream)
	case g.Dedup:
		// The dedup store (its own record of applied ids, apart from the
		// audit) suppresses every duplicate the causes made.
		switch {
		case p.Duplicates != nil:
			v["duplicates_suppressed"] = verdict(o.DuplicatesSuppressed == *p.Duplicates && o.DuplicatesSuppressed == o.DuplicatesDelivered)
		case p.DuplicatesMax != nil:
			v["duplicates_suppressed"] = verdict(o.DuplicatesSuppressed <= *p.DuplicatesMax && o.DuplicatesSuppressed == o.DuplicatesDelivered)
		}
		v["applied_twice"] = verdict(o.AppliedTwice == 0 && o.Effects.Points == o.Effects.PointsExpected)
	default:
		// Every duplicate is applied again: as many as the causes made.
		switch {
		case p.Duplicates != nil:
			v["applied_twice"] = verdict(o.AppliedTwice == *p.Duplicates)
		case p.DuplicatesMax != nil:
			v["applied_twice"] = verdict(o.AppliedTwice <= *p.DuplicatesMax)
		}
	}
	return v
}

// Floor returns the verdict floor for backlog figures: one scenario-second
// of the group's largest effective capacity.
func (p GroupPrediction) Floor(workers int) float64 {
	return p.MaxCapacity * float64(p.ActiveWorkers) / float64(workers)
}

func withAssignment(g GroupSummary, a []map[string][]int32) GroupSummary {
	g.Assignment = a
	return g
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
		s.Producers[name] = p
		resentByTopic[r.Scenario.Producers[name].Topic] += p.Resent
	}
	passed := complete
	for gi, pred := range r.Predictions {
		gs := s.Groups[pred.Name]
		obs := Observed{Figures: Observe(r.Samples, gi, pred)}
		obs.Redelivered = gstats[gi].Redelivered.Load()
		obs.LatencyMs = r.Latency[pred.Name].Millis()
		obs.MaxOffsetLag = MaxOffsetLag(r.Samples, gi)
		obs.MaxTimeLagS = round(MaxTimeLag(r.Samples, gi), 3)
		obs.Lost = lostEvents(r.Scenario, pred.Name, pstats, gstats[gi])
		gst := gstats[gi]
		obs.Delivered = gst.Delivered.Load() - gst.Foreign.Load()
		obs.Unique = gst.Processed.Load()
		obs.DuplicatesDelivered = obs.Delivered - obs.Unique
		obs.DuplicatesSuppressed = gst.Suppressed.Load()
		obs.AppliedTwice = gst.AppliedTwice.Load()
		obs.OutOfOrder = gst.Skipped.Load() + gst.Redelivered.Load()
		obs.Effects = Effects{Applied: gst.Applied.Load(), Points: gst.Points.Load(), PointsExpected: gst.UniquePoints.Load()}
		eos := r.Scenario.Groups[pred.Name].Delivery == scenario.ExactlyOnce
		if e, ok := effects[pred.Name]; ok && eos {
			// The effects are what read_committed readers of the output
			// topic see, not what the workers did.
			obs.Effects.Applied, obs.Effects.Points = e.Records, e.Points
			obs.AppliedTwice = e.Records - e.Unique
		}
		gs.Observed = obs
		gs.Predicted = predictDuplicates(r.Scenario, pred.Name, gs.Predicted, resentByTopic, wsets[pred.Name], pf)
		gs.Verdicts = Verdicts(gs.Predicted.Figures, obs.Figures, s.Tolerance, gs.FloorEvents)
		// The model counts ∫λ events, a producer sends ⌈∫λ⌉: allow one
		// event per producer the group reads.
		gs.Verdicts["events"] = verdict(within(gs.Predicted.Events, obs.Events, s.Tolerance, float64(len(r.Scenario.Inputs(r.Scenario.Groups[pred.Name])))))
		if math.IsInf(pred.DrainedAtS, 1) {
			// Predicted never to drain: it processes fewer events than it
			// receives, and what it holds at the end is not lost.
			delete(gs.Verdicts, "events")
			obs.Lost = 0
			gs.Observed.Lost = 0
			s.Notes = append(s.Notes, fmt.Sprintf("%s: predicted never to drain (its capacity ends at 0): the run did not wait for it, and what it still holds is not counted as lost", pred.Name))
		}
		if _, ok := gs.Verdicts["growth_rate"]; ok && !growthJudged(pred) {
			delete(gs.Verdicts, "growth_rate")
			s.Notes = append(s.Notes, fmt.Sprintf("%s: growth_rate reported, not judged: the predicted steepest stretch lasts under %ds (a ramp peaks for an instant), too short to fit", pred.Name, minGrowthWindow))
		}
		if f := faultsOn(r.Scenario, pred.Name); f != "" {
			// The model has the group's workers and its producers' pace
			// fixed: its backlog figures are reported, not judged.
			for _, m := range []string{"peak_backlog", "peak_at_s", "growth_rate", "drained_at_s"} {
				delete(gs.Verdicts, m)
			}
			s.Notes = append(s.Notes, fmt.Sprintf("%s: backlog figures not judged: the fluid model does not include the %s", pred.Name, f))
		}
		for k, v := range latencyVerdicts(gs.Predicted, obs, s.Tolerance) {
			gs.Verdicts[k] = v
		}
		if complete {
			gs.Verdicts["lost"] = verdict(obs.Lost == 0)
			for k, v := range deliveryVerdicts(r.Scenario.Groups[pred.Name], gs.Predicted, obs) {
				gs.Verdicts[k] = v
			}
			// A partition's offsets are processed in order: never skipped
			// (that record would be missing), rewound only when a worker
			// fault handed the partition over before its commit.
			rewound := gst.Redelivered.Load()
			gs.Verdicts["out_of_order"] = verdict(gst.Skipped.Load() == 0 && (rewound == 0 || workerFaults(r.Scenario, pred.Name) != ""))
		}
		if gs.Expected != nil {
			for k, v := range ExpectVerdicts(*gs.Expected, obs.Figures, s.Tolerance, gs.FloorEvents) {
				gs.Verdicts[k] = v
			}
		}
		for _, v := range gs.Verdicts {
			if v != Pass {
				passed = false
			}
		}
		s.Groups[pred.Name] = gs
	}
	for _, p := range s.Producers {
		if p.Failed > 0 {
			passed = false
		}
	}
	s.Passed = passed
	s.CriticalPath = criticalPathSummary(r.Scenario, s.Speedup, pstats)
}

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

func joinComma(xs []string) string {
	out := ""
	for i, x := range xs {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out
}
