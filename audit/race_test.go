//go:build race

package audit

// raceEnabled: under the race detector an atomic store runs in its C
// runtime, where a fault cannot be recovered.
const raceEnabled = true
