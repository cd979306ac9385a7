package bench

import (
	"math"

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
}

// ProducerSummary is one producer's counts.
type ProducerSummary struct {
	TargetEvents int64 `json:"target_events"`
	Acked        int64 `json:"acked"`
	Failed       int64 `json:"failed"`
}

// GroupSummary is one group's figures.
type GroupSummary struct {
	Workers       int     `json:"workers"`
	ActiveWorkers int     `json:"active_workers"`
	FloorEvents   float64 `json:"floor_events"`
	// Assignment is each worker's partitions by topic, as the group got it.
	Assignment []map[string][]int32 `json:"assignment"`
	Predicted  Figures              `json:"predicted"`
	Observed   Observed             `json:"observed"`
	Expected   *ExpectFigures       `json:"expected,omitempty"`
	Verdicts   map[string]string    `json:"verdicts"`
}

// Observed is a group's measured figures.
type Observed struct {
	Figures
	// Lost counts events acked on the group's topics and never processed
	// by it, once the run has drained.
	Lost int64 `json:"lost"`
	// Redelivered counts records processed again at an offset already
	// processed (after a rebalance, say).
	Redelivered  int64     `json:"redelivered"`
	LatencyMs    LatencyMs `json:"latency_ms"`
	MaxOffsetLag int64     `json:"max_offset_lag"`
	MaxTimeLagS  float64   `json:"max_time_lag_s"`
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
			FloorEvents:   p.Floor(g.Workers),
			Predicted:     p.Figures(),
		}
		if e, ok := sc.Expect[p.Name]; ok {
			gs.Expected = &ExpectFigures{Events: e.Events, PeakBacklog: e.PeakBacklog, PeakAtS: e.PeakAtS, GrowthRate: e.GrowthRate, DrainedAtS: e.DrainedAtS}
		}
		s.Groups[p.Name] = gs
	}
	return s
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
func (r *Result) finish(complete bool, pstats []*producer.Stats, gstats []*consumer.Stats) {
	s := &r.Summary
	s.Complete = complete
	for i, name := range r.Scenario.ProducerNames() {
		p := s.Producers[name]
		p.Acked, p.Failed = pstats[i].Acked.Load(), pstats[i].Failed.Load()
		s.Producers[name] = p
	}
	passed := complete
	for gi, pred := range r.Predictions {
		gs := s.Groups[pred.Name]
		obs := Observed{Figures: Observe(r.Samples, gi, pred)}
		obs.Redelivered = gstats[gi].Redelivered.Load()
		obs.LatencyMs = r.Latency[pred.Name].Millis()
		obs.MaxOffsetLag = MaxOffsetLag(r.Samples, gi)
		obs.MaxTimeLagS = round(MaxTimeLag(r.Samples, gi), 3)
		if n := len(r.Samples); n > 0 {
			obs.Lost = max(0, r.Samples[n-1].Groups[gi].Backlog)
		}
		gs.Observed = obs
		gs.Verdicts = Verdicts(gs.Predicted, obs.Figures, s.Tolerance, gs.FloorEvents)
		if complete {
			gs.Verdicts["lost"] = verdict(obs.Lost == 0)
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
