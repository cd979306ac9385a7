package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/backlogbench/backlogbench/report"
)

func reportCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("report", "DIR...", stderr)
	partial := fs.Bool("partial", false, "render a folder that is truncated or inconsistent anyway, listing its problems")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("report: want one or more run folders")
	}
	for _, dir := range fs.Args() {
		if !*partial {
			r, err := report.Load(dir)
			if err != nil {
				if errors.Is(err, report.ErrNotRun) {
					return usageError{err}
				}
				return fmt.Errorf("report %s: %w", dir, err)
			}
			if len(r.Problems) > 0 {
				return fmt.Errorf("report %s: the folder is truncated or inconsistent (--partial renders it anyway): %s", dir, strings.Join(r.Problems, "; "))
			}
		}
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
