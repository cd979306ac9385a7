package bench

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const dataDirScenario = `
name: data-dir
topics:
  orders: {partitions: 4}
producers:
  orders:
    topic: orders
    phases: [{duration: 30s, rate: 100}]
groups:
  email: {topics: [orders], workers: 2, capacity: 200}
`

// TestDataDir: with a data folder the embedded broker keeps the run's
// records there, and the run passes as in memory.
func TestDataDir(t *testing.T) {
	if testing.Short() {
		t.Skip("plays a scenario on the embedded broker")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := Run(ctx, Config{Scenario: parse(t, dataDirScenario), Speedup: 10, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	requirePass(t, res.Summary)
	if got := res.Summary.Groups["email"].Observed.Unique; got != 3000 {
		t.Errorf("email processed %d of 3,000", got)
	}
	var size int64
	err = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			fi, ierr := d.Info()
			if ierr != nil {
				return ierr
			}
			size += fi.Size()
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if size < 3000*64 { // every event's value is on disk
		t.Errorf("%s holds %d bytes after 3,000 events", dir, size)
	}
	if !strings.Contains(strings.Join(res.Summary.Notes, "\n"), "records on disk in "+dir) {
		t.Errorf("no note names the data folder: %q", res.Summary.Notes)
	}
}

// TestSpill: a scenario whose records would take more than SpillAbove of
// memory spills to a temporary folder, removed at the end; a small one and
// "memory" keep them in memory.
func TestSpill(t *testing.T) {
	big := parse(t, strings.Replace(dataDirScenario, "rate: 100", "rate: 100000", 1)) // 3 M events, ~2.5 GiB
	if mem, _ := big.BrokerMemory(); mem <= SpillAbove {
		t.Fatalf("the big scenario's estimate is %.0f bytes, not above %d", mem, SpillAbove)
	}
	r := &run{sc: big, cfg: Config{Scenario: big}}
	dir, err := r.dataDir()
	if err != nil || dir == "" {
		t.Fatalf("big scenario: data dir %q, %v; want a temporary folder", dir, err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatal(err)
	}
	r.removeSpill()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s still there after the run: %v", dir, err)
	}
	for _, c := range []struct {
		name, dataDir string
		r             *run
	}{
		{"small", "", &run{sc: parse(t, dataDirScenario)}},
		{"big in memory", MemoryDataDir, &run{sc: big}},
	} {
		c.r.cfg.DataDir = c.dataDir
		if dir, err := c.r.dataDir(); dir != "" || err != nil {
			t.Errorf("%s: data dir %q, %v; want memory", c.name, dir, err)
		}
	}
	bad := Config{Scenario: big, Brokers: []string{"127.0.0.1:9092"}, DataDir: dir}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "--data-dir") {
		t.Errorf("--data-dir with --brokers: %v; want an error naming the flag", err)
	}
}
