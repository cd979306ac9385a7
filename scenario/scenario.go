package scenario

import "time"

// Scenario is one resolved scenario: defaults are filled and it has been
// validated.
type Scenario struct {
	// Name names the scenario; it becomes part of the results folder name.
	Name string `yaml:"name"`
	// Description says what the scenario is about.
	Description string `yaml:"description,omitempty"`
	// Seed makes every random choice reproducible. The default is 1.
	Seed int64 `yaml:"seed"`
	// Topics maps a topic name to its layout.
	Topics map[string]Topic `yaml:"topics"`
	// Producers maps a producer name to its schedule.
	Producers map[string]Producer `yaml:"producers"`
	// Groups maps a consumer group name to its workers and capacity.
	Groups map[string]Group `yaml:"groups"`
	// Expect holds the user's own expected figures per group, checked like
	// the predictions.
	Expect map[string]Expect `yaml:"expect,omitempty"`
	// Tolerance is the relative tolerance of a verdict, as a fraction
	// (0.02 for "2%"). The default is 0.02.
	Tolerance float64 `yaml:"tolerance"`
	// Faults are injected during the run, each at its scenario time.
	Faults []Fault `yaml:"faults,omitempty"`
	// CriticalPath, when set, is a request path whose all-sync and async
	// designs are compared (latency and availability).
	CriticalPath *CriticalPath `yaml:"critical_path,omitempty"`

	// File is the file the scenario was read from, or "preset:NAME".
	File string `yaml:"-"`
	// Warnings are the non-fatal remarks found while validating (a group
	// with more workers than partitions, say), each with file:line.
	Warnings []string `yaml:"-"`
}

// Topic is a topic's layout.
type Topic struct {
	// Partitions is the number of partitions; it must be at least 1.
	Partitions int `yaml:"partitions"`
	// Replication is the replication factor on a real cluster; 0 is the
	// broker's default. The embedded broker has one replica.
	Replication int `yaml:"replication,omitempty"`
	// MinInsync is the topic's min.insync.replicas on a real cluster; 0 is
	// the broker's default.
	MinInsync int `yaml:"min_insync,omitempty"`
}

// Producer emits events of one kind onto one topic, following its phases.
type Producer struct {
	// Topic is the topic the producer writes to.
	Topic string `yaml:"topic"`
	// Event is the payload's shape: "order" or "click". The default is "order".
	Event string `yaml:"event"`
	// Size is the payload size in bytes (JSON, padded). The default is 512.
	Size int `yaml:"size"`
	// Phases are played in order from scenario time 0; after the last
	// phase the producer stops.
	Phases []RatePhase `yaml:"phases"`
	// Resend is the fraction of events sent a second time with the same id
	// (an upstream resend), chosen reproducibly from the seed. The default
	// is 0.
	Resend float64 `yaml:"resend,omitempty"`
	// Idempotent makes the producer idempotent, so a retried produce is
	// never appended twice. The default is true.
	Idempotent bool `yaml:"idempotent"`
	// Keys, when set, draws each event's key from a distribution and
	// partitions by the key's hash; without it events are spread evenly.
	Keys *Keys `yaml:"keys,omitempty"`
}

// RatePhase is one phase of a producer: Rate events/s for Duration, or a
// linear ramp from Rate to To when To is set.
type RatePhase struct {
	Duration time.Duration `yaml:"duration"`
	Rate     float64       `yaml:"rate"`
	// To, when not nil, makes the phase a linear ramp from Rate to *To.
	To *float64 `yaml:"to,omitempty"`
}

// End returns the rate at the end of the phase.
func (p RatePhase) End() float64 {
	if p.To != nil {
		return *p.To
	}
	return p.Rate
}

// Group is a consumer group: Workers members of one Kafka consumer group
// that together process at most Capacity events/s.
type Group struct {
	// Topics are the topics the group reads; it gets every event of each.
	Topics []string `yaml:"topics"`
	// Workers is the number of group members. The default is 1.
	Workers int `yaml:"workers"`
	// Capacity is the group's processing capacity in events/s, split evenly
	// over its workers. It is ignored when Phases is set.
	Capacity float64 `yaml:"capacity,omitempty"`
	// Phases, when set, give the capacity over time instead of Capacity;
	// after the last phase its capacity holds.
	Phases []CapacityPhase `yaml:"phases,omitempty"`
	// Dedup makes the group an idempotent consumer: a dedup store keyed by
	// event id, shared by its workers, keeps a duplicate from being applied.
	Dedup bool `yaml:"dedup,omitempty"`
	// Delivery is "at-least-once" (the default: commit after processing) or
	// "exactly-once" (a transaction per batch that produces the effects to
	// an output topic and commits the offsets together).
	Delivery string `yaml:"delivery"`
	// Service, when set, gives each record a random service time with
	// mean workers/capacity; without it the workers process at an even
	// pace.
	Service *Service `yaml:"service,omitempty"`
	// Fetch, when set, is how the workers' clients fetch and poll; nil
	// is the defaults (see Group.FetchSettings).
	Fetch *Fetch `yaml:"fetch,omitempty"`
}

// Fetch is how a group's consumers fetch and poll, as a Kafka client is
// configured: it decides in which order records are served, so the time
// lag (a worker processes a fetch partition by partition, and the other
// partitions' oldest events age meanwhile). A zero field is its default.
type Fetch struct {
	// MaxPartitionBytes is the most a fetch returns of one partition
	// (franz-go's FetchMaxPartitionBytes, Java's max.partition.fetch.bytes).
	// The default is 1 MiB.
	MaxPartitionBytes int `yaml:"max_partition_bytes,omitempty"`
	// MaxBytes is the most a fetch returns in all (fetch.max.bytes). The
	// default is 50 MiB.
	MaxBytes int `yaml:"max_bytes,omitempty"`
	// MaxPollRecords is the most records one poll returns
	// (max.poll.records). The default is a quarter of a second of a
	// worker's largest capacity, at least 1, so a batch never holds a
	// rebalance up for long.
	MaxPollRecords int `yaml:"max_poll_records,omitempty"`
}

// The delivery modes of a group.
const (
	AtLeastOnce = "at-least-once"
	ExactlyOnce = "exactly-once"
)

// The fault actions.
const (
	ProduceErrors = "produce-errors"
	CrashWorker   = "crash-worker"
	AddWorker     = "add-worker"
	RemoveWorker  = "remove-worker"
)

// Fault is one fault injected during a run.
type Fault struct {
	// At is the scenario time the fault starts.
	At time.Duration `yaml:"at"`
	// For is how long a produce-errors fault lasts.
	For time.Duration `yaml:"for,omitempty"`
	// Action is produce-errors, crash-worker, add-worker or remove-worker.
	Action string `yaml:"action"`
	// Group is the group a worker fault applies to.
	Group string `yaml:"group,omitempty"`
	// Topic limits produce-errors to one topic; "" means every topic.
	Topic string `yaml:"topic,omitempty"`
	// Fraction is the share of produce requests a produce-errors fault
	// answers with an error after appending (NOT_ENOUGH_REPLICAS_AFTER_APPEND),
	// so the client retries and, without idempotence, appends twice.
	Fraction float64 `yaml:"fraction,omitempty"`
}

// CapacityPhase is one phase of a group's capacity.
type CapacityPhase struct {
	Duration time.Duration `yaml:"duration"`
	Capacity float64       `yaml:"capacity"`
}

// Expect is a user's expectation of a group's figures; a nil field is not
// checked.
type Expect struct {
	Events      *float64 `yaml:"events,omitempty"`
	PeakBacklog *float64 `yaml:"peak_backlog,omitempty"`
	PeakAtS     *float64 `yaml:"peak_at_s,omitempty"`
	GrowthRate  *float64 `yaml:"growth_rate,omitempty"`
	DrainedAtS  *float64 `yaml:"drained_at_s,omitempty"`
}
