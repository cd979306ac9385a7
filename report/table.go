package report

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/backlogbench/backlogbench/results"
)

// The run's table and report.md: pure functions of summary.json.

// metrics lists the figures in the order tables show them.
var metrics = []string{"events", "peak_backlog", "peak_at_s", "growth_rate", "drained_at_s"}

func figureOf(f results.Figures, m string) (float64, bool) {
	switch m {
	case "events":
		return f.Events, true
	case "peak_backlog":
		return f.PeakBacklog, true
	case "peak_at_s":
		return f.PeakAtS, true
	case "growth_rate":
		return f.GrowthRate, true
	case "drained_at_s":
		if f.DrainedAtS == nil {
			return math.Inf(1), true
		}
		return *f.DrainedAtS, true
	}
	return 0, false
}

// FormatNumber formats a figure the way the tables do: integers with
// thousands separators, one decimal from 100 up, two below; +Inf is
// "never" and NaN is "—".
func FormatNumber(x float64) string {
	switch {
	case math.IsNaN(x):
		return "—"
	case math.IsInf(x, 1):
		return "never"
	case math.IsInf(x, -1):
		return "-inf"
	case x == math.Trunc(x) && math.Abs(x) < 1e15:
		return GroupDigits(strconv.FormatFloat(x, 'f', 0, 64))
	case math.Abs(x) >= 100:
		return GroupDigits(strconv.FormatFloat(x, 'f', 1, 64))
	default:
		return strconv.FormatFloat(x, 'f', 2, 64)
	}
}

// GroupDigits puts thousands separators in a formatted number.
func GroupDigits(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String()
	if hasFrac {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

func fmtErr(pred, obs float64) string {
	if math.IsInf(pred, 1) || math.IsInf(obs, 1) {
		if math.IsInf(pred, 1) && math.IsInf(obs, 1) {
			return "0"
		}
		return "—"
	}
	d := obs - pred
	if pred == 0 {
		return fmt.Sprintf("%+.0f", d)
	}
	return fmt.Sprintf("%+.2f%%", 100*d/math.Abs(pred))
}

// Rows returns the predicted-versus-observed table: one row per group and
// figure with a verdict, then the delivery figures.
func Rows(s *results.Summary) [][]string {
	rows := [][]string{{"group", "figure", "predicted", "observed", "error", "verdict"}}
	for _, g := range sortedGroupNames(s) {
		gs := s.Groups[g]
		for _, m := range metrics {
			v, ok := gs.Verdicts[m]
			if !ok {
				continue
			}
			p, _ := figureOf(gs.Predicted.Figures, m)
			o, _ := figureOf(gs.Observed.Figures, m)
			rows = append(rows, []string{g, m, fmtNum(p), fmtNum(o), fmtErr(p, o), v})
		}
		if c := gs.Predicted.Conditional; c != nil {
			for _, m := range metrics {
				v, ok := gs.Verdicts["conditional."+m]
				if !ok {
					continue
				}
				p, _ := figureOf(*c, m)
				o, _ := figureOf(gs.Observed.Figures, m)
				rows = append(rows, []string{g, "conditional " + m, fmtNum(p), fmtNum(o), fmtErr(p, o), v})
			}
		}
		if gs.Expected != nil {
			e := gs.Expected
			for _, m := range metrics {
				v, ok := gs.Verdicts["expect."+m]
				if !ok {
					continue
				}
				var want *float64
				switch m {
				case "events":
					want = e.Events
				case "peak_backlog":
					want = e.PeakBacklog
				case "peak_at_s":
					want = e.PeakAtS
				case "growth_rate":
					want = e.GrowthRate
				case "drained_at_s":
					want = e.DrainedAtS
				}
				o, _ := figureOf(gs.Observed.Figures, m)
				rows = append(rows, []string{g, "expect " + m, fmtNum(*want), fmtNum(o), fmtErr(*want, o), v})
			}
		}
		if v, ok := gs.Verdicts["lost"]; ok {
			rows = append(rows, []string{g, "lost", "0", fmtNum(float64(gs.Observed.Lost)), "", v})
		}
		if u := gs.Observed.Unprocessed; u > 0 {
			rows = append(rows, []string{g, "unprocessed", "", fmtNum(float64(u)), "", "(not lost)"})
		}
		rows = append(rows, latencyRows(g, gs)...)
		rows = append(rows, deliveryRows(g, gs)...)
	}
	return rows
}

// deliveryRows are a group's audit rows: duplicates delivered against
// the prediction (= exact, ≤ a bound), then suppressed and applied twice
// against what the group's dedup setting implies.
func deliveryRows(g string, gs results.GroupSummary) [][]string {
	o := gs.Observed
	var rows [][]string
	n := func(x int64) string { return fmtNum(float64(x)) }
	if v, ok := gs.Verdicts["duplicates_delivered"]; ok {
		want := ""
		switch {
		case gs.Predicted.Duplicates != nil:
			want = n(*gs.Predicted.Duplicates)
		case gs.Predicted.DuplicatesMax != nil:
			want = "≤ " + n(*gs.Predicted.DuplicatesMax)
		}
		rows = append(rows, []string{g, "duplicates_delivered", want, n(o.DuplicatesDelivered), "", v})
	}
	if v, ok := gs.Verdicts["duplicates_suppressed"]; ok {
		rows = append(rows, []string{g, "duplicates_suppressed", n(o.DuplicatesDelivered), n(o.DuplicatesSuppressed), "", v})
	}
	if v, ok := gs.Verdicts["out_of_order"]; ok {
		want := "0"
		if o.OutOfOrder > 0 && v == results.Pass {
			want = "rewinds after a fault"
		}
		rows = append(rows, []string{g, "out_of_order", want, n(o.OutOfOrder), "", v})
	}
	if v, ok := gs.Verdicts["applied_twice"]; ok {
		want := n(o.DuplicatesDelivered)
		switch {
		case gs.Delivery == "exactly-once":
			want = n(gs.Predicted.DuplicatesUpstream)
		case gs.Dedup:
			want = "0"
		}
		rows = append(rows, []string{g, "applied_twice", want, n(o.AppliedTwice), "", v})
	}
	return rows
}

func sortedGroupNames(s *results.Summary) []string {
	out := make([]string, 0, len(s.Groups))
	for g := range s.Groups {
		out = append(out, g)
	}
	sort.Strings(out)
	return out
}

// RenderTable writes the predicted | observed | error | verdict table as
// aligned text, then one line per group of latency and lag figures.
func RenderTable(w io.Writer, s *results.Summary) {
	rows := Rows(s)
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r {
			pad := widths[i] - len([]rune(c))
			if i >= 2 && i <= 4 { // numbers right-aligned
				b.WriteString(strings.Repeat(" ", pad) + c)
			} else {
				b.WriteString(c + strings.Repeat(" ", pad))
			}
			if i < len(r)-1 {
				b.WriteString("  ")
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	fmt.Fprintln(w)
	for _, g := range sortedGroupNames(s) {
		o := s.Groups[g].Observed
		fmt.Fprintf(w, "%s: latency p50 %s ms, p99 %s ms, max %s ms; max offset lag %s; max time lag %.1f s%s; redelivered %d\n",
			g, fmtNum(o.LatencyMs.P50), fmtNum(o.LatencyMs.P99), fmtNum(o.LatencyMs.Max), fmtNum(float64(o.MaxOffsetLag)), o.MaxTimeLagS, fromCommits(o), o.Redelivered)
	}
	renderCriticalPath(w, s)
	for _, n := range s.Notes {
		fmt.Fprintln(w, "note:", n)
	}
	fmt.Fprintln(w, Verdict(s))
}

// Verdict returns the run's one-line verdict.
func Verdict(s *results.Summary) string {
	switch {
	case s.Passed:
		return "PASS: every figure within tolerance"
	case !s.Complete:
		return "INCOMPLETE: the run did not finish; figures cover what was measured"
	}
	return "FAIL: some figures left the tolerance"
}

// RenderMarkdown writes report.md from the summary alone.
func RenderMarkdown(w io.Writer, s *results.Summary) {
	fmt.Fprintf(w, "# backlogbench: %s\n\n", s.Scenario)
	fmt.Fprintf(w, "- broker: %s\n- speedup: ×%s (figures in scenario units)\n- tolerance: %s%%\n- complete: %v\n- verdict: **%s**\n\n",
		s.Broker, fmtNum(s.Speedup), fmtNum(s.Tolerance*100), s.Complete, Verdict(s))
	fmt.Fprintf(w, "## Producers\n\n| producer | target events | acked | failed |\n|---|---:|---:|---:|\n")
	names := make([]string, 0, len(s.Producers))
	for n := range s.Producers {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := s.Producers[n]
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", n, fmtNum(float64(p.TargetEvents)), fmtNum(float64(p.Acked)), fmtNum(float64(p.Failed)))
	}
	fmt.Fprintf(w, "\n## Predicted versus observed\n\n")
	rows := Rows(s)
	fmt.Fprintf(w, "| %s |\n|---|---|---:|---:|---:|---|\n", strings.Join(rows[0], " | "))
	for _, r := range rows[1:] {
		fmt.Fprintf(w, "| %s |\n", strings.Join(r, " | "))
	}
	fmt.Fprintf(w, "\n## Latency and lag\n\n| group | workers (active) | p50 ms | p99 ms | max ms | max offset lag | max time lag s | redelivered |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, g := range sortedGroupNames(s) {
		gs := s.Groups[g]
		o := gs.Observed
		fmt.Fprintf(w, "| %s | %d (%d) | %s | %s | %s | %s | %.1f | %d |\n", g, gs.Workers, gs.ActiveWorkers,
			fmtNum(o.LatencyMs.P50), fmtNum(o.LatencyMs.P99), fmtNum(o.LatencyMs.Max), fmtNum(float64(o.MaxOffsetLag)), o.MaxTimeLagS, o.Redelivered)
	}
	fmt.Fprintf(w, "\n## Delivery audit\n\n| group | delivered | unique | duplicates delivered | suppressed | applied twice | lost | out of order | effects applied | points (expected) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, g := range sortedGroupNames(s) {
		o := s.Groups[g].Observed
		fmt.Fprintf(w, "| %s | %d | %d | %d | %d | %d | %d | %d | %d | %d (%d) |\n", g, o.Delivered, o.Unique, o.DuplicatesDelivered,
			o.DuplicatesSuppressed, o.AppliedTwice, o.Lost, o.OutOfOrder, o.Effects.Applied, o.Effects.Points, o.Effects.PointsExpected)
	}
	if s.CriticalPath != nil {
		fmt.Fprintf(w, "\n## Critical path\n\n")
		renderCriticalPath(w, s)
	}
	if len(s.Notes) > 0 {
		fmt.Fprintf(w, "\n## Notes\n\n")
		for _, n := range s.Notes {
			fmt.Fprintf(w, "- %s\n", n)
		}
	}
}

// latencyRows returns a group's latency rows of the predicted-versus-
// observed table: p50 and p99 with their verdicts when checked, and the
// largest time lag, predicted as the workers serve their partitions (its
// verdict, or its range over the fetch cycle's phases) beside observed. A
// run from before that model predicted the fluid FIFO's, marked so.
func latencyRows(g string, gs results.GroupSummary) [][]string {
	p := gs.Predicted
	var rows [][]string
	if p.LatencyMs.Stochastic() {
		o := gs.Observed.LatencyMs
		rows = append(rows,
			[]string{g, "latency_p50_ms", fmtNum(p.LatencyMs.P50), fmtNum(o.P50), fmtErr(p.LatencyMs.P50, o.P50), gs.Verdicts["latency_p50"]},
			[]string{g, "latency_p99_ms", fmtNum(p.LatencyMs.P99), fmtNum(o.P99), fmtErr(p.LatencyMs.P99, o.P99), gs.Verdicts["latency_p99"]})
	}
	switch {
	case p.MaxTimeLagS == nil || *p.MaxTimeLagS <= 0:
	case p.MaxTimeLagLowS == nil || p.MaxTimeLagHighS == nil:
		rows = append(rows, []string{g, "max_time_lag_s", fmtNum(*p.MaxTimeLagS), fmtNum(gs.Observed.MaxTimeLagS), fmtErr(*p.MaxTimeLagS, gs.Observed.MaxTimeLagS), "(fluid FIFO)"})
	default:
		v := gs.Verdicts["max_time_lag_s"]
		if v == "" {
			v = fmt.Sprintf("(%s–%s by phase)", fmtNum(*p.MaxTimeLagLowS), fmtNum(*p.MaxTimeLagHighS))
		}
		rows = append(rows, []string{g, "max_time_lag_s", fmtNum(*p.MaxTimeLagS), fmtNum(gs.Observed.MaxTimeLagS), fmtErr(*p.MaxTimeLagS, gs.Observed.MaxTimeLagS), v})
	}
	return rows
}

// renderCriticalPath writes the critical-path lines of the run's table.
func renderCriticalPath(w io.Writer, s *results.Summary) {
	cp := s.CriticalPath
	if cp == nil {
		return
	}
	fmt.Fprintf(w, "critical path: all sync (%s) %s ms, availability %s\n", strings.Join(cp.Sync, " → "), fmtNum(cp.SyncLatencyMs), Percent(cp.SyncAvailability))
	if len(cp.Moved) == 0 {
		return
	}
	fmt.Fprintf(w, "critical path: async (%s, then publish; %s off the path) %s ms + publish p50 %s / p99 %s ms measured (wall) = %s / %s ms, availability %s (broker not included)\n",
		strings.Join(cp.Kept, " → "), strings.Join(cp.Moved, ", "), fmtNum(cp.AsyncLatencyMs),
		fmtNum(cp.PublishMs.P50), fmtNum(cp.PublishMs.P99), fmtNum(cp.AsyncWithPublishMs.P50), fmtNum(cp.AsyncWithPublishMs.P99), Percent(cp.AsyncAvailability))
}

// fromCommits shows the largest time lag from the committed offsets, when
// the run measured it.
func fromCommits(o results.Observed) string {
	if o.MaxCommitTimeLagS <= 0 {
		return ""
	}
	return fmt.Sprintf(" (%.1f s from the committed offsets)", o.MaxCommitTimeLagS)
}

// Percent formats an availability as a percentage to 4 decimals, as the
// seed does: 99.4015%.
func Percent(a float64) string { return fmt.Sprintf("%.4f%%", 100*a) }
