package scenario

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// figure writes a count or rate for a message: whole numbers with
// thousands separators ("50,000,000"), small fractions as they are
// ("12.5"), and figures of 10¹⁵ and more with an exponent ("1e+15").
func figure(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) >= 1e15:
		return strconv.FormatFloat(v, 'g', 4, 64)
	case math.Abs(v) < 1000 && v != math.Trunc(v):
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	digits := strconv.FormatInt(int64(math.Abs(math.Round(v))), 10)
	var b strings.Builder
	if v < 0 {
		b.WriteByte('-')
	}
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// share writes the biggest part of a sum of n parts for a message
// (" (1,000 of them in orders)"), or "" when there is one part.
func share(n int, v float64, name string) string {
	if n < 2 {
		return ""
	}
	return fmt.Sprintf(" (%s of them in %s)", figure(v), name)
}

// gib writes bytes in GiB ("8 GiB", "78.4 GiB", "1,234 GiB").
func gib(bytes float64) string {
	g := bytes / (1 << 30)
	if g >= 100 {
		return figure(math.Round(g)) + " GiB"
	}
	return strings.TrimSuffix(strconv.FormatFloat(g, 'f', 1, 64), ".0") + " GiB"
}

// span writes seconds as a Go duration rounded to the second, without
// trailing zero minutes and seconds ("8760h", "5m", "1h0m30s"), or, past what a
// time.Duration holds, in hours.
func span(secs float64) string {
	if secs >= float64(math.MaxInt64)/1e9 {
		return figure(math.Round(secs/3600)) + "h"
	}
	d := time.Duration(secs * 1e9).Round(time.Second)
	if d == 0 {
		return "0s"
	}
	out := d.String()
	if strings.HasSuffix(out, "m0s") {
		out = strings.TrimSuffix(out, "0s")
	}
	if strings.HasSuffix(out, "h0m") {
		out = strings.TrimSuffix(out, "0m")
	}
	return out
}

// plural writes "1 producer", "2 producers".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return figure(float64(n)) + " " + what + "s"
}
