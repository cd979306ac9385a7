package main

// The command line against a real Apache Kafka (behind BACKLOGBENCH_KAFKA,
// like bench/realkafka_test.go): a SASL run never shows its password, and
// a bad property, a wrong password and a TLS failure each end the command
// within seconds with one line that says what is wrong.

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/backlogbench/backlogbench/broker"
	"github.com/backlogbench/backlogbench/internal/kafkatest"
)

// realKafkaSeeds returns BACKLOGBENCH_KAFKA, or skips; it holds the
// real-Kafka lock until the test ends (realKafkaLock).
func realKafkaSeeds(t *testing.T) string {
	t.Helper()
	v := os.Getenv("BACKLOGBENCH_KAFKA")
	if v == "" {
		t.Skip("set BACKLOGBENCH_KAFKA=host:port (make kafka-up prints it) to run the real-Kafka tests")
	}
	kafkatest.Lock(t)
	return v
}

// realKafkaVar returns the environment variable name, or skips.
func realKafkaVar(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Skipf("set %s (make kafka-up prints it) to run this real-Kafka test", name)
	}
	return v
}

// realKafkaUser is the SASL user kafka-up made and its password.
func realKafkaUser() (string, string) {
	user, pass := os.Getenv("BACKLOGBENCH_KAFKA_USER"), os.Getenv("BACKLOGBENCH_KAFKA_PASSWORD")
	if user == "" {
		user = "backlogbench"
	}
	if pass == "" {
		pass = "bb-secret"
	}
	return user, pass
}

// realKafkaScenario is short: orders 100/s for 12 s to one group that
// keeps up.
const realKafkaScenario = `
name: cli-real
topics:
  orders: {partitions: 2}
producers:
  orders: {topic: orders, size: 256, phases: [{duration: 12s, rate: 100}]}
groups:
  email: {topics: [orders], workers: 2, capacity: 300}
`

func writeRealScenario(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cli-real.yaml")
	if err := os.WriteFile(path, []byte(realKafkaScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// dispatchTimed runs the command line under timeout and returns its exit
// status, stdout, stderr and how long it took.
func dispatchTimed(t *testing.T, timeout time.Duration, args ...string) (int, string, string, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var so, se strings.Builder
	start := time.Now()
	code := dispatch(ctx, args, &so, &se)
	return code, so.String(), se.String(), time.Since(start)
}

// TestRealKafkaSASLPasswordNotShown runs a scenario over SASL_PLAINTEXT with
// SCRAM-SHA-512, the password given by BACKLOGBENCH_SASL_PASSWORD: the run
// succeeds, and the password appears neither in what the command printed
// nor in any file of the run folder. The run's topics and group are gone
// afterwards.
func TestRealKafkaSASLPasswordNotShown(t *testing.T) {
	seeds := realKafkaSeeds(t)
	addr := realKafkaVar(t, "BACKLOGBENCH_KAFKA_SASL")
	user, pass := realKafkaUser()
	t.Setenv(broker.PasswordEnv, pass)
	out := filepath.Join(t.TempDir(), "run")
	prefix := fmt.Sprintf("rk-cli-sasl-%d-", time.Now().UnixNano()%1e9)
	code, stdout, stderr, took := dispatchTimed(t, 2*time.Minute, "run", writeRealScenario(t), "--speedup", "4", "--brokers", addr,
		"-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanism=SCRAM-SHA-512", "-X", "sasl.username="+user,
		"--prefix", prefix, "--out", out)
	t.Logf("SASL run: exit %d in %.1f s", code, took.Seconds())
	if code != exitOK {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if strings.Contains(stdout, pass) || strings.Contains(stderr, pass) {
		t.Errorf("the password appears in the command's output")
	}
	files := 0
	err := filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		if strings.Contains(string(b), pass) {
			t.Errorf("the password appears in %s", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 5 {
		t.Errorf("the run folder holds %d files; want the whole run", files)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := broker.Connect(ctx, strings.Split(seeds, ","), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	left, err := conn.Existing(ctx, prefix+"orders")
	if err != nil {
		t.Fatal(err)
	}
	groups, err := conn.Admin.ListGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups.Groups() {
		if strings.HasPrefix(g, prefix) {
			left = append(left, "group "+g)
		}
	}
	if len(left) > 0 {
		t.Errorf("left on the broker after the run: %v", left)
	}
}

// TestRealKafkaConnectionErrors: a bad property is a usage error (exit 2),
// a wrong password and a failed TLS handshake are failures (exit 1); each
// is said in one line, naming the cause, within 10 s, and no run folder is
// left. A wrong password given with -X is not repeated either.
func TestRealKafkaConnectionErrors(t *testing.T) {
	seeds := realKafkaSeeds(t)
	sasl := realKafkaVar(t, "BACKLOGBENCH_KAFKA_SASL")
	user, _ := realKafkaUser()
	const wrong = "not-the-password-42"
	scen := writeRealScenario(t)
	cases := []struct {
		name  string
		args  []string
		code  int
		cause []string // the line names one of these
		skip  string   // an environment variable the case needs
	}{
		{"bad-property", []string{"--brokers", sasl, "-X", "sasl.mechansim=SCRAM-SHA-512"}, exitUsage,
			[]string{`unknown property "sasl.mechansim"`}, ""},
		{"bad-property-value", []string{"--brokers", sasl, "-X", "security.protocol=SASL_PLAIN"}, exitUsage,
			[]string{"security.protocol", "SASL_PLAIN"}, ""},
		{"wrong-password", []string{"--brokers", sasl, "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanism=SCRAM-SHA-512",
			"-X", "sasl.username=" + user, "-X", "sasl.password=" + wrong}, exitFailure,
			[]string{"SASL_AUTHENTICATION_FAILED"}, ""},
		{"tls-unknown-ca", []string{"--brokers", os.Getenv("BACKLOGBENCH_KAFKA_SSL"), "-X", "security.protocol=SSL"}, exitFailure,
			[]string{"x509", "certificate"}, "BACKLOGBENCH_KAFKA_SSL"},
		{"tls-to-plaintext", []string{"--brokers", seeds, "-X", "security.protocol=SSL"}, exitFailure,
			[]string{"TLS"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.skip != "" {
				realKafkaVar(t, tc.skip)
			}
			// A password in the environment would override -X's.
			t.Setenv(broker.PasswordEnv, "")
			os.Unsetenv(broker.PasswordEnv)
			out := filepath.Join(t.TempDir(), "run")
			args := append([]string{"run", scen, "-q", "--out", out}, tc.args...)
			code, stdout, stderr, took := dispatchTimed(t, 30*time.Second, args...)
			t.Logf("exit %d in %.2f s: %s", code, took.Seconds(), strings.TrimSpace(stderr))
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			if took > 10*time.Second {
				t.Errorf("took %v, want under 10 s", took)
			}
			var errLines []string
			for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
				switch {
				case strings.HasPrefix(l, "running "): // what the run was about to do
				default:
					errLines = append(errLines, l)
				}
			}
			if len(errLines) != 1 || !strings.HasPrefix(errLines[0], "backlogbench: ") {
				t.Fatalf("stderr holds %d lines besides the run's first; want one \"backlogbench: ...\" line:\n%s", len(errLines), stderr)
			}
			named := false
			for _, c := range tc.cause {
				named = named || strings.Contains(errLines[0], c)
			}
			if !named {
				t.Errorf("the line names none of %q: %s", tc.cause, errLines[0])
			}
			if strings.Contains(stdout+stderr, wrong) {
				t.Errorf("the password given with -X appears in the output")
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("%s left behind (%v)", out, err)
			}
		})
	}
}
