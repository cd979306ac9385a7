package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/backlogbench/backlogbench/bench"
	"github.com/backlogbench/backlogbench/scenario"
)

// predictOutput is `predict --format json`.
type predictOutput struct {
	Scenario string                   `json:"scenario"`
	Groups   map[string]bench.Figures `json:"groups"`
}

func predictCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("predict", "SCENARIO [flags]", stderr)
	format := fs.String("format", "table", "output format: table or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("predict: want one scenario (a preset name or a file), got %d arguments", fs.NArg())
	}
	if *format != "table" && *format != "json" {
		return usagef("--format: want table or json, got %q", *format)
	}
	sc, err := scenario.Load(fs.Arg(0))
	if err != nil {
		return err
	}
	for _, w := range sc.Warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	preds := bench.Predict(sc)
	if *format == "json" {
		out := predictOutput{Scenario: sc.Name, Groups: map[string]bench.Figures{}}
		for _, p := range preds {
			out.Groups[p.Name] = p.Figures()
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "group\tworkers\tevents\tpeak backlog\tpeak at\tgrowth/s\tdrained at\t\n")
	for _, p := range preds {
		g := sc.Groups[p.Name]
		drained := "never"
		if f := p.Figures(); f.DrainedAtS != nil {
			drained = clock(*f.DrainedAtS)
		}
		fmt.Fprintf(tw, "%s\t%d (%d active)\t%.0f\t%.0f\t%s\t%.2f\t%s\t\n",
			p.Name, g.Workers, p.ActiveWorkers, p.Events, p.PeakBacklog, clock(p.PeakAtS), p.GrowthRate, drained)
	}
	return tw.Flush()
}

// clock formats scenario seconds as m:ss.
func clock(s float64) string {
	m := int(s) / 60
	return fmt.Sprintf("%d:%04.1f", m, s-float64(m*60))
}
