package scenario

import (
	"math"
)

// topic decodes one entry of topics: its partitions, 1 to 2³¹−1.
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
	return t
}
