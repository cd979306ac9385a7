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

func ExampleScenario_Limits() {
	s, err := scenario.Parse("big.yaml", []byte(`topics:
  orders: {partitions: 12}
producers:
  orders:
    topic: orders
    phases:
      - {duration: 1000s, rate: 100000}
groups:
  email: {topics: [orders], capacity: 250, workers: 1000}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	err = scenario.LimitError(s.Limits(30))
	fmt.Println(err)
	fmt.Println(errors.Is(err, scenario.ErrTooBig))
	// predict needs no Kafka: only the figures that are nonsense anywhere.
	fmt.Println(scenario.LimitError(s.Sanity()))
	// Output:
	// big.yaml:3: producers: the producers send 100,000,000 events in all, more than the 50,000,000 one machine can play; --force plays it anyway
	// big.yaml:3: producers: the embedded broker would hold about 78.4 GiB for 100,000,000 records (their values plus 330 B each), more than the 8 GiB one machine can spare; --force plays it anyway
	// big.yaml:7: producers.orders.phases[0].rate: 100,000 events/s at ×30 is 3,000,000 events/s of wall time, more than the 2,000,000 one machine can pace; --force plays it anyway
	// big.yaml:9: groups.email.workers: 1,001 Kafka clients at once (1 producer, 1,000 workers), more than the 500 one machine can run; --force plays it anyway
	// true
	// <nil>
}
