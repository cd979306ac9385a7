package scenario

import (
	"maps"
	"slices"
)

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// TopicNames returns the topic names in order.
func (s *Scenario) TopicNames() []string { return sortedKeys(s.Topics) }

// ProducerNames returns the producer names in order.
func (s *Scenario) ProducerNames() []string { return sortedKeys(s.Producers) }

// GroupNames returns the group names in order.
func (s *Scenario) GroupNames() []string { return sortedKeys(s.Groups) }
