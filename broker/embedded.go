package broker

import (
	"crypto/tls"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// EmbeddedConfig configures the embedded broker.
type EmbeddedConfig struct {
	// Port is the port to listen on (127.0.0.1); 0 picks a free one.
	Port int
	// DataDir keeps the broker's records on disk; empty keeps them in
	// memory.
	DataDir string
	// MinSessionTimeout is the least session timeout the broker accepts
	// from a group member. The default is 100ms, so faults fail over fast;
	// Apache Kafka's default is 6s.
	MinSessionTimeout time.Duration
	// Users, when set, make the broker require SASL: each user may log in
	// with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512.
	Users map[string]string
	// TLS, when set, makes the broker serve TLS only.
	TLS *tls.Config
	// InProcess lets Embedded.Dial reach the broker without TCP, for
	// clients in the broker's own process; other processes still connect
	// over TCP. A TLS broker ignores it.
	InProcess bool
}

// Embedded is the embedded broker: a one-node kfake cluster in process.
type Embedded struct {
	cluster *kfake.Cluster
	inproc  inproc
}

// PrepareDataDir makes dir, a data folder for the embedded broker, if it
// does not exist; the error says why it cannot be one (a file of that
// name, no permission), before the broker starts.
func PrepareDataDir(dir string) error {
	return os.MkdirAll(dir, 0o755)
}

// StartEmbedded starts the embedded broker.
func StartEmbedded(cfg EmbeddedConfig) (*Embedded, error) {
	if cfg.MinSessionTimeout == 0 {
		cfg.MinSessionTimeout = 100 * time.Millisecond
	}
	e := &Embedded{}
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.GroupMinSessionTimeout(cfg.MinSessionTimeout)}
	if cfg.InProcess && cfg.TLS == nil {
		opts = append(opts, kfake.ListenFn(e.inproc.listen))
	}
	if cfg.Port != 0 {
		opts = append(opts, kfake.Ports(cfg.Port))
	}
	if cfg.DataDir != "" {
		opts = append(opts, kfake.DataDir(cfg.DataDir))
	}
	if len(cfg.Users) > 0 {
		opts = append(opts, kfake.EnableSASL())
		for user, pass := range cfg.Users {
			for _, m := range []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"} {
				opts = append(opts, kfake.Superuser(m, user, pass))
			}
		}
	}
	if cfg.TLS != nil {
		opts = append(opts, kfake.TLS(cfg.TLS))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("start the embedded broker: %w", err)
	}
	e.cluster = c
	return e, nil
}

// Addrs returns the addresses the broker listens on.
func (e *Embedded) Addrs() []string { return e.cluster.ListenAddrs() }

// Close stops the broker.
func (e *Embedded) Close() { e.cluster.Close() }

// ProduceErrors describes a produce-error fault: a fraction of the
// produce requests is appended and then answered with
// NOT_ENOUGH_REPLICAS_AFTER_APPEND, so a client without idempotence appends
// their records again when it retries.
type ProduceErrors struct {
	// Topic limits the fault to one topic (its name on the broker); empty
	// is every topic.
	Topic string
	// Fraction of the requests that fail, decided by Decide.
	Fraction float64
	// Decide returns, for the n-th produce request (from 1), a number in
	// [0, 1): the request fails when it is below Fraction. It makes which
	// requests fail follow from the scenario's seed.
	Decide func(n uint64) float64
	// Name maps a topic of a request (by name, or by id from produce v13)
	// to the name the caller counts it under; false skips it.
	Name func(topic string, id [16]byte) (string, bool)
	// OnRecords is told, per failed request and topic, how many records
	// its retry will append again (those of non-idempotent batches).
	OnRecords func(topic string, n int64)
}

// FaultHandle removes an installed fault.
type FaultHandle struct{ h *kfake.FaultHandle }

// Remove removes the fault; the broker answers normally again.
func (h *FaultHandle) Remove() {
	if h != nil && h.h != nil {
		h.h.Remove()
	}
}

// InjectProduceErrors installs a produce-error fault until its handle is
// removed.
func (e *Embedded) InjectProduceErrors(f ProduceErrors) *FaultHandle {
	var (
		mu       sync.Mutex
		n        uint64
		last     kmsg.Request // When is asked once per partition of a request
		decision bool
	)
	h := e.cluster.Fault(kfake.Fault{
		Keys:  []kmsg.Key{kmsg.Produce},
		Topic: f.Topic,
		Err:   kerr.NotEnoughReplicasAfterAppend,
		Count: -1,
		When: func(req kmsg.Request) bool {
			mu.Lock()
			defer mu.Unlock()
			if req == last {
				return decision
			}
			last, decision = req, false
			n++
			if f.Decide(n) >= f.Fraction {
				return false
			}
			decision = true
			pr, ok := req.(*kmsg.ProduceRequest)
			if !ok {
				return false
			}
			for _, t := range pr.Topics {
				name, ok := f.Name(t.Topic, t.TopicID)
				if !ok {
					continue
				}
				for _, p := range t.Partitions {
					f.OnRecords(name, batchRecords(p.Records))
				}
			}
			return true
		},
	})
	return &FaultHandle{h}
}

// batchRecords returns the number of records in a produce request's
// non-idempotent record batches: those its retry appends again.
func batchRecords(b []byte) int64 {
	var n int64
	for len(b) >= 61 {
		var rb kmsg.RecordBatch
		if err := rb.ReadFrom(b); err != nil {
			break
		}
		if rb.ProducerID < 0 {
			// Only a non-idempotent batch is appended again by its retry;
			// the broker drops an idempotent producer's retried sequence.
			n += int64(rb.NumRecords)
		}
		l := int(rb.Length) + 12
		if l <= 12 || l > len(b) {
			break
		}
		b = b[l:]
	}
	return n
}
