package watch

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// WriteJSON writes a report as one line of JSON.
func WriteJSON(w io.Writer, r Report) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// WriteTable writes a report as one line per group:
//
//	15:04:05 analytics  growing   lag 18,000  tlag 15.0s  λ 1,800/s ±12  μ 1,200/s ±8  +600/s; in 5m 198,000 (tlag 2m45s)
//
// and one line per error of the sample.
func WriteTable(w io.Writer, r Report) error {
	clock := r.Time.Local().Format("15:04:05")
	var b strings.Builder
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "%s error: %s\n", clock, e)
	}
	if len(r.Groups) == 0 && len(r.Errors) == 0 {
		fmt.Fprintf(&b, "%s no group with a committed offset\n", clock)
	}
	width := 0
	for _, g := range r.Groups {
		width = max(width, len(g.Group))
	}
	for _, g := range r.Groups {
		fmt.Fprintf(&b, "%s %-*s %-10s %s\n", clock, width, g.Group, g.State, tableLine(g))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func tableLine(g GroupReport) string {
	if g.Error != "" {
		return g.Error
	}
	if g.Lag == nil {
		if g.State == NoTopic {
			return "its topics are gone"
		}
		return "no commits yet"
	}
	tl := fmtDur(float64(g.TimeLag))
	if g.TimeLagSource == TimeLagInterpolated {
		tl = "~" + tl
	}
	s := fmt.Sprintf("lag %-9s tlag %-7s λ %s  μ %s", fmtCount(float64(*g.Lag)), tl,
		fmtRate(g.InputRate, g.InputLow, g.InputHigh, false), fmtRate(g.ProcRate, g.ProcLow, g.ProcHigh, g.ProcAtLeast))
	f := g.Forecast
	if f == nil {
		return s
	}
	var out string
	switch f.Outcome {
	case OutcomeKeepsUp:
		out = "keeps up"
	case OutcomeDrains:
		out = "drains in " + fmtDur(float64(f.DrainedIn))
		if finite(f.DrainedInLow) || finite(f.DrainedInHigh) {
			out += " (" + fmtDurNever(float64(f.DrainedInLow)) + "–" + fmtDurNever(float64(f.DrainedInHigh)) + ")"
		}
	case OutcomeGrows:
		out = fmt.Sprintf("%+.0f/s, never drains", float64(f.Growth))
		if float64(f.Growth) <= 0 {
			out = "grows later, never drains"
		}
	case OutcomeSteady:
		out = "steady, never drains"
	}
	if f.Outcome == OutcomeGrows || f.Outcome == OutcomeSteady || f.Outcome == OutcomeKeepsUp && float64(f.BacklogIn5m) > float64(*g.Lag)+0.5 {
		out += fmt.Sprintf("; in 5m %s (tlag %s)", fmtCount(float64(f.BacklogIn5m)), fmtDur(float64(f.TimeLagIn5m)))
	}
	if f.UpperBound {
		out += " at most"
	}
	if f.HotPartition != "" {
		out += "; hot " + f.HotPartition
	}
	s += "  " + out
	if p := g.Plan; p != nil {
		switch {
		case !p.Feasible:
			s += "; plan: " + p.Note
		case p.Workers != nil:
			most := ""
			if p.WorkersAtMost {
				most = "at most "
			}
			workers := "workers"
			if *p.Workers == 1 {
				workers = "worker"
			}
			s += fmt.Sprintf("; needs %s%d %s (%s/s) to drain within %s", most, *p.Workers, workers, fmtCount(float64(p.Capacity)), fmtDur(float64(p.DrainWithin)))
		default:
			s += fmt.Sprintf("; needs %s/s to drain within %s", fmtCount(float64(p.Capacity)), fmtDur(float64(p.DrainWithin)))
		}
	}
	return s
}

func finite(n Num) bool { f := float64(n); return !math.IsNaN(f) && !math.IsInf(f, 0) }

// fmtRate formats a rate and its band: "1,800/s ±12", "≥1,000/s", "?".
func fmtRate(v, lo, hi Num, atLeast bool) string {
	if !finite(v) {
		return "?"
	}
	s := fmtCount(float64(v)) + "/s"
	if atLeast {
		return "≥" + s
	}
	if finite(lo) && finite(hi) {
		s += " ±" + fmtCount((float64(hi)-float64(lo))/2)
	}
	return s
}

// fmtCount formats a count with thousands separators: 18,000; below 10
// with one decimal.
func fmtCount(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "?"
	}
	if math.Abs(x) < 10 && x != math.Trunc(x) {
		return strconv.FormatFloat(x, 'f', 1, 64)
	}
	s := strconv.FormatFloat(math.Round(x), 'f', 0, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// fmtDur formats seconds as 4.2s, 3m05s, 1h02m.
func fmtDur(s float64) string {
	switch {
	case math.IsNaN(s):
		return "?"
	case math.IsInf(s, 1):
		return "never"
	case s < 60:
		return strconv.FormatFloat(s, 'f', 1, 64) + "s"
	case s < 3600:
		r := int(math.Round(s))
		return fmt.Sprintf("%dm%02ds", r/60, r%60)
	}
	r := int(math.Round(s / 60))
	return fmt.Sprintf("%dh%02dm", r/60, r%60)
}

// fmtDurNever is fmtDur with an unknown or infinite end as "never".
func fmtDurNever(s float64) string {
	if math.IsNaN(s) || math.IsInf(s, 1) {
		return "never"
	}
	return fmtDur(s)
}
