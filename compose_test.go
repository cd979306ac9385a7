package main

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestComposeFile checks docker-compose.yml with Debian's docker-compose
// (`config -q` parses and validates it; no Docker engine needed).
func TestComposeFile(t *testing.T) {
	dc, err := exec.LookPath("docker-compose")
	if err != nil {
		t.Skip("docker-compose is not installed (Debian package docker-compose); .ci/run installs it")
	}
	if out, err := exec.Command(dc, "-f", "docker-compose.yml", "config", "-q").CombinedOutput(); err != nil {
		t.Fatalf("docker-compose config: %v\n%s", err, out)
	}
}

// composeService is the part of a compose service the cluster test reads.
type composeService struct {
	Image       string                    `yaml:"image"`
	Ports       []string                  `yaml:"ports"`
	Environment map[string]any            `yaml:"environment"`
	DependsOn   map[string]map[string]any `yaml:"depends_on"`
}

// TestComposeCluster checks what docker-compose.yml promises users: three
// KRaft nodes of Apache Kafka 4, each with a PLAINTEXT and a SASL_PLAINTEXT
// listener advertised on a published port, replication 3 with
// min.insync.replicas 2, the failover settings, and the SCRAM users added once
// every node is healthy. yaml.v3 resolves the file's `<<` merges.
func TestComposeCluster(t *testing.T) {
	b, err := os.ReadFile("docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Services map[string]composeService `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	env := func(s composeService, k string) string {
		v, ok := s.Environment[k]
		if !ok {
			return ""
		}
		return fmt.Sprint(v)
	}
	want := map[string]string{
		"KAFKA_PROCESS_ROLES":                    "broker,controller",
		"KAFKA_CONTROLLER_QUORUM_VOTERS":         "1@kafka1:29093,2@kafka2:29093,3@kafka3:29093",
		"KAFKA_DEFAULT_REPLICATION_FACTOR":       "3",
		"KAFKA_MIN_INSYNC_REPLICAS":              "2",
		"KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "3",
		"KAFKA_TRANSACTION_STATE_LOG_MIN_ISR":    "2",
		"KAFKA_AUTO_CREATE_TOPICS_ENABLE":        "false",
		"KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
		"KAFKA_GROUP_MIN_SESSION_TIMEOUT_MS":     "1000",
		"KAFKA_SASL_ENABLED_MECHANISMS":          "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
	}
	for n := 1; n <= 3; n++ {
		name := fmt.Sprintf("kafka%d", n)
		s, ok := f.Services[name]
		if !ok {
			t.Fatalf("no service %s", name)
		}
		if !strings.HasPrefix(s.Image, "apache/kafka:4.") {
			t.Errorf("%s: image %q, want apache/kafka:4.x", name, s.Image)
		}
		if got := env(s, "KAFKA_NODE_ID"); got != fmt.Sprint(n) {
			t.Errorf("%s: KAFKA_NODE_ID %q, want %d", name, got, n)
		}
		for k, v := range want {
			if got := env(s, k); got != v {
				t.Errorf("%s: %s = %q, want %q", name, k, got, v)
			}
		}
		if !strings.Contains(env(s, "KAFKA_OPTS"), "java.security.auth.login.config=") {
			t.Errorf("%s: KAFKA_OPTS names no JAAS file; the image refuses SASL listeners without one", name)
		}
		// Every listener a host client is sent to must be published.
		adv := strings.Split(env(s, "KAFKA_ADVERTISED_LISTENERS"), ",")
		for _, proto := range []string{"PLAINTEXT", "SASL_PLAINTEXT"} {
			i := slices.IndexFunc(adv, func(l string) bool { return strings.HasPrefix(l, proto+"://localhost:") })
			if i < 0 {
				t.Errorf("%s: no %s listener advertised on localhost in %v", name, proto, adv)
				continue
			}
			port := strings.TrimPrefix(adv[i], proto+"://localhost:")
			if !slices.Contains(s.Ports, port+":"+port) {
				t.Errorf("%s: %s advertises localhost:%s but publishes %v", name, proto, port, s.Ports)
			}
		}
	}
	users, ok := f.Services["kafka-users"]
	if !ok {
		t.Fatal("no kafka-users service (SCRAM credentials are added after start)")
	}
	for n := 1; n <= 3; n++ {
		if c := users.DependsOn[fmt.Sprintf("kafka%d", n)]["condition"]; c != "service_healthy" {
			t.Errorf("kafka-users: depends on kafka%d with condition %v, want service_healthy", n, c)
		}
	}
}
