package scenario

import (
	"runtime"
	"strings"
	"sync"
	"weak"
)

// lines maps a key path, such as "producers.orders.phases[1].rate" or
// "faults[2]", to the 1-based line it was written on.
type lines map[string]int

// add records the line of path; the first line recorded for a path wins,
// as the first of duplicate keys does in Parse.
func (l lines) add(path string, line int) {
	if _, ok := l[path]; !ok && line > 0 {
		l[path] = line
	}
}

// The lines of every scenario Parse returned, so that the checks that run
// later (Limits) can say file:line as Parse's own errors do.
//
// They are kept beside the Scenario rather than in it: a Scenario is a
// plain value that callers and tests compare with reflect.DeepEqual and
// copy, and lines that differ between a file and its YAML() would make
// equal scenarios unequal. The table holds its keys weakly and drops an
// entry once its Scenario is garbage, so parsing many scenarios (a fuzzer,
// a report over many results) does not grow it. A copy of a Scenario, or
// one built in code, has no lines; its problems carry only their key path.
var (
	linesMu sync.Mutex
	linesOf = map[weak.Pointer[Scenario]]lines{}
)

// keepLines records l as the lines of s until s is garbage.
func keepLines(s *Scenario, l lines) {
	wp := weak.Make(s)
	linesMu.Lock()
	linesOf[wp] = l
	linesMu.Unlock()
	runtime.AddCleanup(s, func(wp weak.Pointer[Scenario]) {
		linesMu.Lock()
		delete(linesOf, wp)
		linesMu.Unlock()
	}, wp)
}

// lineOf returns the line of path in the file s was parsed from, or of
// its nearest enclosing key when path itself was not written (a defaulted
// workers key: the line of its group), or 0 when s has no lines.
func (s *Scenario) lineOf(path string) int {
	linesMu.Lock()
	l := linesOf[weak.Make(s)]
	linesMu.Unlock()
	for l != nil && path != "" {
		if n, ok := l[path]; ok {
			return n
		}
		path = path[:max(strings.LastIndexAny(path, ".["), 0)]
	}
	return 0
}
