package perf

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/backlogbench/backlogbench/bench"
	"github.com/backlogbench/backlogbench/scenario"
)

// Probe is one rate tried by a ceiling search.
type Probe struct {
	Rate     float64 `json:"rate_per_s"`
	Pass     bool    `json:"pass"`
	Why      string  `json:"why,omitempty"`
	SlipMaxS float64 `json:"slip_max_s"`
	HeldRate float64 `json:"held_rate_per_s"` // acked over the phase ÷ its duration
	PeakMax  float64 `json:"peak_backlog_max"`
	// CPUPerEventUS is this process's CPU over the whole probe (setup,
	// phase and drain; broker, clients and harness) per acknowledged
	// event; 0 where getrusage is missing.
	CPUPerEventUS float64 `json:"cpu_us_per_event,omitempty"`
}

// CeilingResult is the highest rate that passed, and every probe.
type CeilingResult struct {
	Groups  int     `json:"groups"`
	Workers int     `json:"workers_per_group"`
	Rate    float64 `json:"rate_per_s"`
	// CPUPerEventUS is that of the probe at Rate.
	CPUPerEventUS float64 `json:"cpu_us_per_event,omitempty"`
	Probes        []Probe `json:"probes"`
}

// ceilingScenario is one producer at rate for duration (wall time, ×1)
// and groups groups of workers workers with twice the rate's capacity, so
// the model predicts no backlog at all.
func ceilingScenario(rate float64, duration time.Duration, groups, workers, size int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "name: perf-ceiling\ntopics:\n  orders: {partitions: 12}\nproducers:\n  orders:\n    topic: orders\n    size: %d\n    phases: [{duration: %gs, rate: %g}]\ngroups:\n",
		size, duration.Seconds(), rate)
	for g := range groups {
		fmt.Fprintf(&b, "  g%d: {topics: [orders], workers: %d, capacity: %g}\n", g+1, workers, 2*rate)
	}
	return b.String()
}

// probe plays the ceiling scenario at rate on the target and judges it: the
// producer never more than 1% of the phase behind its schedule, the
// acknowledged rate within 1% of the rate, and no group's backlog above
// one second of input (the prediction is 0).
func probe(ctx context.Context, tg Target, rate float64, duration time.Duration, groups, workers, size int) (Probe, error) {
	p := Probe{Rate: rate}
	sc, err := scenario.Parse("perf-ceiling.yaml", []byte(ceilingScenario(rate, duration, groups, workers, size)))
	if err != nil {
		return p, err
	}
	cpu := startCPU()
	res, err := bench.Run(ctx, bench.Config{Scenario: sc, Speedup: 1, Brokers: tg.Seeds, Dial: tg.Dial, DrainTimeout: 30 * time.Second})
	if err != nil {
		return p, err
	}
	s := res.Summary
	_, p.CPUPerEventUS = cpu.perEventUS(s.Producers["orders"].Acked)
	if h := s.Producers["orders"].Harness; h != nil {
		p.SlipMaxS = h.SlipMaxS
	}
	phase := duration.Seconds()
	for _, smp := range res.Samples {
		if smp.T <= phase {
			p.HeldRate = float64(smp.Acked[0]) / smp.T
		}
	}
	for _, g := range s.Groups {
		p.PeakMax = max(p.PeakMax, g.Observed.PeakBacklog)
	}
	var why []string
	if !s.Complete {
		why = append(why, "incomplete")
	}
	if p.SlipMaxS > 0.01*phase {
		why = append(why, fmt.Sprintf("the producer fell %.2f s behind", p.SlipMaxS))
	}
	if p.HeldRate < 0.99*rate {
		why = append(why, fmt.Sprintf("acked %.0f/s", p.HeldRate))
	}
	if p.PeakMax > rate {
		why = append(why, fmt.Sprintf("a group held %.0f events", p.PeakMax))
	}
	p.Pass, p.Why = len(why) == 0, strings.Join(why, "; ")
	return p, nil
}

// Ceiling searches the highest rate that passes a probe: doubling from
// start until one fails (or max), then halving the interval steps times.
// Each probe runs on a broker of its own from brokers. log gets a line
// per probe.
func Ceiling(ctx context.Context, brokers Brokers, start, maxRate float64, steps int, duration time.Duration, groups, workers, size int, log func(string)) (CeilingResult, error) {
	res := CeilingResult{Groups: groups, Workers: workers}
	try := func(rate float64) (bool, error) {
		tg, stop, err := brokers()
		if err != nil {
			return false, err
		}
		p, err := probe(ctx, tg, rate, duration, groups, workers, size)
		stop()
		if err != nil {
			return false, err
		}
		res.Probes = append(res.Probes, p)
		verdict := "pass"
		if !p.Pass {
			verdict = "fail: " + p.Why
		}
		log(fmt.Sprintf("%d×%d workers at %.0f/s: %s (slip %.3f s, held %.0f/s, peak %.0f)", groups, workers, rate, verdict, p.SlipMaxS, p.HeldRate, p.PeakMax))
		return p.Pass, nil
	}
	rate, err := search(start, maxRate, steps, try)
	res.Rate = rate
	for _, p := range res.Probes {
		if p.Pass && p.Rate == rate {
			res.CPUPerEventUS = p.CPUPerEventUS
		}
	}
	return res, err
}

// search returns the highest rate try passes: doubling from start while
// it passes (up to maxRate), then bisecting the last interval steps
// times. It returns 0 when even the first half-interval below start fails.
func search(start, maxRate float64, steps int, try func(float64) (bool, error)) (float64, error) {
	lo, hi := 0.0, 0.0
	for r := start; r <= maxRate; r *= 2 {
		ok, err := try(r)
		if err != nil {
			return lo, err
		}
		if !ok {
			hi = r
			break
		}
		lo = r
	}
	if hi == 0 {
		return lo, nil // passed up to the bound
	}
	for range steps {
		mid := (lo + hi) / 2
		ok, err := try(mid)
		if err != nil {
			return lo, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, nil
}
