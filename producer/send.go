package producer

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/backlogbench/backlogbench/event"
)

// sender is the send loop's work per event apart from the client: it
// builds event k's record (key, payload, header) in a pooled buffer and
// takes the record's acknowledgement. In steady state neither allocates:
// a record, its buffers and its context are reused once acknowledged.
type sender struct {
	cfg     *Config
	st      *Stats
	pool    sync.Pool
	startNs int64
}

// recBuf is one record in flight and the buffers it points into.
type recBuf struct {
	ctx    context.Context // carries the recBuf itself, made once
	resend bool
	rec    kgo.Record
	hdr    [event.HeaderLen]byte
	buf    []byte
	sentNs int64 // when the send loop handed it to the client (wall ns)
}

type recKey struct{}

func newSender(cfg *Config, st *Stats) *sender {
	s := &sender{cfg: cfg, st: st, startNs: event.UnixNano(cfg.Start)}
	s.pool.New = func() any {
		rb := new(recBuf)
		rb.ctx = context.WithValue(context.Background(), recKey{}, rb)
		return rb
	}
	return s
}

// next builds the record of event number sent, due at scenario time due
// and sent at wall time elapsed since the start, and counts it (and its
// schedule slip). resend is its copy when the event is to be resent
// (Config.Resend), else nil.
func (s *sender) next(sent uint64, due float64, elapsed time.Duration) (rec, resend *kgo.Record) {
	cfg := s.cfg
	s.st.recordSlip(due, elapsed.Seconds()*cfg.Pacer.speedup())
	m := event.Meta{
		ProducerID: cfg.ID,
		Seq:        sent,
		IntendedNs: s.startNs + int64(due/cfg.Pacer.speedup()*1e9),
		ScenarioNs: int64(due * 1e9),
	}
	rb := s.pool.Get().(*recBuf)
	rb.buf = cfg.appendKey(rb.buf[:0], sent)
	keyLen := len(rb.buf)
	rb.buf = event.AppendJSON(rb.buf, cfg.Kind, cfg.Name, cfg.Seed, m, cfg.Size)
	event.AppendHeader(rb.hdr[:0], m)
	rb.fill(cfg.Topic, keyLen, false)
	rb.sentNs = s.startNs + elapsed.Nanoseconds()
	s.st.Sent.Add(1)
	if !Resends(cfg.Seed, cfg.ID, sent, cfg.Resend) {
		return &rb.rec, nil
	}
	cp := s.pool.Get().(*recBuf)
	cp.buf = append(cp.buf[:0], rb.buf...)
	cp.hdr = rb.hdr
	cp.fill(cfg.Topic, keyLen, true)
	s.st.Resent.Add(1)
	return &rb.rec, &cp.rec
}

// acked is every record's promise: it counts the acknowledgement or the
// failure, records the publish latency, tells Config.OnAck, and returns
// the record's buffers to the pool.
func (s *sender) acked(r *kgo.Record, err error) {
	cfg, st := s.cfg, s.st
	rb := r.Context.Value(recKey{}).(*recBuf)
	switch {
	case err != nil && rb.resend:
		st.ResentFailed.Add(1) // a lost resend is not a lost event
	case err != nil:
		st.fail(fmt.Errorf("producer %s: %w", cfg.Name, err))
	case rb.resend:
		st.ResentAcked.Add(1)
		if cfg.OnAck != nil {
			m, _ := event.ParseHeader(rb.hdr[:])
			cfg.OnAck(r.Partition, r.Offset, float64(m.ScenarioNs)/1e9)
		}
	default:
		m, _ := event.ParseHeader(rb.hdr[:])
		st.MarkAcked(m.Seq)
		st.Acked.Add(1)
		st.recordPublish(int64(float64(event.Now()-s.publishFrom(m.IntendedNs, rb.sentNs)) / 1e3 * cfg.Pacer.speedup()))
		if cfg.OnAck != nil {
			cfg.OnAck(r.Partition, r.Offset, float64(m.ScenarioNs)/1e9)
		}
	}
	s.pool.Put(rb)
}

// publishFrom is where an event's publish latency starts: its intended
// time, or its send when the send loop held it back by at most its
// Quantum on purpose (the hand-off's cost is not the harness's batching);
// an event sent later than that, a stall, is timed from its intended
// time, so the stall shows.
func (s *sender) publishFrom(intendedNs, sentNs int64) int64 {
	if sentNs > intendedNs && sentNs-intendedNs <= int64(s.cfg.Quantum) {
		return sentNs
	}
	return intendedNs
}

// fill makes rb's record from its buffer (key, then value) and header.
func (rb *recBuf) fill(topic string, keyLen int, resend bool) {
	rb.resend = resend
	rb.rec = kgo.Record{
		Topic:   topic,
		Key:     rb.buf[:keyLen],
		Value:   rb.buf[keyLen:],
		Headers: append(rb.rec.Headers[:0], kgo.RecordHeader{Key: event.HeaderKey, Value: rb.hdr[:]}),
		Context: rb.ctx,
	}
}
