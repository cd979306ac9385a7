package broker

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSigned writes a self-signed certificate for 127.0.0.1 and returns
// the server's TLS config and the CA's PEM path.
func selfSigned(t *testing.T) (*tls.Config, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "backlogbench test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, ca
}

func props(t *testing.T, kv ...string) *Properties {
	t.Helper()
	var p Properties
	for _, s := range kv {
		if err := p.SetPair(s, "-X"); err != nil {
			t.Fatal(err)
		}
	}
	return &p
}

// TestSecurity connects to the embedded broker serving SCRAM over TLS:
// the right password and CA connect; a wrong password, a missing CA and a
// plaintext client each fail within 10 s.
func TestSecurity(t *testing.T) {
	srvTLS, ca := selfSigned(t)
	e, err := StartEmbedded(EmbeddedConfig{Users: map[string]string{"bb": "s3cret-pw"}, TLS: srvTLS})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	for _, c := range []struct {
		name string
		kv   []string
		ok   bool
	}{
		{"scram-512 over tls", []string{"security.protocol=SASL_SSL", "sasl.mechanism=SCRAM-SHA-512", "sasl.username=bb", "sasl.password=s3cret-pw", "ssl.ca.location=" + ca}, true},
		{"scram-256 over tls", []string{"security.protocol=sasl_ssl", "sasl.mechanisms=SCRAM-SHA-256", "sasl.username=bb", "sasl.password=s3cret-pw", "ssl.ca.location=" + ca}, true},
		{"plain over tls", []string{"security.protocol=SASL_SSL", "sasl.mechanism=PLAIN", "sasl.username=bb", "sasl.password=s3cret-pw", "ssl.ca.location=" + ca}, true},
		{"wrong password", []string{"security.protocol=SASL_SSL", "sasl.mechanism=SCRAM-SHA-512", "sasl.username=bb", "sasl.password=nope", "ssl.ca.location=" + ca}, false},
		{"unknown ca", []string{"security.protocol=SASL_SSL", "sasl.mechanism=SCRAM-SHA-512", "sasl.username=bb", "sasl.password=s3cret-pw"}, false},
		{"plaintext", nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			sec, err := props(t, c.kv...).Resolve()
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			conn, err := Connect(ctx, e.Addrs(), sec.Opts())
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("took %v, want under 10 s", took)
			}
			if c.ok {
				if err != nil {
					t.Fatal(err)
				}
				conn.Close()
				return
			}
			if err == nil {
				conn.Close()
				t.Fatal("connected; want an error")
			}
			if !errors.Is(err, ErrUnreachable) || strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error %q: want ErrUnreachable without the password", err)
			}
		})
	}
}

// TestPasswordFromEnv checks that BACKLOGBENCH_SASL_PASSWORD overrides
// sasl.password, and that String never shows it.
func TestPasswordFromEnv(t *testing.T) {
	srvTLS, ca := selfSigned(t)
	e, err := StartEmbedded(EmbeddedConfig{Users: map[string]string{"bb": "from-env"}, TLS: srvTLS})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	t.Setenv(PasswordEnv, "from-env")
	p := props(t, "security.protocol=SASL_SSL", "sasl.mechanism=SCRAM-SHA-256", "sasl.username=bb", "sasl.password=in-file", "ssl.ca.location="+ca)
	if s := p.String(); strings.Contains(s, "in-file") || !strings.Contains(s, Redacted) {
		t.Errorf("String() = %q, want the password redacted", s)
	}
	sec, err := p.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := Connect(context.Background(), e.Addrs(), sec.Opts())
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
}

func TestPropertiesErrors(t *testing.T) {
	for _, c := range []struct {
		kv   []string
		want string
	}{
		{[]string{"bogus.key=1"}, `unknown property "bogus.key"`},
		{[]string{"security.protocol=carrier-pigeon"}, "security.protocol: want plaintext"},
		{[]string{"security.protocol=SASL_PLAINTEXT", "sasl.mechanism=GSSAPI", "sasl.username=u"}, "sasl.mechanism: want PLAIN"},
		{[]string{"security.protocol=SASL_PLAINTEXT"}, "sasl.username: SASL needs a user name"},
		{[]string{"sasl.username=u", "security.protocol=ssl"}, "has no SASL"},
		{[]string{"security.protocol=ssl", "ssl.ca.location=/nonexistent/ca.pem"}, "ssl.ca.location"},
		{[]string{"security.protocol=ssl", "ssl.certificate.location=/x"}, "needs both"},
	} {
		var p Properties
		var err error
		for _, kv := range c.kv {
			if err = p.SetPair(kv, "-X"); err != nil {
				break
			}
		}
		if err == nil {
			_, err = p.Resolve()
		}
		if err == nil || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want ErrConfig with %q", c.kv, err, c.want)
		}
	}
	var p Properties
	if err := p.SetPair("novalue", "x.conf:3"); err == nil || !strings.Contains(err.Error(), "x.conf:3") {
		t.Errorf("err = %v, want the place", err)
	}
}

func TestNormalizeSeeds(t *testing.T) {
	got, err := NormalizeSeeds([]string{"kafka", "10.0.0.1:19092", "[::1]", "[::1]:9093"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "kafka:9092 10.0.0.1:19092 [::1]:9092 [::1]:9093"; strings.Join(got, " ") != want {
		t.Errorf("got %v, want %v", got, want)
	}
	for _, bad := range []string{"", "a:b:c", ":9092"} {
		if _, err := NormalizeSeeds([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestMinSessionTimeout reads a broker's group.min.session.timeout.ms.
// kfake reports Kafka's default (6s) whatever minimum it enforces, so this
// checks the reading, not the figure; the real-Kafka suite checks it.
func TestMinSessionTimeout(t *testing.T) {
	e, err := StartEmbedded(EmbeddedConfig{MinSessionTimeout: 1500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	conn, err := Connect(context.Background(), e.Addrs(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	got, err := conn.MinSessionTimeout(context.Background())
	if err != nil {
		t.Skipf("the embedded broker does not report group.min.session.timeout.ms: %v", err)
	}
	if got <= 0 || got > time.Minute {
		t.Errorf("min session timeout %v, want a positive duration", got)
	}
}
