#!/usr/bin/env bash
# scripts/watch-check.sh — checks `watch` where the truth is known: it plays a
# scenario with `run --brokers` and watches it from a second process, then
# compares every forecast with what the run measured (scripts/watch_check.py).
#
#   recovery (default): input 150/s; the group is down 2 minutes (18,000 back
#     up), then processes 200/s and drains at 50/s, 6 minutes after the outage
#     ends. Every drain forecast made after the first 20 s (scenario time) of
#     the recovery must put the drain within 5% of the recovery's length of when
#     the run saw it drain; a group that keeps up must say so, with no drain
#     forecast and μ reported as at least λ.
#   flash-sale: analytics in its growth phase must be `growing`, growth within
#     3% of 60/s × speedup, μ within 3% of 120/s × speedup.
#
# Settings (environment): WATCH_CHECK (recovery|flash-sale), SPEEDUP (10),
# BROKERS (default: a `backlogbench broker` started on 127.0.0.1:PORT, 19792,
# and stopped after), WATCH_FLAGS (extra watch flags: -X security.protocol=...),
# OUT (a temporary folder; kept, with both processes' output).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bb=$root/bin/backlogbench
check=${WATCH_CHECK:-recovery}
speedup=${SPEEDUP:-10}
out=${OUT:-$(mktemp -d /tmp/backlogbench-watch-check-XXXXXX)}
case $check in
recovery) scenario=$root/scripts/recovery.yaml ;;
flash-sale) scenario=flash-sale ;;
*) echo "watch-check: WATCH_CHECK must be recovery or flash-sale, got $check" >&2; exit 2 ;;
esac
mkdir -p "$out"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

brokers=${BROKERS:-}
if [ -z "$brokers" ]; then
	port=${PORT:-19792}
	brokers=127.0.0.1:$port
	"$bb" broker --port "$port" >"$out/broker.log" 2>&1 &
	bpid=$!
	pids+=($bpid)
	for _ in $(seq 50); do
		grep -q listening "$out/broker.log" 2>/dev/null && break
		kill -0 "$bpid" 2>/dev/null || break
		sleep 0.1
	done
	if ! grep -q listening "$out/broker.log"; then
		echo "watch-check: the embedded broker did not start (PORT=$port):" >&2
		cat "$out/broker.log" >&2
		exit 1
	fi
fi
wbrokers=${WATCH_BROKERS:-$brokers}

# shellcheck disable=SC2086 # WATCH_FLAGS is a list of flags
"$bb" watch --brokers "$wbrokers" --interval 1s --format json --out "$out/watch" ${WATCH_FLAGS:-} \
	>"$out/watch.jsonl" 2>"$out/watch.err" &
wpid=$!
pids+=($wpid)
sleep 1
rc=0
"$bb" run "$scenario" --speedup "$speedup" --brokers "$brokers" --out "$out/run" >"$out/run.out" 2>&1 || rc=$?
sleep 3
kill -INT "$wpid"
wrc=0
wait "$wpid" || wrc=$?
if [ "$wrc" -ne 0 ]; then
	echo "watch-check: watch exited $wrc (see $out/watch.err)" >&2
	exit 1
fi
if [ "$rc" -ne 0 ]; then
	echo "watch-check: the run exited $rc (see $out/run.out)" >&2
	exit 1
fi
echo "watch-check: $check x$speedup on $brokers; files in $out"
python3 "$root/scripts/watch_check.py" "$check" "$out"
