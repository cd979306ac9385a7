// Package broker is everything about reaching Kafka: the embedded broker
// (franz-go's kfake, in process) with its fault hooks, the connection to a
// real cluster (seed brokers and client options such as TLS and SASL), the
// admin client, and the run's topics and groups, created at the start and
// deleted at the end.
package broker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// ErrUnreachable is returned when the brokers cannot be reached.
var ErrUnreachable = errors.New("cannot reach the Kafka brokers")

// DefaultPort is the port of a broker given without one.
const DefaultPort = "9092"

// PingTimeout bounds the first request to the brokers.
const PingTimeout = 8 * time.Second

// NormalizeSeeds checks seed brokers given as host or host:port and
// returns them as host:port, a missing port being DefaultPort.
func NormalizeSeeds(seeds []string) ([]string, error) {
	out := make([]string, 0, len(seeds))
	for _, s := range seeds {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, errors.New("empty broker address")
		}
		if _, _, err := net.SplitHostPort(s); err != nil {
			// No port (or an IPv6 address without brackets and port).
			if strings.Contains(s, ":") && !strings.HasPrefix(s, "[") {
				return nil, fmt.Errorf("broker %q: want host or host:port", s)
			}
			s = net.JoinHostPort(strings.Trim(s, "[]"), DefaultPort)
		}
		host, port, _ := net.SplitHostPort(s)
		if host == "" || port == "" {
			return nil, fmt.Errorf("broker %q: want host or host:port", s)
		}
		out = append(out, s)
	}
	return out, nil
}

// Conn is a connection to a cluster: the options every client of the run
// shares, and an admin client.
type Conn struct {
	// Seeds are the seed brokers.
	Seeds []string
	// Opts are the options every client of the run starts from: the seeds,
	// the dial timeout and the caller's options (TLS, SASL).
	Opts []kgo.Opt
	// Client is the admin's client; Admin the admin client on it.
	Client *kgo.Client
	Admin  *kadm.Client
}

// Connect returns a connection to the cluster at seeds with the extra
// client options, once one request has been answered (bounded by
// PingTimeout and ctx). An unreachable cluster is ErrUnreachable.
func Connect(ctx context.Context, seeds []string, opts []kgo.Opt) (*Conn, error) {
	base := append([]kgo.Opt{kgo.SeedBrokers(seeds...), kgo.DialTimeout(3 * time.Second)}, opts...)
	cl, err := kgo.NewClient(base...)
	if err != nil {
		return nil, fmt.Errorf("broker client: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, PingTimeout)
	err = cl.Ping(pctx)
	cancel()
	if err != nil {
		cl.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w at %s: %v (is Kafka running? `make kafka-up`, `docker compose up -d` or `backlogbench broker` starts one)", ErrUnreachable, strings.Join(seeds, ","), err)
	}
	return &Conn{Seeds: seeds, Opts: base, Client: cl, Admin: kadm.NewClient(cl)}, nil
}

// Close closes the admin client.
func (c *Conn) Close() { c.Client.Close() }

// NewClient returns a client with the connection's options and extra ones.
func (c *Conn) NewClient(extra ...kgo.Opt) (*kgo.Client, error) {
	return kgo.NewClient(append(append([]kgo.Opt{}, c.Opts...), extra...)...)
}

// EmbeddedClusterID is the cluster ID kfake reports, the embedded broker's
// (and `backlogbench broker`'s).
const EmbeddedClusterID = "kfake"

// IsEmbedded reports whether the cluster is the embedded broker (kfake,
// in this process or served by `backlogbench broker`), which answers a
// fetch's partitions in the request's order where Apache Kafka answers in
// its fetch session's; false when the cluster does not say.
func (c *Conn) IsEmbedded(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, PingTimeout)
	defer cancel()
	m, err := c.Admin.BrokerMetadata(ctx)
	return err == nil && m.Cluster == EmbeddedClusterID
}

// MinSessionTimeout returns the least session timeout the cluster accepts
// from a group member (group.min.session.timeout.ms; Apache Kafka's
// default is 6s), or an error when the brokers do not say.
func (c *Conn) MinSessionTimeout(ctx context.Context) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, PingTimeout)
	defer cancel()
	// Without broker ids DescribeConfigs answers only the cluster-wide
	// dynamic values; a static server.properties setting needs the ids.
	bs, err := c.Admin.ListBrokers(ctx)
	if err != nil {
		return 0, err
	}
	rcs, err := c.Admin.DescribeBrokerConfigs(ctx, bs.NodeIDs()...)
	if err != nil {
		return 0, err
	}
	var most time.Duration
	found := false
	for _, rc := range rcs {
		for _, cfg := range rc.Configs {
			if cfg.Key != "group.min.session.timeout.ms" || cfg.Value == nil {
				continue
			}
			ms, err := strconv.ParseInt(*cfg.Value, 10, 64)
			if err != nil {
				return 0, fmt.Errorf("group.min.session.timeout.ms %q: %w", *cfg.Value, err)
			}
			most, found = max(most, time.Duration(ms)*time.Millisecond), true
		}
	}
	if !found {
		return 0, errors.New("the brokers do not report group.min.session.timeout.ms")
	}
	return most, nil
}
