package perf

import (
	"os"

	"github.com/backlogbench/backlogbench/broker"
)

// Brokers starts the broker of one measurement and returns where its
// clients reach it, and how to stop it (which removes its records).
type Brokers func() (tg Target, stop func(), err error)

// FreshEmbedded returns Brokers that start a new embedded broker for each
// measurement, its records on disk in a new folder under dir, its clients
// in this process reaching it in process as `run` reaches its own (kcat,
// another process, over TCP). Every raw run, kcat run and probe then
// starts on the broker a `run` starts on, not on one an earlier
// measurement left behind: after two overloaded probes (800,000 and
// 600,000/s asked, 8–13 s behind) the 200,000 orders/s fan-out probe
// passed 5 times of 11 on the same broker, and 5 of 5 on a new one in the
// same process.
func FreshEmbedded(dir string) Brokers {
	return func() (Target, func(), error) {
		data, err := os.MkdirTemp(dir, "broker-")
		if err != nil {
			return Target{}, nil, err
		}
		e, err := broker.StartEmbedded(broker.EmbeddedConfig{DataDir: data, InProcess: true})
		if err != nil {
			_ = os.RemoveAll(data)
			return Target{}, nil, err
		}
		stop := func() {
			e.Close()
			_ = os.RemoveAll(data)
		}
		return Target{Seeds: e.Addrs(), Dial: e.Dial}, stop, nil
	}
}
