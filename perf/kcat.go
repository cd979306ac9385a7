package perf

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"time"
)

// KcatResult is kcat's producer rate on a broker like the others'.
type KcatResult struct {
	Records int     `json:"records"`
	Size    int     `json:"size_bytes"`
	WallS   float64 `json:"wall_s"`
	Rate    float64 `json:"rate_per_s"`
}

// Kcat produces n lines of size−1 bytes (plus the newline kcat splits on)
// with `kcat -P` to a new topic of partitions partitions (the embedded
// broker does not create topics on first use), and times it. The topic is
// deleted afterwards. It returns false when kcat is not installed.
func Kcat(ctx context.Context, seeds []string, topic string, n, size, partitions int) (KcatResult, bool, error) {
	res := KcatResult{Records: n, Size: size}
	path, err := exec.LookPath("kcat")
	if err != nil {
		return res, false, nil
	}
	_, cleanup, err := newTopic(ctx, Target{Seeds: seeds}, topic, partitions)
	if err != nil {
		return res, true, err
	}
	defer cleanup()
	line := append(bytes.Repeat([]byte{'x'}, size-1), '\n')
	input := bytes.Repeat(line, n)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "-P", "-b", seeds[0], "-t", topic, "-X", "acks=all")
	cmd.Stdin = bytes.NewReader(input)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return res, true, fmt.Errorf("kcat -P: %w: %s", err, tail(stderr.Bytes()))
	}
	res.WallS = time.Since(start).Seconds()
	res.Rate = float64(n) / res.WallS
	return res, true, nil
}
