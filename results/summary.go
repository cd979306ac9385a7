// Package results is the results format of a backlogbench run: the types
// stored in a run folder (summary.json, timeseries.csv, the latency
// histograms, scenario.yaml), the writer that stores them once and the
// reader that loads them back. results/README.md documents the schema.
// Reports, metrics, progress and compare depend on this package, never on
// Kafka.
package results

import (
	"github.com/HdrHistogram/hdrhistogram-go"
)

// Verdict outcomes, as summary.json stores them.
const (
	Pass = "pass"
	Fail = "fail"
	// Incomplete is a figure that did not pass on a run that did not
	// finish: it cannot be judged.
	Incomplete = "incomplete"
)

// Summary is summary.json: every predicted and observed figure of a run
// with its verdict. All figures are in scenario units.
type Summary struct {
	Scenario  string  `json:"scenario"`
	Speedup   float64 `json:"speedup"`
	Complete  bool    `json:"complete"`
	Passed    bool    `json:"passed"`
	Broker    string  `json:"broker"`
	Tolerance float64 `json:"tolerance"`
	WallS     float64 `json:"wall_s"`
	// Procs is the processors the run's Go code ended on (GOMAXPROCS): 1
	// for a light run on an otherwise idle machine, see
	// bench.StartsOnOneProcessor; 0 in runs before the field.
	Procs int `json:"procs,omitempty"`
	// StartedAt is the wall time (UTC, RFC 3339) of scenario time 0, so
	// the run's samples can be lined up with outside observers (a watch,
	// the cluster's own monitoring): wall = StartedAt + t_s / Speedup.
	StartedAt string                     `json:"started_at,omitempty"`
	Producers map[string]ProducerSummary `json:"producers"`
	Groups    map[string]GroupSummary    `json:"groups"`
	Notes     []string                   `json:"notes,omitempty"`
	// Outages are the stretches, in scenario seconds, when the broker gave
	// no sign of life (no acknowledgement, processed record or admin
	// answer) and then came back.
	Outages []Outage `json:"outages,omitempty"`
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
	// Harness is the producer's own slip behind its schedule: the
	// harness audits itself.
	Harness *ProducerHarness `json:"harness,omitempty"`
}

// ProducerHarness is how far a producer's actual sends fell behind their
// intended times, scenario seconds.
type ProducerHarness struct {
	SlipP99S  float64 `json:"slip_p99_s"`
	SlipMaxS  float64 `json:"slip_max_s"`
	SlipMaxAt float64 `json:"slip_max_at_s"`
	// LateEvents were sent more than one scenario-second late, intended
	// between LateFromS and LateToS.
	LateEvents int64   `json:"late_events"`
	LateFromS  float64 `json:"late_from_s,omitempty"`
	LateToS    float64 `json:"late_to_s,omitempty"`
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
	// Harness is how far the group's workers fell behind their capacity
	// while records waited, nil in runs before it was recorded.
	Harness *WorkerHarness `json:"harness,omitempty"`
}

// WorkerHarness is how far a group's workers fell behind their capacity
// schedule while records waited (descheduled, or blocked on a commit),
// scenario seconds: the most (BehindMaxS, by worker BehindWorker at
// BehindMaxAt), and the records processed more than one scenario-second
// behind it (LateRecords, between LateFromS and LateToS), which the
// workers then caught up above their capacity.
type WorkerHarness struct {
	BehindMaxS   float64 `json:"behind_max_s"`
	BehindMaxAt  float64 `json:"behind_max_at_s"`
	BehindWorker int     `json:"behind_worker"`
	LateRecords  int64   `json:"late_records"`
	LateFromS    float64 `json:"late_from_s,omitempty"`
	LateToS      float64 `json:"late_to_s,omitempty"`
}

// Predicted is a group's predicted figures: the model's, and the
// duplicates its scenario's causes make, exactly (Duplicates) or at most
// (DuplicatesMax, when a crash is among them).
type Predicted struct {
	Figures
	Duplicates    *int64 `json:"duplicates,omitempty"`
	DuplicatesMax *int64 `json:"duplicates_max,omitempty"`
	// LatencyMs is the predicted end-to-end latency. MaxTimeLagS is the
	// largest predicted time lag as the workers serve their partitions
	// (the middle of its range over the fetch cycle's phases,
	// MaxTimeLagLowS to MaxTimeLagHighS), FIFOMaxTimeLagS the fluid
	// FIFO's (a lower bound); each nil when some event is never processed.
	LatencyMs       *PredictedLatency `json:"latency_ms,omitempty"`
	MaxTimeLagS     *float64          `json:"max_time_lag_s,omitempty"`
	MaxTimeLagLowS  *float64          `json:"max_time_lag_low_s,omitempty"`
	MaxTimeLagHighS *float64          `json:"max_time_lag_high_s,omitempty"`
	FIFOMaxTimeLagS *float64          `json:"fifo_max_time_lag_s,omitempty"`
	// DuplicatesUpstream is the exact part of the duplicates: events
	// resent or appended twice before any consumer saw them. They are
	// distinct records, so even an exactly-once group applies each of them
	// (only a dedup store, keyed by event id, can tell).
	DuplicatesUpstream int64 `json:"duplicates_upstream"`
	// Conditional is the model's figures when fed the input the broker
	// really acknowledged (and the capacity in force), instead of the
	// scenario's: it tells the harness's or broker's slips from the
	// consumers'.
	Conditional *Figures `json:"conditional,omitempty"`
}

// Observed is a group's measured figures.
type Observed struct {
	Figures
	// Lost counts events acked on the group's topics and never processed
	// by it, once the run has drained.
	Lost int64 `json:"lost"`
	// Unprocessed counts events acked on the group's topics and not yet
	// processed when the run stopped before the group drained (interrupted,
	// a drain timeout, or a group predicted never to drain): never lost.
	Unprocessed int64 `json:"unprocessed"`
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
	// MaxCommitTimeLagS is the largest time lag from the committed offsets
	// (what a lag exporter shows): above the exact one by up to the commit
	// cadence.
	MaxCommitTimeLagS float64 `json:"max_commit_time_lag_s"`
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

// Figures are a group's headline numbers, predicted or observed, in
// scenario units. DrainedAtS is nil when the backlog never drains.
type Figures struct {
	Events      float64  `json:"events"`
	PeakBacklog float64  `json:"peak_backlog"`
	PeakAtS     float64  `json:"peak_at_s"`
	GrowthRate  float64  `json:"growth_rate"`
	DrainedAtS  *float64 `json:"drained_at_s"`
}

// ExpectFigures are a user's expected figures; nil is unchecked.
type ExpectFigures struct {
	Events      *float64 `json:"events,omitempty"`
	PeakBacklog *float64 `json:"peak_backlog,omitempty"`
	PeakAtS     *float64 `json:"peak_at_s,omitempty"`
	GrowthRate  *float64 `json:"growth_rate,omitempty"`
	DrainedAtS  *float64 `json:"drained_at_s,omitempty"`
}

// PredictedLatency is a group's predicted end-to-end latency, scenario
// milliseconds, and the method that predicted it (see model.Latency).
type PredictedLatency struct {
	P50    float64 `json:"p50"`
	P99    float64 `json:"p99"`
	Method string  `json:"method"`
}

// Stochastic reports whether the latency was predicted from the group's
// service-time distribution (and so is checked), rather than from the
// fluid model alone (reported beside the observed latency, unchecked: the
// fluid FIFO wait leaves out how the consumers batch their fetches).
func (l *PredictedLatency) Stochastic() bool { return l != nil && l.Method != "fluid" }

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

// Outage is a stretch of scenario time when the broker did not answer.
type Outage struct {
	FromS float64 `json:"from_s"`
	ToS   float64 `json:"to_s"`
}
