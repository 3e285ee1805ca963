#!/usr/bin/env bash
# Side by side, in one run: tiny on SQLite and tiny on PostgreSQL.
#   - redirects/s of cached codes (the default cache),
#   - redirects/s of uncached codes (--cache-size 1: nearly every request
#     reads the store),
#   - creates/s through POST /api/v1/links (16 connections),
#   - links/s created through POST /api/v1/links/bulk, 1000 links a request
#     (4 connections).
# Interleaved rounds, medians with the lowest and highest round, and the
# PostgreSQL/SQLite ratios.
#
# Usage: bench/stores.sh      (env: ROUNDS=3 DURATION=10s CONNECTIONS=64 LINKS=1000
#                              PG=postgres://postgres@127.0.0.1:5432/test PORT=18090
#                              BIN=path of a tiny binary to measure instead of
#                              building this tree)
# Needs wrk, jq, curl, psql (installed with apt-get when missing, as root).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
LINKS=${LINKS:-1000}
PG=${PG:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
PORT=${PORT:-18090}
KEY=bench-key-$RANDOM$RANDOM$RANDOM$RANDOM

for tool in wrk jq curl psql; do
  command -v "$tool" >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk jq curl postgresql-client >/dev/null; }
done

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
TMP=$(mktemp -d)
SCHEMA=bench_$RANDOM$RANDOM
PID=""
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  psql -q "$PG" -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT
psql -q "$PG" -c "CREATE SCHEMA $SCHEMA" >/dev/null
PGDSN="$PG&search_path=$SCHEMA"
[[ $PG == *\?* ]] || PGDSN="$PG?search_path=$SCHEMA"

if [ -n "${BIN:-}" ]; then
  cp "$BIN" "$TMP/tiny"
else
  echo "building tiny"
  go build -o "$TMP/tiny" ./cmd/tiny
fi

# start DB CACHE: runs tiny on store DB with a redirect cache of CACHE links.
start() {
  local db=$1 cache=$2
  TINY_INITIAL_API_KEY=$KEY "$TMP/tiny" serve --addr 127.0.0.1:$PORT --database "$db" \
    --cache-size "$cache" --rate-ip off --rate-key off --rate-create off --log-level warn \
    >>"$TMP/tiny.log" 2>&1 &
  PID=$!
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && return
    sleep 0.1
  done
  echo "tiny did not start"; cat "$TMP/tiny.log"; exit 1
}
stop() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""; }

# links FILE: creates LINKS links and writes their codes to FILE, once per store.
links() {
  local out=$1
  : >"$out"
  local body
  body=$(jq -nc --argjson n "$LINKS" '{links: [range(0; $n) | {url: "https://example.com/bench/\(.)"}]}')
  curl -sf -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
    -d "$body" "http://127.0.0.1:$PORT/api/v1/links/bulk" | jq -r '.results[].link.code' >"$out"
  [ "$(wc -l <"$out")" -eq "$LINKS" ] || { echo "bulk create failed"; exit 1; }
  for code in $(head -3 "$out"); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/$code")" = 302 ] || { echo "code $code does not redirect"; exit 1; }
  done
}

# measure NAME ARGS...: runs wrk and records requests/s under NAME (times
# PER, the links a request creates, when PER is set).
declare -A RESULTS
measure() {
  local name=$1; shift
  local out
  out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --timeout 60s "$@")
  if grep -qE "Non-2xx or 3xx|Socket errors" <<<"$out"; then echo "$name: errors"; echo "$out"; exit 1; fi
  local rps
  rps=$(awk -v per="${PER:-1}" '/^Requests\/sec/ {printf "%d", $2 * per}' <<<"$out")
  RESULTS[$name]="${RESULTS[$name]:-} $rps"
  printf '  %-22s %8s /s\n' "$name" "$rps"
}

SQLITE_DB=$TMP/tiny.db
for store in sqlite postgres; do
  db=$SQLITE_DB; [ $store = postgres ] && db=$PGDSN
  start "$db" 100000; links "$TMP/codes-$store.txt"; stop
done

for round in $(seq "$ROUNDS"); do
  echo "round $round"
  for store in sqlite postgres; do
    db=$SQLITE_DB; [ $store = postgres ] && db=$PGDSN
    start "$db" 100000
    while read -r c; do curl -s -o /dev/null "http://127.0.0.1:$PORT/$c"; done <"$TMP/codes-$store.txt"
    measure "$store cached" -s bench/codes.lua "http://127.0.0.1:$PORT" -- "$TMP/codes-$store.txt"
    stop
    start "$db" 1
    measure "$store uncached" -s bench/codes.lua "http://127.0.0.1:$PORT" -- "$TMP/codes-$store.txt"
    measure "$store creates" -c16 -s bench/create.lua "http://127.0.0.1:$PORT" -- "$KEY"
    PER=1000 measure "$store bulk" -c4 -s bench/create.lua "http://127.0.0.1:$PORT" -- "$KEY" bulk
    stop
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2))}'; }
# spread NAME: "median (lowest–highest)" of the rounds of NAME.
spread() {
  local v; v=$(tr ' ' '\n' <<<"${RESULTS[$1]}" | grep -v '^$' | sort -n)
  printf '%s (%s–%s)' "$(median <<<"$v")" "$(head -1 <<<"$v")" "$(tail -1 <<<"$v")"
}
echo
echo "## Stores side by side, $(date -u +%Y-%m-%dT%H:%MZ), nproc=$(nproc), commit $(git rev-parse --short HEAD)"
echo
[ -n "${BIN:-}" ] && echo "binary: $BIN (not built from this tree)" && echo
echo "ROUNDS=$ROUNDS DURATION=$DURATION CONNECTIONS=$CONNECTIONS LINKS=$LINKS; load before: $LOAD_BEFORE; after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| measure (per second; median, lowest–highest round) | SQLite | PostgreSQL | PostgreSQL / SQLite |"
echo "|---|---:|---:|---:|"
for m in "cached:redirects, cached codes" "uncached:redirects, uncached codes" "creates:creates, POST /api/v1/links" "bulk:links created in bulk, POST /api/v1/links/bulk"; do
  key=${m%%:*} label=${m#*:}
  s=$(median <<<"${RESULTS[sqlite $key]}"); p=$(median <<<"${RESULTS[postgres $key]}")
  printf '| %s | %s | %s | %.2f |\n' "$label" "$(spread "sqlite $key")" "$(spread "postgres $key")" "$(echo "$p / $s" | bc -l)"
done
