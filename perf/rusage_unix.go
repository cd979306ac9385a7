//go:build unix

package perf

import (
	"os"
	"runtime"
	"syscall"
	"time"
)

// processCPU is the CPU time (user + system) this process has used so far,
// every thread together: the broker's, the clients' and the harness's when
// they share it.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}

// maxRSSMiB is a finished child's peak resident set from its rusage, MiB
// (Linux counts it in KiB, macOS in bytes); 0 without one.
func maxRSSMiB(ps *os.ProcessState) float64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	if runtime.GOOS == "darwin" {
		return float64(ru.Maxrss) / (1 << 20)
	}
	return float64(ru.Maxrss) / 1024
}
