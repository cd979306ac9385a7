//go:build unix

package perf

import (
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
