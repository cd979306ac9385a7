package perf

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/backlogbench/backlogbench/results"
)

// ChildResult is what a `backlogbench run` child process cost.
type ChildResult struct {
	Args      []string `json:"args"`
	WallS     float64  `json:"wall_s"`
	CPUS      float64  `json:"cpu_s"` // user + system
	MaxRSSMiB float64  `json:"max_rss_mib"`
	Delivered int64    `json:"delivered"` // records delivered to every group
	Events    int64    `json:"events"`    // events acknowledged to every producer
	Passed    bool     `json:"passed"`
	Procs     int      `json:"procs"` // the processors its Go code used (GOMAXPROCS)
}

// CPUPerDeliveredUS is the child's CPU time per delivered record, in µs.
func (c ChildResult) CPUPerDeliveredUS() float64 {
	if c.Delivered == 0 {
		return 0
	}
	return c.CPUS * 1e6 / float64(c.Delivered)
}

// Child runs exe (backlogbench) with `run ARGS --quiet --out DIR`, DIR a
// temporary folder, and returns its CPU time, peak RSS and the figures of
// its summary. The child's broker is the embedded one, in its process: its
// CPU and memory are counted.
func Child(ctx context.Context, exe string, args ...string) (ChildResult, error) {
	res := ChildResult{Args: args}
	dir, err := os.MkdirTemp("", "backlogbench-perf-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "run")
	cmd := exec.CommandContext(ctx, exe, append(append([]string{"run"}, args...), "--quiet", "--out", out)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return res, fmt.Errorf("backlogbench run %v: %w", args, err)
	}
	// The child's peak RSS from /proc while it runs: the rusage of a
	// child forked with CLONE_VM (os/exec's way) counts the parent's
	// memory shared until exec, so every child read as large as this
	// process (635 MiB for 500,000 events and for 2,000,000 alike).
	stop := make(chan struct{})
	peak := make(chan float64, 1)
	go func() { peak <- watchPeakRSS(cmd.Process.Pid, stop) }()
	err = cmd.Wait()
	close(stop)
	res.MaxRSSMiB = <-peak
	res.WallS = time.Since(start).Seconds()
	if err != nil {
		return res, fmt.Errorf("backlogbench run %v: %w\n%s", args, err, tail(stderr.Bytes()))
	}
	ps := cmd.ProcessState
	res.CPUS = (ps.UserTime() + ps.SystemTime()).Seconds()
	if res.MaxRSSMiB == 0 { // no /proc
		res.MaxRSSMiB = maxRSSMiB(ps)
	}
	f, err := results.Read(out)
	if err != nil {
		return res, err
	}
	for _, g := range f.Summary.Groups {
		res.Delivered += g.Observed.Delivered
	}
	for _, p := range f.Summary.Producers {
		res.Events += p.Acked
	}
	res.Passed = f.Summary.Passed
	res.Procs = f.Summary.Procs
	return res, nil
}

// watchPeakRSS returns the largest peak resident set (VmHWM, MiB) that
// /proc reports for pid, read every 50 ms until stop is closed; 0 without
// /proc.
func watchPeakRSS(pid int, stop <-chan struct{}) float64 {
	path := fmt.Sprintf("/proc/%d/status", pid)
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	peak := 0.0
	for {
		if b, err := os.ReadFile(path); err == nil {
			for line := range bytes.Lines(b) {
				var kib float64
				if _, err := fmt.Sscanf(string(line), "VmHWM: %f kB", &kib); err == nil {
					peak = max(peak, kib/1024)
				}
			}
		}
		select {
		case <-stop:
			return peak
		case <-t.C:
		}
	}
}

// tail is the last lines of a child's error output.
func tail(b []byte) []byte {
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return b
}
