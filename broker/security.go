package broker

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// ErrConfig marks a bad connection property: a usage error.
var ErrConfig = errors.New("bad client property")

// PasswordEnv is the environment variable whose value, when set, is the
// SASL password (so it need not appear on a command line or in a file).
const PasswordEnv = "BACKLOGBENCH_SASL_PASSWORD"

// Redacted replaces a secret wherever one would be shown.
const Redacted = "[redacted]"

// Properties are client properties in librdkafka's (and kcat's) names.
// Supported: security.protocol (plaintext, ssl, sasl_plaintext,
// sasl_ssl), sasl.mechanism or sasl.mechanisms (PLAIN, SCRAM-SHA-256,
// SCRAM-SHA-512), sasl.username, sasl.password, ssl.ca.location,
// ssl.certificate.location, ssl.key.location and
// ssl.endpoint.identification.algorithm (https, the default, checks the
// broker's host name; none does not).
type Properties struct {
	values map[string]string
	// where says where each key was given, for errors.
	where map[string]string
}

// knownProperties are the keys Properties accepts.
var knownProperties = []string{
	"security.protocol", "sasl.mechanism", "sasl.mechanisms", "sasl.username", "sasl.password",
	"ssl.ca.location", "ssl.certificate.location", "ssl.key.location", "ssl.endpoint.identification.algorithm",
}

// secretProperties are never shown.
var secretProperties = []string{"sasl.password"}

// Set sets key to value; where names its origin ("-X", "file:3").
func (p *Properties) Set(key, value, where string) error {
	key = strings.TrimSpace(key)
	if !slices.Contains(knownProperties, key) {
		return fmt.Errorf("%w: %s: unknown property %q (known: %s)", ErrConfig, where, key, strings.Join(knownProperties, ", "))
	}
	if p.values == nil {
		p.values, p.where = map[string]string{}, map[string]string{}
	}
	if key == "sasl.mechanisms" {
		key = "sasl.mechanism"
	}
	p.values[key], p.where[key] = strings.TrimSpace(value), where
	return nil
}

// SetPair sets a key=value pair (kcat's -X).
func (p *Properties) SetPair(pair, where string) error {
	k, v, ok := strings.Cut(pair, "=")
	if !ok {
		return fmt.Errorf("%w: %s: want key=value, got %q", ErrConfig, where, pair)
	}
	return p.Set(k, v, where)
}

// ReadFile reads key=value lines (blank lines and # comments skipped), as
// kcat's -F and librdkafka's config files have them.
func (p *Properties) ReadFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrConfig, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := p.SetPair(line, fmt.Sprintf("%s:%d", path, n)); err != nil {
			return err
		}
	}
	return sc.Err()
}

// Get returns a property's value.
func (p *Properties) Get(key string) string { return p.values[key] }

// String lists the properties, secrets redacted.
func (p *Properties) String() string {
	var out []string
	for _, k := range knownProperties {
		v, ok := p.values[k]
		if !ok {
			continue
		}
		if slices.Contains(secretProperties, k) {
			v = Redacted
		}
		out = append(out, k+"="+v)
	}
	return strings.Join(out, " ")
}

// Security is a connection's security, resolved from Properties.
type Security struct {
	// TLS is nil without TLS.
	TLS *tls.Config
	// SASL is the mechanism's client options; nil without SASL.
	SASL []kgo.Opt
	// Protocol is the security.protocol in force.
	Protocol string
}

// Resolve checks the properties and returns the security they describe.
// The SASL password comes from PasswordEnv when that is set.
func (p *Properties) Resolve() (Security, error) {
	bad := func(key, format string, args ...any) error {
		where := p.where[key]
		if where == "" {
			where = "properties"
		}
		return fmt.Errorf("%w: %s: %s: %s", ErrConfig, where, key, fmt.Sprintf(format, args...))
	}
	proto := strings.ToLower(p.values["security.protocol"])
	if proto == "" {
		proto = "plaintext"
		if p.values["sasl.mechanism"] != "" {
			proto = "sasl_plaintext"
		}
	}
	s := Security{Protocol: proto}
	useTLS, useSASL := false, false
	switch proto {
	case "plaintext":
	case "ssl":
		useTLS = true
	case "sasl_plaintext":
		useSASL = true
	case "sasl_ssl":
		useTLS, useSASL = true, true
	default:
		return s, bad("security.protocol", "want plaintext, ssl, sasl_plaintext or sasl_ssl, got %q", p.values["security.protocol"])
	}
	if useTLS {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if ca := p.values["ssl.ca.location"]; ca != "" {
			pem, err := os.ReadFile(ca)
			if err != nil {
				return s, bad("ssl.ca.location", "%v", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return s, bad("ssl.ca.location", "%s holds no PEM certificate", ca)
			}
			cfg.RootCAs = pool
		}
		cert, key := p.values["ssl.certificate.location"], p.values["ssl.key.location"]
		if (cert == "") != (key == "") {
			return s, bad("ssl.certificate.location", "a client certificate needs both ssl.certificate.location and ssl.key.location")
		}
		if cert != "" {
			pair, err := tls.LoadX509KeyPair(cert, key)
			if err != nil {
				return s, bad("ssl.certificate.location", "%v", err)
			}
			cfg.Certificates = []tls.Certificate{pair}
		}
		switch alg := strings.ToLower(p.values["ssl.endpoint.identification.algorithm"]); alg {
		case "", "https":
		case "none":
			cfg.InsecureSkipVerify = true
		default:
			return s, bad("ssl.endpoint.identification.algorithm", "want https or none, got %q", alg)
		}
		s.TLS = cfg
	}
	if useSASL {
		user, pass := p.values["sasl.username"], p.values["sasl.password"]
		if env, ok := os.LookupEnv(PasswordEnv); ok {
			pass = env
		}
		if user == "" {
			return s, bad("sasl.username", "SASL needs a user name")
		}
		switch mech := strings.ToUpper(p.values["sasl.mechanism"]); mech {
		case "", "PLAIN":
			s.SASL = []kgo.Opt{kgo.SASL(plain.Auth{User: user, Pass: pass}.AsMechanism())}
		case "SCRAM-SHA-256":
			s.SASL = []kgo.Opt{kgo.SASL(scram.Auth{User: user, Pass: pass}.AsSha256Mechanism())}
		case "SCRAM-SHA-512":
			s.SASL = []kgo.Opt{kgo.SASL(scram.Auth{User: user, Pass: pass}.AsSha512Mechanism())}
		default:
			return s, bad("sasl.mechanism", "want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, got %q", mech)
		}
	} else if p.values["sasl.mechanism"] != "" || p.values["sasl.username"] != "" {
		return s, bad("security.protocol", "%s has no SASL: use sasl_plaintext or sasl_ssl with sasl.* properties", proto)
	}
	return s, nil
}

// DialFunc dials a broker.
type DialFunc func(ctx context.Context, network, host string) (net.Conn, error)

// Dial returns the dialer of the security: TLS over TCP, or plain TCP. It
// is a dial function rather than kgo.DialTLSConfig so that a worker's
// crash dialer can wrap it.
func (s Security) Dial() DialFunc {
	d := &net.Dialer{Timeout: 3 * time.Second}
	if s.TLS == nil {
		return d.DialContext
	}
	return func(ctx context.Context, network, host string) (net.Conn, error) {
		cfg := s.TLS.Clone()
		if cfg.ServerName == "" {
			if h, _, err := net.SplitHostPort(host); err == nil {
				cfg.ServerName = h
			}
		}
		return (&tls.Dialer{NetDialer: d, Config: cfg}).DialContext(ctx, network, host)
	}
}

// Opts returns the client options of the security: its dialer and SASL.
func (s Security) Opts() []kgo.Opt {
	return append([]kgo.Opt{kgo.Dialer(s.Dial())}, s.SASL...)
}
