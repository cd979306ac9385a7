package consumer

import (
	"context"
	"errors"
	"net"
	"testing"
)

// TestCrashDialerPrunes checks that connections the client closes are
// forgotten, a crash cuts the live ones, and no dial succeeds after it.
func TestCrashDialerPrunes(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	inner := 0
	d := newCrashDialer(func(ctx context.Context, network, host string) (net.Conn, error) {
		inner++
		return (&net.Dialer{}).DialContext(ctx, network, host)
	})
	ctx := context.Background()
	for range 5 {
		c, err := d.dial(ctx, "tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		c.Close() // twice is harmless
	}
	keep, err := d.dial(ctx, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if got := d.live(); got != 1 || inner != 6 {
		t.Fatalf("live = %d, inner dials %d; want 1 and 6 (the wrapped dialer is used)", got, inner)
	}
	d.crash()
	if _, err := keep.Write([]byte("x")); err == nil {
		t.Error("write after crash succeeded")
	}
	if _, err := d.dial(ctx, "tcp", ln.Addr().String()); !errors.Is(err, errCrashed) {
		t.Errorf("dial after crash: %v, want errCrashed", err)
	}
}
