package main

import (
	"os"
	"runtime/debug"
)

// GC settings of the commands that move records (run, perf, broker),
// unless the GOGC and GOMEMLIMIT environment variables say otherwise.
const (
	// gcPercent lets the heap grow to 5× its live size between
	// collections: at 300,000 events a second the paced producer's worst
	// slip behind its schedule fell from 0.05–0.06 s to 0.013–0.016 s (two
	// runs each, a 10 s phase), which is what the paced ceiling is
	// judged on.
	gcPercent = 400
	// gcMemoryLimit caps what the larger growth may cost: near it the
	// collector runs as often as it needs to, whatever gcPercent says.
	// The embedded broker spills records to disk above 1 GiB, so a run's
	// live heap stays well below it.
	gcMemoryLimit = 4 << 30
)

// tuneGC applies gcPercent and gcMemoryLimit where the environment does
// not set them.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(gcMemoryLimit)
	}
}
