package report

import (
	"fmt"
	"math"
)

// fmtNum formats a figure the way the tables do (FormatNumber).
func fmtNum(x float64) string { return FormatNumber(x) }

// groupDigits puts thousands separators in a formatted number.
func groupDigits(s string) string { return GroupDigits(s) }

// fmtPtr formats an optional figure; nil is "—".
func fmtPtr(x *float64) string {
	if x == nil {
		return "—"
	}
	return fmtNum(*x)
}

// fmtDelta formats b − a with its relative change: "+1,200 (+6.67%)".
// Either side missing (NaN) gives "—"; equal values give "=".
func fmtDelta(a, b float64) string {
	switch {
	case math.IsNaN(a) || math.IsNaN(b):
		return "—"
	case math.IsInf(a, 1) || math.IsInf(b, 1):
		if math.IsInf(a, 1) && math.IsInf(b, 1) {
			return "="
		}
		return "—"
	case a == b:
		return "="
	}
	d := b - a
	s := fmtNum(d)
	if d > 0 {
		s = "+" + s
	}
	if a != 0 {
		s += fmt.Sprintf(" (%+.1f%%)", 100*d/math.Abs(a))
	}
	return s
}

// fmtSeconds formats a scenario duration in seconds as 1m30s, 12m, 45s.
func fmtSeconds(s float64) string {
	if math.IsNaN(s) || math.IsInf(s, 0) {
		return fmtNum(s)
	}
	s = math.Round(s)
	m, sec := int(s)/60, int(s)%60
	switch {
	case m == 0:
		return fmt.Sprintf("%ds", sec)
	case sec == 0:
		return fmt.Sprintf("%dm", m)
	}
	return fmt.Sprintf("%dm%02ds", m, sec)
}
