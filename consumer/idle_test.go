package consumer

import (
	"math"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// fetchOf returns one fetch holding records stamped at the given wall
// times.
func fetchOf(stamps ...time.Time) kgo.Fetches {
	p := kgo.FetchPartition{Partition: 0}
	for i, ts := range stamps {
		p.Records = append(p.Records, &kgo.Record{Topic: "t", Offset: int64(i), Timestamp: ts})
	}
	return kgo.Fetches{{Topics: []kgo.FetchTopic{{Topic: "t", Partitions: []kgo.FetchPartition{p}}}}}
}

func TestIdleEnded(t *testing.T) {
	// Scenario time 0 was 100 s ago (wall), at ×1; capacity 10/s.
	start := time.Now().Add(-100 * time.Second)
	for _, tc := range []struct {
		name    string
		emptyAt float64   // scenario seconds
		stamps  []float64 // the records' stamps, scenario seconds
		want    float64   // the next record's due time after; -1: unchanged
	}{
		// A backlogged worker's buffer ran out at 90 s and the next fetch
		// brought records produced at 50 s: it was never idle.
		{"backlogged", 90, []float64{50, 51}, -1},
		// A worker that kept up ran out at 90 s and waited for a record
		// produced at 95 s: idle until 95 s, 2 records of credit.
		{"kept up", 90, []float64{95, 96}, 95 - 0.2},
		// The earliest record counts, in whatever order they come.
		{"earliest", 90, []float64{97, 95.5}, 95.5 - 0.2},
		// No records: nothing ends.
		{"no records", 90, nil, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMember(WorkerConfig{Start: func() time.Time { return start }, Speedup: 1, Throttle: Throttle{Capacity: forever(10)}}, nil)
			before, _ := m.th.Due()
			var stamps []time.Time
			for _, s := range tc.stamps {
				// Stamps are wall times, in milliseconds, as the producer
				// client sets them.
				stamps = append(stamps, start.Round(0).Add(time.Duration(s*1e9)).Truncate(time.Millisecond))
			}
			m.idleEnded(tc.emptyAt, fetchOf(stamps...))
			got, _ := m.th.Due()
			want := tc.want
			if want < 0 {
				want = before
			}
			if math.Abs(got-want) > 0.01 {
				t.Errorf("next record due at %.3f s, want %.3f s", got, want)
			}
		})
	}
}
