package scenario

import (
	"strings"
	"testing"
)

func TestTopicReplication(t *testing.T) {
	const y = `
topics: {orders: {partitions: 6, replication: 3, min_insync: 2}}
producers: {orders: {topic: orders, phases: [{duration: 1m, rate: 10}]}}
groups: {g: {topics: [orders], workers: 2, capacity: 20}}
`
	sc, err := Parse("r.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	if got := sc.Topics["orders"]; got.Replication != 3 || got.MinInsync != 2 {
		t.Errorf("topic %+v, want replication 3, min_insync 2", got)
	}
	out, err := sc.YAML()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse("back.yaml", out)
	if err != nil || back.Topics["orders"] != sc.Topics["orders"] {
		t.Errorf("round trip: %+v, %v", back.Topics["orders"], err)
	}
	bad := strings.Replace(y, "min_insync: 2", "min_insync: 4", 1)
	if _, err := Parse("bad.yaml", []byte(bad)); err == nil || !strings.Contains(err.Error(), "bad.yaml:2: topics.orders.min_insync: must be ≤ replication (3), got 4") {
		t.Errorf("err = %v", err)
	}
	zero := strings.Replace(y, "replication: 3", "replication: 0", 1)
	if _, err := Parse("zero.yaml", []byte(zero)); err == nil || !strings.Contains(err.Error(), "topics.orders.replication: must be ≥ 1") {
		t.Errorf("err = %v", err)
	}
}
