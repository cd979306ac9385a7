package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/backlogbench/backlogbench/bench"
	"github.com/backlogbench/backlogbench/model"
	"github.com/backlogbench/backlogbench/predict"
	"github.com/backlogbench/backlogbench/report"
	"github.com/backlogbench/backlogbench/results"
	"github.com/backlogbench/backlogbench/scenario"
)

// predictOutput is `predict --format json`.
type predictOutput struct {
	Scenario     string                      `json:"scenario"`
	Groups       map[string]groupPredict     `json:"groups"`
	CriticalPath *results.CriticalPathChains `json:"critical_path,omitempty"`
}

// groupPredict is one group in `predict --format json`: its figures, the
// predicted latency (scenario ms) and largest time lag (s: as the workers
// serve their partitions, the middle of its range over their fetch
// cycles' phases, and that range; the fluid FIFO's beside it); each null
// when some event is never processed.
type groupPredict struct {
	results.Figures
	LatencyMs       *results.PredictedLatency `json:"latency_ms"`
	MaxTimeLagS     *float64                  `json:"max_time_lag_s"`
	MaxTimeLagLowS  *float64                  `json:"max_time_lag_low_s"`
	MaxTimeLagHighS *float64                  `json:"max_time_lag_high_s"`
	FIFOMaxTimeLagS *float64                  `json:"fifo_max_time_lag_s"`
}

func predictCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("predict", "SCENARIO [flags]", stderr)
	format := fs.String("format", "table", "output format: table or json")
	speedup := fs.Float64("speedup", 1, "the speedup the run will use: a crash's session timeout and a rebalance's pause take wall time, N times more scenario time at ×N")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("predict: want one scenario (a preset name or a file), got %d arguments", fs.NArg())
	}
	if *format != "table" && *format != "json" {
		return usagef("--format: want table or json, got %q", *format)
	}
	sc, err := loadForModel(fs.Arg(0), stderr)
	if err != nil {
		return err
	}
	if !(*speedup >= bench.MinSpeedup && *speedup <= bench.MaxSpeedup) {
		return usagef("--speedup: must be between %v and %v, got %v", bench.MinSpeedup, bench.MaxSpeedup, *speedup)
	}
	preds := predict.PredictTimed(sc, nil, predict.Embedded, predict.Timing{Speedup: *speedup})
	cp := predict.CriticalPath(sc)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	if *format == "json" {
		out := predictOutput{Scenario: sc.Name, Groups: map[string]groupPredict{}}
		for _, p := range preds {
			pr := p.Predicted()
			out.Groups[p.Name] = groupPredict{Figures: pr.Figures, LatencyMs: pr.LatencyMs,
				MaxTimeLagS: pr.MaxTimeLagS, MaxTimeLagLowS: pr.MaxTimeLagLowS, MaxTimeLagHighS: pr.MaxTimeLagHighS, FIFOMaxTimeLagS: pr.FIFOMaxTimeLagS}
		}
		out.CriticalPath = predict.CriticalPathChains(sc)
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "group\tworkers\tevents\tpeak backlog\tpeak at\tgrowth/s\tdrained at\tmax lag\tlatency p50\tp99\tby\t\n")
	for _, p := range preds {
		g := sc.Groups[p.Name]
		drained := "never"
		if f := p.Figures(); f.DrainedAtS != nil {
			drained = model.Clock(*f.DrainedAtS)
		}
		fmt.Fprintf(tw, "%s\t%d (%d active)\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n",
			p.Name, g.Workers, p.ActiveWorkers, model.Figure(p.Events, 0), model.Figure(p.PeakBacklog, 0), model.Clock(p.PeakAtS),
			model.Figure(p.GrowthRate, 2), drained, lag(p.MaxTimeLagS),
			latency(p.Latency.P50), latency(p.Latency.P99), p.Latency.Method)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var ranges []string
	for _, p := range preds {
		if p.MaxTimeLagHighS > p.MaxTimeLagLowS && !math.IsInf(p.MaxTimeLagHighS, 1) {
			ranges = append(ranges, fmt.Sprintf("%s %.1f–%.1f s (FIFO %.1f s)", p.Name, p.MaxTimeLagLowS, p.MaxTimeLagHighS, p.FIFOMaxTimeLagS))
		}
	}
	if len(ranges) > 0 {
		fmt.Fprintf(stdout, "\nmax lag: as the workers serve their partitions, the middle of its range over their fetch cycles' phases: %s\n", strings.Join(ranges, ", "))
	}
	if cp != nil {
		fmt.Fprintf(stdout, "\ncritical path, all sync:  %s = %g ms, availability %s\n", strings.Join(cp.Sync.Steps, " + "), ms(cp.Sync.Latency), report.Percent(cp.Sync.Availability))
		if len(cp.Moved) > 0 {
			fmt.Fprintf(stdout, "critical path, async:     %s + publish = %g ms + publish, availability %s (and the broker's); %s off the path\n",
				strings.Join(cp.Async.Steps, " + "), ms(cp.Async.Latency), report.Percent(cp.Async.Availability), strings.Join(cp.Moved, ", "))
			fmt.Fprintln(stdout, "                          (run measures the publish latency)")
		}
	}
	return nil
}

// latency formats a latency in seconds for the table: ms below 10 s,
// seconds below an hour, then as model.Clock does (hours, or scientific
// seconds when even those would be absurd).
func latency(s float64) string {
	switch {
	case math.IsInf(s, 1):
		return "never"
	case s < 10:
		return fmt.Sprintf("%.0f ms", s*1000)
	case s < 3600:
		return fmt.Sprintf("%.1f s", s)
	}
	return model.Clock(s)
}

// lag formats a time lag in seconds for the table: seconds below an hour,
// then as model.Clock does.
func lag(s float64) string {
	if s < 3600 {
		return fmt.Sprintf("%.1f s", s)
	}
	return model.Clock(s) // "never" for +Inf
}

// loadForModel loads a scenario for predict and plan, and warns on stderr
// about its warnings and figures that look like a typo: the model's answer
// holds at any size (run refuses such figures unless --force).
func loadForModel(path string, stderr io.Writer) (*scenario.Scenario, error) {
	sc, err := scenario.Load(path)
	if err != nil {
		return nil, err
	}
	for _, p := range sc.Sanity() {
		fmt.Fprintln(stderr, "warning:", strings.TrimSuffix(p.Error(), "; --force plays it anyway"))
	}
	for _, w := range sc.Warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	return sc, nil
}
