package bench

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/backlogbench/backlogbench/scenario"
)

// OneCoreLoad is the most records a second of wall time (the bound of
// scenario.PeakLoad times the speedup) a run plays with its Go code on one
// processor (GOMAXPROCS=1); see OneCore.
const OneCoreLoad = 30_000

// OneCore reports whether a run of sc at speedup is light enough to run
// its Go code on one processor: at most OneCoreLoad records a second of
// wall time. A light run's goroutines hand each request and record on
// many times a second (client, broker, worker); on one processor a
// hand-off is a switch on the same thread, where with two it wakes the
// idle one, and the run pays for those wake-ups and for the scheduler
// spinning in between. On an otherwise idle machine the flash sale at ×30
// (a bound of 27,000 records a second, 18,000 at its busiest) took 0.76×
// the CPU on one processor (medians of 3 alternating runs: 15.2 against
// 20.0 µs per delivered record), every verdict passing. At ×60 (a bound
// of 54,000) one processor let the groups that keep up queue up to their
// floor on a busy machine (loyalty 159 of 150 in 1 of 3 runs), so a
// heavier run keeps every processor.
func OneCore(sc *scenario.Scenario, speedup float64) bool {
	return sc.PeakLoad()*speedup <= OneCoreLoad
}

// BusyCores is how much CPU the machine's other processes may use, in
// cores, while a run stays on one processor. With both cores of this
// machine busy the flash sale ×30 on one processor noted its workers over
// a second behind their capacity in 5 of 5 runs, against 2 of 5 on two
// processors: one processor is all the process gets when the machine
// hands it out in turns.
const BusyCores = 0.5

// StartsOnOneProcessor reports whether a run of sc at speedup with
// Config.OneProcessor starts on one processor: it is light (OneCore), the
// process has more than one, and the machine's CPU times can be read, to
// take every processor back if the machine gets busy.
func StartsOnOneProcessor(sc *scenario.Scenario, speedup float64) bool {
	_, ok := firstLook(sc, speedup, readCPUTimes)
	return ok
}

// firstLook is the machine's CPU times from read, for a run of sc at
// speedup that starts on one processor; false for one that does not.
func firstLook(sc *scenario.Scenario, speedup float64, read func() (cpuTimes, bool)) (cpuTimes, bool) {
	if !OneCore(sc, speedup) || runtime.GOMAXPROCS(0) <= 1 {
		return cpuTimes{}, false
	}
	return read()
}

// busyEvery is how often a run on one processor looks at the machine,
// and busyOver how many of those looks the CPU it judges by spans (from
// busyMin of them at the start): a second, so that one busy moment (a
// quarter of a second of an idle Kafka JVM's or another tenant's work
// read 0.5 cores once during a ×10 flash sale) does not take the
// processors back.
const (
	busyEvery = 250 * time.Millisecond
	busyOver  = 4
	busyMin   = 2
)

// cpuTimes are the machine's and this process's CPU times, in clock
// ticks: busy and total over the machine's ncpu CPUs, and the process's
// own.
type cpuTimes struct {
	busy, total, self uint64
	ncpu              int
}

// others returns the cores the machine's other processes used from a to
// b: their share of the ticks that passed, times the machine's CPUs.
func (a cpuTimes) others(b cpuTimes) float64 {
	if b.total <= a.total || b.busy < a.busy || b.self < a.self {
		return 0
	}
	o := float64(b.busy-a.busy) - float64(b.self-a.self)
	return max(o, 0) / float64(b.total-a.total) * float64(b.ncpu)
}

// readCPUTimes reads the machine's CPU times from /proc/stat and the
// process's from /proc/self/stat; false where there is no /proc.
func readCPUTimes() (cpuTimes, bool) {
	stat, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuTimes{}, false
	}
	self, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return cpuTimes{}, false
	}
	return parseCPUTimes(string(stat), string(self))
}

// parseCPUTimes parses /proc/stat's first line ("cpu user nice system
// idle iowait irq softirq steal ..."; time stolen by the hypervisor is
// busy: another guest had the CPU), counts its "cpuN" lines, and parses
// /proc/self/stat's utime and stime (fields 14 and 15, counted after the
// command name, which may hold spaces and parentheses).
func parseCPUTimes(stat, self string) (cpuTimes, bool) {
	line, rest, _ := strings.Cut(stat, "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return cpuTimes{}, false
	}
	var v [8]uint64
	for i := range v {
		n, err := strconv.ParseUint(f[i+1], 10, 64)
		if err != nil {
			return cpuTimes{}, false
		}
		v[i] = n
	}
	t := cpuTimes{busy: v[0] + v[1] + v[2] + v[5] + v[6] + v[7]}
	t.total = t.busy + v[3] + v[4]
	for l := range strings.Lines(rest) {
		if len(l) > 3 && strings.HasPrefix(l, "cpu") && l[3] >= '0' && l[3] <= '9' {
			t.ncpu++
		}
	}
	if t.ncpu == 0 {
		return cpuTimes{}, false
	}
	i := strings.LastIndexByte(self, ')')
	if i < 0 {
		return cpuTimes{}, false
	}
	sf := strings.Fields(self[i+1:])
	if len(sf) < 13 {
		return cpuTimes{}, false
	}
	ut, err1 := strconv.ParseUint(sf[11], 10, 64)
	st, err2 := strconv.ParseUint(sf[12], 10, 64)
	if err1 != nil || err2 != nil {
		return cpuTimes{}, false
	}
	t.self = ut + st
	return t, true
}

// oneProcessor plays the run's Go code on one processor (Config.
// OneProcessor) while the machine is otherwise idle: every busyEvery it
// reads the CPU the other processes used over the last busyOver looks,
// and from the first time that comes to over BusyCores it gives the run
// back every processor for good (with a note once the scenario has
// started). Where the machine's CPU times cannot be read the run keeps
// every processor. stopWatch ends the watch (the play is over); restore
// ends it too and gives the process back its processors; Run defers it.
func (r *run) oneProcessor() (stopWatch, restore func()) {
	nothing := func() {}
	if !r.cfg.OneProcessor {
		return nothing, nothing
	}
	read := r.cpuTimes
	if read == nil {
		read = readCPUTimes
	}
	first, ok := firstLook(r.sc, r.cfg.Speedup, read)
	if !ok {
		return nothing, nothing
	}
	prev := runtime.GOMAXPROCS(1)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(busyEvery)
		defer t.Stop()
		looks := make([]cpuTimes, 1, busyOver+1)
		looks[0] = first
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			now, ok := read()
			if !ok {
				runtime.GOMAXPROCS(prev)
				return
			}
			if len(looks) == busyOver+1 {
				looks = append(looks[:0], looks[1:]...)
			}
			looks = append(looks, now)
			if len(looks) <= busyMin {
				continue
			}
			others := looks[0].others(now)
			if others <= BusyCores {
				continue
			}
			runtime.GOMAXPROCS(prev)
			if t0 := r.t0.Load(); t0 != nil {
				r.note(fmt.Sprintf("harness: the machine got busy (other processes used %.1f cores at t=%.0f s): the run went on with %d processors instead of one",
					others, time.Since(*t0).Seconds()*r.cfg.Speedup, prev))
			}
			return
		}
	}()
	var once sync.Once
	stopWatch = func() { once.Do(func() { close(stop); wg.Wait() }) }
	return stopWatch, func() { stopWatch(); runtime.GOMAXPROCS(prev) }
}
