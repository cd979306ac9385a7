// Package event encodes and decodes backlogbench's events.
//
// An event is a JSON document padded to the scenario's size, keyed by its
// order id (orders) or session id (clicks), so any Kafka client can read
// it. The fields the harness needs on the hot path are repeated in a
// fixed-size binary record header, "bb", so consumers never parse JSON:
//
//	bytes 0–3    producer id (uint32, big endian)
//	bytes 4–11   sequence number within the producer (uint64)
//	bytes 12–19  intended send time, Unix nanoseconds (int64)
//	bytes 20–27  scenario time of the intended send, nanoseconds (int64)
//
// The producer id and sequence together are the event's unique id.
package event

import (
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
)

// HeaderKey is the record header holding the binary metadata.
const HeaderKey = "bb"

// HeaderLen is the size of the binary metadata.
const HeaderLen = 28

// Kind is an event's payload shape.
type Kind uint8

// The event kinds of scenario format v1.
const (
	Order Kind = iota
	Click
)

// ParseKind returns the kind named s ("order" or "click").
func ParseKind(s string) (Kind, error) {
	switch s {
	case "order", "":
		return Order, nil
	case "click":
		return Click, nil
	}
	return 0, errors.New("unknown event kind " + strconv.Quote(s))
}

// Meta is what the harness needs to know of an event.
type Meta struct {
	ProducerID uint32
	Seq        uint64
	// IntendedNs is when the schedule meant the event to be sent, Unix
	// nanoseconds on the monotonic clock of Now; latency is measured from
	// it.
	IntendedNs int64
	// ScenarioNs is the scenario time of the intended send, nanoseconds.
	ScenarioNs int64
}

// AppendHeader appends m's binary form to b.
func AppendHeader(b []byte, m Meta) []byte {
	b = binary.BigEndian.AppendUint32(b, m.ProducerID)
	b = binary.BigEndian.AppendUint64(b, m.Seq)
	b = binary.BigEndian.AppendUint64(b, uint64(m.IntendedNs))
	b = binary.BigEndian.AppendUint64(b, uint64(m.ScenarioNs))
	return b
}

// ErrNoMeta is returned for a record without a valid "bb" header.
var ErrNoMeta = errors.New("record has no backlogbench metadata header")

// ParseHeader decodes the binary metadata.
func ParseHeader(b []byte) (Meta, error) {
	if len(b) != HeaderLen {
		return Meta{}, ErrNoMeta
	}
	return Meta{
		ProducerID: binary.BigEndian.Uint32(b[0:]),
		Seq:        binary.BigEndian.Uint64(b[4:]),
		IntendedNs: int64(binary.BigEndian.Uint64(b[12:])),
		ScenarioNs: int64(binary.BigEndian.Uint64(b[20:])),
	}, nil
}

// mix is splitmix64: a cheap, well-spread hash of (seed, seq) so every
// event's made-up fields are reproducible.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// fields returns the reproducible random bits of event (producer, seq).
func fields(seed int64, producer uint32, seq uint64) uint64 {
	return mix(uint64(seed)*0x100000001b3 ^ uint64(producer)<<40 ^ seq)
}

// Points returns the loyalty points of an order event: one per whole unit
// of its amount, the same number its JSON carries. Clicks have none.
func Points(k Kind, seed int64, producer uint32, seq uint64) int64 {
	if k == Click {
		return 0
	}
	return int64((500 + fields(seed, producer, seq)%20000) / 100)
}

// Uniform returns a reproducible number in [0, 1) for event (producer,
// seq) and a purpose salt, for choices such as which events to resend.
func Uniform(seed int64, producer uint32, seq uint64, salt uint64) float64 {
	return float64(mix(fields(seed, producer, seq)^salt)>>11) / (1 << 53)
}

// AppendKey appends the event's record key: the order id for orders, the
// session id for clicks.
func AppendKey(b []byte, k Kind, producer string, seed int64, seq uint64) []byte {
	if k == Click {
		b = append(b, "s-"...)
		return strconv.AppendUint(b, mix(uint64(seed)^seq)%100000, 10)
	}
	b = append(b, "o-"...)
	b = append(b, producer...)
	b = append(b, '-')
	return strconv.AppendUint(b, seq, 10)
}

// padding is what pads a payload, copied a block at a time.
var padding = strings.Repeat("x", 1024)

// AppendJSON appends the event's JSON payload, padded with a "pad" field to
// size bytes when it is shorter. The fields derived from the seed (amount,
// points, page) are reproducible.
func AppendJSON(b []byte, k Kind, producer string, seed int64, m Meta, size int) []byte {
	start := len(b)
	r := fields(seed, m.ProducerID, m.Seq)
	b = append(b, `{"type":"`...)
	if k == Click {
		b = append(b, `click","id":"`...)
	} else {
		b = append(b, `order","id":"`...)
	}
	b = append(b, producer...)
	b = append(b, ':')
	b = strconv.AppendUint(b, m.Seq, 10)
	b = append(b, `","producer_id":`...)
	b = strconv.AppendUint(b, uint64(m.ProducerID), 10)
	b = append(b, `,"seq":`...)
	b = strconv.AppendUint(b, m.Seq, 10)
	b = append(b, `,"key":"`...)
	b = AppendKey(b, k, producer, seed, m.Seq)
	b = append(b, `","intended_unix_ns":`...)
	b = strconv.AppendInt(b, m.IntendedNs, 10)
	b = append(b, `,"scenario_ns":`...)
	b = strconv.AppendInt(b, m.ScenarioNs, 10)
	if k == Click {
		b = append(b, `,"page":"/p/`...)
		b = strconv.AppendUint(b, r%500, 10)
		b = append(b, '"')
	} else {
		cents := 500 + r%20000
		b = append(b, `,"customer":"c-`...)
		b = strconv.AppendUint(b, (r>>20)%50000, 10)
		b = append(b, `","amount_cents":`...)
		b = strconv.AppendUint(b, cents, 10)
		b = append(b, `,"points":`...)
		b = strconv.AppendUint(b, cents/100, 10)
	}
	// Pad: `,"pad":"xxx"}` brings the document to size bytes.
	const padOverhead = len(`,"pad":""}`)
	if n := size - (len(b) - start) - padOverhead; n > 0 {
		b = append(b, `,"pad":"`...)
		for n > 0 { // by copy, a block at a time, not a byte at a time
			c := min(n, len(padding))
			b = append(b, padding[:c]...)
			n -= c
		}
		b = append(b, '"')
	}
	return append(b, '}')
}
