package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/backlogbench/backlogbench/model"
	"github.com/backlogbench/backlogbench/predict"
	"github.com/backlogbench/backlogbench/scenario"
)

// planOptions are plan's flags.
type planOptions struct {
	group       string
	maxBacklog  float64
	drainWithin time.Duration
	maxTimeLag  time.Duration
	format      string
}

// target validates the options into the model's target: exactly one.
func (o planOptions) target() (model.Target, error) {
	n := 0
	var t model.Target
	if o.maxBacklog != 0 {
		n++
		if !(o.maxBacklog > 0) || math.IsInf(o.maxBacklog, 0) {
			return t, usagef("--max-backlog: must be > 0 events, got %v", o.maxBacklog)
		}
		t.MaxBacklog = o.maxBacklog
	}
	if o.drainWithin != 0 {
		n++
		if o.drainWithin < 0 {
			return t, usagef("--drain-within: must be > 0, got %v", o.drainWithin)
		}
		t.DrainWithin = o.drainWithin.Seconds()
	}
	if o.maxTimeLag != 0 {
		n++
		if o.maxTimeLag < 0 {
			return t, usagef("--max-time-lag: must be > 0, got %v", o.maxTimeLag)
		}
		t.MaxTimeLag = o.maxTimeLag.Seconds()
	}
	if n != 1 {
		return t, usagef("plan: give one target: --max-backlog N, --drain-within DUR or --max-time-lag DUR")
	}
	if o.format != "table" && o.format != "json" {
		return t, usagef("--format: want table or json, got %q", o.format)
	}
	return t, nil
}

// planGroup is one group in `plan --format json`. Capacity, workers and
// partitions are null when no answer exists (Reason says why).
type planGroup struct {
	Capacity *float64 `json:"capacity"`
	Workers  *int     `json:"workers"`
	// Partitions is the total over the group's topics for Workers;
	// PartitionsByTopic the count per topic.
	Partitions        *int           `json:"partitions"`
	PartitionsByTopic map[string]int `json:"partitions_by_topic,omitempty"`
	// WorkersAtCurrentPartitions is the least workers without adding
	// partitions (null when none suffices).
	WorkersAtCurrentPartitions *int `json:"workers_at_current_partitions"`
	// PeakBacklog and DrainedAtS are predicted at Capacity.
	PeakBacklog *float64 `json:"peak_backlog"`
	DrainedAtS  *float64 `json:"drained_at_s"`
	Feasible    bool     `json:"feasible"`
	Reason      string   `json:"reason,omitempty"`
	// Current is the group as the scenario has it.
	Current current `json:"current"`
}

type current struct {
	Capacity   float64 `json:"capacity"`
	Workers    int     `json:"workers"`
	Partitions int     `json:"partitions"`
}

type planOutput struct {
	Scenario string               `json:"scenario"`
	Target   string               `json:"target"`
	Groups   map[string]planGroup `json:"groups"`
}

func planCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	var o planOptions
	fs := newFlags("plan", "SCENARIO (--max-backlog N | --drain-within DUR | --max-time-lag DUR) [flags]", stderr)
	fs.StringVar(&o.group, "group", "", "plan this group only (default every group)")
	fs.Float64Var(&o.maxBacklog, "max-backlog", 0, "target: the backlog never exceeds N events")
	fs.DurationVar(&o.drainWithin, "drain-within", 0, "target: the backlog is back to zero within DUR of each peak")
	fs.DurationVar(&o.maxTimeLag, "max-time-lag", 0, "target: no event waits longer than DUR (the oldest unprocessed event's age)")
	fs.StringVar(&o.format, "format", "table", "output format: table or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("plan: want one scenario (a preset name or a file), got %d arguments", fs.NArg())
	}
	for _, f := range []string{"max-backlog", "drain-within", "max-time-lag"} {
		if v := fs.Lookup(f); fs.Changed(f) && (v.Value.String() == "0" || v.Value.String() == "0s") {
			return usagef("--%s: must be > 0, got %s", f, v.Value.String())
		}
	}
	t, err := o.target()
	if err != nil {
		return err
	}
	sc, err := loadForModel(fs.Arg(0), stderr)
	if err != nil {
		return err
	}
	names := sc.GroupNames()
	if o.group != "" {
		if _, ok := sc.Groups[o.group]; !ok {
			return usagef("--group: no group %q in %s (groups: %s)", o.group, sc.Name, strings.Join(names, ", "))
		}
		names = []string{o.group}
	}
	out := planOutput{Scenario: sc.Name, Target: t.String(), Groups: map[string]planGroup{}}
	var infeasible []string
	for _, name := range names {
		pg := planFor(sc, name, t)
		if !pg.Feasible {
			infeasible = append(infeasible, name)
		}
		out.Groups[name] = pg
	}
	if o.format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else if err := renderPlan(stdout, sc, names, out); err != nil {
		return err
	}
	if len(infeasible) > 0 {
		return fmt.Errorf("%s: %w (%s)", strings.Join(infeasible, ", "), errInfeasible, t)
	}
	return nil
}

// planFor plans one group.
func planFor(sc *scenario.Scenario, name string, t model.Target) planGroup {
	g := sc.Groups[name]
	mg := predict.ModelGroup(sc, name, nil)
	if t.MaxTimeLag > 0 {
		sv := predict.Serving(sc, name, predict.Embedded)
		t.Serving = &sv
	}
	pl := model.PlanGroup(mg, t)
	pg := planGroup{Feasible: pl.Feasible, Reason: pl.Reason,
		Current: current{Capacity: g.MaxCapacity(), Workers: g.Workers, Partitions: sc.Partitions(g)}}
	if !pl.Feasible {
		return pg
	}
	c := pl.Capacity
	pg.Capacity = &c
	peak := round3(pl.Prediction.PeakBacklog)
	pg.PeakBacklog = &peak
	if d := pl.Prediction.DrainedAtS; !math.IsInf(d, 1) {
		d = round3(d)
		pg.DrainedAtS = &d
	}
	if pl.Workers > 0 {
		w := pl.Workers
		pg.Workers = &w
		total := 0
		pg.PartitionsByTopic = map[string]int{}
		for i, t := range g.Topics {
			pg.PartitionsByTopic[t] = pl.Partitions[i]
			total += pl.Partitions[i]
		}
		pg.Partitions = &total
	}
	if pl.WorkersAtCurrentPartitions > 0 {
		w := pl.WorkersAtCurrentPartitions
		pg.WorkersAtCurrentPartitions = &w
	}
	return pg
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// renderPlan writes the plan as a table, then the reasons.
func renderPlan(w io.Writer, sc *scenario.Scenario, names []string, out planOutput) error {
	fmt.Fprintf(w, "%s, target %s\n\n", sc.Name, out.Target)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "group\tnow\tcapacity\tworkers\tpartitions\tworkers, same partitions\tpeak backlog\tdrained at\t\n")
	var notes []string
	for _, name := range names {
		pg := out.Groups[name]
		now := fmt.Sprintf("%g/s, %d workers, %d partitions", pg.Current.Capacity, pg.Current.Workers, pg.Current.Partitions)
		if !pg.Feasible {
			fmt.Fprintf(tw, "%s\t%s\tinfeasible\t—\t—\t—\t—\t—\t\n", name, now)
			notes = append(notes, name+": "+pg.Reason)
			continue
		}
		workers, parts, same := "—", "—", "—"
		if pg.Workers != nil {
			workers = fmt.Sprint(*pg.Workers)
			var ps []string
			for _, t := range sc.Groups[name].Topics {
				ps = append(ps, fmt.Sprintf("%s %d", t, pg.PartitionsByTopic[t]))
			}
			parts = strings.Join(ps, ", ")
		}
		if pg.Reason != "" {
			notes = append(notes, name+": "+pg.Reason)
		}
		if pg.WorkersAtCurrentPartitions != nil {
			same = fmt.Sprint(*pg.WorkersAtCurrentPartitions)
		}
		drained := "never"
		if pg.DrainedAtS != nil {
			drained = model.Clock(*pg.DrainedAtS)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s/s\t%s\t%s\t%s\t%s\t%s\t\n", name, now, model.Figure(*pg.Capacity, 1), workers, parts, same,
			model.Figure(*pg.PeakBacklog, 0), drained)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\ncapacity: the least at the group's workers; workers: the least at its per-worker rate, with those partitions;")
	fmt.Fprintln(w, "peak backlog and drained at: predicted at that capacity.")
	if len(notes) > 0 {
		slices.Sort(notes)
		fmt.Fprintln(w)
		for _, n := range notes {
			fmt.Fprintln(w, n)
		}
	}
	return nil
}
