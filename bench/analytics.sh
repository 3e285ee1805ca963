#!/usr/bin/env bash
# What recording a click costs a redirect, in server CPU, and whether any
# click is lost below saturation. One run measures, side by side:
#
#   fastmap  bench/mapserver -engine fasthttp: 302 from a Go map, the baseline
#   off      tiny --analytics=false
#   on       tiny with its defaults: every click recorded
#   base     (when BASE_BIN is set) another tiny binary with its defaults, e.g.
#            the one before a change: `git worktree add /tmp/x COMMIT` and
#            `go build -o /tmp/x/tiny ./cmd/tiny` there
#   normal   (when listed in TARGETS) tiny with the click worker at normal OS
#            priority (--low-priority-background=false)
#   inline   (when listed in TARGETS) tiny writing its clicks in its own
#            process (--click-process=false), as before the click writer
#            process
#
# Every server runs pinned to CPU 0 and wrk to CPU 1 (PIN=1, taskset), and
# the server's CPU time is read from /proc/PID/stat (utime + stime) before
# and after each run: CPU per request = that time / the requests wrk counted.
#
# 1. Saturated: wrk -t1 -c$CONNECTIONS for $DURATION, ROUNDS interleaved
#    rounds, medians. The most each server serves; under it tiny's click
#    queue fills and clicks are dropped (counted), so "on" there is not the
#    cost of a recorded click.
# 2. Paced at PACE% (50) of the on node's saturated rate, every target at the
#    same offered rate (bench/paced.lua: a per-connection delay), ROUNDS
#    rounds: CPU per request with every click recorded, and the check that
#    every request of the on node became a written click (its
#    tiny_clicks_written_total rose by wrk's request count, and
#    tiny_clicks_dropped_total not at all). The click writer process's
#    own CPU (the server's child, on SQLite) is reported apart too: the
#    serving process's CPU moves from run to run on a shared machine far
#    more than a click costs. Each run of a recording target
#    starts and ends when its queue is empty, every queued click written and
#    (after a statistics read, see settle) rolled up, so it counts its own
#    clicks and the CPU of writing them.
# 3. The first drop: the on (and base) node paced at each of STEPS% of that
#    same saturated rate, in order, until one drops a click.
#
# Every node first takes WARMUP of load, not measured: a fresh click store's
# first clicks create the rollup rows that later ones only update.
#
# STORE=postgres runs the tiny targets on PostgreSQL (PGURL, a database of
# its own per target, created and dropped here) instead of SQLite files.
# The CPU of a request then also counts the CPU of the target's PostgreSQL
# backends (pg_stat_activity of its database, /proc/PID/stat), which are
# pinned to CPU 0 with the server after the warm-up.
#
# Usage: bench/analytics.sh
#   env: ROUNDS=3 DURATION=6s WARMUP=6s CONNECTIONS=8 LINKS=1000 PIN=1 PACE=50
#        STEPS="50 60 70 80 90 100 110 120" TARGETS="fastmap off on" BASE_BIN=
#        PORT_BASE=19300 (ports PORT_BASE+1..+6)
#        STORE=sqlite PGURL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable
# Needs wrk, jq, curl and taskset (installed with apt-get when missing, as root).
set -euo pipefail
case "${1:-}" in
  -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
  "") ;;
  *) echo "bench/analytics.sh takes no arguments; its settings are environment variables (-h)" >&2; exit 2 ;;
esac
# The body is one block, read whole before it runs: editing this file during a
# run then cannot change the run.
{
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-6s}
WARMUP=${WARMUP:-6s}
CONNECTIONS=${CONNECTIONS:-8}
LINKS=${LINKS:-1000}
PIN=${PIN:-1}
PACE=${PACE:-50}
STEPS=${STEPS:-50 60 70 80 90 100 110 120}
TARGETS=${TARGETS:-fastmap off on}
BASE_BIN=${BASE_BIN:-}
STORE=${STORE:-sqlite}
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
[ -n "$BASE_BIN" ] && TARGETS="$TARGETS base"
KEY=bench-key-$RANDOM$RANDOM$RANDOM$RANDOM
PORT_BASE=${PORT_BASE:-19300}
declare -A PORT=([fastmap]=$((PORT_BASE + 1)) [off]=$((PORT_BASE + 2)) [on]=$((PORT_BASE + 3)) [base]=$((PORT_BASE + 4)) [normal]=$((PORT_BASE + 5)) [inline]=$((PORT_BASE + 6)))
declare -A ARGS=([off]="--analytics=false" [on]="" [base]="" [normal]="--low-priority-background=false" [inline]="--click-process=false")
# The targets that record clicks, and are checked for lost ones.
RECORDING=$(tr ' ' '\n' <<<"$TARGETS" | grep -E '^(on|base|normal|inline)$' | tr '\n' ' ')

for tool in wrk jq curl bc; do
  command -v "$tool" >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk jq curl bc >/dev/null; }
done
SERVER=() WRK=(wrk)
if [ "$PIN" = 1 ]; then
  [ "$(nproc)" -ge 2 ] || { echo "PIN=1 needs two CPUs"; exit 1; }
  SERVER=(taskset -c 0) WRK=(taskset -c 1 wrk)
fi
TMP=$(mktemp -d /tmp/analytics-bench-XXXXXX)
declare -A PID
declare -A DB
cleanup() {
  for p in "${PID[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for d in "${DB[@]}"; do psql "$PGURL" -qc "DROP DATABASE IF EXISTS $d" >/dev/null 2>&1 || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

echo "building tiny and mapserver"
go build -o "$TMP/tiny" ./cmd/tiny
go build -o "$TMP/mapserver" ./bench/mapserver
"$TMP/mapserver" -no-serve -codes "$LINKS" -codes-out "$TMP/codes-fastmap.txt"
for v in $TARGETS; do
  case $v in
    fastmap) "${SERVER[@]}" "$TMP/mapserver" -engine fasthttp -addr "127.0.0.1:${PORT[$v]}" -codes "$LINKS" >>"$TMP/$v.log" 2>&1 & ;;
    on | off | normal | base | inline)
      bin=$TMP/tiny; [ "$v" = base ] && bin=$BASE_BIN
      database=$TMP/$v.db
      if [ "$STORE" = postgres ]; then
        DB[$v]=clicks_bench_${v}_$$
        psql "$PGURL" -qc "CREATE DATABASE ${DB[$v]}" >/dev/null
        database=$(sed "s|/[^/?]*?|/${DB[$v]}?|" <<<"$PGURL")
      fi
      # shellcheck disable=SC2086 # ARGS holds separate words
      TINY_INITIAL_API_KEY=$KEY "${SERVER[@]}" "$bin" serve --addr 127.0.0.1:${PORT[$v]} --database "$database" \
        --log-level warn ${ARGS[$v]} >>"$TMP/$v.log" 2>&1 & ;;
    *) echo "unknown target $v"; exit 1 ;;
  esac
  PID[$v]=$!
done
body=$(jq -nc --argjson n "$LINKS" '{links: [range(0; $n) | {url: "https://example.com/bench/\(.)"}]}')
for v in $TARGETS; do
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:${PORT[$v]}/readyz" >/dev/null && break; sleep 0.1; done
  [ "$v" = fastmap ] && continue
  curl -sf -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d "$body" \
    "http://127.0.0.1:${PORT[$v]}/api/v1/links/bulk" | jq -r '.results[].link.code' >"$TMP/codes-$v.txt"
  [ "$(wc -l <"$TMP/codes-$v.txt")" -eq "$LINKS" ] || { echo "bulk create failed on $v"; exit 1; }
done
for v in $TARGETS; do
  while read -r c _; do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${PORT[$v]}/$c")" = 302 ] || { echo "$c does not redirect on $v"; exit 1; }
  done <"$TMP/codes-$v.txt"
done

# backends V: the pids of the PostgreSQL backends of V's database.
backends() { [ -n "${DB[$1]:-}" ] && psql "$PGURL" -Atc "SELECT pid FROM pg_stat_activity WHERE datname = '${DB[$1]}'" || true; }
# cpu_ticks V: utime + stime of V's server, of its child processes (tiny's
# click writer), and of its PostgreSQL backends, in clock ticks.
cpu_ticks() {
  local pids
  pids="${PID[$1]} $( (pgrep -P "${PID[$1]}" || true) | tr '\n' ' ') $(backends "$1" | tr '\n' ' ')"
  # shellcheck disable=SC2086 # one file per pid
  (cd /proc && cat $(printf '%s/stat ' $pids) 2>/dev/null) | awk '{t += $14 + $15} END {print t}'
}
# writer_ticks V: utime + stime of V's child processes alone (tiny's click
# writer process); empty when V has none.
writer_ticks() {
  local pids
  pids=$( (pgrep -P "${PID[$1]}" || true) | tr '\n' ' ')
  [ -n "$pids" ] || return 0
  # shellcheck disable=SC2086 # one file per pid
  (cd /proc && cat $(printf '%s/stat ' $pids) 2>/dev/null) | awk '{t += $14 + $15} END {print t}'
}
TICK=$(getconf CLK_TCK)
# metric V NAME: a counter of tiny's /metrics.
metric() { curl -s "http://127.0.0.1:${PORT[$1]}/metrics" | awk -v n="$2" '$1 == n {printf "%d", $2}'; }

# settle V: waits until V has written (or failed to write) every click it
# queued, at most 120 s, then reads its statistics once, which makes a store
# that rolls clicks up later than it writes them (SQLite) roll them up; so
# each run counts its own clicks and all their writing, and not the backlog
# of the run before.
settle() {
  local i
  for i in $(seq 240); do
    if [ "$(metric "$1" tiny_clicks_enqueued_total)" = "$(($(metric "$1" tiny_clicks_written_total) + $(metric "$1" tiny_clicks_failed_total)))" ]; then
      curl -sf -o /dev/null -H "Authorization: Bearer $KEY" "http://127.0.0.1:${PORT[$1]}/api/v1/stats" || echo "$1: reading its statistics failed" >&2
      return
    fi
    sleep 0.5
  done
  echo "$1: clicks still queued after 120 s" >&2
}

# load V SCRIPT_ARGS...: runs wrk against V; sets REQS, RPS and US (server CPU
# µs per request), and for a recording target WRITTEN and DROPPED (the
# clicks it wrote and dropped during the run, read after a flush).
load() {
  local v=$1; shift
  local w0 d0 t0 t1 out
  if [[ " $RECORDING " == *" $v "* ]]; then
    settle "$v"
    w0=$(metric "$v" tiny_clicks_written_total); d0=$(metric "$v" tiny_clicks_dropped_total)
  fi
  t0=$(cpu_ticks "$v"); w0t=$(writer_ticks "$v")
  out=$("${WRK[@]}" "$@" "http://127.0.0.1:${PORT[$v]}" -- "$TMP/codes-$v.txt" "${PACED_DELAY:-}")
  t1=$(cpu_ticks "$v")
  if grep -q "Non-2xx or 3xx" <<<"$out"; then echo "$v: error responses"; echo "$out"; exit 1; fi
  REQS=$(awk '/requests in/ {print $1}' <<<"$out")
  RPS=$(awk '/^Requests\/sec/ {printf "%d", $2}' <<<"$out")
  WRITTEN=- DROPPED=-
  if [[ " $RECORDING " == *" $v "* ]]; then
    # The CPU of writing the run's clicks counts too.
    settle "$v"
    t1=$(cpu_ticks "$v")
    w1t=$(writer_ticks "$v")
    WRITTEN=$(($(metric "$v" tiny_clicks_written_total) - w0)); DROPPED=$(($(metric "$v" tiny_clicks_dropped_total) - d0))
  else
    sleep 2.5
  fi
  US=$(echo "($t1 - $t0) * 1000000 / $TICK / $REQS" | bc -l | xargs printf '%.1f')
  # Of US, the click writer process's share (a writer started during the
  # run, after a crash, would be missed: then none is reported).
  WRITER_US=-
  if [ -n "${w0t:-}" ] && [ -n "${w1t:-}" ]; then
    WRITER_US=$(echo "($w1t - $w0t) * 1000000 / $TICK / $REQS" | bc -l | xargs printf '%.1f')
  fi
  w0t= w1t=
}

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

if [ "$WARMUP" != 0 ]; then
  for v in $TARGETS; do
    load "$v" -t1 -c"$CONNECTIONS" -d"$WARMUP" -s bench/codes.lua
    echo "warm-up: $v: $RPS req/s (not counted)"
  done
fi
if [ "$STORE" = postgres ] && [ "$PIN" = 1 ]; then
  for v in $TARGETS; do for p in $(backends "$v"); do taskset -pc 0 "$p" >/dev/null; done; done
fi

declare -A SAT_RPS SAT_US SAT_LOST PACED_US PACED_RPS PACED_LOST PACED_WRITER
for round in $(seq "$ROUNDS"); do
  order=$TARGETS; [ $((round % 2)) -eq 0 ] && order=$(tr ' ' '\n' <<<"$TARGETS" | tac | tr '\n' ' ')
  for v in $order; do
    load "$v" -t1 -c"$CONNECTIONS" -d"$DURATION" -s bench/codes.lua
    SAT_RPS[$v]="${SAT_RPS[$v]:-} $RPS"; SAT_US[$v]="${SAT_US[$v]:-} $US"
    [ "$WRITTEN" = - ] || SAT_LOST[$v]="${SAT_LOST[$v]:-} $DROPPED/$REQS"
    echo "saturated round $round: $v: $RPS req/s, $US µs CPU/request, clicks written $WRITTEN dropped $DROPPED"
  done
done
max=$(median <<<"${SAT_RPS[on]:-${SAT_RPS[off]}}" | xargs printf "%.0f")

# pace RATE: sets PACED_DELAY and PACED_CONNS for about RATE requests/s
# (wrk's delay is in whole milliseconds: the connections set the rate).
pace() {
  PACED_DELAY=10
  PACED_CONNS=$(($1 * PACED_DELAY / 1000))
  if [ "$PACED_CONNS" -gt 400 ]; then PACED_DELAY=2 PACED_CONNS=$(($1 * 2 / 1000)); fi
  [ "$PACED_CONNS" -ge 1 ] || PACED_CONNS=1
}

rate=$((max * PACE / 100))
for round in $(seq "$ROUNDS"); do
  order=$TARGETS; [ $((round % 2)) -eq 0 ] && order=$(tr ' ' '\n' <<<"$TARGETS" | tac | tr '\n' ' ')
  for v in $order; do
    pace "$rate"
    load "$v" -t1 -c"$PACED_CONNS" -d"$DURATION" -s bench/paced.lua
    PACED_RPS[$v]="${PACED_RPS[$v]:-} $RPS"; PACED_US[$v]="${PACED_US[$v]:-} $US"
    [ "$WRITER_US" = - ] || PACED_WRITER[$v]="${PACED_WRITER[$v]:-} $WRITER_US"
    [ "$WRITTEN" = - ] || PACED_LOST[$v]="${PACED_LOST[$v]:-} $DROPPED/$WRITTEN/$REQS"
    echo "paced round $round at $rate/s: $v: $RPS req/s, $US µs CPU/request, clicks written $WRITTEN of $REQS, dropped $DROPPED"
    unset PACED_DELAY
  done
done

declare -A FIRST_DROP
for v in $RECORDING; do
  FIRST_DROP[$v]="none up to $(tr ' ' '\n' <<<"$STEPS" | tail -1)%"
  for pct in $STEPS; do
    pace $((max * pct / 100))
    load "$v" -t1 -c"$PACED_CONNS" -d"$DURATION" -s bench/paced.lua
    echo "drop search: $v at $pct% ($RPS req/s): clicks written $WRITTEN of $REQS, dropped $DROPPED"
    unset PACED_DELAY
    if [ "$DROPPED" -gt 0 ]; then FIRST_DROP[$v]="$pct% ($RPS req/s served): $DROPPED of $REQS dropped"; break; fi
  done
done

echo
echo "## Click capture ($STORE): server CPU per request, $(date -u +%Y-%m-%dT%H:%MZ), nproc=$(nproc), commit $(git rev-parse --short HEAD)"
echo
echo "loadavg before the report: $(cut -d' ' -f1-3 /proc/loadavg); $( [ "$PIN" = 1 ] && echo "servers pinned to CPU 0, wrk to CPU 1 (taskset)" || echo "not pinned"); $LINKS links; $( [ "$WARMUP" = 0 ] || echo "a $WARMUP warm-up of each node, then ")$ROUNDS interleaved rounds of $DURATION, medians; CPU = utime + stime from /proc/PID/stat, the click worker's included"
echo
echo "Saturated (wrk -t1 -c$CONNECTIONS, bench/codes.lua):"
echo
echo "| target | req/s (runs) | median req/s | µs CPU/request (runs) | median µs | clicks dropped/requests |"
echo "|---|---|---:|---|---:|---|"
for v in $TARGETS; do
  echo "| $v | ${SAT_RPS[$v]} | $(median <<<"${SAT_RPS[$v]}") | ${SAT_US[$v]} | $(median <<<"${SAT_US[$v]}") | ${SAT_LOST[$v]:-–} |"
done
echo
echo "Paced at $PACE% of the on node's median saturated rate ($rate req/s offered, bench/paced.lua, $(pace "$rate"; echo "$PACED_CONNS connections, ${PACED_DELAY} ms delay")):"
echo
echo "| target | req/s (runs) | µs CPU/request (runs) | median µs | / fastmap | of it the click writer process, µs (runs; median) | clicks dropped/written/requests |"
echo "|---|---|---|---:|---:|---|---|"
fm=$(median <<<"${PACED_US[fastmap]:-0}")
for v in $TARGETS; do
  m=$(median <<<"${PACED_US[$v]}")
  ratio=–; [ "$fm" != 0 ] && ratio=$(echo "$m / $fm" | bc -l | xargs printf '%.2f')
  writer=–; [ -n "${PACED_WRITER[$v]:-}" ] && writer="${PACED_WRITER[$v]}; $(median <<<"${PACED_WRITER[$v]}")"
  echo "| $v | ${PACED_RPS[$v]} | ${PACED_US[$v]} | $m | $ratio | $writer | ${PACED_LOST[$v]:-–} |"
done
echo
for v in $RECORDING; do
  echo "First click dropped, $v, paced at ${STEPS// /, } % of $max req/s: ${FIRST_DROP[$v]}"
done
exit
}
