#!/usr/bin/env bash
# Rescan cost, side by side in one run: how long a rescan of every link
# takes after a blocklist changes, and what it does to redirects meanwhile.
#
# bench/seedlinks fills an SQLite file with LINKS links (1 in 100 on a
# bad-<k>.example host, k in 0..9). tiny serves it with a blocklist file
# reloaded every second. Each round:
#   - quiet:  wrk against cached good links while nothing else runs;
#   - rescan: the blocklist gains bad-<round>.example (about LINKS/1000
#             links match), tiny rescans every link, and the same wrk load
#             runs for the same time.
# The order alternates between rounds. The report gives each rescan's
# duration, the links it blocked, and redirects/s quiet against rescanning.
#
# Usage: bench/rescan.sh     (env: ROUNDS=3 LINKS=1000000 CONNECTIONS=64 DURATION=<rescan time>)
# Needs wrk, jq and curl (installed with apt-get when missing, as root).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
LINKS=${LINKS:-1000000}
CONNECTIONS=${CONNECTIONS:-64}
PORT=18093
for tool in wrk jq curl; do
  command -v "$tool" >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk jq curl >/dev/null; }
done
TMP=$(mktemp -d)
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT

echo "building tiny and seedlinks"
go build -o "$TMP/tiny" ./cmd/tiny
go build -o "$TMP/seedlinks" ./bench/seedlinks
"$TMP/seedlinks" -db "$TMP/tiny.db" -n "$LINKS" -codes-out "$TMP/codes.txt"
echo "# no entries yet" >"$TMP/feed.txt"

"$TMP/tiny" serve --addr 127.0.0.1:$PORT --database "$TMP/tiny.db" --blocklist "$TMP/feed.txt" \
  --blocklist-refresh 1s --rate-ip off --rate-key off --rate-create off --log-level info >"$TMP/tiny.log" 2>&1 &
PID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
metric() { curl -s "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
# wait_rescans N: waits until N rescans have finished.
wait_rescans() {
  for _ in $(seq 1200); do
    [ "$(metric tiny_safety_rescans_total)" = "$1" ] && return
    sleep 0.1
  done
  echo "rescan $1 did not finish in 120s"; tail "$TMP/tiny.log"; exit 1
}
wait_rescans 1 # the one at start: the feed may have changed while tiny was down
startup=$(metric tiny_safety_rescan_last_duration_seconds)
while read -r c; do curl -s -o /dev/null "http://127.0.0.1:$PORT/$c"; done <"$TMP/codes.txt"

if [ -z "${DURATION:-}" ]; then
  # A dry run sets the wrk duration to what a rescan takes, so the
  # rescanning window is covered by the rescan.
  echo "bad-9.example" >>"$TMP/feed.txt"
  wait_rescans 2
  DURATION=$(awk -v d="$(metric tiny_safety_rescan_last_duration_seconds)" 'BEGIN {printf "%d", (d < 2 ? 2 : d)}')s
  done_rescans=2
else
  done_rescans=1
fi
echo "wrk duration: $DURATION"

run_wrk() {
  local out
  out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" -s bench/codes.lua "http://127.0.0.1:$PORT" -- "$TMP/codes.txt")
  if grep -q "Non-2xx or 3xx" <<<"$out"; then echo "error responses"; echo "$out"; exit 1; fi
  awk '/^Requests\/sec/ {printf "%d", $2}' <<<"$out"
}
declare -A RESULTS
TIMES=""
BLOCKED=""
for round in $(seq "$ROUNDS"); do
  order="quiet rescan"; [ $((round % 2)) -eq 0 ] && order="rescan quiet"
  for v in $order; do
    if [ "$v" = rescan ]; then
      before=$(metric tiny_safety_rescan_blocked_total)
      echo "bad-$((round - 1)).example" >>"$TMP/feed.txt"
      rps=$(run_wrk)
      done_rescans=$((done_rescans + 1))
      wait_rescans "$done_rescans"
      TIMES="$TIMES $(metric tiny_safety_rescan_last_duration_seconds)"
      BLOCKED="$BLOCKED $(( $(metric tiny_safety_rescan_blocked_total) - before ))"
    else
      rps=$(run_wrk)
    fi
    RESULTS[$v]="${RESULTS[$v]:-} $rps"
    echo "round $round: $v: $rps req/s"
    sleep 2
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
quiet=$(median <<<"${RESULTS[quiet]}"); rescan=$(median <<<"${RESULTS[rescan]}")
echo
echo "## Rescan of $LINKS links, $(date -u +%Y-%m-%dT%H:%MZ), nproc=$(nproc), commit $(git rev-parse --short HEAD)"
echo
echo "SQLite, wrk -t2 -c$CONNECTIONS -d$DURATION on 1000 cached links, $ROUNDS interleaved rounds, medians"
echo
echo "| | runs | median |"
echo "|---|---|---:|"
echo "| rescan took (s) | $TIMES | $(median <<<"$TIMES") |"
echo "| links blocked per rescan | $BLOCKED | |"
echo "| redirects/s, quiet | ${RESULTS[quiet]} | $quiet |"
echo "| redirects/s, while rescanning | ${RESULTS[rescan]} | $rescan |"
echo
printf 'rescanning / quiet = %.3f (target >= 0.90); the rescan at start took %ss\n' "$(echo "$rescan / $quiet" | bc -l)" "$startup"
