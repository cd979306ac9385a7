package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/backlogbench/backlogbench/report"
)

func compareCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	var out string
	fs := newFlags("compare", "DIR DIR... [flags]", stderr)
	fs.StringVar(&out, "out", "", "folder for compare.html and compare.png (default results/compare-<time>/)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() < 2 {
		return usagef("compare: want two or more run folders, got %d", fs.NArg())
	}
	if out == "" {
		out = filepath.Join("results", "compare-"+time.Now().Format("20060102-150405"))
	}
	c, files, err := report.RenderCompare(out, fs.Args()...)
	if err != nil {
		if errors.Is(err, report.ErrNotRun) {
			return usageError{err}
		}
		return fmt.Errorf("compare: %w", err)
	}
	c.WriteText(stdout)
	for _, f := range files {
		fmt.Fprintln(stdout, "wrote", f)
	}
	return nil
}
