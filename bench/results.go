package bench

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Write stores a run's results in dir: scenario.yaml (the resolved
// scenario), summary.json, timeseries.csv, one <group>.hgrm per group and
// report.md. The reports are derived from the stored data only.
func Write(dir string, r *Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("results folder: %w", err)
	}
	y, err := r.Scenario.YAML()
	if err != nil {
		return fmt.Errorf("scenario.yaml: %w", err)
	}
	files := map[string][]byte{"scenario.yaml": y}
	sj, err := json.MarshalIndent(r.Summary, "", "  ")
	if err != nil {
		return fmt.Errorf("summary.json: %w", err)
	}
	files["summary.json"] = append(sj, '\n')
	var ts strings.Builder
	if err := WriteTimeseries(&ts, r); err != nil {
		return fmt.Errorf("timeseries.csv: %w", err)
	}
	files["timeseries.csv"] = []byte(ts.String())
	for name, h := range r.Latency {
		var b strings.Builder
		if h != nil && h.Histogram != nil {
			// Values are scenario microseconds; print milliseconds.
			if _, err := h.PercentilesPrint(&b, 5, 1000); err != nil {
				return fmt.Errorf("%s.hgrm: %w", name, err)
			}
		}
		files[name+".hgrm"] = []byte(b.String())
	}
	var md strings.Builder
	RenderMarkdown(&md, &r.Summary)
	files["report.md"] = []byte(md.String())
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// WriteTimeseries writes one CSV row per sample: the scenario time, per
// producer the events acked and the acked rate, and per group the unique
// events processed, the processed rate, the exact backlog, the predicted
// backlog, the offset lag (empty before the first reading), the time lag
// and the predicted time lag (the fluid FIFO age of the oldest unprocessed
// event).
func WriteTimeseries(w io.Writer, r *Result) error {
	cw := csv.NewWriter(w)
	prods := r.Scenario.ProducerNames()
	groups := r.Scenario.GroupNames()
	head := []string{"t_s"}
	for _, p := range prods {
		head = append(head, p+".acked", p+".acked_rate")
	}
	for _, g := range groups {
		head = append(head, g+".processed", g+".processed_rate", g+".backlog", g+".predicted_backlog", g+".offset_lag", g+".time_lag_s", g+".predicted_time_lag_s")
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	f := func(x float64, d int) string { return strconv.FormatFloat(x, 'f', d, 64) }
	i64 := func(x int64) string { return strconv.FormatInt(x, 10) }
	var prev *Sample
	for k := range r.Samples {
		s := &r.Samples[k]
		row := []string{f(s.T, 3)}
		dt := 0.0
		if prev != nil {
			dt = s.T - prev.T
		}
		rate := func(now, before int64) string {
			if prev == nil || dt <= 0 {
				return ""
			}
			return f(float64(now-before)/dt, 1)
		}
		for i := range prods {
			var before int64
			if prev != nil {
				before = prev.Acked[i]
			}
			row = append(row, i64(s.Acked[i]), rate(s.Acked[i], before))
		}
		for i := range groups {
			g := s.Groups[i]
			var before int64
			if prev != nil {
				before = prev.Groups[i].Processed
			}
			lag := ""
			if g.OffsetLag >= 0 {
				lag = i64(g.OffsetLag)
			}
			row = append(row, i64(g.Processed), rate(g.Processed, before), i64(g.Backlog), f(g.Predicted, 1), lag, f(g.TimeLag, 3), f(r.Predictions[i].TimeLag(s.T), 3))
		}
		if err := cw.Write(row); err != nil {
			return err
		}
		prev = s
	}
	cw.Flush()
	return cw.Error()
}

// metrics lists the figures in the order tables show them.
var metrics = []string{"events", "peak_backlog", "peak_at_s", "growth_rate", "drained_at_s"}

func figure(f Figures, m string) (float64, bool) {
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

func fmtNum(x float64) string { return FormatNumber(x) }

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
func Rows(s *Summary) [][]string {
	rows := [][]string{{"group", "figure", "predicted", "observed", "error", "verdict"}}
	for _, g := range sortedGroupNames(s) {
		gs := s.Groups[g]
		for _, m := range metrics {
			v, ok := gs.Verdicts[m]
			if !ok {
				continue
			}
			p, _ := figure(gs.Predicted.Figures, m)
			o, _ := figure(gs.Observed.Figures, m)
			rows = append(rows, []string{g, m, fmtNum(p), fmtNum(o), fmtErr(p, o), v})
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
				o, _ := figure(gs.Observed.Figures, m)
				rows = append(rows, []string{g, "expect " + m, fmtNum(*want), fmtNum(o), fmtErr(*want, o), v})
			}
		}
		if v, ok := gs.Verdicts["lost"]; ok {
			rows = append(rows, []string{g, "lost", "0", fmtNum(float64(gs.Observed.Lost)), "", v})
		}
		rows = append(rows, latencyRows(g, gs)...)
		rows = append(rows, deliveryRows(g, gs)...)
	}
	return rows
}

// deliveryRows are a group's audit rows: duplicates delivered against
// the prediction (= exact, ≤ a bound), then suppressed and applied twice
// against what the group's dedup setting implies.
func deliveryRows(g string, gs GroupSummary) [][]string {
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
		if o.OutOfOrder > 0 && v == Pass {
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

func sortedGroupNames(s *Summary) []string {
	out := make([]string, 0, len(s.Groups))
	for g := range s.Groups {
		out = append(out, g)
	}
	sort.Strings(out)
	return out
}

// RenderTable writes the predicted | observed | error | verdict table as
// aligned text, then one line per group of latency and lag figures.
func RenderTable(w io.Writer, s *Summary) {
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
		fmt.Fprintf(w, "%s: latency p50 %s ms, p99 %s ms, max %s ms; max offset lag %s; max time lag %.1f s; redelivered %d\n",
			g, fmtNum(o.LatencyMs.P50), fmtNum(o.LatencyMs.P99), fmtNum(o.LatencyMs.Max), fmtNum(float64(o.MaxOffsetLag)), o.MaxTimeLagS, o.Redelivered)
	}
	renderCriticalPath(w, s)
	for _, n := range s.Notes {
		fmt.Fprintln(w, "note:", n)
	}
	fmt.Fprintln(w, Verdict(s))
}

// Verdict returns the run's one-line verdict.
func Verdict(s *Summary) string {
	switch {
	case s.Passed:
		return "PASS: every figure within tolerance"
	case !s.Complete:
		return "INCOMPLETE: the run did not finish; figures cover what was measured"
	}
	return "FAIL: some figures left the tolerance"
}

// RenderMarkdown writes report.md from the summary alone.
func RenderMarkdown(w io.Writer, s *Summary) {
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
