#!/usr/bin/env bash
# scripts/soak.sh — the memory soak: SOAK_EVENTS events (default 50 million,
# the most a scenario may send) through the embedded broker with its records
# on disk (--data-dir), one group keeping up, while the run's RSS is read every
# SOAK_EVERY seconds. Prints the RSS after the warm-up (the first SOAK_WARMUP
# percent of the samples) and how far it moved: flat means within 10%.
#
# Settings (environment): SOAK_EVENTS (50000000), SOAK_RATE (wall events/s,
# 60000), SOAK_EVERY (10), SOAK_WARMUP (20), SOAK_OUT (a temporary folder;
# kept, with rss.tsv, the run's results and its log).
set -euo pipefail

events=${SOAK_EVENTS:-50000000}
rate=${SOAK_RATE:-60000}
every=${SOAK_EVERY:-10}
warmup=${SOAK_WARMUP:-20}
out=${SOAK_OUT:-$(mktemp -d /tmp/backlogbench-soak-XXXXXX)}
root=$(cd "$(dirname "$0")/.." && pwd)
speedup=10
duration=$((events * speedup / rate))                        # scenario seconds
srate=$(awk -v n="$events" -v d="$duration" 'BEGIN { printf "%.6f", int(n / d * 1e6) / 1e6 }') # scenario events/s, rounded down: at most events in all

mkdir -p "$out"
cat >"$out/soak.yaml" <<YAML
name: soak
topics:
  events: {partitions: 12}
producers:
  events:
    topic: events
    size: 256
    phases: [{duration: ${duration}s, rate: $srate}]
groups:
  sink: {topics: [events], workers: 4, capacity: $((rate * 2 / speedup))}
YAML

(cd "$root" && go build -o "$out/backlogbench" .)
echo "soak: $events events at $rate/s of wall time (about $((events / rate)) s), records in $out/data" >&2
"$out/backlogbench" run "$out/soak.yaml" --speedup $speedup --data-dir "$out/data" --out "$out/run" -q \
	>"$out/run.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT INT TERM
: >"$out/rss.tsv"
start=$SECONDS
while kill -0 "$pid" 2>/dev/null; do
	rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
	[ -n "$rss" ] && printf '%d\t%d\n' $((SECONDS - start)) "$rss" >>"$out/rss.tsv"
	sleep "$every"
done
rc=0
wait "$pid" || rc=$?
trap - EXIT INT TERM
tail -3 "$out/run.log" >&2
# Flat is judged on the trend, not on the garbage collector's saw-tooth:
# the median RSS of the last third of the samples after the warm-up against
# that of the first third.
awk -v warm="$warmup" '
	function median(a, from, to,   n, i, j, v, s) {
		n = 0
		for (i = from; i <= to; i++) s[++n] = a[i]
		for (i = 2; i <= n; i++) { v = s[i]; for (j = i - 1; j >= 1 && s[j] > v; j--) s[j + 1] = s[j]; s[j + 1] = v }
		return n % 2 ? s[(n + 1) / 2] : (s[n / 2] + s[n / 2 + 1]) / 2
	}
	{ t[NR] = $1; r[NR] = $2 }
	END {
		if (NR < 9) { print "soak: too few samples (" NR ")"; exit 1 }
		from = int(NR * warm / 100) + 1
		lo = hi = r[from]
		for (i = from; i <= NR; i++) { if (r[i] < lo) lo = r[i]; if (r[i] > hi) hi = r[i] }
		third = int((NR - from + 1) / 3)
		first = median(r, from, from + third - 1); last = median(r, NR - third + 1, NR)
		printf "soak: %d samples over %d s; after the warm-up (t >= %d s) RSS %.0f-%.0f MiB; median of the first third %.0f MiB, of the last third %.0f MiB: %+.1f%%\n",
			NR, t[NR], t[from], lo / 1024, hi / 1024, first / 1024, last / 1024, (last - first) * 100 / first
	}' "$out/rss.tsv"
du -sh "$out/data" | awk '{print "soak: data folder " $1 " at the end"}'
echo "soak: results in $out (run exit $rc)" >&2
exit "$rc"
