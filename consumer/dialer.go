package consumer

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"
)

// crashDialer dials the broker through the connection's own dialer (plain
// TCP or TLS) and can cut every connection it made, for good: a crashed
// process. Connections closed by the client are forgotten, so the list
// holds only live ones; the dial itself runs without the lock.
type crashDialer struct {
	dial0 func(ctx context.Context, network, host string) (net.Conn, error)
	mu    sync.Mutex
	conns map[*trackedConn]struct{}
	dead  bool
}

var errCrashed = errors.New("worker crashed")

// dialTimeout bounds a plain TCP dial.
const dialTimeout = 3 * time.Second

// newCrashDialer wraps dial; nil dials plain TCP.
func newCrashDialer(dial func(ctx context.Context, network, host string) (net.Conn, error)) *crashDialer {
	if dial == nil {
		d := &net.Dialer{Timeout: dialTimeout}
		dial = d.DialContext
	}
	return &crashDialer{dial0: dial, conns: map[*trackedConn]struct{}{}}
}

func (c *crashDialer) dial(ctx context.Context, network, host string) (net.Conn, error) {
	c.mu.Lock()
	dead := c.dead
	c.mu.Unlock()
	if dead {
		return nil, errCrashed
	}
	conn, err := c.dial0(ctx, network, host)
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: conn, d: c}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead { // crashed while dialling
		_ = conn.Close()
		return nil, errCrashed
	}
	c.conns[tc] = struct{}{}
	return tc, nil
}

func (c *crashDialer) crash() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dead = true
	for tc := range c.conns {
		_ = tc.Conn.Close()
	}
	clear(c.conns)
}

// live returns the number of connections open.
func (c *crashDialer) live() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.conns)
}

// trackedConn removes itself from its dialer when closed.
type trackedConn struct {
	net.Conn
	d    *crashDialer
	once sync.Once
}

func (t *trackedConn) Close() error {
	t.once.Do(func() {
		t.d.mu.Lock()
		delete(t.d.conns, t)
		t.d.mu.Unlock()
	})
	return t.Conn.Close()
}
