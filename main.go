// Command backlogbench predicts how a Kafka consumer backlog will behave,
// runs the scenario against a Kafka protocol broker, and compares the two.
//
//	backlogbench run [PRESET|FILE]   play a scenario and compare with the prediction
//	backlogbench predict SCENARIO    the prediction alone
//	backlogbench broker              the embedded broker as a standalone server
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/backlogbench/backlogbench/scenario"
)

// Exit statuses.
const (
	exitOK         = 0
	exitFailure    = 1 // a run failed, or --check found a failing verdict
	exitUsage      = 2 // bad flags, arguments or scenario
	exitInfeasible = 3 // plan: no capacity meets a group's target

	// exitInterrupted is a command stopped by its context being cancelled
	// (the shell's 128 + SIGINT); main turns it into 143 when the signal
	// was SIGTERM or SIGHUP.
	exitInterrupted = 130
	exitTerminated  = 143 // 128 + SIGTERM
)

// usageError marks an error in the command line.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// errCheckFailed is returned by run --check when a verdict failed.
var errCheckFailed = errors.New("a verdict failed")

// errInfeasible is returned by plan when no capacity meets a target.
var errInfeasible = errors.New("no capacity meets the target")

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = []command{
	{"run", "play a scenario on a broker and compare it with the prediction", runCmd},
	{"predict", "predict every group's backlog from a scenario", predictCmd},
	{"plan", "the least capacity, workers and partitions that meet a backlog or lag target", planCmd},
	{"broker", "serve the embedded broker for other clients (kcat, ...)", brokerCmd},
	{"report", "render a run folder's reports again from its stored data", reportCmd},
	{"compare", "compare two or more runs side by side", compareCmd},
	{"perf", "measure the harness against raw franz-go: paced and fan-out ceilings, CPU and memory per event", perfCmd},
	{"watch", "forecast the backlog of live consumer groups: drain time, growth, workers needed", watchCmd},
}

func main() {
	// Not signal.NotifyContext: it keeps every later signal from the
	// default action until stop, so a second Ctrl-C would do nothing while
	// a command winds down. withSignals cancels on the first and exits on
	// the second.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	stopProfile := startCPUProfile(os.Getenv("BACKLOGBENCH_CPUPROFILE"), os.Stderr)
	code := withSignals(sigs, os.Stderr, func(ctx context.Context) int {
		return dispatch(ctx, os.Args[1:], os.Stdout, os.Stderr)
	})
	stopProfile()
	os.Exit(code)
}

// startCPUProfile writes a Go CPU profile of the whole command to path
// (BACKLOGBENCH_CPUPROFILE; go tool pprof reads it) and returns the function
// that ends it; with an empty path, or one it cannot create, it does
// nothing but say so.
func startCPUProfile(path string, stderr io.Writer) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(stderr, "backlogbench: BACKLOGBENCH_CPUPROFILE: %v (no profile)\n", err)
		if f != nil {
			f.Close()
		}
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintf(stderr, "backlogbench: BACKLOGBENCH_CPUPROFILE: %v\n", err)
		}
	}
}

// withSignals runs cmd under a context that the first signal from sigs
// cancels, so the command stops cleanly and writes what it has, and
// returns its exit status. A second signal returns at once, without
// waiting for cmd, with the signal's status (130 for SIGINT, 143 for
// SIGTERM and SIGHUP), after one line on stderr; main then exits, and the
// command with it. A command that returns after the first signal keeps
// its status, except that exitInterrupted (it was stopped by the
// cancellation) becomes the first signal's status.
func withSignals(sigs <-chan os.Signal, stderr io.Writer, cmd func(context.Context) int) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- cmd(ctx) }()
	var first os.Signal
	select {
	case code := <-done:
		return code
	case first = <-sigs:
	}
	cancel()
	fmt.Fprintf(stderr, "backlogbench: %s: stopping cleanly; send it again to exit at once\n", signalName(first))
	select {
	case code := <-done:
		if code == exitInterrupted {
			return signalStatus(first)
		}
		return code
	case second := <-sigs:
		fmt.Fprintf(stderr, "backlogbench: %s again: exiting at once\n", signalName(second))
		return signalStatus(second)
	}
}

// signalStatus is the exit status for a stop by sig, as a shell reports a
// process killed by it: 128 + SIGINT, else 128 + SIGTERM (SIGHUP too: a
// closed terminal is a request to terminate).
func signalStatus(sig os.Signal) int {
	if sig == os.Interrupt {
		return exitInterrupted
	}
	return exitTerminated
}

// signalName names sig the way kill(1) does.
func signalName(sig os.Signal) string {
	switch sig {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP"
	}
	return sig.String()
}

// dispatch runs the command named by args[0] and returns the exit status:
// exitInterrupted when ctx was cancelled and the command failed for it
// (not for a bad command line, a failed check or an infeasible plan).
func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		switch {
		case err == nil:
			return exitOK
		case errors.Is(err, pflag.ErrHelp):
			return exitOK
		case errors.Is(err, errCheckFailed):
			fmt.Fprintln(stderr, "backlogbench:", err)
			return exitFailure
		case errors.Is(err, errInfeasible):
			fmt.Fprintln(stderr, "backlogbench:", err)
			return exitInfeasible
		case errors.As(err, new(usageError)), errors.Is(err, scenario.ErrInvalid):
			fmt.Fprintln(stderr, "backlogbench:", err)
			return exitUsage
		default:
			fmt.Fprintln(stderr, "backlogbench:", err)
			if ctx.Err() != nil {
				return exitInterrupted
			}
			return exitFailure
		}
	}
	fmt.Fprintf(stderr, "backlogbench: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "backlogbench predicts a Kafka consumer backlog, runs it, and compares.\n\nUsage:\n  backlogbench COMMAND [flags]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nPresets: %v\nRun `backlogbench COMMAND --help` for a command's flags.\n", scenario.PresetNames())
}

// newFlags returns a FlagSet that reports errors instead of exiting.
func newFlags(name, args string, stderr io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: backlogbench %s %s\n\nFlags:\n%s", name, args, fs.FlagUsages())
	}
	return fs
}

// parseFlags parses args, turning a flag error into a usage error.
func parseFlags(fs *pflag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	return nil
}
