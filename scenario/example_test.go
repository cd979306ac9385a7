package scenario_test

import (
	"errors"
	"fmt"

	"github.com/backlogbench/backlogbench/scenario"
)

func ExampleParse() {
	_, err := scenario.Parse("flash.yaml", []byte(`topics:
  orders: {partitions: 12}
producers:
  orders:
    topic: orders
    phases:
      - {duration: 10 minutes, rate: 100}
groups:
  analytics: {topics: [orders], workers: 3, capacity: -5, service: {dist: gamma}}
`))
	fmt.Println(err)
	fmt.Println(errors.Is(err, scenario.ErrInvalid))
	// Output:
	// flash.yaml:7: producers.orders.phases[0].duration: must be a duration such as 90s, 10m or 1m30s, got "10 minutes"
	// flash.yaml:9: groups.analytics.capacity: must be ≥ 0, got -5
	// flash.yaml:9: groups.analytics.service.dist: must be one of constant, exponential, lognormal, got "gamma"
	// true
}

func ExampleScenario_YAML() {
	s, err := scenario.Parse("small.yaml", []byte(`topics: {orders: {partitions: 3}}
producers:
  orders: {topic: orders, phases: [{duration: 90s, rate: 10}]}
groups:
  email: {topics: [orders], capacity: 12}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	out, _ := s.YAML()
	fmt.Print(string(out))
	// Output:
	// name: small
	// seed: 1
	// topics:
	//   orders: {partitions: 3}
	// producers:
	//   orders:
	//     topic: orders
	//     event: order
	//     size: 512
	//     phases:
	//       - {duration: 1m30s, rate: 10}
	// groups:
	//   email: {topics: [orders], workers: 1, capacity: 12}
	// tolerance: 2%
}
