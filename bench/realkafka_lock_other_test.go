//go:build !unix

package bench

import "testing"

// realKafkaLock serialises the real-Kafka tests across packages on unix
// (flock); elsewhere they may overlap.
func realKafkaLock(t *testing.T) {}
