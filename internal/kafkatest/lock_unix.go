//go:build unix

package kafkatest

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Lock holds, until the test ends, a lock shared by every test binary of
// the module. flock releases it when the process dies.
func Lock(t *testing.T) {
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
