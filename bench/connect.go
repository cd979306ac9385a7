package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/backlogbench/backlogbench/broker"
	"github.com/backlogbench/backlogbench/predict"
	"github.com/backlogbench/backlogbench/sampler"
	"github.com/backlogbench/backlogbench/scenario"
)

// The stages that reach the broker: connect, the run's topics, and the
// cleanup at the end.

// connect starts the embedded broker, or reaches the real cluster.
func (r *run) connect(ctx context.Context) error {
	seeds := r.cfg.Brokers
	if len(seeds) == 0 {
		dir, err := r.dataDir()
		if err != nil {
			return err
		}
		e, err := broker.StartEmbedded(broker.EmbeddedConfig{DataDir: dir, InProcess: true})
		if err != nil {
			r.removeSpill()
			return err
		}
		r.embedded, seeds = e, e.Addrs()
	}
	opts := append(r.cfg.Security.Opts(), kgo.Dialer(r.dial()))
	conn, err := broker.Connect(ctx, seeds, append(opts, r.cfg.ClientOpts...))
	if err != nil {
		if r.embedded != nil {
			r.embedded.Close()
			r.removeSpill()
		} else if errors.Is(err, broker.ErrUnreachable) {
			err = fmt.Errorf("%w; leave out --brokers to use the embedded broker", err)
		}
		return err
	}
	r.conn = conn
	if r.embedded == nil && !conn.IsEmbedded(ctx) {
		r.res.order = predict.Kafka
	}
	r.crashSession = DefaultCrashSession
	if r.embedded == nil && r.hasCrash() {
		// A real broker refuses a session timeout under its minimum.
		min, err := conn.MinSessionTimeout(ctx)
		if err != nil {
			min = 6 * time.Second // Apache Kafka's default
			r.note(fmt.Sprintf("crash-worker: could not read the broker's group.min.session.timeout.ms (%v); using %v", err, min))
		}
		if min > r.crashSession {
			r.crashSession = min
			r.note(fmt.Sprintf("crash-worker: session timeout %v, the broker's minimum (a crashed worker's partitions move on after it)", min))
		}
	}
	return nil
}

// DefaultCrashSession is the session timeout of a group with a
// crash-worker fault, or the broker's minimum when that is larger.
const DefaultCrashSession = predict.DefaultCrashSession

// hasCrash reports whether the scenario crashes a worker.
func (r *run) hasCrash() bool {
	for _, f := range r.sc.Faults {
		if f.Action == scenario.CrashWorker {
			return true
		}
	}
	return false
}

// close closes the admin client and stops the embedded broker.
func (r *run) close() {
	r.conn.Close()
	if r.embedded != nil {
		r.embedded.Close()
		r.removeSpill()
	}
}

// dataDir returns the embedded broker's data folder: the configured one,
// or a temporary one when the records would take more than SpillAbove of
// memory, or "" (memory).
func (r *run) dataDir() (string, error) {
	mem, _ := r.sc.BrokerMemory()
	switch dir := r.cfg.DataDir; {
	case dir == MemoryDataDir:
		return "", nil
	case dir != "": // made by Config.Validate
		r.note(fmt.Sprintf("embedded broker: records on disk in %s (kept after the run)", dir))
		return dir, nil
	case mem <= SpillAbove:
		return "", nil
	}
	dir, err := os.MkdirTemp("", "backlogbench-broker-")
	if err != nil {
		return "", fmt.Errorf("spill the embedded broker's records to disk (they would take about %.1f GiB of memory): %w", mem/(1<<30), err)
	}
	r.spill = dir
	r.note(fmt.Sprintf("embedded broker: records on disk in %s, removed at the end (in memory they would take about %.1f GiB; --data-dir memory keeps them there)", dir, mem/(1<<30)))
	return dir, nil
}

// removeSpill removes the temporary data folder, if the run made one.
func (r *run) removeSpill() {
	if r.spill != "" {
		_ = os.RemoveAll(r.spill)
		r.spill = ""
	}
}

// cleanup deletes the run's topics and groups from a real cluster, unless
// the run keeps them. The embedded broker goes away with the run.
func (r *run) cleanup(ctx context.Context) {
	if r.embedded != nil || r.cfg.Keep {
		return
	}
	if errors.Is(context.Cause(ctx), ErrBrokerDead) {
		r.res.Summary.Notes = append(r.res.Summary.Notes, fmt.Sprintf("cleanup skipped (the broker is not answering): delete the topics and groups named %s* by hand", r.cfg.Prefix))
		return
	}
	var groups []string
	for _, g := range r.groups {
		groups = append(groups, r.phys(g))
	}
	if err := r.conn.Cleanup(ctx, r.topics, groups); err != nil {
		r.res.Summary.Notes = append(r.res.Summary.Notes, "cleanup: "+err.Error())
	}
}

// phys is a topic's or group's name on the broker.
func (r *run) phys(name string) string { return r.cfg.Prefix + name }

// effectsTopic is the topic an exactly-once group writes its effects to.
func (r *run) effectsTopic(group string) string { return r.phys(group + ".effects") }

// EmbeddedSegmentBytes is the segment size of the run's topics on the
// embedded broker.
const EmbeddedSegmentBytes = 8 << 20

// topic is a topic of the run as created: one replica on the embedded
// broker; on a cluster the scenario's replication and min.insync.replicas,
// or the broker's defaults.
func (r *run) topic(name string, partitions int, t scenario.Topic) broker.Topic {
	bt := broker.Topic{Name: name, Partitions: partitions, Replication: -1}
	if r.embedded != nil {
		// Small segments, so the records the trimmer deletes leave the
		// data folder too (kfake removes only whole segments).
		bt.Replication = 1
		seg := strconv.Itoa(EmbeddedSegmentBytes)
		bt.Configs = map[string]*string{"segment.bytes": &seg}
		return bt
	}
	if t.Replication > 0 {
		bt.Replication = int16(t.Replication)
	}
	if t.MinInsync > 0 {
		v := strconv.Itoa(t.MinInsync)
		bt.Configs = map[string]*string{"min.insync.replicas": &v}
	}
	return bt
}

// prepareTopics creates the scenario's topics and, for every exactly-once
// group, its effects topic.
func (r *run) prepareTopics(ctx context.Context) error {
	var ts []broker.Topic
	r.logs = map[string]*sampler.AckLog{}
	for _, t := range r.sc.TopicNames() {
		n := r.sc.Topics[t].Partitions
		ts = append(ts, r.topic(r.phys(t), n, r.sc.Topics[t]))
		r.logs[t] = sampler.NewAckLog(n)
	}
	for _, name := range r.groups {
		if r.sc.Groups[name].Delivery == scenario.ExactlyOnce {
			ts = append(ts, r.topic(r.effectsTopic(name), 1, scenario.Topic{}))
		}
	}
	for _, t := range ts {
		r.topics = append(r.topics, t.Name)
	}
	ids, err := r.conn.CreateTopics(ctx, ts)
	// Produce requests name topics by id: map them back to logical names.
	r.topicIDs = map[[16]byte]string{}
	for id, name := range ids {
		r.topicIDs[id] = name[len(r.cfg.Prefix):]
	}
	if err != nil || r.embedded != nil {
		return err
	}
	return r.conn.WaitTopicsReady(ctx, r.topics)
}

// dial is how the run's clients dial the brokers: in process to the
// embedded broker, with Config.Dial, or with the connection's security.
func (r *run) dial() broker.DialFunc {
	switch {
	case r.embedded != nil:
		return r.embedded.Dial
	case r.cfg.Dial != nil:
		return r.cfg.Dial
	}
	return r.cfg.Security.Dial()
}
