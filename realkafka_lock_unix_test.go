//go:build unix

package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// realKafkaLock holds a lock shared by every test binary of the module
// (go test runs packages in parallel) while a test plays on the real
// broker, so that the real-Kafka tests of bench and of the command line
// never share the broker and the two cores: a run that measures backlogs
// to a scenario-second at ×10 cannot have another one beside it. flock
// releases it when the process dies.
func realKafkaLock(t *testing.T) {
	t.Helper()
	path := filepath.Join(os.TempDir(), "backlogbench-realkafka.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Logf("no lock %s (%v): running without it", path, err)
		return
	}
	start := time.Now()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		t.Logf("flock %s: %v: running without it", path, err)
		return
	}
	if w := time.Since(start); w > 100*time.Millisecond {
		t.Logf("waited %.1f s for another package's real-Kafka test", w.Seconds())
	}
	t.Cleanup(func() { f.Close() })
}
