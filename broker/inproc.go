package broker

import (
	"context"
	"net"
	"slices"
	"sync"
)

// The embedded broker's in-process transport. The run's own clients live
// in the broker's process, so a request need not cross the kernel: each
// of their connections is a net.Pipe whose far end the broker accepts as
// it does a TCP connection. A request then costs goroutine hand-offs
// where it cost a write and a read system call on each side and two
// wake-ups of the network poller. Other processes (kcat, `watch`, a
// second backlogbench) still reach the broker over TCP on its address.

// dualListener is the broker's listener: TCP connections from other
// processes and in-process pipes from Dial, accepted in the order they
// come.
type dualListener struct {
	net.Listener // TCP

	pipes  chan net.Conn
	accept chan acceptResult
	done   chan struct{}
	once   sync.Once
}

type acceptResult struct {
	c   net.Conn
	err error
}

func newDualListener(tcp net.Listener) *dualListener {
	l := &dualListener{Listener: tcp, pipes: make(chan net.Conn), accept: make(chan acceptResult), done: make(chan struct{})}
	// The TCP side's Accept blocks; this goroutine owns it and ends with
	// the TCP listener: Close closes both, and Accept then fails.
	go func() {
		for {
			c, err := tcp.Accept()
			select {
			case l.accept <- acceptResult{c, err}:
			case <-l.done:
				if c != nil {
					_ = c.Close()
				}
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return l
}

// Accept returns the next connection, TCP or in-process.
func (l *dualListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.pipes:
		return c, nil
	case r := <-l.accept:
		return r.c, r.err
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close closes the TCP listener and refuses further pipes.
func (l *dualListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// dial hands the broker the far end of a new pipe and returns the near
// one, bounded by ctx.
func (l *dualListener) dial(ctx context.Context) (net.Conn, error) {
	server, client := net.Pipe()
	err := net.ErrClosed
	select {
	case l.pipes <- server:
		return client, nil
	case <-l.done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	_ = server.Close()
	_ = client.Close()
	return nil, err
}

// inproc is the embedded broker's listeners, for its dialer.
type inproc struct {
	mu sync.Mutex
	ls []*dualListener
}

func (p *inproc) listen(network, address string) (net.Listener, error) {
	tcp, err := net.Listen(network, address)
	if err != nil {
		return nil, err
	}
	l := newDualListener(tcp)
	p.mu.Lock()
	p.ls = append(p.ls, l)
	p.mu.Unlock()
	return l, nil
}

// Dial dials the embedded broker in process when host is one of its
// addresses, and over TCP otherwise: a kgo.Dialer for the run's clients.
func (e *Embedded) Dial(ctx context.Context, network, host string) (net.Conn, error) {
	e.inproc.mu.Lock()
	i := slices.IndexFunc(e.inproc.ls, func(l *dualListener) bool { return l.Addr().String() == host })
	var l *dualListener
	if i >= 0 {
		l = e.inproc.ls[i]
	}
	e.inproc.mu.Unlock()
	if l == nil {
		return Security{}.Dial()(ctx, network, host)
	}
	return l.dial(ctx)
}
