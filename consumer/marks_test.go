package consumer

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

func TestMarks(t *testing.T) {
	var k marks
	calls := 0
	var got map[string]map[int32]kgo.EpochOffset
	mark := func(m map[string]map[int32]kgo.EpochOffset) {
		calls++
		got = map[string]map[int32]kgo.EpochOffset{}
		for tp, ps := range m {
			got[tp] = map[int32]kgo.EpochOffset{}
			for p, o := range ps {
				got[tp][p] = o
			}
		}
	}
	k.flush(mark)
	if calls != 0 {
		t.Fatalf("flush with no marks called mark")
	}
	for _, r := range []kgo.Record{
		{Topic: "a", Partition: 0, Offset: 4, LeaderEpoch: 1},
		{Topic: "a", Partition: 0, Offset: 5, LeaderEpoch: 1},
		{Topic: "a", Partition: 2, Offset: 9},
		{Topic: "b", Partition: 0, Offset: 0},
	} {
		k.add(&r)
	}
	k.flush(mark)
	want := map[string]map[int32]kgo.EpochOffset{
		"a": {0: {Epoch: 1, Offset: 6}, 2: {Offset: 10}},
		"b": {0: {Offset: 1}},
	}
	if calls != 1 || len(got) != 2 || len(got["a"]) != 2 || got["a"][0] != want["a"][0] || got["a"][2] != want["a"][2] || got["b"][0] != want["b"][0] {
		t.Fatalf("marked %v (%d calls), want %v", got, calls, want)
	}
	// Flushed marks are forgotten; the next flush carries only new ones.
	k.add(&kgo.Record{Topic: "b", Partition: 0, Offset: 1})
	k.flush(mark)
	if calls != 2 || len(got["a"]) != 0 || got["b"][0].Offset != 2 {
		t.Fatalf("second flush marked %v", got)
	}
	// Steady state: marking reuses the maps.
	r := &kgo.Record{Topic: "a", Partition: 2}
	if n := testing.AllocsPerRun(1000, func() { r.Offset++; k.add(r) }); n != 0 {
		t.Errorf("add allocates %v times a record", n)
	}
}
