package event

import (
	"encoding/json"
	"testing"
)

func TestHeaderRoundTrip(t *testing.T) {
	m := Meta{ProducerID: 7, Seq: 1 << 40, IntendedNs: -5, ScenarioNs: 123456789}
	got, err := ParseHeader(AppendHeader(nil, m))
	if err != nil || got != m {
		t.Fatalf("ParseHeader(AppendHeader(%+v)) = %+v, %v", m, got, err)
	}
	if _, err := ParseHeader([]byte("short")); err != ErrNoMeta {
		t.Errorf("a short header gives %v, want ErrNoMeta", err)
	}
}

func TestJSONPaddedAndParsable(t *testing.T) {
	for _, tt := range []struct {
		kind Kind
		size int
	}{{Order, 256}, {Order, 512}, {Click, 256}, {Click, 4096}} {
		m := Meta{ProducerID: 2, Seq: 42, IntendedNs: 1700000000000000000, ScenarioNs: 1500000000}
		b := AppendJSON(nil, tt.kind, "orders", 1, m, tt.size)
		if len(b) != tt.size {
			t.Errorf("kind %d size %d: got %d bytes", tt.kind, tt.size, len(b))
		}
		var ev struct {
			Type   string `json:"type"`
			ID     string `json:"id"`
			Seq    uint64 `json:"seq"`
			Points int64  `json:"points"`
		}
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, b)
		}
		if ev.Seq != 42 || ev.ID != "orders:42" {
			t.Errorf("decoded %+v", ev)
		}
		if want := Points(tt.kind, 1, 2, 42); ev.Points != want {
			t.Errorf("points in JSON %d, Points() %d", ev.Points, want)
		}
	}
}

func TestUniformReproducible(t *testing.T) {
	var sum float64
	for i := range uint64(10000) {
		u := Uniform(1, 1, i, 9)
		if u < 0 || u >= 1 || u != Uniform(1, 1, i, 9) {
			t.Fatalf("Uniform(%d) = %v", i, u)
		}
		sum += u
	}
	if mean := sum / 10000; mean < 0.48 || mean > 0.52 {
		t.Errorf("mean of 10,000 draws %v, want about 0.5", mean)
	}
}

// BenchmarkAppendJSON encodes a 512-byte order into a reused buffer.
// Budget: 0 allocations per event.
func BenchmarkAppendJSON(b *testing.B) {
	b.ReportAllocs()
	buf := make([]byte, 0, 1024)
	for i := range b.N {
		buf = AppendJSON(buf[:0], Order, "orders", 1, Meta{ProducerID: 1, Seq: uint64(i), IntendedNs: 1, ScenarioNs: 2}, 512)
	}
	if len(buf) != 512 {
		b.Fatalf("payload of %d bytes, want 512", len(buf))
	}
}
