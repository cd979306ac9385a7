package results

// Sample is the state of a run at one tick, in scenario time.
type Sample struct {
	// T is the scenario time of the sample, seconds.
	T float64
	// Acked holds, per producer in name order, the events acked so far.
	Acked []int64
	// Failed holds, per producer in name order, the events that failed.
	Failed []int64
	// Groups holds one entry per group in name order.
	Groups []GroupSample
}

// GroupSample is one group's state at a tick.
type GroupSample struct {
	// Processed is the unique events processed so far.
	Processed int64
	// Backlog is the exact backlog: events acked on the group's topics
	// minus events it processed.
	Backlog int64
	// Predicted is the model's backlog at the same scenario time.
	Predicted float64
	// OffsetLag is the last offset lag read through the admin API (log end
	// offsets minus committed offsets), or -1 before the first reading.
	OffsetLag int64
	// TimeLag is the age, in scenario seconds, of the oldest event acked
	// and not yet processed (0 when there is none).
	TimeLag float64
	// PredictedTimeLag is the model's time lag at the same scenario time,
	// as the workers serve their partitions; FIFOTimeLag the fluid FIFO's
	// (a lower bound).
	PredictedTimeLag float64
	FIFOTimeLag      float64
	// CommitTimeLag is the time lag as an operator's lag exporter sees it:
	// the age of the oldest event at a committed offset not yet processed
	// (the last admin reading's committed offsets, the events' send times
	// from the ack log), 0 when nothing lags.
	CommitTimeLag float64
	// Conditional is the conditional prediction's backlog (the model fed
	// the input the broker acknowledged), filled once the run is over.
	Conditional float64
	// Duplicates counts the deliveries of events the group had already
	// processed.
	Duplicates int64
}
