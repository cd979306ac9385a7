package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"time"

	"github.com/backlogbench/backlogbench/scenario"
	"github.com/backlogbench/backlogbench/watch"
)

// watchOptions are watch's flags.
type watchOptions struct {
	brokers     []string
	conn        connOptions
	groups      []string
	interval    time.Duration
	window      int
	forDur      time.Duration
	format      string
	metricsAddr string
	out         string
	scenario    string
	scenarioAt  time.Duration
	speedup     float64
	ratePlan    ratePlanFlag
	plan        bool
	drainWithin time.Duration
}

// ratePlanFlag is --rate-plan: a watch.RatePlan parsed as it is set.
type ratePlanFlag struct {
	plan *watch.RatePlan
	text string
}

func (f *ratePlanFlag) String() string { return f.text }
func (f *ratePlanFlag) Type() string   { return "DUR:RATE,..." }
func (f *ratePlanFlag) Set(s string) error {
	p, err := watch.ParseRatePlan(s)
	if err != nil {
		return err
	}
	f.plan, f.text = &p, s
	return nil
}

func watchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o watchOptions
	fs := newFlags("watch", "[flags]", stderr)
	fs.StringSliceVar(&o.brokers, "brokers", []string{"localhost:9092"}, "seed brokers host[:port],... (a host without a port means :9092)")
	o.conn.registerSecurity(fs)
	fs.StringSliceVar(&o.groups, "group", nil, "a group to watch; repeat or comma-separate (default: every group with a committed offset or members holding partitions)")
	fs.DurationVar(&o.interval, "interval", 5*time.Second, "time between samples")
	fs.IntVar(&o.window, "window", 10, "samples the rates are fitted over")
	fs.DurationVar(&o.forDur, "for", 0, "stop after this long (default: until Ctrl-C)")
	fs.StringVar(&o.format, "format", "table", "output on stdout: table (a line per group per sample) or json (an object per sample)")
	fs.StringVar(&o.metricsAddr, "metrics-addr", "", "serve Prometheus metrics at http://ADDR/metrics while watching, e.g. :9464")
	fs.StringVar(&o.out, "out", "", "write samples.jsonl and report.html into this folder")
	fs.StringVar(&o.scenario, "scenario", "", "forecast with the future input of this scenario (preset or file): its producers feed the topics named like its own")
	fs.DurationVar(&o.scenarioAt, "scenario-at", 0, "with --scenario: the scenario time when the watch starts (negative: the scenario starts that much later)")
	fs.Float64Var(&o.speedup, "speedup", 1, "with --scenario: the scenario is played this many times faster (as run --speedup)")
	fs.Var(&o.ratePlan, "rate-plan", "forecast with this future input, from the start of the watch: after DUR the group's input becomes RATE (events/s, or xF times the measured) until the next step, e.g. 10m:250,5m:100")
	fs.BoolVar(&o.plan, "plan", false, "say the capacity and workers that drain each group within --drain-within")
	fs.DurationVar(&o.drainWithin, "drain-within", 0, "with --plan: the drain target, e.g. 10m")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("watch: takes no arguments, got %q (groups are given with --group)", fs.Args())
	}
	if o.format != "table" && o.format != "json" {
		return usagef("--format: want table or json, got %q", o.format)
	}
	if o.interval <= 0 {
		return usagef("--interval: must be > 0, got %v", o.interval)
	}
	if o.forDur < 0 {
		return usagef("--for: must be ≥ 0, got %v", o.forDur)
	}
	if o.metricsAddr != "" {
		if _, _, err := net.SplitHostPort(o.metricsAddr); err != nil {
			return usagef("--metrics-addr: want [host]:port, got %q", o.metricsAddr)
		}
	}
	if o.scenario != "" && o.ratePlan.plan != nil {
		return usagef("--scenario and --rate-plan: give one future input, not both")
	}
	if o.scenario == "" && (fs.Changed("scenario-at") || fs.Changed("speedup")) {
		return usagef("--scenario-at and --speedup go with --scenario")
	}
	if !(o.speedup > 0) {
		return usagef("--speedup: must be > 0, got %v", o.speedup)
	}
	if o.plan != (o.drainWithin > 0) {
		return usagef("--plan needs --drain-within DUR (> 0), and --drain-within needs --plan")
	}
	sec, err := o.conn.security()
	if err != nil {
		return err
	}
	cfg := watch.Config{
		Brokers:    o.brokers,
		ClientOpts: sec.Opts(),
		Groups:     o.groups,
		Interval:   o.interval,
		For:        o.forDur,
		Estimate:   watch.Options{Window: o.window},
	}
	if o.plan {
		cfg.DrainWithin = o.drainWithin
	}
	switch {
	case o.scenario != "":
		sc, err := scenario.Load(o.scenario)
		if err != nil {
			return err
		}
		cfg.Plan = watch.ScenarioPlan{Scenario: sc, At: o.scenarioAt, Speedup: o.speedup}
	case o.ratePlan.plan != nil:
		cfg.Plan = *o.ratePlan.plan
	}
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}

	// Outputs, each fed every report from Run's goroutine.
	var out *watch.OutDir
	if o.out != "" {
		var err error
		if out, err = watch.NewOutDir(o.out); err != nil {
			return usagef("--out: %v", err)
		}
	}
	var col *watch.Collector
	if o.metricsAddr != "" {
		col = new(watch.Collector)
		srv, err := watch.ServeMetrics(o.metricsAddr, col)
		if err != nil {
			if out != nil {
				_ = out.Close()
			}
			return fmt.Errorf("--metrics-addr: %w", err)
		}
		defer srv.Close()
		fmt.Fprintf(stderr, "metrics: http://%s/metrics\n", srv.Addr())
	}
	what := "every group with a committed offset or members"
	if len(cfg.Groups) > 0 {
		what = strings.Join(cfg.Groups, ", ")
	}
	fmt.Fprintf(stderr, "watching %s on %s every %v; forecast with %s (Ctrl-C stops)\n", what, strings.Join(cfg.Brokers, ","), cfg.Interval, cfg.Plan)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var writeErr error
	cfg.OnReport = func(r watch.Report) {
		if col != nil {
			col.Observe(r)
		}
		if out != nil {
			out.Observe(r)
		}
		if writeErr != nil {
			return
		}
		if o.format == "json" {
			writeErr = watch.WriteJSON(stdout, r)
		} else {
			writeErr = watch.WriteTable(stdout, r)
		}
		if writeErr != nil {
			cancel() // stdout is gone (a closed pipe): stop
		}
	}
	err = watch.Run(ctx, cfg)
	if out != nil {
		if cerr := out.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("--out: %w", cerr))
		} else {
			fmt.Fprintf(stderr, "samples: %s, report: %s\n", filepath.Join(o.out, "samples.jsonl"), filepath.Join(o.out, "report.html"))
		}
	}
	if writeErr != nil {
		err = errors.Join(err, fmt.Errorf("write the output: %w", writeErr))
	}
	return err
}
