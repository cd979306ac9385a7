// Package consumer runs a consumer group's workers: members of one Kafka
// consumer group, each throttled to its share of the group's capacity,
// processing the records of its partitions in partition order and counting
// what it processed into the group's Stats.
//
// Run is the at-least-once worker: it commits what it processed (every
// CommitEvery while busy, at once when idle, and on revoke).
// RunExactlyOnce processes each poll in one transaction that produces the
// records' effects and commits their offsets. Both can be made to crash
// (connections cut, nothing committed) or leave (committed, partitions
// handed over) mid-run, the faults a scenario plays.
package consumer
