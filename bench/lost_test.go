package bench

import (
	"testing"

	"github.com/backlogbench/backlogbench/consumer"
	"github.com/backlogbench/backlogbench/event"
	"github.com/backlogbench/backlogbench/producer"
)

// TestLostEvents checks loss id by id: an acknowledged event the group
// never saw is lost even when the counts add up (here the group also saw
// an event whose produce was never acknowledged).
func TestLostEvents(t *testing.T) {
	sc := parse(t, mini) // producers in name order: clickstream (id 1), orders (id 2)
	clicks, orders := new(producer.Stats), new(producer.Stats)
	for seq := range uint64(10) {
		orders.Sent.Add(1)
		if seq != 7 { // event 7's produce failed
			orders.MarkAcked(seq)
			orders.Acked.Add(1)
		}
	}
	st := consumer.NewStats(consumer.StatsConfig{Workers: 1, Kinds: []event.Kind{event.Order, event.Click, event.Order}})
	for seq := range uint64(10) {
		if seq != 3 { // event 3 never reached the group
			st.Audit.Deliver(2, seq)
		}
	}
	pstats := []*producer.Stats{clicks, orders}
	if got := lostEvents(sc, "email", pstats, st); got != 1 {
		t.Errorf("email lost %d, want 1 (event 3: acked, never delivered)", got)
	}
	st.Audit.Deliver(2, 3)
	if got := lostEvents(sc, "email", pstats, st); got != 0 {
		t.Errorf("after delivering event 3, lost %d, want 0", got)
	}
}
