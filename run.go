package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/backlogbench/backlogbench/bench"
	"github.com/backlogbench/backlogbench/metrics"
	"github.com/backlogbench/backlogbench/progress"
	"github.com/backlogbench/backlogbench/report"
	"github.com/backlogbench/backlogbench/results"
	"github.com/backlogbench/backlogbench/scenario"
)

// runOptions are run's flags.
type runOptions struct {
	speedup       float64
	out           string
	conn          connOptions
	keep          bool
	force         bool
	brokerTimeout time.Duration
	check         bool
	drainTimeout  time.Duration
	prefix        string
	quiet         bool
	metricsAddr   string
	dataDir       string
}

func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o runOptions
	fs := newFlags("run", "[PRESET|FILE] [flags]", stderr)
	fs.Float64Var(&o.speedup, "speedup", 1, "compress time N-fold: durations ÷ N, rates and capacities × N (figures stay in scenario units)")
	fs.StringVar(&o.out, "out", "", "results folder (default results/<time>-<scenario>/)")
	o.conn.register(fs)
	fs.DurationVar(&o.brokerTimeout, "broker-timeout", 15*time.Second, "stop the run when the broker shows no sign of life (no ack, no processed record, no admin answer) for this long")
	fs.BoolVar(&o.force, "force", false, "play a scenario over the machine's limits; write into an --out folder that holds an earlier run (emptied first)")
	fs.StringVar(&o.dataDir, "data-dir", "", "keep the embedded broker's records on disk in DIR (kept after the run), or \"memory\" (default: in memory, spilled to a temporary folder when they would take over 1 GiB)")
	fs.BoolVar(&o.keep, "keep", false, "keep the run's topics and groups on a real cluster (default: deleted at the end)")
	fs.BoolVar(&o.check, "check", false, "exit 1 when a verdict fails")
	fs.DurationVar(&o.drainTimeout, "drain-timeout", 0, "wall time to wait for the groups to drain after the producers finish (default: predicted drain + 30s)")
	fs.StringVar(&o.prefix, "prefix", "", "topic and group name prefix (default bb-<run id>-, unique per run)")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "no live progress (bar on a terminal, plain lines otherwise)")
	fs.StringVar(&o.metricsAddr, "metrics-addr", "", "serve Prometheus metrics at http://ADDR/metrics during the run, e.g. :9464")
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
	if !(o.speedup >= bench.MinSpeedup && o.speedup <= bench.MaxSpeedup) {
		return usagef("--speedup: must be between %v and %v, got %v", bench.MinSpeedup, bench.MaxSpeedup, o.speedup)
	}
	if o.brokerTimeout <= 0 {
		return usagef("--broker-timeout: must be > 0, got %v", o.brokerTimeout)
	}
	if o.drainTimeout < 0 {
		return usagef("--drain-timeout: must be ≥ 0, got %v", o.drainTimeout)
	}
	if o.metricsAddr != "" {
		if _, _, err := net.SplitHostPort(o.metricsAddr); err != nil {
			return usagef("--metrics-addr: want [host]:port, got %q", o.metricsAddr)
		}
	}
	brokers, sec, err := o.conn.resolve()
	if err != nil {
		return err
	}
	sc, err := scenario.Load(name)
	if err != nil {
		return err
	}
	for _, w := range sc.Warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	var over []scenario.LimitProblem
	for _, p := range sc.Limits(o.speedup) {
		if p.Limit == "MaxBrokerMemory" && (len(brokers) > 0 || o.dataDir != bench.MemoryDataDir) {
			continue // on disk: a real cluster's, or the embedded broker's data folder
		}
		over = append(over, p)
	}
	if len(over) > 0 {
		if !o.force {
			return scenario.LimitError(over)
		}
		for _, p := range over {
			fmt.Fprintln(stderr, "warning (--force):", p)
		}
	}
	cfg := bench.Config{
		Scenario:      sc,
		Speedup:       o.speedup,
		Brokers:       brokers,
		Security:      sec,
		Keep:          o.keep,
		DataDir:       o.dataDir,
		BrokerTimeout: o.brokerTimeout,
		Prefix:        o.prefix,
		DrainTimeout:  o.drainTimeout,
	}
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}
	out := o.out
	if out == "" {
		out = filepath.Join("results", time.Now().Format("20060102-150405")+"-"+slug(sc.Name))
	}
	// Find out now, not after the run, whether the results can be written;
	// a run that never starts leaves no folder behind.
	created, err := prepareOut(out, o.force)
	if err != nil {
		return err
	}
	started := false
	defer func() {
		if !started && created {
			_ = os.RemoveAll(out)
		}
	}()
	broker := "the embedded broker"
	if len(brokers) > 0 {
		broker = strings.Join(brokers, ",")
	}
	// A light run plays its Go code on one processor while the machine is
	// otherwise idle (bench.StartsOnOneProcessor), unless the GOMAXPROCS
	// environment variable says how many.
	cfg.OneProcessor = os.Getenv("GOMAXPROCS") == ""
	procs := ""
	if cfg.OneProcessor && bench.StartsOnOneProcessor(sc, o.speedup) {
		procs = fmt.Sprintf(", on one processor while the machine is otherwise idle: at most %s records/s", report.FormatNumber(sc.PeakLoad()*o.speedup))
	}
	fmt.Fprintf(stderr, "running %s on %s at ×%g (about %s of wall time%s)\n", sc.Name, broker, o.speedup,
		(time.Duration(sc.End() / o.speedup * float64(time.Second))).Round(time.Second), procs)

	// Live views: the metrics endpoint and the progress display, both fed
	// from the sampler's OnSample hook without blocking it.
	var observers []func(results.Sample)
	if o.metricsAddr != "" {
		label := "embedded"
		if len(brokers) > 0 {
			label = strings.Join(brokers, ",")
		}
		col := metrics.NewCollector(sc, label)
		srv, err := metrics.Serve(o.metricsAddr, col.Handler())
		if err != nil {
			return fmt.Errorf("--metrics-addr: %w", err)
		}
		defer srv.Close()
		fmt.Fprintf(stderr, "metrics: http://%s/metrics\n", srv.Addr())
		observers = append(observers, col.Observe)
	}
	var display *progress.Display
	if !o.quiet {
		display = progress.New(stderr, sc, progress.Options{Terminal: isTerminal(stderr), Speedup: o.speedup})
		observers = append(observers, display.Observe)
	}
	if len(observers) > 0 {
		cfg.OnSample = func(s results.Sample) {
			for _, f := range observers {
				f(s)
			}
		}
	}

	res, runErr := bench.Run(ctx, cfg)
	if display != nil {
		display.Close()
	}
	if res == nil {
		if errors.Is(runErr, context.Canceled) && ctx.Err() != nil {
			return fmt.Errorf("interrupted before the scenario started: nothing was measured, no results written: %w", runErr)
		}
		return runErr
	}
	started = true
	if err := results.Write(out, &res.Data); err != nil {
		return errors.Join(runErr, fmt.Errorf("write results: %w", err))
	}
	// report.md, report.html and backlog.png, from the files just written:
	// the same bytes `backlogbench report` renders later.
	if _, err := report.Render(out); err != nil {
		return errors.Join(runErr, fmt.Errorf("render the report: %w", err))
	}
	report.RenderTable(stdout, &res.Summary)
	fmt.Fprintf(stdout, "results: %s (open %s)\n", out, filepath.Join(out, "report.html"))
	if runErr != nil {
		if errors.Is(runErr, context.Canceled) {
			return fmt.Errorf("interrupted; what was measured is in %s", out)
		}
		return runErr
	}
	if !res.Summary.Complete {
		return fmt.Errorf("the run did not finish (see its notes: a drain timeout?); what was measured is in %s", out)
	}
	if o.check && !res.Summary.Passed {
		return errCheckFailed
	}
	return nil
}

// isTerminal reports whether w is a terminal, where progress is drawn as
// a live bar rather than plain lines.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// slug makes a scenario name safe as a folder name: anything but letters,
// digits, '.', '_' and '-' becomes '-', and it never starts with a dot.
func slug(name string) string {
	b := []byte(name)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '-'
		}
	}
	s := strings.TrimLeft(string(b), ".")
	if s == "" {
		s = "scenario"
	}
	return s
}

// prepareOut makes the results folder. A folder that already holds files
// is refused (its stale files would mix with the new run's) unless force,
// which empties it first. It reports whether it created the folder.
func prepareOut(out string, force bool) (created bool, err error) {
	entries, err := os.ReadDir(out)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(out, 0o755); err != nil {
			return false, usagef("--out: %v", err)
		}
		return true, nil
	case err != nil:
		return false, usagef("--out: %v", err)
	case len(entries) == 0:
		return false, nil
	case !force:
		return false, usagef("--out: %s already holds %d files (an earlier run?); choose another folder, or --force to empty it first", out, len(entries))
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(out, e.Name())); err != nil {
			return false, usagef("--out: empty %s: %v", out, err)
		}
	}
	return false, nil
}
