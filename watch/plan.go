package watch

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/backlogbench/backlogbench/rate"
	"github.com/backlogbench/backlogbench/scenario"
)

// InputPlan is the input a forecast assumes from now on. Without one the
// measured input rate holds for ever.
type InputPlan interface {
	// Input returns the input of a topic from now (time 0) on: schedules
	// whose rates add up to the topic's rate. measured is the topic's
	// measured input rate, group the group's over all its topics, of
	// which there are topics; at is how long ago, in seconds, the plan
	// started (the watch did).
	Input(topic string, measured, group float64, topics int, at float64) []rate.Schedule
	// String describes the plan in a few words.
	String() string
}

// steady is the default plan: the measured rate for ever.
type steady struct{}

func (steady) Input(_ string, measured, _ float64, _ int, _ float64) []rate.Schedule {
	return []rate.Schedule{forever(measured)}
}

func (steady) String() string { return "the measured input rate" }

func forever(r float64) rate.Schedule {
	return rate.New(rate.Segment{Dur: math.Inf(1), From: r, To: r})
}

// RatePlan is a plan of the group's future input as steps in time,
// written "DUR:RATE,DUR:RATE,...": after DUR (counted from the step before,
// the first from the start of the watch, at the measured rate) the input
// becomes RATE, until the next step; the last rate holds for ever. RATE is events per second
// of the whole group, shared over its topics and partitions in the
// proportions measured (evenly when nothing was measured), or xF, F times
// the measured rate. So "10m:250,5m:100" is the measured rate for 10
// minutes, then 250/s for 5 minutes, then 100/s; "0s:x2,5m:0" is twice
// the measured rate at once, for 5 minutes, then nothing.
type RatePlan struct {
	Steps []RateStep
	text  string
}

// RateStep is one step of a RatePlan.
type RateStep struct {
	// After is how long after the step before (or now) it starts.
	After time.Duration
	// Rate is the group's input in events/s, or, when Times is set, the
	// factor on the measured rate.
	Rate  float64
	Times bool
}

// ErrRatePlan is wrapped by every error of ParseRatePlan.
var ErrRatePlan = errors.New("bad rate plan")

// ParseRatePlan parses a rate plan, "10m:250,5m:100".
func ParseRatePlan(s string) (RatePlan, error) {
	p := RatePlan{text: s}
	if strings.TrimSpace(s) == "" {
		return p, fmt.Errorf("%w: empty; want DUR:RATE,... such as 10m:250,5m:100", ErrRatePlan)
	}
	for i, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		d, r, ok := strings.Cut(f, ":")
		if !ok {
			return p, fmt.Errorf("%w: step %d %q: want DUR:RATE, such as 10m:250 or 0s:x2", ErrRatePlan, i+1, f)
		}
		dur, err := time.ParseDuration(strings.TrimSpace(d))
		if err != nil || dur < 0 {
			return p, fmt.Errorf("%w: step %d %q: %q is not a duration ≥ 0 (10m, 90s, 0s)", ErrRatePlan, i+1, f, d)
		}
		if i > 0 && dur == 0 {
			return p, fmt.Errorf("%w: step %d %q: only the first step may start after 0s", ErrRatePlan, i+1, f)
		}
		st := RateStep{After: dur}
		r = strings.TrimSpace(r)
		if rest, ok := strings.CutPrefix(r, "x"); ok {
			st.Times, r = true, rest
		}
		v, err := strconv.ParseFloat(r, 64)
		if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
			return p, fmt.Errorf("%w: step %d %q: the rate must be a number ≥ 0 (events/s) or xF (F times the measured rate)", ErrRatePlan, i+1, f)
		}
		st.Rate = v
		p.Steps = append(p.Steps, st)
	}
	return p, nil
}

func (p RatePlan) String() string { return "rate plan " + p.text }

// Input implements InputPlan.
func (p RatePlan) Input(_ string, measured, group float64, topics int, at float64) []rate.Schedule {
	share := 1 / float64(max(1, topics))
	if group > 0 {
		share = measured / group
	}
	val := func(st RateStep) float64 {
		if st.Times {
			return st.Rate * measured
		}
		return st.Rate * share
	}
	var segs []rate.Segment
	cur := measured
	for _, st := range p.Steps {
		if d := st.After.Seconds(); d > 0 {
			segs = append(segs, rate.Segment{Dur: d, From: cur, To: cur})
		}
		cur = val(st)
	}
	segs = append(segs, rate.Segment{Dur: math.Inf(1), From: cur, To: cur})
	return []rate.Schedule{tail(rate.New(segs...), at)}
}

// ScenarioPlan takes the future input from a scenario's producers: a
// watched topic named like a scenario topic (the same name, or ending in
// "-NAME", as a run's prefixed topics do) gets the scenario's producers of
// that topic, compressed Speedup times, with scenario time At at the start
// of the watch; other topics keep their measured rate. After the
// scenario's last phase its producers are silent.
type ScenarioPlan struct {
	Scenario *scenario.Scenario
	// At is the scenario time at the start of the watch; a negative one
	// starts the scenario that much later. The default is 0.
	At time.Duration
	// Speedup compresses the scenario like run --speedup. The default
	// is 1.
	Speedup float64
}

func (p ScenarioPlan) String() string {
	return fmt.Sprintf("scenario %s from %v at ×%g", p.Scenario.Name, p.At, p.speedup())
}

func (p ScenarioPlan) speedup() float64 {
	if p.Speedup == 0 {
		return 1
	}
	return p.Speedup
}

// topic returns the scenario topic a watched topic stands for.
func (p ScenarioPlan) topic(name string) (string, bool) {
	if _, ok := p.Scenario.Topics[name]; ok {
		return name, true
	}
	best := ""
	for t := range p.Scenario.Topics {
		if strings.HasSuffix(name, "-"+t) && len(t) > len(best) {
			best = t
		}
	}
	return best, best != ""
}

// Input implements InputPlan.
func (p ScenarioPlan) Input(topic string, measured, _ float64, _ int, at float64) []rate.Schedule {
	t, ok := p.topic(topic)
	if !ok {
		return []rate.Schedule{forever(measured)}
	}
	var out []rate.Schedule
	for _, name := range p.Scenario.ProducerNames() {
		pr := p.Scenario.Producers[name]
		if pr.Topic != t {
			continue
		}
		out = append(out, compress(tail(pr.Schedule(), p.At.Seconds()+at*p.speedup()), p.speedup()))
	}
	if len(out) == 0 {
		out = []rate.Schedule{{}} // a topic no producer writes: silent
	}
	return out
}

// tail returns the schedule from time from on, shifted to start at 0; a
// negative from delays it.
func tail(s rate.Schedule, from float64) rate.Schedule {
	if from < 0 {
		return shift(s, -from)
	}
	if from == 0 {
		return s
	}
	var segs []rate.Segment
	t := 0.0
	for _, g := range s.Segments() {
		end := t + g.Dur
		switch {
		case end <= from:
		case t >= from:
			segs = append(segs, g)
		default: // cut inside the segment
			u := from - t
			r := g.From
			if !math.IsInf(g.Dur, 1) && g.Dur > 0 {
				r = g.From + (g.To-g.From)*u/g.Dur
			}
			segs = append(segs, rate.Segment{Dur: end - from, From: r, To: g.To})
		}
		t = end
	}
	return rate.New(segs...)
}

// compress divides the schedule's durations by f and multiplies its rates.
func compress(s rate.Schedule, f float64) rate.Schedule {
	if f == 1 {
		return s
	}
	segs := s.Segments()
	out := make([]rate.Segment, len(segs))
	for i, g := range segs {
		out[i] = rate.Segment{Dur: g.Dur / f, From: g.From * f, To: g.To * f}
	}
	return rate.New(out...)
}
