package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/backlogbench/backlogbench/bench"
	"github.com/backlogbench/backlogbench/scenario"
)

// runOptions are run's flags.
type runOptions struct {
	speedup      float64
	out          string
	brokers      []string
	check        bool
	drainTimeout time.Duration
	prefix       string
	quiet        bool
}

func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o runOptions
	fs := newFlags("run", "[PRESET|FILE] [flags]", stderr)
	fs.Float64Var(&o.speedup, "speedup", 1, "compress time N-fold: durations ÷ N, rates and capacities × N (figures stay in scenario units)")
	fs.StringVar(&o.out, "out", "", "results folder (default results/<time>-<scenario>/)")
	fs.StringSliceVar(&o.brokers, "brokers", nil, "a real cluster's seed brokers host:port,... (default: the embedded broker)")
	fs.BoolVar(&o.check, "check", false, "exit 1 when a verdict fails")
	fs.DurationVar(&o.drainTimeout, "drain-timeout", 0, "wall time to wait for the groups to drain after the producers finish (default: predicted drain + 30s)")
	fs.StringVar(&o.prefix, "prefix", "", "topic and group name prefix (default bb-<run id>-, unique per run)")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "no progress lines")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return usagef("run: want at most one scenario, got %d", fs.NArg())
	}
	name := "flash-sale"
	if fs.NArg() == 1 {
		name = fs.Arg(0)
	}
	if o.speedup <= 0 {
		return usagef("--speedup: must be > 0, got %v", o.speedup)
	}
	if o.drainTimeout < 0 {
		return usagef("--drain-timeout: must be ≥ 0, got %v", o.drainTimeout)
	}
	for _, b := range o.brokers {
		if _, _, ok := strings.Cut(b, ":"); !ok || strings.HasPrefix(b, ":") || strings.HasSuffix(b, ":") {
			return usagef("--brokers: want host:port, got %q", b)
		}
	}
	sc, err := scenario.Load(name)
	if err != nil {
		return err
	}
	for _, w := range sc.Warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	cfg := bench.Config{
		Scenario:     sc,
		Speedup:      o.speedup,
		Brokers:      o.brokers,
		Prefix:       o.prefix,
		DrainTimeout: o.drainTimeout,
	}
	if !o.quiet {
		cfg.Log = stderr
	}
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}
	out := o.out
	if out == "" {
		out = filepath.Join("results", time.Now().Format("20060102-150405")+"-"+sc.Name)
	}
	broker := "the embedded broker"
	if len(o.brokers) > 0 {
		broker = strings.Join(o.brokers, ",")
	}
	fmt.Fprintf(stderr, "running %s on %s at ×%g (about %s of wall time)\n", sc.Name, broker, o.speedup,
		(time.Duration(sc.End() / o.speedup * float64(time.Second))).Round(time.Second))

	res, runErr := bench.Run(ctx, cfg)
	if res == nil {
		return runErr
	}
	if err := bench.Write(out, res); err != nil {
		return errors.Join(runErr, fmt.Errorf("write results: %w", err))
	}
	bench.RenderTable(stdout, &res.Summary)
	fmt.Fprintf(stdout, "results: %s\n", out)
	if runErr != nil {
		if errors.Is(runErr, context.Canceled) {
			return fmt.Errorf("interrupted; what was measured is in %s", out)
		}
		return runErr
	}
	if o.check && !res.Summary.Passed {
		return errCheckFailed
	}
	return nil
}
