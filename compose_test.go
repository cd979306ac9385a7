package main

import (
	"os/exec"
	"testing"
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
