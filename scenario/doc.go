// Package scenario has one job: to turn a scenario file (format v1) into a
// Scenario that the rest of backlogbench can trust, and back into YAML.
// A scenario is topics, producers that emit events in rate phases, and
// consumer groups with a processing capacity, plus optional faults,
// expectations and a critical path; the built-in presets are scenarios too.
//
// Decoding is strict, so that every mistake is reported with its file, line
// and key path ("flash.yaml:9: groups.analytics.capacity: must be ≥ 0, got
// -5"). The decoder is laid out by job: decode.go holds the entry point
// and the schema's keys, node.go reads YAML nodes as typed values,
// decode_scenario.go the root mapping and its cross references, one
// decode_*.go file per section (topics, producers, groups, faults, expect),
// deeper.go the keys, service and critical_path of the deeper model, and
// hint.go the did-you-mean hints.
//
// Trust has a second half: a scenario can be well formed and still too big
// for one machine (a rate of 1e15, 100,000 workers, 100 million events).
// Limits says so, figure against limit, at a given speedup, and Sanity
// checks only the figures that are nonsense anywhere, for predict; both
// report at file:line like Parse (lines.go keeps the lines of a parsed
// scenario), and a caller may play the scenario anyway (see ErrTooBig).
// limits.go holds the limits and their reasons, limits_sanity.go and
// limits_machine.go the two kinds of check, figures.go their numbers.
//
// Every duration and time in a Scenario is in scenario time; a run may be
// compressed with a speedup, but the scenario itself never changes.
package scenario
