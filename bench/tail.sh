#!/usr/bin/env bash
# bench/tail.sh: where tiny's redirect tail comes from, from Go execution
# traces of the pinned load (the CPU-cost mode of bench/redirect.sh -P).
#
# For each target, tiny serve runs alone on CPU 0 on a fresh SQLite file with
# LINKS links, under `wrk -t1 -c8 --latency -s bench/codes.lua` on CPU 1; after
# WARMUP of the same load, a run of DURATION takes a trace of TRACE_SECONDS
# from its middle (/debug/pprof/trace through --debug-addr), and
# bench/tracetail reads it: how long goroutines waited to run, what held the
# CPU while they waited 2 ms or more, which goroutines ran 1 ms or more without
# a pause, and the collector's marks. The targets:
#
#   on   tiny's defaults: every click recorded
#   off  the same with --analytics=false
#
# The block (wrk's latencies, tiny's click counters, tracetail's tables per
# target) is appended to bench/out/tail-<UTC date>.md.
#
# Usage: bench/tail.sh
#
# Environment:
#   TARGETS="on off"  LINKS=1000  WARMUP=5s  DURATION=12s  TRACE_SECONDS=3
#   PORT=18090  DEBUG_PORT=18091
#   EXTRA_ARGS=""     more `tiny serve` flags for both targets
#   RESULT_FILE=""    append here instead of bench/out/tail-<date>.md
set -euo pipefail
cd "$(dirname "$0")/.."

TARGETS=${TARGETS:-on off}
LINKS=${LINKS:-1000}
WARMUP=${WARMUP:-5s}
DURATION=${DURATION:-12s}
TRACE_SECONDS=${TRACE_SECONDS:-3}
PORT=${PORT:-18090}
DEBUG_PORT=${DEBUG_PORT:-18091}
EXTRA_ARGS=${EXTRA_ARGS:-}
RESULT_FILE=${RESULT_FILE:-bench/out/tail-$(date -u +%F).md}

for tool in wrk jq curl taskset; do
	command -v "$tool" >/dev/null || { echo "tail.sh needs $tool (apt-get install -y $tool)" >&2; exit 1; }
done
[ "$(nproc)" -ge 2 ] || { echo "tail.sh pins tiny and wrk to different CPUs: it needs two" >&2; exit 1; }
# wrk's run must outlast the trace taken from its middle.
(( ${DURATION%s} >= 2 * TRACE_SECONDS + 2 )) || { echo "DURATION must be at least 2 x TRACE_SECONDS + 2 s" >&2; exit 1; }

TMP=$(mktemp -d /tmp/tail-bench-XXXXXX)
PID=""
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT

echo "building tiny and tracetail"
go build -o "$TMP/tiny" ./cmd/tiny
go build -o "$TMP/tracetail" ./bench/tracetail
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain 2>/dev/null)" ] || commit="$commit + uncommitted changes"
KEY=bench-key-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
BASE=http://127.0.0.1:$PORT
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# metric NAME: a counter of tiny's /metrics.
metric() { curl -s "$BASE/metrics" | awk -v n="$1" '$1 == n {printf "%d", $2}'; }

body=$(jq -nc --argjson n "$LINKS" '{links: [range(0; $n) | {url: "https://example.com/bench/\(.)"}]}')
report=$TMP/report.md
for target in $TARGETS; do
	args=()
	case $target in
		on) ;;
		off) args=(--analytics=false) ;;
		*) echo "unknown target $target (on, off)" >&2; exit 1 ;;
	esac
	# shellcheck disable=SC2206 # EXTRA_ARGS holds separate words
	args+=($EXTRA_ARGS)
	echo "$target: starting tiny on CPU 0"
	TINY_INITIAL_API_KEY=$KEY taskset -c 0 "$TMP/tiny" serve --addr "127.0.0.1:$PORT" --database "$TMP/$target.db" \
		--base-url "$BASE" --debug-addr "127.0.0.1:$DEBUG_PORT" --log-level warn "${args[@]}" >>"$TMP/$target.log" 2>&1 &
	PID=$!
	for _ in $(seq 100); do curl -sf "$BASE/readyz" >/dev/null && break; sleep 0.1; done
	curl -sf "$BASE/readyz" >/dev/null || { echo "$target: tiny did not become ready" >&2; cat "$TMP/$target.log" >&2; exit 1; }
	curl -sf -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d "$body" \
		"$BASE/api/v1/links/bulk" | jq -r '.results[].link.code' >"$TMP/codes.txt"
	[ "$(wc -l <"$TMP/codes.txt")" -eq "$LINKS" ] || { echo "$target: bulk create failed" >&2; exit 1; }

	taskset -c 1 wrk -t1 -c8 -d"$WARMUP" -s bench/codes.lua "$BASE" -- "$TMP/codes.txt" >/dev/null
	enqueued=$(metric tiny_clicks_enqueued_total) dropped=$(metric tiny_clicks_dropped_total)
	echo "$target: wrk -t1 -c8 -d$DURATION, trace of ${TRACE_SECONDS}s from its middle"
	taskset -c 1 wrk -t1 -c8 -d"$DURATION" --latency -s bench/codes.lua "$BASE" -- "$TMP/codes.txt" >"$TMP/wrk-$target.txt" &
	wrk_pid=$!
	sleep $(( (${DURATION%s} - TRACE_SECONDS) / 2 ))
	curl -sf -o "$TMP/trace-$target.out" "http://127.0.0.1:$DEBUG_PORT/debug/pprof/trace?seconds=$TRACE_SECONDS"
	wait "$wrk_pid"
	enqueued=$(( $(metric tiny_clicks_enqueued_total) - enqueued )) dropped=$(( $(metric tiny_clicks_dropped_total) - dropped ))
	kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""

	lat() { awk -v q="$1" '$1 == q {print $2}' "$TMP/wrk-$target.txt"; }
	rps=$(awk '/^Requests\/sec/ {printf "%d", $2}' "$TMP/wrk-$target.txt")
	{
		echo "### $target: \`tiny serve${args[*]:+ ${args[*]}}\`"
		echo
		echo "wrk: $rps requests/s; p50 $(lat 50%), p90 $(lat 90%), p99 $(lat 99%)."
		case $target in
			off) echo "Clicks: capture off." ;;
			*) echo "Clicks over the run: $enqueued queued, $dropped dropped at a full queue." ;;
		esac
		echo
		"$TMP/tracetail" "$TMP/trace-$target.out"
		echo
	} >>"$report"
done

mkdir -p "$(dirname "$RESULT_FILE")"
{
	echo "## Where the pinned redirect tail comes from, $(date -u +%FT%TZ)"
	echo
	echo "- machine: \`nproc\` = $(nproc), $(uname -sr), $(go env GOVERSION); load average before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- tiny at commit $commit on SQLite, $LINKS links via the bulk API, pinned to CPU 0; \`wrk -t1 -c8 --latency -s bench/codes.lua\` on CPU 1, $WARMUP of warm-up, then a $DURATION run with a ${TRACE_SECONDS}s trace from its middle, read by bench/tracetail"
	echo
	cat "$report"
} >>"$RESULT_FILE"
cat "$report"
echo "appended to $RESULT_FILE"
