package bench

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/backlogbench/backlogbench/producer"
	"github.com/backlogbench/backlogbench/scenario"
)

// LatencyTolerance is the relative tolerance of the latency verdicts (or
// the scenario's, when larger): percentiles of a random service time
// measured over tens of thousands of events still vary by a few percent
// from run to run.
const LatencyTolerance = 0.10

// PredictedLatency is a group's predicted end-to-end latency, scenario
// milliseconds, and the method that predicted it (see model.Latency).
type PredictedLatency struct {
	P50    float64 `json:"p50"`
	P99    float64 `json:"p99"`
	Method string  `json:"method"`
}

// stochastic reports whether the latency was predicted from the group's
// service-time distribution (and so is checked), rather than from the
// fluid model alone (reported beside the observed latency, unchecked: the
// fluid FIFO wait leaves out how the consumers batch their fetches).
func (l *PredictedLatency) stochastic() bool { return l != nil && l.Method != "fluid" }

// withPredictedLatency fills a group's predicted latency and largest time
// lag from its prediction.
func withPredictedLatency(p Predicted, gp GroupPrediction) Predicted {
	p.LatencyMs = nil
	if l := gp.Latency; !math.IsInf(l.P50, 1) && !math.IsInf(l.P99, 1) { // else some event is never processed
		p.LatencyMs = &PredictedLatency{P50: round(l.P50*1000, 3), P99: round(l.P99*1000, 3), Method: l.Method}
	}
	p.MaxTimeLagS = nil
	if !math.IsInf(gp.MaxTimeLagS, 1) {
		m := round(gp.MaxTimeLagS, 3)
		p.MaxTimeLagS = &m
	}
	return p
}

// latencyVerdicts checks the observed latency percentiles against a
// stochastic prediction, at the larger of LatencyTolerance and tol.
func latencyVerdicts(p Predicted, o Observed, tol float64) map[string]string {
	if !p.LatencyMs.stochastic() {
		return nil
	}
	tol = max(tol, LatencyTolerance)
	return map[string]string{
		"latency_p50": verdict(within(p.LatencyMs.P50, o.LatencyMs.P50, tol, 0)),
		"latency_p99": verdict(within(p.LatencyMs.P99, o.LatencyMs.P99, tol, 0)),
	}
}

// latencyRows returns a group's latency rows of the predicted-versus-
// observed table: p50 and p99 with their verdicts when checked, and the
// largest time lag, predicted (fluid FIFO) beside observed.
func latencyRows(g string, gs GroupSummary) [][]string {
	p := gs.Predicted
	var rows [][]string
	if p.LatencyMs.stochastic() {
		o := gs.Observed.LatencyMs
		rows = append(rows,
			[]string{g, "latency_p50_ms", fmtNum(p.LatencyMs.P50), fmtNum(o.P50), fmtErr(p.LatencyMs.P50, o.P50), gs.Verdicts["latency_p50"]},
			[]string{g, "latency_p99_ms", fmtNum(p.LatencyMs.P99), fmtNum(o.P99), fmtErr(p.LatencyMs.P99, o.P99), gs.Verdicts["latency_p99"]})
	}
	if p.MaxTimeLagS != nil && *p.MaxTimeLagS > 0 {
		rows = append(rows, []string{g, "max_time_lag_s", fmtNum(*p.MaxTimeLagS), fmtNum(gs.Observed.MaxTimeLagS), fmtErr(*p.MaxTimeLagS, gs.Observed.MaxTimeLagS), "(fluid FIFO)"})
	}
	return rows
}

// CriticalPathSummary is the scenario's critical path in summary.json: the
// all-sync chain and the async one predicted, and the publish latency
// measured (intended send to broker acknowledgement, every producer), the
// cost the async chain pays instead of the steps it moves. Latencies are
// milliseconds of real time: the steps' as written, the publish's as
// measured in wall time (a run's scenario-time latency divided by its
// speedup); availabilities are fractions.
type CriticalPathSummary struct {
	CriticalPathChains
	// PublishMs is the measured publish latency; AsyncWithPublishMs the
	// async chain with it paid (its p50, p99 and max added).
	PublishMs          LatencyMs `json:"publish_ms"`
	AsyncWithPublishMs LatencyMs `json:"async_with_publish_ms"`
}

// CriticalPathChains are the two predicted chains of a critical path:
// every step synchronous, and only the kept ones (the rest published as an
// event). Latencies in milliseconds, availabilities as fractions.
type CriticalPathChains struct {
	Sync              []string `json:"sync"`
	SyncLatencyMs     float64  `json:"sync_latency_ms"`
	SyncAvailability  float64  `json:"sync_availability"`
	Kept              []string `json:"kept"`
	Moved             []string `json:"moved"`
	AsyncLatencyMs    float64  `json:"async_latency_ms"`
	AsyncAvailability float64  `json:"async_availability"`
}

// PredictCriticalPath returns the scenario's critical-path chains, nil
// without a critical path.
func PredictCriticalPath(sc *scenario.Scenario) *CriticalPathChains {
	cp := CriticalPath(sc)
	if cp == nil {
		return nil
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	return &CriticalPathChains{
		Sync: cp.Sync.Steps, SyncLatencyMs: ms(cp.Sync.Latency), SyncAvailability: cp.Sync.Availability,
		Kept: cp.Async.Steps, Moved: cp.Moved, AsyncLatencyMs: ms(cp.Async.Latency), AsyncAvailability: cp.Async.Availability,
	}
}

// criticalPathSummary returns the critical path's predicted chains and
// the publish latency measured by the producers; nil without a critical
// path.
func criticalPathSummary(sc *scenario.Scenario, speedup float64, pstats []*producer.Stats) *CriticalPathSummary {
	cp := CriticalPath(sc)
	if cp == nil {
		return nil
	}
	s := &CriticalPathSummary{CriticalPathChains: *PredictCriticalPath(sc)}
	h := hdrhistogram.New(1, 7*24*3600*1_000_000, 3)
	for _, st := range pstats {
		h.Merge(st.PublishLatency())
	}
	s.PublishMs = (&LatencyHistogram{h}).Millis()
	if speedup <= 0 {
		speedup = 1
	}
	s.PublishMs = LatencyMs{P50: round(s.PublishMs.P50/speedup, 3), P99: round(s.PublishMs.P99/speedup, 3), Max: round(s.PublishMs.Max/speedup, 3)}
	if len(cp.Moved) > 0 {
		s.AsyncWithPublishMs = LatencyMs{P50: round(s.AsyncLatencyMs+s.PublishMs.P50, 3), P99: round(s.AsyncLatencyMs+s.PublishMs.P99, 3), Max: round(s.AsyncLatencyMs+s.PublishMs.Max, 3)}
	} else {
		s.AsyncWithPublishMs = LatencyMs{P50: s.AsyncLatencyMs, P99: s.AsyncLatencyMs, Max: s.AsyncLatencyMs}
	}
	return s
}

// renderCriticalPath writes the critical-path lines of the run's table.
func renderCriticalPath(w io.Writer, s *Summary) {
	cp := s.CriticalPath
	if cp == nil {
		return
	}
	fmt.Fprintf(w, "critical path: all sync (%s) %s ms, availability %s\n", strings.Join(cp.Sync, " → "), fmtNum(cp.SyncLatencyMs), Percent(cp.SyncAvailability))
	if len(cp.Moved) == 0 {
		return
	}
	fmt.Fprintf(w, "critical path: async (%s, then publish; %s off the path) %s ms + publish p50 %s / p99 %s ms measured (wall) = %s / %s ms, availability %s (broker not included)\n",
		strings.Join(cp.Kept, " → "), strings.Join(cp.Moved, ", "), fmtNum(cp.AsyncLatencyMs),
		fmtNum(cp.PublishMs.P50), fmtNum(cp.PublishMs.P99), fmtNum(cp.AsyncWithPublishMs.P50), fmtNum(cp.AsyncWithPublishMs.P99), Percent(cp.AsyncAvailability))
}

// Percent formats an availability as a percentage to 4 decimals, as the
// seed does: 99.4015%.
func Percent(a float64) string { return fmt.Sprintf("%.4f%%", 100*a) }
