package scenario

import (
	"math"
)

// topic decodes one entry of topics: its partitions, 1 to 2³¹−1, and on a
// real cluster its replication factor and min.insync.replicas.
func (d *decoder) topic(e pair, path string) Topic {
	var t Topic
	m, ok := d.object(e.v, path, topicKeys, nil)
	if !ok {
		return t
	}
	p, ok := m["partitions"]
	if !ok {
		d.errorf(e.k.Line, path, "missing partitions")
		return t
	}
	if v, ok := d.integer(p.v, join(path, "partitions")); ok {
		if msg := inRange(v, 1, math.MaxInt32); msg != "" {
			d.errorf(deref(p.v).Line, join(path, "partitions"), "%s", msg)
		}
		t.Partitions = int(v)
	}
	for _, k := range []struct {
		key string
		to  *int
	}{{"replication", &t.Replication}, {"min_insync", &t.MinInsync}} {
		n, ok := m[k.key]
		if !ok {
			continue
		}
		if v, ok := d.integer(n.v, join(path, k.key)); ok {
			if msg := inRange(v, 1, math.MaxInt16); msg != "" {
				d.errorf(deref(n.v).Line, join(path, k.key), "%s", msg)
			}
			*k.to = int(v)
		}
	}
	if t.Replication > 0 && t.MinInsync > t.Replication {
		d.errorf(e.k.Line, join(path, "min_insync"), "must be ≤ replication (%d), got %d", t.Replication, t.MinInsync)
	}
	return t
}
