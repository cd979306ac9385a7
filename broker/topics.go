package broker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// Topic is a topic to create: its name on the broker, its partitions, and
// its replication factor (-1: the broker's default).
type Topic struct {
	Name        string
	Partitions  int
	Replication int16
	// Configs are topic configs (e.g. min.insync.replicas); nil for none.
	Configs map[string]*string
}

// CreateTopics creates the topics and returns their ids by name (produce
// requests from v13 name topics by id).
func (c *Conn) CreateTopics(ctx context.Context, topics []Topic) (map[[16]byte]string, error) {
	ids := map[[16]byte]string{}
	for _, t := range topics {
		r, err := c.Admin.CreateTopic(ctx, int32(t.Partitions), t.Replication, t.Configs, t.Name)
		if err == nil {
			err = r.Err
		}
		if err != nil {
			return ids, fmt.Errorf("create topic %s: %w", t.Name, err)
		}
		ids[r.ID] = t.Name
	}
	return ids, nil
}

// CleanupTimeout bounds Cleanup.
const CleanupTimeout = 10 * time.Second

// Cleanup deletes the run's topics and consumer groups, within
// CleanupTimeout whatever ctx, so that nothing of a run is left on a shared
// cluster. Topics or groups already gone are not errors.
func (c *Conn) Cleanup(ctx context.Context, topics, groups []string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), CleanupTimeout)
	defer cancel()
	var errs []error
	if len(groups) > 0 {
		rs, err := c.Admin.DeleteGroups(ctx, groups...)
		if err != nil {
			errs = append(errs, fmt.Errorf("delete groups: %w", err))
		}
		for _, r := range rs {
			if r.Err != nil && !errors.Is(r.Err, kerr.GroupIDNotFound) {
				errs = append(errs, fmt.Errorf("delete group %s: %w", r.Group, r.Err))
			}
		}
	}
	if len(topics) > 0 {
		rs, err := c.Admin.DeleteTopics(ctx, topics...)
		if err != nil {
			errs = append(errs, fmt.Errorf("delete topics: %w", err))
		}
		for _, r := range rs {
			if r.Err != nil && !errors.Is(r.Err, kerr.UnknownTopicOrPartition) {
				errs = append(errs, fmt.Errorf("delete topic %s: %w", r.Topic, r.Err))
			}
		}
	}
	return errors.Join(errs...)
}

// Existing returns those of the named topics that exist on the cluster.
func (c *Conn) Existing(ctx context.Context, names ...string) ([]string, error) {
	td, err := c.Admin.ListTopics(ctx, names...)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range td.Sorted() {
		if d.Err == nil {
			out = append(out, d.Topic)
		}
	}
	return out, nil
}

// ReadyTimeout bounds WaitTopicsReady.
const ReadyTimeout = 15 * time.Second

// WaitTopicsReady waits until the leader of every partition of the topics
// answers a ListOffsets request. Right after CreateTopics a real broker
// answers some partitions with UNKNOWN_TOPIC_OR_PARTITION for a few
// milliseconds; a consumer assigned such a partition then lists its offsets
// again only a second later (franz-go), and the partition is not fetched
// meanwhile.
func (c *Conn) WaitTopicsReady(ctx context.Context, topics []string) error {
	ctx, cancel := context.WithTimeout(ctx, ReadyTimeout)
	defer cancel()
	for {
		offs, err := c.Admin.ListStartOffsets(ctx, topics...)
		if err == nil {
			var bad error
			n := 0
			offs.Each(func(o kadm.ListedOffset) {
				n++
				if o.Err != nil && bad == nil {
					bad = fmt.Errorf("%s[%d]: %w", o.Topic, o.Partition, o.Err)
				}
			})
			if bad == nil && n > 0 {
				return nil
			}
			err = bad
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("topics not ready after %v: %v", ReadyTimeout, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
