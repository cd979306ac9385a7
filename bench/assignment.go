package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/backlogbench/backlogbench/scenario"
	"github.com/twmb/franz-go/pkg/kadm"
)

// assignment records each worker's partitions, as its rebalance callbacks
// report them.
type assignment struct {
	mu      sync.Mutex
	prefix  string
	workers []map[string][]int32
	seen    []bool
}

func newAssignment(workers int, prefix string) *assignment {
	return &assignment{workers: make([]map[string][]int32, workers), seen: make([]bool, workers), prefix: prefix}
}

func (a *assignment) set(w int, m map[string][]int32) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.workers[w], a.seen[w] = m, true
}

// holdsNothing is the snapshot's entry for every worker without
// partitions: one shared map, never written, so that a group of many idle
// workers costs no allocation per worker while the run waits for it.
var holdsNothing = map[string][]int32{}

// snapshot returns the assignment by worker and logical topic name.
// Callers only read it.
func (a *assignment) snapshot() []map[string][]int32 {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]map[string][]int32, len(a.workers))
	for i, m := range a.workers {
		if len(m) == 0 {
			out[i] = holdsNothing
			continue
		}
		out[i] = map[string][]int32{}
		for t, ps := range m {
			ps = slices.Clone(ps)
			slices.Sort(ps)
			out[i][strings.TrimPrefix(t, a.prefix)] = ps
		}
	}
	return out
}

// covers reports whether the snapshot holds every partition of the
// group's topics exactly once.
func covers(sc *scenario.Scenario, g scenario.Group, snap []map[string][]int32) bool {
	for _, t := range g.Topics {
		held := make([]bool, sc.Topics[t].Partitions)
		for _, m := range snap {
			for _, p := range m[t] {
				if p < 0 || int(p) >= len(held) || held[p] {
					return false
				}
				held[p] = true
			}
		}
		if slices.Contains(held, false) {
			return false
		}
	}
	return true
}

// waitReady waits until every group is Stable in the broker's view with
// all its members, and then every partition of its topics is held by
// exactly one worker whose assignment callback has run; it returns that
// assignment, group by group. The assignment is read after the broker's
// view, so a rebalance between the two cannot leave a stale or empty one
// behind. Producing before that lets one early member hold every
// partition and then hand them over mid-burst. It gives up at deadline,
// which counts from the first worker's start (cfg.ReadyTimeout).
func waitReady(ctx context.Context, adm *kadm.Client, cfg Config, deadline time.Time, groups []string, assign []*assignment) ([][]map[string][]int32, error) {
	sc := cfg.Scenario
	ids := make([]string, len(groups))
	for i, n := range groups {
		ids[i] = cfg.Prefix + n
	}
	for {
		pending := ""
		snaps := make([][]map[string][]int32, len(groups))
		for gi, name := range groups {
			// A cheap look first: no round trip while a group is still
			// short of partitions.
			if snaps[gi] = assign[gi].snapshot(); !covers(sc, sc.Groups[name], snaps[gi]) {
				pending = name
				break
			}
		}
		if pending == "" {
			dg, err := adm.DescribeGroups(ctx, ids...)
			if err != nil {
				pending = groups[0]
			}
			for i, n := range groups {
				if pending != "" {
					break
				}
				d, ok := dg[ids[i]]
				if !ok || d.Err != nil || d.State != "Stable" || len(d.Members) != sc.Groups[n].Workers {
					pending = n
				}
			}
		}
		for gi, name := range groups {
			if pending != "" {
				break
			}
			if snaps[gi] = assign[gi].snapshot(); !covers(sc, sc.Groups[name], snaps[gi]) {
				pending = name
			}
		}
		if pending == "" {
			return snaps, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("group %s did not become stable with every partition assigned within %v", pending, cfg.ReadyTimeout)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
