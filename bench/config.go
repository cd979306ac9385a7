package bench

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/backlogbench/backlogbench/broker"
	"github.com/backlogbench/backlogbench/results"
	"github.com/backlogbench/backlogbench/scenario"
)

// ErrUnreachable is returned when the brokers cannot be reached.
var ErrUnreachable = broker.ErrUnreachable

// ErrBrokerDead is returned when the broker stopped answering mid-run.
var ErrBrokerDead = errors.New("the broker stopped answering")

// The speedups a run accepts: above MaxSpeedup a scenario-second is
// shorter than the sampler's 5 ms floor; below MinSpeedup durations
// overflow.
const (
	MinSpeedup = 0.001
	MaxSpeedup = 200
)

// Config is a validated run configuration.
type Config struct {
	// Scenario is the scenario to play.
	Scenario *scenario.Scenario
	// Speedup compresses time: every duration is divided by it and every
	// rate and capacity multiplied by it, so event counts and backlogs keep
	// their size. The default is 1.
	Speedup float64
	// Brokers are a real cluster's seed brokers; empty runs the embedded
	// broker (kfake, in process).
	Brokers []string
	// DataDir keeps the embedded broker's records on disk in that folder
	// (kept after the run) instead of in memory. Empty spills to a
	// temporary folder, removed at the end, when the scenario's records
	// would take more than SpillAbove of memory (scenario.BrokerMemory),
	// and keeps them in memory otherwise; "memory" always keeps them in
	// memory. A real cluster (Brokers) takes none.
	DataDir string
	// Security is the connection's TLS and SASL (see broker.Properties);
	// the zero value is plaintext.
	Security broker.Security
	// Dial, when set, dials Brokers instead of Security's dialer: perf
	// reaches its own embedded broker in process (broker.Embedded.Dial),
	// as a run reaches the one it starts.
	Dial broker.DialFunc
	// ClientOpts are extra client options for every connection.
	ClientOpts []kgo.Opt
	// Prefix is put before every topic and group name. The default is
	// "bb-<run id>-", unique per run, so runs never mix.
	Prefix string
	// DrainTimeout bounds, in wall time, how long the run waits after the
	// producers finish for every group to drain. The default is the
	// predicted drain time (compressed) plus 30s.
	DrainTimeout time.Duration
	// Tick is the sampling interval in scenario seconds. The default is 1.
	Tick float64
	// Keep leaves the run's topics and groups on a real cluster; by default
	// they are deleted at the end.
	Keep bool
	// BrokerTimeout is how long, in wall time, the run goes on while the
	// broker shows no sign of life (no acknowledgement, no processed
	// record, no answered admin request) before it stops with
	// ErrBrokerDead. The default is 15s.
	BrokerTimeout time.Duration
	// ReadyTimeout bounds the start of the workers and the wait for every
	// group to be stable before the producers start. The default is 60s.
	ReadyTimeout time.Duration
	// OneProcessor plays the run's Go code on one processor
	// (GOMAXPROCS=1) when StartsOnOneProcessor, and gives it back every
	// processor once the machine's other processes use more than
	// BusyCores (see oneProcessor). GOMAXPROCS is the whole process's: Run
	// restores it as it returns. The command line sets it unless the
	// GOMAXPROCS environment variable is set.
	OneProcessor bool
	// Log receives progress lines; nil discards them.
	Log io.Writer
	// OnSample, when set, is called with every sample as it is taken, from
	// the sampling goroutine (live progress, metrics). It must not block.
	OnSample func(results.Sample)
	// ProgressEvery is the scenario time between progress lines. The
	// default is 60s.
	ProgressEvery float64
}

// SpillAbove is the estimated memory of the embedded broker's records
// above which a run without a DataDir keeps them in a temporary folder:
// in memory kfake holds ~2.5× the stored bytes, on disk ~25 MB in all
// (FINDINGS).
const SpillAbove = 1 << 30

// MemoryDataDir is the DataDir that keeps the records in memory whatever
// their size.
const MemoryDataDir = "memory"

// Validate checks the configuration and fills its defaults.
func (c *Config) Validate() error {
	if c.Scenario == nil {
		return errors.New("no scenario")
	}
	if c.Speedup == 0 {
		c.Speedup = 1
	}
	if !(c.Speedup >= MinSpeedup && c.Speedup <= MaxSpeedup) {
		return fmt.Errorf("speedup must be between %v and %v, got %v (the sampler ticks at most every 5 ms of wall time, one scenario-second at ×%v)",
			MinSpeedup, MaxSpeedup, c.Speedup, MaxSpeedup)
	}
	if c.Tick == 0 {
		c.Tick = 1
	}
	if c.Tick < 0 {
		return fmt.Errorf("tick must be > 0, got %v", c.Tick)
	}
	if c.DrainTimeout < 0 {
		return fmt.Errorf("drain timeout must be ≥ 0, got %v", c.DrainTimeout)
	}
	if c.ReadyTimeout == 0 {
		c.ReadyTimeout = 60 * time.Second
	}
	if c.BrokerTimeout == 0 {
		c.BrokerTimeout = 15 * time.Second
	}
	if c.BrokerTimeout < 0 {
		return fmt.Errorf("broker timeout must be > 0, got %v", c.BrokerTimeout)
	}
	if c.ProgressEvery == 0 {
		c.ProgressEvery = 60
	}
	if len(c.Brokers) > 0 {
		seeds, err := broker.NormalizeSeeds(c.Brokers)
		if err != nil {
			return err
		}
		c.Brokers = seeds
	}
	if len(c.Brokers) > 0 && c.DataDir != "" {
		return errors.New("--data-dir is for the embedded broker; a real cluster (--brokers) keeps its own records")
	}
	if len(c.Brokers) > 0 {
		for i, f := range c.Scenario.Faults {
			if f.Action == scenario.ProduceErrors {
				return fmt.Errorf("faults[%d]: produce-errors needs the embedded broker's fault injection; leave out --brokers", i)
			}
		}
	}
	if c.Prefix != "" {
		if !validName.MatchString(c.Prefix) {
			return fmt.Errorf("prefix %q: use letters, digits, '.', '_' and '-' only (it starts topic and group names)", c.Prefix)
		}
		longest := ""
		for _, n := range append(c.Scenario.TopicNames(), c.Scenario.GroupNames()...) {
			if len(n) > len(longest) {
				longest = n
			}
		}
		if l := len(c.Prefix) + len(longest) + len(".effects"); l > 249 {
			return fmt.Errorf("prefix %q: %q would make a Kafka name of %d characters, over the limit of 249", c.Prefix, c.Prefix+longest, l)
		}
	}
	if c.Prefix == "" {
		c.Prefix = "bb-" + time.Now().UTC().Format("20060102T150405.000") + "-"
		c.Prefix = strings.ReplaceAll(c.Prefix, ".", "")
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	// Last, so a configuration refused for anything else leaves no
	// folder behind.
	if c.DataDir != "" && c.DataDir != MemoryDataDir {
		if err := broker.PrepareDataDir(c.DataDir); err != nil {
			return fmt.Errorf("--data-dir: %w", err)
		}
	}
	return nil
}

// validName is what Kafka accepts in topic names.
var validName = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// wall converts scenario seconds to a wall duration.
func (c *Config) wall(s float64) time.Duration {
	return time.Duration(s / c.Speedup * float64(time.Second))
}
