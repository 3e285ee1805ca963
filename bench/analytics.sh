#!/usr/bin/env bash
# Redirect throughput with click capture on against off, in one run:
# three tiny processes on their own SQLite files: the defaults ("on"),
# --analytics=false ("off"), and capture on with the click worker at
# normal OS priority ("normal", --low-priority-background=false), measured in
# interleaved rounds with the same wrk load. The ratio on / off is what
# analytics costs a redirect; normal / off shows what the low-priority
# worker saves.
#
# Every node first takes WARMUP of the same load, not measured: a fresh click
# store's first clicks create the rollup rows that later ones only update.
#
# Usage: bench/analytics.sh     (env: ROUNDS=3 DURATION=10s WARMUP=10s CONNECTIONS=64 LINKS=1000)
# Needs wrk, jq and curl (installed with apt-get when missing, as root).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-10s}
CONNECTIONS=${CONNECTIONS:-64}
LINKS=${LINKS:-1000}
KEY=bench-key-$RANDOM$RANDOM$RANDOM$RANDOM
declare -A PORT=([on]=18091 [off]=18092 [normal]=18094)
declare -A ARGS=([on]="" [off]="--analytics=false" [normal]="--low-priority-background=false")

for tool in wrk jq curl; do
  command -v "$tool" >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk jq curl >/dev/null; }
done
TMP=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT

echo "building tiny"
go build -o "$TMP/tiny" ./cmd/tiny
for v in on off normal; do
  # shellcheck disable=SC2086 # ARGS holds separate words
  TINY_INITIAL_API_KEY=$KEY "$TMP/tiny" serve --addr 127.0.0.1:${PORT[$v]} --database "$TMP/$v.db" \
    --log-level warn ${ARGS[$v]} >>"$TMP/$v.log" 2>&1 &
  PIDS+=($!)
done
body=$(jq -nc --argjson n "$LINKS" '{links: [range(0; $n) | {url: "https://example.com/bench/\(.)"}]}')
for v in on off normal; do
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:${PORT[$v]}/readyz" >/dev/null && break; sleep 0.1; done
  curl -sf -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d "$body" \
    "http://127.0.0.1:${PORT[$v]}/api/v1/links/bulk" | jq -r '.results[].link.code' >"$TMP/codes-$v.txt"
  [ "$(wc -l <"$TMP/codes-$v.txt")" -eq "$LINKS" ] || { echo "bulk create failed on $v"; exit 1; }
  while read -r c; do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${PORT[$v]}/$c")" = 302 ] || { echo "$c does not redirect on $v"; exit 1; }
  done <"$TMP/codes-$v.txt"
done

if [ "$WARMUP" != 0 ]; then
  for v in on off normal; do
    rps=$(wrk -t2 -c"$CONNECTIONS" -d"$WARMUP" -s bench/codes.lua "http://127.0.0.1:${PORT[$v]}" -- "$TMP/codes-$v.txt" | awk '/^Requests\/sec/ {printf "%d", $2}')
    echo "warm-up: capture $v: $rps req/s (not counted)"
    sleep 2
  done
fi

declare -A RESULTS
for round in $(seq "$ROUNDS"); do
  order="on off normal"; [ $((round % 2)) -eq 0 ] && order="normal off on"
  for v in $order; do
    out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" -s bench/codes.lua "http://127.0.0.1:${PORT[$v]}" -- "$TMP/codes-$v.txt")
    if grep -q "Non-2xx or 3xx" <<<"$out"; then echo "$v: error responses"; echo "$out"; exit 1; fi
    rps=$(awk '/^Requests\/sec/ {printf "%d", $2}' <<<"$out")
    RESULTS[$v]="${RESULTS[$v]:-} $rps"
    echo "round $round: capture $v: $rps req/s"
    sleep 2
  done
done
dropped=$(curl -s "http://127.0.0.1:${PORT[on]}/metrics" | awk '/^tiny_clicks_dropped_total/ {print $2}')
written=$(curl -s "http://127.0.0.1:${PORT[on]}/metrics" | awk '/^tiny_clicks_written_total/ {print $2}')

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2))}'; }
on=$(median <<<"${RESULTS[on]}"); off=$(median <<<"${RESULTS[off]}"); normal=$(median <<<"${RESULTS[normal]}")
echo
echo "## Click capture on / off, $(date -u +%Y-%m-%dT%H:%MZ), nproc=$(nproc), commit $(git rev-parse --short HEAD)"
echo
echo "wrk -t2 -c$CONNECTIONS -d$DURATION, $LINKS links, $( [ "$WARMUP" = 0 ] || echo "a $WARMUP warm-up of each node, then ")$ROUNDS interleaved rounds, medians"
echo
echo "| capture | runs (req/s) | median req/s |"
echo "|---|---|---:|"
echo "| on (default) | ${RESULTS[on]} | $on |"
echo "| off (--analytics=false) | ${RESULTS[off]} | $off |"
echo "| on, worker at normal priority (--low-priority-background=false) | ${RESULTS[normal]} | $normal |"
echo
printf 'on / off = %.3f (target >= 0.95); the "on" node wrote %s clicks and dropped %s\n' "$(echo "$on / $off" | bc -l)" "${written:-?}" "${dropped:-?}"
printf 'normal-priority worker / off = %.3f\n' "$(echo "$normal / $off" | bc -l)"
