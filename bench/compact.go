package bench

import (
	"context"
	"time"
)

// CompactEvery is the wall time between two compactions of the run's
// audits.
const CompactEvery = 2 * time.Second

// compact frees, every CompactEvery until ctx is done, the audit pages
// that say nothing a shared page does not: a group's delivery log where
// each event was delivered once, its dedup store and each producer's
// acknowledged ids where every id is in. On a run that keeps up the
// audits then hold the events not yet settled, not every event of the
// run: 2 bits per event per group and a bit per acknowledged event would
// otherwise be the one thing growing with a long run (50 million events:
// about 19 MB of live heap). Counts stay exact while deliveries go on
// (the argument is in audit/compact.go); a round over 10 million settled
// events is a walk over 153 page entries per log.
func (r *run) compact(ctx context.Context) {
	every(ctx, CompactEvery, func() {
		for _, st := range r.gstats {
			st.Compact()
		}
		for _, st := range r.pstats {
			st.Compact()
		}
	})
}

// every calls f every d until ctx is done.
func every(ctx context.Context, d time.Duration, f func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		f()
	}
}
