package scenario

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// hint suggests the closest of names to s, or lists them when none is
// close.
func hint(s string, names []string, what string) string {
	best, bestDist := "", 3
	for _, n := range names {
		if dist := editDistance(s, n); dist < bestDist && dist < utf8.RuneCountInString(s) {
			best, bestDist = n, dist
		}
	}
	if best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	if len(names) == 0 || len(names) > 12 {
		return ""
	}
	return fmt.Sprintf(" (%s: %s)", what, strings.Join(names, ", "))
}

// editDistance returns the Levenshtein distance between a and b, or a
// large number for long strings, which are never close to a key.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return math.MaxInt32
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
