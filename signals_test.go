package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestSignals builds the binary and stops `run flash-sale` on the
// embedded broker with signals, as a user at a terminal or a supervisor
// would. Every wait is bounded.
func TestSignals(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the embedded broker")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH to build the binary with")
	}
	bin := filepath.Join(t.TempDir(), "backlogbench")
	bctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(bctx, goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	t.Run("SIGINT twice exits 130", func(t *testing.T) {
		p := start(t, bin, t.TempDir())
		time.Sleep(time.Second)
		sent := time.Now()
		p.signal(t, os.Interrupt)
		time.Sleep(300 * time.Millisecond)
		p.signal(t, os.Interrupt) // may find it gone: the clean stop is quick
		code := p.wait(t, 2*time.Second-time.Since(sent))
		if code != 130 {
			t.Errorf("exit %d, want 130\nstderr:\n%s", code, p.stderr())
		}
	})

	t.Run("SIGINT then SIGTERM at once", func(t *testing.T) {
		// The second signal most likely lands during the clean stop (about
		// 0.1 s): it wins the exit status then, else the first does.
		p := start(t, bin, t.TempDir())
		time.Sleep(time.Second)
		p.signal(t, os.Interrupt)
		p.signal(t, syscall.SIGTERM)
		code := p.wait(t, 2*time.Second)
		again := strings.Contains(p.stderr(), "SIGTERM again: exiting at once")
		if again && code != 143 || !again && code != 130 {
			t.Errorf("exit %d, want 143 after \"again\", else 130\nstderr:\n%s", code, p.stderr())
		}
		t.Logf("exit %d, second signal during the stop: %v", code, again)
	})

	t.Run("SIGTERM stops cleanly and exits 143", func(t *testing.T) {
		out := t.TempDir()
		p := start(t, bin, out)
		time.Sleep(time.Second)
		p.signal(t, syscall.SIGTERM)
		code := p.wait(t, 10*time.Second)
		if code != 143 {
			t.Errorf("exit %d, want 143\nstderr:\n%s", code, p.stderr())
		}
		b, err := os.ReadFile(filepath.Join(out, "summary.json"))
		if err != nil {
			t.Fatalf("no results after a clean stop: %v\nstderr:\n%s", err, p.stderr())
		}
		var sum struct {
			Complete *bool `json:"complete"`
		}
		if err := json.Unmarshal(b, &sum); err != nil {
			t.Fatalf("summary.json: %v", err)
		}
		if sum.Complete == nil || *sum.Complete {
			t.Errorf("summary.json complete = %v, want false", sum.Complete)
		}
	})
}

// proc is the binary running `run flash-sale`.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
	mu   sync.Mutex
	errb bytes.Buffer
}

func (p *proc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.errb.Write(b)
}

func (p *proc) stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.errb.String()
}

// start runs the flash sale at ×30 (about 20 s) into out and returns once
// it has begun; a process still running when the test ends is killed.
func start(t *testing.T, bin, out string) *proc {
	t.Helper()
	p := &proc{done: make(chan struct{})}
	p.cmd = exec.Command(bin, "run", "flash-sale", "--speedup", "30", "--quiet", "--out", out)
	p.cmd.Stderr = p
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	// The run has begun when it says so (before that a signal would stop
	// the setup, not the run).
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(p.stderr(), "running ") {
		select {
		case <-p.done:
			t.Fatalf("exited before running:\n%s", p.stderr())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("not running after 30s:\n%s", p.stderr())
		}
	}
	return p
}

func (p *proc) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatal(err)
	}
}

// wait returns the exit status, failing the test if the process is still
// running after d.
func (p *proc) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(d):
		t.Fatalf("still running %v after the signal\nstderr:\n%s", d, p.stderr())
		return 0
	}
}
