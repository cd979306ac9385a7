package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

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

// count returns the number of partitions the workers hold.
func (a *assignment) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, m := range a.workers {
		for _, ps := range m {
			n += len(ps)
		}
	}
	return n
}

// snapshot returns the assignment by worker and logical topic name.
func (a *assignment) snapshot() []map[string][]int32 {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]map[string][]int32, len(a.workers))
	for i, m := range a.workers {
		out[i] = map[string][]int32{}
		for t, ps := range m {
			ps = slices.Clone(ps)
			slices.Sort(ps)
			out[i][strings.TrimPrefix(t, a.prefix)] = ps
		}
	}
	return out
}

// waitReady waits until every group is Stable in the broker's view with
// all its members, and every partition of its topics is held by a worker
// whose assignment callback has run. Producing before that lets one early
// member hold every partition and then hand them over mid-burst.
func waitReady(ctx context.Context, adm *kadm.Client, cfg Config, groups []string, assign []*assignment) error {
	sc := cfg.Scenario
	deadline := time.Now().Add(cfg.ReadyTimeout)
	for {
		pending := ""
		for gi, name := range groups {
			g := sc.Groups[name]
			if assign[gi].count() != sc.Partitions(g) {
				pending = name
				break
			}
		}
		if pending == "" {
			ids := make([]string, len(groups))
			for i, n := range groups {
				ids[i] = cfg.Prefix + n
			}
			dg, err := adm.DescribeGroups(ctx, ids...)
			if err == nil {
				for i, n := range groups {
					d, ok := dg[ids[i]]
					if !ok || d.Err != nil || d.State != "Stable" || len(d.Members) != sc.Groups[n].Workers {
						pending = n
						break
					}
				}
			} else {
				pending = groups[0]
			}
		}
		if pending == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("group %s did not become stable with every partition assigned within %v", pending, cfg.ReadyTimeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
