// Package watch forecasts the backlog of live consumer groups: it samples
// their offsets, estimates their input and processing rates, and runs the
// fluid model of package model from the backlog it measured.
//
// # Sampling
//
// Every interval, per group and partition: the committed offset C
// (OffsetFetch), the log end offset E (ListOffsets), and the timestamp of
// the record at C, the oldest the group has not processed (one small fetch
// per partition, cached while C does not move). The lag is E − C and the
// time lag the age of that record; when records have no usable timestamp
// (or the fetch times out) the time E passed C is interpolated from the
// sampled end offsets instead, and the output says so.
//
// # Rates
//
// Over the last W samples (the window), the input rate λ is the
// least-squares slope of ΣE over time and its band λ ± 2·SE, with
//
//	SE = √( Σ(y − ŷ)² / (n − 2) / Σ(t − t̄)² ).
//
// The committed offsets measure the processing rate μ only while the
// group is backlogged: a group that keeps up commits at the input rate,
// whatever it could do. A sample k counts as backlogged when ΣC_k <
// ΣE_{k−1}, the group has not caught up with where the log ended one
// sample before; μ is the slope of ΣC over the trailing run of
// backlogged samples when it has at least 3, and otherwise "at least λ".
// A committed offset that moves back (a rewind, an offset reset) or a log
// end that does (a recreated topic) restarts the window. A group lagging
// with no commit over 3 samples is stalled: μ = 0.
//
// The state follows: stalled; growing when λ − μ exceeds both 1% of the
// larger and 2·√(SE_λ² + SE_μ²); draining when μ − λ does; keeping up
// otherwise (μ at least λ, or a backlog that holds still).
//
// # Forecast
//
// The backlog obeys dB/dt = λ(t) − μ while B > 0 (package model). The
// model starts from the measured backlog: its input up to now is the
// backlog's arrival curve — 0 when the record at C arrived, the sampled
// end offsets minus C since, B now — with no processing, so at now the
// model holds exactly the measured backlog and time lag (the age of the
// oldest event, FIFO). From now on the input is the plan's (the measured λ
// for ever by default; a rate plan or a scenario otherwise) and the
// processing rate μ. For a constant λ < μ the drain is at B/(μ − λ); for λ
// ≥ μ the backlog grows at λ − μ and the time lag at 1 − μ/λ per second.
// The band of each figure is the model run at the ends of the bands: λ −
// 2SE with μ + 2SE, and λ + 2SE with μ − 2SE.
//
// A group is one queue (the sums), unless one member, modelled alone,
// drains later than the whole group by more than the band and two
// intervals (a hot partition's worker). Then each member is a queue with
// its own λ_w and μ_w, summed over the partitions it holds (a worker's
// capacity moves between its partitions as they drain; one partition of
// a busy member going without a commit for a while is the member serving
// the others, not a stall), a partition held by no member is a queue of
// its own, the group's backlog is their sum and its drain the last one's.
// A group or member that keeps up is modelled with μ = λ and its lag held
// as work in flight; if a plan's input exceeds that λ the forecast is an
// upper bound.
//
// Workers needed to drain within D: the least factor f on μ for which
// every busy stretch of the forecast ends within D (by bisection; the
// backlog falls as capacity grows, so the test is monotone), and f times
// the current members, each taken to process μ / members.
//
// # Where it breaks
//
// Offsets count records, so transaction markers and compacted gaps count
// as events. Producer clocks date the records: skew moves the time lag. A
// consumer that commits less often than the interval looks backlogged
// between its commits, and one that commits less often than every 3
// intervals looks stalled: sample no faster than the group commits. The
// model does not know that a worker holding several partitions moves its
// capacity to the others when one drains.
package watch

import (
	"github.com/backlogbench/backlogbench/broker"

	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// ErrUnreachable is returned when the brokers cannot be reached.
var ErrUnreachable = broker.ErrUnreachable

// Config is a validated watch configuration.
type Config struct {
	// Brokers are the seed brokers, host[:port]; a host without a port
	// means port 9092. The default is localhost:9092.
	Brokers []string
	// ClientOpts are extra client options for every connection (TLS,
	// SASL).
	ClientOpts []kgo.Opt
	// Groups are the groups to watch. The default is every group in the
	// cluster with a committed offset, listed again at every sample.
	Groups []string
	// Interval is the time between samples. The default is 5s.
	Interval time.Duration
	// For bounds the watch; 0 watches until ctx is done.
	For time.Duration
	// Timeout bounds every request to the cluster. The default is 80% of
	// Interval, at least 1s and at most 10s.
	Timeout time.Duration
	// Estimate tunes the estimator (window, stall).
	Estimate Options
	// Plan is the future input the forecast assumes. The default is the
	// measured input rate for ever.
	Plan InputPlan
	// DrainWithin, when set, makes every report say the capacity and the
	// workers that drain each group within it.
	DrainWithin time.Duration
	// OnReport is called with every sample's report, from Run's own
	// goroutine; the next sample waits for it.
	OnReport func(Report)
}

// Validate checks the configuration and fills its defaults.
func (c *Config) Validate() error {
	if len(c.Brokers) == 0 {
		c.Brokers = []string{"localhost:9092"}
	}
	for i, b := range c.Brokers {
		nb, err := normalizeBroker(b)
		if err != nil {
			return err
		}
		c.Brokers[i] = nb
	}
	if c.Interval == 0 {
		c.Interval = 5 * time.Second
	}
	if c.Interval < 50*time.Millisecond {
		return fmt.Errorf("interval must be at least 50ms, got %v", c.Interval)
	}
	if c.For < 0 {
		return fmt.Errorf("for must be ≥ 0, got %v", c.For)
	}
	if c.Timeout == 0 {
		c.Timeout = min(max(c.Interval*4/5, time.Second), 10*time.Second)
	}
	if c.Timeout < 0 {
		return fmt.Errorf("timeout must be > 0, got %v", c.Timeout)
	}
	c.Estimate = c.Estimate.withDefaults()
	if c.Estimate.Window < minBusy+1 {
		return fmt.Errorf("window must be at least %d samples (a processing rate needs %d backlogged ones after the first), got %d", minBusy+1, minBusy, c.Estimate.Window)
	}
	if c.Estimate.StallSamples < 2 {
		return fmt.Errorf("stall samples must be at least 2, got %d", c.Estimate.StallSamples)
	}
	if c.DrainWithin < 0 {
		return fmt.Errorf("drain within must be ≥ 0, got %v", c.DrainWithin)
	}
	for _, g := range c.Groups {
		if g == "" {
			return errors.New("an empty group name")
		}
	}
	if c.Plan == nil {
		c.Plan = steady{}
	}
	return nil
}

// normalizeBroker returns host:port for host[:port].
func normalizeBroker(b string) (string, error) {
	b = strings.TrimSpace(b)
	if b == "" {
		return "", errors.New("broker: an empty address; want host[:port]")
	}
	if host, port, err := net.SplitHostPort(b); err == nil {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || host == "" {
			return "", fmt.Errorf("broker %q: want host[:port] with a port 1–65535", b)
		}
		return b, nil
	}
	if strings.HasPrefix(b, "[") && strings.HasSuffix(b, "]") {
		return b + ":9092", nil
	}
	if strings.Contains(b, ":") {
		return "", fmt.Errorf("broker %q: want host[:port] (an IPv6 address in brackets: [::1]:9092)", b)
	}
	return net.JoinHostPort(b, "9092"), nil
}

// Run watches until cfg.For has passed or ctx is done, which both end it
// without an error, handing every sample's report to cfg.OnReport. It
// fails with ErrUnreachable when the brokers cannot be reached at the
// start; later failures are reported in the samples and it carries on.
func Run(ctx context.Context, cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	start := time.Now()
	s, err := newSampler(ctx, &cfg)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return nil
		}
		return err
	}
	defer s.close()
	tr := newTracker(&cfg, start)
	var end <-chan time.Time
	if cfg.For > 0 {
		t := time.NewTimer(time.Until(start.Add(cfg.For)))
		defer t.Stop()
		end = t.C
	}
	tick := time.NewTicker(cfg.Interval)
	defer tick.Stop()
	for {
		smp := s.take(ctx)
		if ctx.Err() != nil {
			return nil // a sample cut short is not reported
		}
		rep := tr.update(smp)
		if cfg.OnReport != nil {
			cfg.OnReport(rep)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-end:
			return nil
		case <-tick.C:
		}
	}
}

// maxHistory is the most samples kept per group: the window, and the end
// offsets a time lag is interpolated from.
const maxHistory = 120

// tracker keeps each group's samples and turns a sample into a report.
type tracker struct {
	cfg    *Config
	origin time.Time
	hist   map[string][]GroupSample
	absent map[string]int
}

func newTracker(cfg *Config, origin time.Time) *tracker {
	return &tracker{cfg: cfg, origin: origin, hist: map[string][]GroupSample{}, absent: map[string]int{}}
}

func (tr *tracker) update(s Sample) Report {
	rep := Report{Time: s.Time, T: Num(s.Time.Sub(tr.origin).Seconds()), Errors: s.Errors, Groups: []GroupReport{}}
	seen := map[string]bool{}
	fopt := ForecastOptions{Plan: tr.cfg.Plan, Interval: tr.cfg.Interval.Seconds()}
	for _, g := range s.Groups {
		seen[g.Group] = true
		if g.Err != "" {
			gr := NewGroupReport(Estimate{Group: g.Group, GroupState: g.State, Members: g.Members, State: Unreadable,
				Input: unknownRate, Processing: unknownRate, TimeLagSource: TimeLagNone}, nil, nil)
			gr.Error = g.Err
			rep.Groups = append(rep.Groups, gr)
			continue
		}
		h := append(tr.hist[g.Group], g)
		if len(h) > maxHistory {
			h = append(h[:0:0], h[len(h)-maxHistory:]...)
		}
		tr.hist[g.Group] = h
		e := EstimateGroup(h, tr.origin, tr.cfg.Estimate)
		f := ForecastGroup(e, fopt)
		var wp *WorkerPlan
		if tr.cfg.DrainWithin > 0 {
			wp = PlanWorkers(e, f, tr.cfg.DrainWithin.Seconds(), fopt)
		}
		rep.Groups = append(rep.Groups, NewGroupReport(e, f, wp))
	}
	// A group gone from the listing for a whole window is forgotten.
	for g := range tr.hist {
		if seen[g] {
			delete(tr.absent, g)
			continue
		}
		if tr.absent[g]++; tr.absent[g] > tr.cfg.Estimate.Window {
			delete(tr.hist, g)
			delete(tr.absent, g)
		}
	}
	return rep
}
