package consumer

import (
	"context"
	"errors"
	"net"
	"sync"
)

// crashDialer dials the broker and can cut every connection it made, for
// good: a crashed process.
type crashDialer struct {
	mu    sync.Mutex
	d     net.Dialer
	conns []net.Conn
	dead  bool
}

var errCrashed = errors.New("worker crashed")

func (c *crashDialer) dial(ctx context.Context, network, host string) (net.Conn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead {
		return nil, errCrashed
	}
	conn, err := c.d.DialContext(ctx, network, host)
	if err == nil {
		c.conns = append(c.conns, conn)
	}
	return conn, err
}

func (c *crashDialer) crash() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dead = true
	for _, conn := range c.conns {
		_ = conn.Close()
	}
	c.conns = nil
}
