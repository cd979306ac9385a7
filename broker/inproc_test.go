package broker

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestInProcess: with InProcess, Dial reaches the broker through a pipe
// (no TCP connection), a client on it produces and a client over TCP
// reads the same records, and once the broker is closed Dial fails at
// once instead of waiting.
func TestInProcess(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e, err := StartEmbedded(EmbeddedConfig{InProcess: true})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			e.Close()
		}
	}()
	addr := e.Addrs()[0]

	c, err := e.Dial(ctx, "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, tcp := c.(*net.TCPConn); tcp {
		t.Errorf("Dial(%s) = a TCP connection, want an in-process pipe", addr)
	}
	_ = c.Close()

	const topic, n = "inproc", 100
	in, err := Connect(ctx, []string{addr}, []kgo.Opt{kgo.Dialer(e.Dial), kgo.DefaultProduceTopic(topic), kgo.AllowAutoTopicCreation()})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if _, err := in.Admin.CreateTopic(ctx, 3, 1, nil, topic); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := in.Client.ProduceSync(ctx, &kgo.Record{Value: []byte{byte(i)}}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	tcp, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	got := 0
	for got < n && ctx.Err() == nil {
		fs := tcp.PollFetches(ctx)
		if err := fs.Err0(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatal(err)
		}
		got += fs.NumRecords()
	}
	if got != n {
		t.Fatalf("read %d records over TCP, want the %d produced in process", got, n)
	}

	// A host that is not the broker's is dialled over TCP.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	other, err := e.Dial(ctx, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := other.(*net.TCPConn); !ok {
		t.Errorf("Dial(%s) = %T, want a TCP connection to a host that is not the broker", ln.Addr(), other)
	}
	_ = other.Close()

	e.Close()
	closed = true
	start := time.Now()
	if c, err := e.Dial(ctx, "tcp", addr); err == nil {
		_ = c.Close()
		t.Errorf("Dial after Close succeeded")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Dial after Close took %v", d)
	}
}
