package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/backlogbench/backlogbench/report"
)

func reportCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("report", "DIR...", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("report: want one or more run folders")
	}
	for _, dir := range fs.Args() {
		files, err := report.Render(dir)
		if err != nil {
			if errors.Is(err, report.ErrNotRun) {
				return usageError{err}
			}
			return fmt.Errorf("report %s: %w", dir, err)
		}
		for _, f := range files {
			fmt.Fprintln(stdout, "wrote", f)
		}
	}
	return nil
}
