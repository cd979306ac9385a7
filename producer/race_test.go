//go:build race

package producer

// raceEnabled: the race detector makes sync.Pool drop a share of what is
// put back, so pooled paths allocate under it.
const raceEnabled = true
