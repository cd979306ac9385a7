package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestWithSignals plays signals into withSignals with a command that
// either honours its context (returns a status once cancelled) or ignores
// it (runs until the test ends).
func TestWithSignals(t *testing.T) {
	honours := func(status int) func(context.Context) int {
		return func(ctx context.Context) int { <-ctx.Done(); return status }
	}
	tests := []struct {
		name    string
		sigs    []os.Signal
		cmd     func(context.Context) int
		ignores bool // cmd ignores ctx: only a second signal ends it
		want    int
		lines   int // lines on stderr
	}{
		{"no signal", nil, func(context.Context) int { return exitInfeasible }, false, exitInfeasible, 0},
		{"SIGINT, interrupted", []os.Signal{os.Interrupt}, honours(exitInterrupted), false, 130, 1},
		{"SIGTERM, interrupted", []os.Signal{syscall.SIGTERM}, honours(exitInterrupted), false, 143, 1},
		{"SIGHUP, interrupted", []os.Signal{syscall.SIGHUP}, honours(exitInterrupted), false, 143, 1},
		{"SIGINT, finished anyway", []os.Signal{os.Interrupt}, honours(exitOK), false, exitOK, 1},
		{"SIGTERM, plan infeasible anyway", []os.Signal{syscall.SIGTERM}, honours(exitInfeasible), false, exitInfeasible, 1},
		{"SIGINT twice", []os.Signal{os.Interrupt, os.Interrupt}, nil, true, 130, 2},
		{"SIGINT then SIGTERM", []os.Signal{os.Interrupt, syscall.SIGTERM}, nil, true, 143, 2},
		{"SIGHUP then SIGINT", []os.Signal{syscall.SIGHUP, os.Interrupt}, nil, true, 130, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release := make(chan struct{})
			defer close(release)
			cmd := tt.cmd
			if tt.ignores {
				cmd = func(context.Context) int { <-release; return exitOK }
			}
			sigs := make(chan os.Signal, len(tt.sigs))
			for _, s := range tt.sigs {
				sigs <- s
			}
			var stderr bytes.Buffer
			got := make(chan int, 1)
			go func() { got <- withSignals(sigs, &stderr, cmd) }()
			select {
			case code := <-got:
				if code != tt.want {
					t.Errorf("status %d, want %d", code, tt.want)
				}
				if n := strings.Count(stderr.String(), "\n"); n != tt.lines {
					t.Errorf("%d lines on stderr, want %d:\n%s", n, tt.lines, &stderr)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("withSignals did not return within 5s")
			}
		})
	}
}

// TestDispatchInterrupted checks that a command that fails once its
// context is cancelled is reported as interrupted, and a usage error is
// still a usage error.
func TestDispatchInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errOut bytes.Buffer
	if code := dispatch(ctx, []string{"run", "flash-sale", "--out", t.TempDir(), "-q"}, &out, &errOut); code != exitInterrupted {
		t.Errorf("run on a cancelled context: exit %d, want %d\n%s", code, exitInterrupted, &errOut)
	}
	if code := dispatch(ctx, []string{"run", "--speedup", "0"}, &out, &errOut); code != exitUsage {
		t.Errorf("a bad flag on a cancelled context: exit %d, want %d", code, exitUsage)
	}
}
