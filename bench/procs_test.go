package bench

import (
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backlogbench/backlogbench/scenario"
)

const procStat = `cpu  2970329 720 273111 4164567 2581 0 95543 49642 0 0
cpu0 1486653 303 138060 2079062 1534 0 47753 25091 0 0
cpu1 1483676 417 135051 2085505 1047 0 47790 24551 0 0
intr 1 2 3
`

// A command name with spaces and a parenthesis, as /proc allows.
const procSelfStat = `21712 (a b) c) R 21708 21708 9457 0 -1 4194304 98 0 0 0 31 9 0 0 20 0 1 0 3774263`

// TestParseCPUTimes: busy is user+nice+system+irq+softirq+steal, total
// adds idle and iowait, the CPUs are the cpuN lines, and the process's
// own is utime+stime after the last parenthesis.
func TestParseCPUTimes(t *testing.T) {
	got, ok := parseCPUTimes(procStat, procSelfStat)
	want := cpuTimes{busy: 2970329 + 720 + 273111 + 95543 + 49642, ncpu: 2, self: 40}
	want.total = want.busy + 4164567 + 2581
	if !ok || got != want {
		t.Fatalf("parseCPUTimes = %+v, %v; want %+v", got, ok, want)
	}
	for _, bad := range [][2]string{
		{"", procSelfStat},
		{"intr 1 2\n", procSelfStat},
		{"cpu 1 2 3\ncpu0 1\n", procSelfStat},
		{"cpu 1 2 3 4 5 6 7 x\ncpu0 1\n", procSelfStat},
		{"cpu 1 2 3 4 5 6 7 8\n", procSelfStat}, // no cpuN line
		{procStat, "21712 (cat R 1"},
		{procStat, "21712 (cat) R 1 2 3"},
	} {
		if _, ok := parseCPUTimes(bad[0], bad[1]); ok {
			t.Errorf("parseCPUTimes(%q, %q) ok", bad[0], bad[1])
		}
	}
}

// TestOthers: the other processes' cores are their share of the ticks
// that passed (the process's own taken out) times the machine's CPUs.
func TestOthers(t *testing.T) {
	a := cpuTimes{busy: 1000, total: 5000, self: 100, ncpu: 2}
	for _, c := range []struct {
		b    cpuTimes
		want float64
	}{
		{cpuTimes{busy: 1200, total: 5200, self: 100, ncpu: 2}, 2},   // both cores busy, none of it ours
		{cpuTimes{busy: 1050, total: 5200, self: 140, ncpu: 2}, 0.1}, // 50 busy ticks, 40 ours
		{cpuTimes{busy: 1040, total: 5200, self: 150, ncpu: 2}, 0},   // ours counted after the machine's
		{cpuTimes{busy: 1000, total: 5000, self: 100, ncpu: 2}, 0},   // no tick passed
		{cpuTimes{busy: 900, total: 5200, self: 100, ncpu: 2}, 0},    // counters went back
	} {
		if got := a.others(c.b); got < c.want-1e-9 || got > c.want+1e-9 {
			t.Errorf("others(%+v) = %v, want %v", c.b, got, c.want)
		}
	}
}

// script is a fake CPU-time reader: the n-th look after the first finds
// the other processes busy for busy[n] of 200 ticks over 2 CPUs (100 is one
// core), the last value repeated; looks counts the reads.
func script(busy ...uint64) (read func() (cpuTimes, bool), looks func() int) {
	var mu sync.Mutex
	c, n := cpuTimes{ncpu: 2}, 0
	read = func() (cpuTimes, bool) {
		mu.Lock()
		defer mu.Unlock()
		if n > 0 {
			c.total += 200
			c.busy += busy[min(n-1, len(busy)-1)]
		}
		n++
		return c, true
	}
	looks = func() int {
		mu.Lock()
		defer mu.Unlock()
		return n
	}
	return read, looks
}

// waitLooks waits until the reader has been read n times.
func waitLooks(t *testing.T, looks func() int, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for looks() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d looks after 10s, want %d", looks(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestOneProcessor: a light run takes one processor; it gives every one
// back once the other processes' CPU over the last second (busyOver
// looks) comes to over BusyCores, noting it once the scenario has
// started, but not for one busy look among idle ones; it restores the
// processors when it ends. A heavy run, one not asked to, or one without
// the machine's CPU times keeps them all.
func TestOneProcessor(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("one processor already")
	}
	procs := runtime.GOMAXPROCS(0)
	sc, err := scenario.Load("flash-sale")
	if err != nil {
		t.Fatal(err)
	}
	light := func(read func() (cpuTimes, bool)) *run {
		r := &run{cfg: Config{Speedup: 30, OneProcessor: true}, sc: sc, cpuTimes: read}
		t0 := time.Now()
		r.t0.Store(&t0)
		return r
	}
	t.Run("idle, a busy moment, then busy", func(t *testing.T) {
		// 0.2 cores, one look at 0.9 (a second's average of 0.375), then
		// 1.8 cores: at the first such look the second's average is 0.6.
		read, looks := script(20, 20, 20, 20, 90, 20, 20, 20, 20, 20, 180)
		r := light(read)
		stopWatch, restore := r.oneProcessor()
		defer restore()
		waitLooks(t, looks, 11)
		if n := runtime.GOMAXPROCS(0); n != 1 {
			t.Fatalf("GOMAXPROCS %d after a busy moment on an idle machine, want 1", n)
		}
		waitLooks(t, looks, 12) // the busy look; the watch ends with it
		deadline := time.Now().Add(5 * time.Second)
		for runtime.GOMAXPROCS(0) != procs {
			if time.Now().After(deadline) {
				t.Fatalf("still on %d processors 5s after the machine got busy", runtime.GOMAXPROCS(0))
			}
			time.Sleep(5 * time.Millisecond)
		}
		stopWatch()
		r.notesMu.Lock()
		defer r.notesMu.Unlock()
		if len(r.notes) != 1 || !strings.Contains(r.notes[0], "the machine got busy (other processes used 0.6 cores") {
			t.Errorf("notes %q, want one saying 0.6 cores", r.notes)
		}
	})
	t.Run("restored at the end", func(t *testing.T) {
		read, _ := script(20)
		_, restore := light(read).oneProcessor()
		if n := runtime.GOMAXPROCS(0); n != 1 {
			t.Errorf("GOMAXPROCS %d, want 1", n)
		}
		restore()
		restore() // twice is harmless
		if n := runtime.GOMAXPROCS(0); n != procs {
			t.Errorf("GOMAXPROCS %d after restore, want %d", n, procs)
		}
	})
	read, _ := script(20)
	for name, r := range map[string]*run{
		"heavy":        {cfg: Config{Speedup: 60, OneProcessor: true}, sc: sc, cpuTimes: read},
		"not asked":    {cfg: Config{Speedup: 30}, sc: sc, cpuTimes: read},
		"no CPU times": {cfg: Config{Speedup: 30, OneProcessor: true}, sc: sc, cpuTimes: func() (cpuTimes, bool) { return cpuTimes{}, false }},
	} {
		_, restore := r.oneProcessor()
		if n := runtime.GOMAXPROCS(0); n != procs {
			t.Errorf("%s: GOMAXPROCS %d, want %d", name, n, procs)
		}
		restore()
	}
}

// TestStartsOnOneProcessor: a light run starts on one processor where the
// machine's CPU times can be read (here, /proc), a heavy one never.
func TestStartsOnOneProcessor(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("one processor already")
	}
	sc, err := scenario.Load("flash-sale")
	if err != nil {
		t.Fatal(err)
	}
	_, readable := readCPUTimes()
	if got := StartsOnOneProcessor(sc, 30); got != readable {
		t.Errorf("×30: %v, want %v (CPU times readable: %v)", got, readable, readable)
	}
	if StartsOnOneProcessor(sc, 60) {
		t.Error("×60: true, want false")
	}
}
