//go:build !unix

package kafkatest

import "testing"

// Lock is a no-op where flock is not to be had: the real-Kafka tests
// then run unserialised.
func Lock(t *testing.T) { t.Helper() }
