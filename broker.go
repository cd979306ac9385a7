package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/backlogbench/backlogbench/broker"
)

func brokerCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("broker", "[flags]", stderr)
	port := fs.Int("port", 9092, "port to listen on (127.0.0.1)")
	dataDir := fs.String("data-dir", "", "keep the broker's data in this folder (default: in memory)")
	user := fs.String("sasl-user", "", "require SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) with this user; the password from "+broker.PasswordEnv)
	cert := fs.String("tls-cert", "", "serve TLS with this PEM certificate (needs --tls-key)")
	key := fs.String("tls-key", "", "the PEM private key of --tls-cert")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("broker: takes no arguments, got %q", fs.Args())
	}
	if *port < 0 || *port > 65535 {
		return usagef("--port: want 0–65535, got %d", *port)
	}
	if *dataDir != "" {
		if err := broker.PrepareDataDir(*dataDir); err != nil {
			return usagef("--data-dir: %v", err)
		}
	}
	cfg := broker.EmbeddedConfig{Port: *port, DataDir: *dataDir}
	if *user != "" {
		pass, ok := os.LookupEnv(broker.PasswordEnv)
		if !ok || pass == "" {
			return usagef("--sasl-user: set the password in %s", broker.PasswordEnv)
		}
		cfg.Users = map[string]string{*user: pass}
	}
	if (*cert == "") != (*key == "") {
		return usagef("--tls-cert and --tls-key go together")
	}
	if *cert != "" {
		pair, err := tls.LoadX509KeyPair(*cert, *key)
		if err != nil {
			return usagef("--tls-cert: %v", err)
		}
		cfg.TLS = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	}
	e, err := broker.StartEmbedded(cfg)
	if err != nil {
		return err
	}
	defer e.Close()
	fmt.Fprintf(stdout, "embedded broker listening on %s; Ctrl-C stops it\n", strings.Join(e.Addrs(), ","))
	<-ctx.Done()
	return nil
}
