package watch

import (
	"math"
	"strconv"
	"time"
)

// Num is a figure that is written to JSON as a number, or as null when it
// is not finite (unknown, or never): JSON has no NaN or Inf.
type Num float64

// MarshalJSON implements json.Marshaler.
func (n Num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, math.Round(f*1000)/1000, 'f', -1, 64), nil
}

// UnmarshalJSON implements json.Unmarshaler: null is NaN.
func (n *Num) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = Num(math.NaN())
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	*n = Num(f)
	return err
}

// Report is everything watch says about one sample: the line it writes
// with --format json and to samples.jsonl.
type Report struct {
	Time time.Time `json:"time"`
	// T is seconds since the watch started.
	T      Num           `json:"t_s"`
	Groups []GroupReport `json:"groups"`
	Errors []string      `json:"errors,omitempty"`
}

// GroupReport is one group at one sample.
type GroupReport struct {
	Group string `json:"group"`
	// State is one of keeping-up, draining, growing, stalled, measuring,
	// no-commits, no-topic, unreadable.
	State      string `json:"state"`
	GroupState string `json:"group_state"`
	Members    int    `json:"members"`
	// Lag is the offset lag, null with no commit.
	Lag           *int64 `json:"lag"`
	TimeLag       Num    `json:"time_lag_s"`
	TimeLagSource string `json:"time_lag_source"`
	InputRate     Num    `json:"input_rate"`
	InputLow      Num    `json:"input_rate_low"`
	InputHigh     Num    `json:"input_rate_high"`
	ProcRate      Num    `json:"processing_rate"`
	ProcLow       Num    `json:"processing_rate_low"`
	ProcHigh      Num    `json:"processing_rate_high"`
	ProcAtLeast   bool   `json:"processing_rate_at_least"`
	Stalled       bool   `json:"stalled"`
	Rewind        bool   `json:"rewind"`
	// Samples is the number of samples the rates were fitted over.
	Samples    int               `json:"samples"`
	Forecast   *ForecastReport   `json:"forecast"`
	Plan       *PlanReport       `json:"plan,omitempty"`
	Partitions []PartitionReport `json:"partitions"`
	Notes      []string          `json:"notes,omitempty"`
	Error      string            `json:"error,omitempty"`
}

// ForecastReport is a Forecast in JSON.
type ForecastReport struct {
	Model         string   `json:"model"`
	HotPartition  string   `json:"hot_partition,omitempty"`
	Outcome       string   `json:"outcome"`
	DrainedIn     Num      `json:"drained_in_s"`
	DrainedInLow  Num      `json:"drained_in_s_low"`
	DrainedInHigh Num      `json:"drained_in_s_high"`
	Growth        Num      `json:"growth_per_s"`
	GrowthLow     Num      `json:"growth_per_s_low"`
	GrowthHigh    Num      `json:"growth_per_s_high"`
	BacklogIn5m   Num      `json:"backlog_in_5m"`
	BacklogIn15m  Num      `json:"backlog_in_15m"`
	BacklogIn60m  Num      `json:"backlog_in_60m"`
	TimeLagIn5m   Num      `json:"time_lag_in_5m"`
	TimeLagIn15m  Num      `json:"time_lag_in_15m"`
	TimeLagIn60m  Num      `json:"time_lag_in_60m"`
	UpperBound    bool     `json:"upper_bound"`
	Path          [][2]Num `json:"path"`
}

// PlanReport is a WorkerPlan in JSON.
type PlanReport struct {
	DrainWithin   Num    `json:"drain_within_s"`
	Feasible      bool   `json:"feasible"`
	Capacity      Num    `json:"capacity"`
	Members       int    `json:"members"`
	PerWorker     Num    `json:"per_worker"`
	Workers       *int   `json:"workers"`
	WorkersAtMost bool   `json:"workers_at_most"`
	Note          string `json:"note,omitempty"`
}

// PartitionReport is one partition at one sample: the raw reading, then
// what was made of it.
type PartitionReport struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	End       int64  `json:"end"`
	Committed int64  `json:"committed"`
	// Member is the member holding the partition, "" for none.
	Member string `json:"member,omitempty"`
	// RecordTimeMs is the timestamp of the record at the committed offset,
	// Unix milliseconds; absent when not read.
	RecordTimeMs  int64  `json:"record_time_ms,omitempty"`
	Lag           int64  `json:"lag"`
	TimeLag       Num    `json:"time_lag_s"`
	TimeLagSource string `json:"time_lag_source"`
	InputRate     Num    `json:"input_rate"`
	ProcRate      Num    `json:"processing_rate"`
	ProcAtLeast   bool   `json:"processing_rate_at_least"`
	State         string `json:"state"`
}

// NewGroupReport puts an estimate, its forecast and plan (either may be
// nil) into a report.
func NewGroupReport(e Estimate, f *Forecast, wp *WorkerPlan) GroupReport {
	r := GroupReport{
		Group: e.Group, State: e.State, GroupState: e.GroupState, Members: e.Members,
		TimeLag: Num(e.TimeLag), TimeLagSource: e.TimeLagSource,
		InputRate: Num(e.Input.Value), InputLow: Num(e.Input.Low()), InputHigh: Num(e.Input.High()),
		ProcRate: Num(e.Processing.Value), ProcLow: Num(e.Processing.Low()), ProcHigh: Num(e.Processing.High()),
		ProcAtLeast: e.ProcessingAtLeast, Stalled: e.Stalled, Rewind: e.Rewind,
		Samples: e.Samples, Notes: e.Notes, Partitions: []PartitionReport{},
	}
	if e.HasLag {
		lag := e.Lag
		r.Lag = &lag
	} else {
		r.TimeLag = Num(math.NaN())
	}
	if e.ProcessingAtLeast {
		r.ProcHigh = Num(math.Inf(1)) // no upper end: null
	}
	for _, p := range e.Partitions {
		pr := PartitionReport{Topic: p.Topic, Partition: p.Partition, End: p.End, Committed: p.Committed, Member: p.Member,
			Lag: p.Lag, TimeLag: Num(p.TimeLag), TimeLagSource: p.TimeLagSource,
			InputRate: Num(p.Input.Value), ProcRate: Num(p.Processing.Value), ProcAtLeast: p.ProcessingAtLeast, State: p.State}
		if !p.RecordTime.IsZero() {
			pr.RecordTimeMs = p.RecordTime.UnixMilli()
		}
		r.Partitions = append(r.Partitions, pr)
	}
	if f != nil {
		fr := &ForecastReport{Model: f.Model, HotPartition: f.HotPartition, Outcome: f.Outcome,
			DrainedIn: Num(f.DrainedIn), DrainedInLow: Num(f.DrainedInLow), DrainedInHigh: Num(f.DrainedInHigh),
			Growth: Num(f.Growth), GrowthLow: Num(f.GrowthLow), GrowthHigh: Num(f.GrowthHigh),
			BacklogIn5m: Num(f.Backlog[0]), BacklogIn15m: Num(f.Backlog[1]), BacklogIn60m: Num(f.Backlog[2]),
			TimeLagIn5m: Num(f.TimeLag[0]), TimeLagIn15m: Num(f.TimeLag[1]), TimeLagIn60m: Num(f.TimeLag[2]),
			UpperBound: f.UpperBound, Path: [][2]Num{}}
		for _, p := range f.Path {
			fr.Path = append(fr.Path, [2]Num{Num(p.T), Num(p.Backlog)})
		}
		r.Forecast = fr
	}
	if wp != nil {
		pr := &PlanReport{DrainWithin: Num(wp.DrainWithin), Feasible: wp.Feasible, Capacity: Num(math.NaN()),
			Members: wp.Members, PerWorker: Num(math.NaN()), WorkersAtMost: wp.WorkersAtMost, Note: wp.Note}
		if wp.Feasible {
			pr.Capacity = Num(wp.Capacity)
		}
		if wp.PerWorker > 0 {
			pr.PerWorker = Num(wp.PerWorker)
		}
		if wp.Workers > 0 {
			w := wp.Workers
			pr.Workers = &w
		}
		r.Plan = pr
	}
	return r
}
