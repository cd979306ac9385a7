package main

import (
	"errors"

	"github.com/spf13/pflag"

	"github.com/backlogbench/backlogbench/broker"
)

// connOptions are the connection flags run and watch share, in kcat's
// words: -X key=value (repeatable) and --client-config FILE with
// librdkafka property names; the SASL password may come from
// BACKLOGBENCH_SASL_PASSWORD instead.
type connOptions struct {
	brokers      []string
	props        []string
	clientConfig string
}

func (o *connOptions) register(fs *pflag.FlagSet) {
	fs.StringSliceVar(&o.brokers, "brokers", nil, "a real cluster's seed brokers host[:port],... (port 9092 when left out; default: the embedded broker)")
	o.registerSecurity(fs)
}

// registerSecurity registers the -X and --client-config flags alone.
func (o *connOptions) registerSecurity(fs *pflag.FlagSet) {
	fs.StringArrayVarP(&o.props, "property", "X", nil, "client property key=value, librdkafka names (security.protocol, sasl.mechanism, sasl.username, sasl.password, ssl.ca.location, ...); repeatable")
	fs.StringVar(&o.clientConfig, "client-config", "", "file of client properties, one key=value a line (kcat -F style)")
}

// resolve returns the seed brokers and the connection's security; a bad
// property is a usage error that names it.
func (o *connOptions) resolve() ([]string, broker.Security, error) {
	var seeds []string
	if len(o.brokers) > 0 {
		var err error
		if seeds, err = broker.NormalizeSeeds(o.brokers); err != nil {
			return nil, broker.Security{}, usagef("--brokers: %v", err)
		}
	}
	sec, err := o.security()
	if err != nil {
		return nil, sec, err
	}
	if len(seeds) == 0 && (sec.TLS != nil || sec.SASL != nil) {
		return nil, broker.Security{}, usageError{errors.New("TLS and SASL properties need --brokers (the embedded broker in run is plaintext; `backlogbench broker` serves SASL and TLS)")}
	}
	return seeds, sec, nil
}

// security resolves the -X and --client-config properties; a bad one is
// a usage error that names it.
func (o *connOptions) security() (broker.Security, error) {
	var p broker.Properties
	if o.clientConfig != "" {
		if err := p.ReadFile(o.clientConfig); err != nil {
			return broker.Security{}, usageError{err}
		}
	}
	for _, kv := range o.props {
		if err := p.SetPair(kv, "-X"); err != nil {
			return broker.Security{}, usageError{err}
		}
	}
	sec, err := p.Resolve()
	if err != nil {
		return broker.Security{}, usageError{err}
	}
	return sec, nil
}
