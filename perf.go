package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/backlogbench/backlogbench/perf"
	"github.com/backlogbench/backlogbench/results"
)

// perfReport is perf.json.
type perfReport struct {
	Time    time.Time `json:"time"`
	Machine string    `json:"machine"`
	Quick   bool      `json:"quick"`
	// Raw is the median of RawRuns by rate: two runs before the paced
	// ceiling's search and one after it, so a machine that slows down in
	// between moves the ratio by one run at most. Kcat likewise, its three
	// runs together.
	Raw      perf.RawResult     `json:"raw_franz_go"`
	RawRuns  []perf.RawResult   `json:"raw_franz_go_runs"`
	Kcat     *perf.KcatResult   `json:"kcat,omitempty"`
	KcatRuns []perf.KcatResult  `json:"kcat_runs,omitempty"`
	Ceiling  perf.CeilingResult `json:"paced_ceiling"`
	FanOut   perf.CeilingResult `json:"fan_out_ceiling"`
	// CeilingOverRaw is the paced ceiling with one group ÷ the raw rate.
	CeilingOverRaw float64 `json:"ceiling_over_raw"`
	// FlashSale is the median of FlashSaleRuns runs of the flash sale ×30
	// by CPU per delivered event; FlashSaleCPUUS lists each run's.
	FlashSale      perf.ChildResult `json:"flash_sale_x30"`
	FlashSaleCPUUS []float64        `json:"flash_sale_x30_cpu_us_per_event_runs"`
	CPUPerEventUS  float64          `json:"cpu_us_per_delivered_event"`
	Cores          float64          `json:"cores"`
	// Peak RSS of runs of N/4 and N events, records in memory and on
	// disk (--data-dir).
	RSSMemorySmall perf.ChildResult `json:"rss_in_memory_quarter"`
	RSSMemory      perf.ChildResult `json:"rss_in_memory"`
	RSSDiskSmall   perf.ChildResult `json:"rss_data_dir_quarter"`
	RSSDisk        perf.ChildResult `json:"rss_data_dir"`
	// MiB of peak RSS per million events beyond the fixed share: the slope
	// between the two runs, records in memory and on disk.
	RSSPerMillionMemory float64 `json:"rss_mib_per_million_in_memory"`
	RSSPerMillionDisk   float64 `json:"rss_mib_per_million_data_dir"`
}

func perfCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var quick bool
	var out string
	fs := newFlags("perf", "[flags]", stderr)
	fs.BoolVar(&quick, "quick", false, "smaller runs (about 2 min instead of 6): a smoke test, not figures to quote")
	fs.StringVar(&out, "out", "", "folder for perf.json (default results/perf-<time>/)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("perf: takes no arguments, got %q", fs.Args())
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	if out == "" {
		out = filepath.Join("results", "perf-"+time.Now().Format("20060102-150405"))
	}
	if _, err := os.Stat(out); err == nil {
		return usagef("--out: %s exists", out)
	}
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, "perf: "+format+"\n", a...) }
	rep := perfReport{Time: time.Now().UTC(), Machine: fmt.Sprintf("%s/%s, %d CPUs", runtime.GOOS, runtime.GOARCH, runtime.NumCPU()), Quick: quick}

	// Every measurement on a new embedded broker of the same kind, its
	// records on disk, reached in process as a run reaches its own (kcat,
	// another process, over TCP): none starts on a broker an overloaded
	// probe left behind (perf.FreshEmbedded).
	data, err := os.MkdirTemp("", "backlogbench-perf-broker-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(data)
	brokers := perf.FreshEmbedded(data)

	rawN, probe, steps, flashSpeedup, flashRuns, rssEvents, kcatRuns := 1_000_000, 10*time.Second, 3, "30", 3, 2_000_000, 3
	if quick {
		rawN, probe, steps, flashRuns, rssEvents, kcatRuns = 200_000, 4*time.Second, 1, 1, 400_000, 1
	}
	raw := func() error {
		logf("raw franz-go: %d records of 512 B, one producer, one consumer (run %d)", rawN, len(rep.RawRuns)+1)
		tg, stop, err := brokers()
		if err != nil {
			return err
		}
		r, err := perf.Raw(ctx, tg, rawN, 512, 12)
		stop()
		if err != nil {
			return err
		}
		logf("raw franz-go: %.0f records/s", r.Rate)
		rep.RawRuns = append(rep.RawRuns, r)
		return nil
	}
	for range 2 {
		if err := raw(); err != nil {
			return err
		}
	}
	for i := range kcatRuns {
		tg, stop, err := brokers()
		if err != nil {
			return err
		}
		k, ok, err := perf.Kcat(ctx, tg.Seeds, fmt.Sprintf("bb-perf-kcat-%d", time.Now().UnixNano()), rawN, 512, 12)
		stop()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		logf("kcat -P: %.0f records/s (run %d of %d)", k.Rate, i+1, kcatRuns)
		rep.KcatRuns = append(rep.KcatRuns, k)
	}
	if len(rep.KcatRuns) > 0 {
		k := median(rep.KcatRuns, func(k perf.KcatResult) float64 { return k.Rate })
		rep.Kcat = &k
	}
	line := func(s string) { logf("%s", s) }
	if rep.Ceiling, err = perf.Ceiling(ctx, brokers, 25_000, 1_600_000, steps, probe, 1, 4, 512, line); err != nil {
		return err
	}
	if err := raw(); err != nil {
		return err
	}
	rep.Raw = median(rep.RawRuns, func(r perf.RawResult) float64 { return r.Rate })
	rep.CeilingOverRaw = rep.Ceiling.Rate / rep.Raw.Rate
	if rep.FanOut, err = perf.Ceiling(ctx, brokers, 12_500, 800_000, steps, probe, 4, 4, 512, line); err != nil {
		return err
	}
	var flash []perf.ChildResult
	for i := range flashRuns {
		logf("flash sale ×%s in a child process (%d of %d)", flashSpeedup, i+1, flashRuns)
		c, err := perf.Child(ctx, exe, "flash-sale", "--speedup", flashSpeedup)
		if err != nil {
			return err
		}
		logf("flash sale ×%s: %.1f µs of CPU per delivered event", flashSpeedup, c.CPUPerDeliveredUS())
		flash = append(flash, c)
		rep.FlashSaleCPUUS = append(rep.FlashSaleCPUUS, c.CPUPerDeliveredUS())
	}
	rep.FlashSale = median(flash, perf.ChildResult.CPUPerDeliveredUS)
	rep.CPUPerEventUS = rep.FlashSale.CPUPerDeliveredUS()
	rep.Cores = rep.FlashSale.CPUS / rep.FlashSale.WallS
	// Peak RSS at N/4 and at N events, per mode: the slope between the two
	// is the memory per event, without the process's fixed share.
	rate := 50_000
	rss := func(events int, dataDir string) (perf.ChildResult, error) {
		yaml := filepath.Join(data, fmt.Sprintf("rss-%d.yaml", events))
		if err := os.WriteFile(yaml, fmt.Appendf(nil, "name: perf-rss\ntopics:\n  events: {partitions: 12}\nproducers:\n  events:\n    topic: events\n    size: 512\n    phases: [{duration: %ds, rate: %d}]\ngroups:\n  sink: {topics: [events], workers: 4, capacity: %d}\n",
			events/rate, rate, 2*rate), 0o644); err != nil {
			return perf.ChildResult{}, err
		}
		return perf.Child(ctx, exe, yaml, "--data-dir", dataDir)
	}
	perMillion := func(small, big perf.ChildResult) float64 {
		return (big.MaxRSSMiB - small.MaxRSSMiB) / (float64(big.Events-small.Events) / 1e6)
	}
	for _, m := range []struct {
		name, dir string
		small     *perf.ChildResult
		big       *perf.ChildResult
		slope     *float64
	}{
		{"in memory", "memory", &rep.RSSMemorySmall, &rep.RSSMemory, &rep.RSSPerMillionMemory},
		{"on disk", filepath.Join(data, "rss-data"), &rep.RSSDiskSmall, &rep.RSSDisk, &rep.RSSPerMillionDisk},
	} {
		logf("memory: %d and %d events, records %s", rssEvents/4, rssEvents, m.name)
		if *m.small, err = rss(rssEvents/4, m.dir); err != nil {
			return err
		}
		big := m.dir
		if big != "memory" {
			big += "-big"
		}
		if *m.big, err = rss(rssEvents, big); err != nil {
			return err
		}
		*m.slope = perMillion(*m.small, *m.big)
	}

	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := results.WriteFile(filepath.Join(out, "perf.json"), append(b, '\n')); err != nil {
		return err
	}
	printPerf(stdout, &rep)
	fmt.Fprintf(stdout, "perf: %s\n", filepath.Join(out, "perf.json"))
	return nil
}

// printPerf prints the report as a table with its ratios.
func printPerf(w io.Writer, r *perfReport) {
	fmt.Fprintf(w, "%-62s %14s\n", "figure ("+r.Machine+")", "value")
	row := func(name, format string, v ...any) { fmt.Fprintf(w, "%-62s %14s\n", name, fmt.Sprintf(format, v...)) }
	row(fmt.Sprintf("raw franz-go, producer + one group, unpaced, median of %d", max(len(r.RawRuns), 1)), "%.0f/s", r.Raw.Rate)
	if r.Kcat != nil {
		row(fmt.Sprintf("kcat -P (over TCP), median of %d", max(len(r.KcatRuns), 1)), "%.0f/s", r.Kcat.Rate)
	}
	row("paced ceiling, one group of 4 workers", "%.0f/s", r.Ceiling.Rate)
	row("  ratio paced ceiling / raw (goal ≥ 0.8)", "%.2f", r.CeilingOverRaw)
	if r.Raw.CPUPerEventUS > 0 && r.Ceiling.CPUPerEventUS > 0 {
		row("  CPU per event, raw (broker and clients)", "%.2f µs", r.Raw.CPUPerEventUS)
		row("  CPU per event, paced at its ceiling (broker, clients, harness)", "%.2f µs", r.Ceiling.CPUPerEventUS)
		row("  ratio paced / raw CPU per event", "%.2f", r.Ceiling.CPUPerEventUS/r.Raw.CPUPerEventUS)
	}
	row("fan-out ceiling, 4 groups × 4 workers (orders/s)", "%.0f/s", r.FanOut.Rate)
	row("  deliveries/s at the fan-out ceiling", "%.0f/s", 4*r.FanOut.Rate)
	row(fmt.Sprintf("flash sale ×30: CPU per delivered event, median of %d (goal ≤ 10)", len(r.FlashSaleCPUUS)), "%.1f µs", r.CPUPerEventUS)
	row("flash sale ×30: cores (CPU ÷ wall)", "%.2f", r.Cores)
	row("flash sale ×30: processors its Go code used (GOMAXPROCS)", "%d", r.FlashSale.Procs)
	row("flash sale ×30: verdicts", "%s", passWord(r.FlashSale.Passed))
	row(fmt.Sprintf("peak RSS, %d / %d events, in memory", r.RSSMemorySmall.Events, r.RSSMemory.Events), "%.0f / %.0f MiB", r.RSSMemorySmall.MaxRSSMiB, r.RSSMemory.MaxRSSMiB)
	row("  per million events", "%.0f MiB", r.RSSPerMillionMemory)
	row(fmt.Sprintf("peak RSS, %d / %d events, --data-dir", r.RSSDiskSmall.Events, r.RSSDisk.Events), "%.0f / %.0f MiB", r.RSSDiskSmall.MaxRSSMiB, r.RSSDisk.MaxRSSMiB)
	row("  per million events", "%.0f MiB", r.RSSPerMillionDisk)
}

// median returns the element of xs whose key is the median (the upper
// one of an even count); xs must not be empty.
func median[T any](xs []T, key func(T) float64) T {
	s := slices.Clone(xs)
	slices.SortFunc(s, func(a, b T) int { return cmp.Compare(key(a), key(b)) })
	return s[len(s)/2]
}

func passWord(ok bool) string {
	if ok {
		return "pass"
	}
	return "fail"
}
