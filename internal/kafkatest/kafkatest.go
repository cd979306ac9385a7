// Package kafkatest gates and serialises the tests that play on a real
// Apache Kafka: they run when BACKLOGBENCH_KAFKA names its bootstrap
// servers (make kafka-up prints it) and skip, saying how to enable them,
// when it does not; and every test binary of the module takes one lock
// while it plays, so that two packages' real-Kafka tests (go test runs
// packages in parallel) never share the broker and the two cores.
package kafkatest

import (
	"os"
	"strings"
	"testing"
)

// Env is the variable that names the real broker.
const Env = "BACKLOGBENCH_KAFKA"

// SkipMessage says how to run the real-Kafka tests.
const SkipMessage = "set BACKLOGBENCH_KAFKA=host:port (make kafka-up prints it) to run the real-Kafka tests"

// Seeds returns the real broker's bootstrap servers, and skips the test
// when there are none (or with -short).
func Seeds(t *testing.T) []string {
	t.Helper()
	v := os.Getenv(Env)
	if v == "" {
		t.Skip(SkipMessage)
	}
	if testing.Short() {
		t.Skip("plays on a real Kafka")
	}
	return strings.Split(v, ",")
}
