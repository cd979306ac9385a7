package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/twmb/franz-go/pkg/kfake"
)

func brokerCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("broker", "[flags]", stderr)
	port := fs.Int("port", 9092, "port to listen on (127.0.0.1)")
	dataDir := fs.String("data-dir", "", "keep the broker's data in this folder (default: in memory)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("broker: takes no arguments, got %q", fs.Args())
	}
	if *port < 0 || *port > 65535 {
		return usagef("--port: want 0–65535, got %d", *port)
	}
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.Ports(*port)}
	if *dataDir != "" {
		opts = append(opts, kfake.DataDir(*dataDir))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return fmt.Errorf("start the embedded broker: %w", err)
	}
	defer c.Close()
	fmt.Fprintf(stdout, "embedded broker listening on %s; Ctrl-C stops it\n", strings.Join(c.ListenAddrs(), ","))
	<-ctx.Done()
	return nil
}
