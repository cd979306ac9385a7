//go:build !unix

package perf

import (
	"os"
	"time"
)

// processCPU is not measured here: no getrusage.
func processCPU() (time.Duration, bool) { return 0, false }

// maxRSSMiB is not read here: no rusage.
func maxRSSMiB(*os.ProcessState) float64 { return 0 }
