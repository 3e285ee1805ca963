#!/usr/bin/env bash
# bench/scale.sh: tiny with ten million links on SQLite.
#
# What it measures, in one run:
#   - seeding: bench/seedlinks fills SCALE_DIR/links.db with LINKS links once
#     and keeps it (with SCALE_DIR/codes.txt, every code in id order); later
#     runs reuse it and report the time the seeding took then
#   - store bytes per link: the seeded file's size over LINKS
#   - cold start to ready: `tiny serve` started on a fresh copy of that file,
#     time until /readyz answers 200 (the file is in the page cache: it has
#     just been copied)
#   - redirects/s with the default cache size, the code drawn from a Zipf law
#     over all LINKS codes (bench/zipf.lua, exponent ZIPF_S), against tiny on
#     a 1000-link file (uniform choice, as in bench/redirect.sh), interleaved
#     for ROUNDS rounds: target within 10% (big / small >= 0.90); the cache hit
#     ratio during the big runs is reported with it, beside what the same
#     draws leave any cache (bench/zipfbound: the share of the measured
#     requests that ask for a link never asked for before, and the hit ratio
#     of a cache holding exactly the most requested links)
#   - the same Zipf rounds, interleaved, on a node with click capture off
#     (--analytics=false) serving a copy of the big file of its own: its
#     redirects/s over the 1000-link figure is what the store and the cache
#     leave when no click is written, and the big node over it is what
#     capturing the clicks costs at this scale
#   - cache memory per link: that node (so no click queue or writer state is
#     counted): live heap (after a forced GC, via the profiler's
#     /debug/pprof/heap?gc=1) after WARMUP of the Zipf load, minus the same
#     at ready, over the cache's entries
#   - store bytes per click: growth of the file (and its WAL) over the clicks
#     written during the Zipf runs
#   - what became of the clicks of the Zipf runs (accepted, written, failed,
#     dropped at the full queue, still queued) once every accepted click is
#     written or failed, or 60 s have passed after the last round, and how
#     long that took
#   - clicks below saturation: the big node (and tiny-base) paced at each of
#     PACED% of the big node's median Zipf rate (bench/zipf.lua with a delay
#     per connection) for DURATION, then given up to 60 s to write what it
#     accepted: the share of the paced run's redirects that became written
#     clicks, and the clicks dropped or failed
#   - uncached redirects/s: tiny with --cache-size=1 on the big file, the code
#     drawn with exponent UNCACHED_S (0: uniform over all LINKS, every lookup
#     a B-tree descent that may leave the page cache)
#
# With PG_URL set (a PostgreSQL server URL, e.g.
# postgres://postgres@127.0.0.1:5432/test?sslmode=disable), the same links on
# PostgreSQL too: the seeded file is moved once into a database of their own
# on that server, tiny_scale_<LINKS> (`tiny move-to-postgres`, timed; kept
# between runs, like the seed), and after the SQLite parts a node on it is
# measured alone: cold start, Zipf rounds with the default cache and
# uncached rounds (--cache-size=1), against the SQLite figures of the same
# run; and its store bytes per link (the database's size after the move
# over LINKS). Its clicks are written to that database and stay there.
#
# With BASE_REF set, tiny built from that git ref serves a copy of its own of
# the big file beside the tree's build: its Zipf and uncached rounds are
# interleaved with the tree's in the same run, and the report adds its
# medians and the tree / base ratios, which the noise of a shared machine
# spoils less than figures from two runs.
#
# Only SQLite: PostgreSQL side by side is bench/stores.sh. The report is
# printed and appended to bench/out/scale-<UTC date>.md.
#
# Usage: bench/scale.sh [-h]
#
# Environment:
#   SCALE_DIR=/tmp/redirect-10m   where the seeded file and codes are kept between runs
#   LINKS=10000000     links in the big file (a different count re-seeds)
#   SMALL_LINKS=1000   links in the reference file
#   ZIPF_S=1.0         Zipf exponent of the cached runs
#   UNCACHED_S=0       exponent of the uncached runs (0: uniform)
#   DURATION=10s ROUNDS=3 THREADS=2 CONNECTIONS=64   wrk settings, as bench/redirect.sh
#   WARMUP=30s         Zipf load before the measured rounds, to fill the cache (not counted)
#   PACED="40 50 70"   paced runs, in % of the big node's median Zipf rate ("": none)
#   BASE_REF=""        git ref to build tiny-base from (none: no base)
#   PG_URL=""          PostgreSQL server to measure the same links on (none: SQLite only)
#   PG_PORT=18097
#   BIG_PORT=18091 SMALL_PORT=18092 BIG_DEBUG_PORT=18093 BASE_PORT=18094
#   NOCLICK_PORT=18095 NOCLICK_DEBUG_PORT=18096
#   TINY_EXTRA_ARGS="" extra words for every `tiny serve`
#   RESULT_FILE=""     append here instead of bench/out/scale-<date>.md
#   KEEP_TMP=0         1: keep the temp dir (logs, wrk output)
set -euo pipefail

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }
[[ ${1:-} != -h ]] || { usage; exit 0; }
[[ $# -eq 0 ]] || { usage >&2; exit 2; }

SCALE_DIR=${SCALE_DIR:-/tmp/redirect-10m}
LINKS=${LINKS:-10000000}
SMALL_LINKS=${SMALL_LINKS:-1000}
ZIPF_S=${ZIPF_S:-1.0}
UNCACHED_S=${UNCACHED_S:-0}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
WARMUP=${WARMUP:-30s}
PACED=${PACED-40 50 70}
BIG_PORT=${BIG_PORT:-18091}
SMALL_PORT=${SMALL_PORT:-18092}
BIG_DEBUG_PORT=${BIG_DEBUG_PORT:-18093}
BASE_PORT=${BASE_PORT:-18094}
NOCLICK_PORT=${NOCLICK_PORT:-18095}
NOCLICK_DEBUG_PORT=${NOCLICK_DEBUG_PORT:-18096}
BASE_REF=${BASE_REF:-}
PG_URL=${PG_URL:-}
PG_PORT=${PG_PORT:-18097}
TINY_EXTRA_ARGS=${TINY_EXTRA_ARGS:-}
RESULT_FILE=${RESULT_FILE:-}
KEEP_TMP=${KEEP_TMP:-0}

log() { printf '[%s] %s\n' "$(date -u +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

for v in LINKS SMALL_LINKS ROUNDS THREADS CONNECTIONS BIG_PORT SMALL_PORT BIG_DEBUG_PORT BASE_PORT NOCLICK_PORT NOCLICK_DEBUG_PORT PG_PORT; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, got '${!v}'"
done
for v in ZIPF_S UNCACHED_S; do
	[[ ${!v} =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "$v must be a number >= 0, got '${!v}'"
done
for v in DURATION WARMUP; do
	[[ ${!v} =~ ^[1-9][0-9]*[smh]?$ ]] || die "$v must look like 10s, 1m or 30, got '${!v}'"
done
for t in wrk curl go; do command -v "$t" >/dev/null || die "$t is not on PATH (bench/redirect.sh installs wrk)"; done
if [[ -n $PG_URL ]]; then
	command -v psql >/dev/null || die "PG_URL needs psql"
	[[ $PG_URL == postgres://*/* ]] || die "PG_URL must look like postgres://user@host:port/db, got '$PG_URL'"
	psql "$PG_URL" -qAtc 'SELECT 1' >/dev/null || die "cannot connect to PG_URL"
	PG_DB=tiny_scale_$LINKS
	PG_SCALE_URL=$(sed -E "s|^(postgres://[^/]*)/[^?]*|\1/$PG_DB|" <<<"$PG_URL")
fi

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -z $(git status --porcelain -- . ':!bench/out' 2>/dev/null) ]] || commit="$commit + uncommitted changes"
if [[ -n $BASE_REF ]]; then
	base_commit=$(git rev-parse --verify --quiet "$BASE_REF^{commit}") || die "BASE_REF '$BASE_REF' is not a commit here"
	base_desc=$(git rev-parse --short "$base_commit")
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/tiny-scale.XXXXXX")
PIDS=()
cleanup() {
	local rc=$? pid
	trap - EXIT INT TERM
	for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	if ((rc != 0)); then
		for f in "$TMP"/*.log; do [[ -s $f ]] && { log "last lines of $f:"; tail -n 20 "$f" >&2; }; done
	fi
	rm -f "$SCALE_DIR"/{work,base,noclick,pgmove}.db{,-wal,-shm}
	if [[ $KEEP_TMP == 1 ]]; then log "kept $TMP"; else rm -rf "$TMP"; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$BIG_PORT" "$SMALL_PORT" "$BIG_DEBUG_PORT" "$BASE_PORT" "$NOCLICK_PORT" "$NOCLICK_DEBUG_PORT" "$PG_PORT"; do
	port_in_use "$p" && die "port $p is already in use; something else would be measured"
done

log "building tiny and seedlinks"
go build -o "$TMP/tiny" ./cmd/tiny
go build -o "$TMP/seedlinks" ./bench/seedlinks
go build -o "$TMP/zipfbound" ./bench/zipfbound
if [[ -n $BASE_REF ]]; then
	# git archive, not a worktree: nothing is added to the repository.
	log "building tiny-base from $BASE_REF ($base_desc)"
	mkdir -p "$TMP/base-src"
	git archive "$base_commit" | tar -x -C "$TMP/base-src" || die "git archive $BASE_REF failed"
	(cd "$TMP/base-src" && go build -o "$TMP/tiny-base" ./cmd/tiny) || die "go build ./cmd/tiny of $BASE_REF failed"
	rm -rf "$TMP/base-src"
fi

# --- the seeded files --------------------------------------------------------

mkdir -p "$SCALE_DIR"
BIG_DB=$SCALE_DIR/links.db
BIG_CODES=$SCALE_DIR/codes.txt
MARK=$SCALE_DIR/seeded
if [[ ! -f $MARK || $(awk '{print $1}' "$MARK") != "$LINKS" || ! -f $BIG_DB || ! -f $BIG_CODES ]]; then
	df_avail=$(df -Pk "$SCALE_DIR" | awk 'NR == 2 {print $4}')
	((df_avail > LINKS / 1000 * 500)) || die "$SCALE_DIR needs about $((LINKS / 1000 * 500 / 1024)) MB free (twice the seeded file), has $((df_avail / 1024)) MB"
	rm -f "$BIG_DB" "$BIG_DB-wal" "$BIG_DB-shm" "$BIG_CODES" "$MARK"
	log "seeding $LINKS links into $BIG_DB (once; later runs reuse it)"
	t0=$(date +%s%N)
	nice -n 10 "$TMP/seedlinks" -db "$BIG_DB" -n "$LINKS" -bad-every 0 -codes-all "$BIG_CODES" 2>"$SCALE_DIR/seed.log" ||
		die "seeding failed: $(tail -n 5 "$SCALE_DIR/seed.log")"
	t1=$(date +%s%N)
	echo "$LINKS $(((t1 - t0) / 1000000)) $(date -u +%FT%TZ) $(cut -d' ' -f1-3 /proc/loadavg)" >"$MARK"
fi
read -r _ seed_ms seed_at seed_l1 seed_l5 seed_l15 <"$MARK"
if [[ -n $PG_URL ]]; then
	PG_MARK=$SCALE_DIR/pg-moved
	pg_exists=$(psql "$PG_URL" -qAtc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")
	# The database holds the links of the seeded file of the mark's seeding.
	if [[ ! -f $PG_MARK || $pg_exists != 1 || $(awk '{print $1, $2}' "$PG_MARK") != "$LINKS $seed_at" ]]; then
		log "moving the $LINKS links into PostgreSQL database $PG_DB (once; later runs reuse it)"
		psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $PG_DB" -c "CREATE DATABASE $PG_DB" >/dev/null || die "creating $PG_DB failed"
		cp "$BIG_DB" "$SCALE_DIR/pgmove.db"
		t0=$(date +%s%N)
		"$TMP/tiny" move-to-postgres --from "$SCALE_DIR/pgmove.db" --to "$PG_SCALE_URL" >"$SCALE_DIR/pgmove.log" 2>&1 ||
			die "tiny move-to-postgres failed: $(tail -n 5 "$SCALE_DIR/pgmove.log")"
		t1=$(date +%s%N)
		rm -f "$SCALE_DIR/pgmove.db"
		echo "$LINKS $seed_at $(((t1 - t0) / 1000000)) $(date -u +%FT%TZ) $(psql "$PG_URL" -qAtc "SELECT pg_database_size('$PG_DB')")" >"$PG_MARK"
	fi
	read -r _ _ pg_move_ms pg_move_at pg_bytes <"$PG_MARK"
fi
[[ $(($(stat -c %s "$BIG_CODES") / 8)) -eq $LINKS ]] || die "$BIG_CODES does not hold $LINKS codes"
big_bytes=$(stat -c %s "$BIG_DB")

SMALL_DB=$TMP/small.db
SMALL_CODES=$TMP/small-codes.txt
"$TMP/seedlinks" -db "$SMALL_DB" -n "$SMALL_LINKS" -bad-every 0 -codes-all "$SMALL_CODES" 2>"$TMP/seed-small.log" ||
	die "seeding the small file failed"
small_bytes=$(stat -c %s "$SMALL_DB")

log "copying $BIG_DB ($((big_bytes / 1048576)) MB) for this run"
WORK_DB=$SCALE_DIR/work.db
cp "$BIG_DB" "$WORK_DB"
BASE_DB=$SCALE_DIR/base.db
[[ -z $BASE_REF ]] || cp "$BIG_DB" "$BASE_DB"
NOCLICK_DB=$SCALE_DIR/noclick.db
cp "$BIG_DB" "$NOCLICK_DB"

# --- servers -----------------------------------------------------------------

export TINY_INITIAL_API_KEY=bench-key-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
read -ra EXTRA <<<"$TINY_EXTRA_ARGS"
declare -A PID_OF=()

# serve NAME PORT DB ARGS...: start `tiny serve` (tiny-base for a NAME
# starting with base); echoes nothing, sets PID_OF.
serve() {
	local name=$1 port=$2 db=$3 bin=$TMP/tiny
	shift 3
	[[ $name != base* ]] || bin=$TMP/tiny-base
	"$bin" serve --addr "127.0.0.1:$port" --database "$db" --base-url "http://127.0.0.1:$port" \
		"${EXTRA[@]}" "$@" >"$TMP/$name.log" 2>&1 &
	PID_OF[$name]=$!
	PIDS+=("$!")
}

# ready_ms NAME PORT: milliseconds from now until /readyz answers 200.
ready_ms() {
	local name=$1 port=$2 t0 i
	t0=$(date +%s%N)
	for ((i = 0; i < 6000; i++)); do
		kill -0 "${PID_OF[$name]}" 2>/dev/null || die "$name exited during start-up"
		if [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$port/readyz") == 200 ]]; then
			echo $((($(date +%s%N) - t0) / 1000000))
			return
		fi
		sleep 0.02
	done
	die "$name not ready after 120 s"
}

stop() {
	local pid=${PID_OF[$1]}
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

metric() { curl -s "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m {printf "%.0f", $2}'; }

# live_heap DEBUG_PORT METRICS_PORT: bytes on the heap after a forced GC.
live_heap() {
	curl -s -o /dev/null "http://127.0.0.1:$1/debug/pprof/heap?gc=1"
	metric "$2" go_memstats_heap_alloc_bytes
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
div() { awk -v a="$1" -v b="$2" -v f="$3" 'BEGIN {if (b == 0) print "n/a"; else printf f, a / b}'; }

# drain PORT: wait (up to 60 s) until every click the node accepted is
# written or failed: an empty queue is not enough, the worker may hold a
# batch still being written. Sets DRAIN_S (the seconds it took, or "> 60").
drain() {
	local i
	for ((i = 0; i < 600; i++)); do
		if (($(metric "$1" tiny_clicks_enqueued_total) == $(metric "$1" tiny_clicks_written_total) + $(metric "$1" tiny_clicks_failed_total))); then
			DRAIN_S=$(div "$i" 10 %.1f)
			return
		fi
		sleep 0.1
	done
	DRAIN_S="> 60"
	log "warning: the clicks accepted by :$1 not all written after 60 s"
}

# clicks PORT: what became of the clicks of the node's redirects so far:
# "accepted / written / failed / dropped / still queued".
clicks() {
	echo "$(metric "$1" tiny_clicks_enqueued_total) / $(metric "$1" tiny_clicks_written_total) / $(metric "$1" tiny_clicks_failed_total) / $(metric "$1" tiny_clicks_dropped_total) / $(metric "$1" tiny_click_queue_depth)"
}

# wrk_run NAME PORT SCRIPT CODES [ARG] DURATION: one wrk run; sets W_RPS, W_REQ (requests completed), W_P99, W_P999.
wrk_run() {
	local name=$1 port=$2 script=$3 codes=$4 arg=$5 dur=$6 out=$TMP/wrk-$1-$RANDOM.txt
	wrk -t"$THREADS" -c"$CONNECTIONS" -d"$dur" --latency -s "$ROOT/bench/$script" "http://127.0.0.1:$port" -- "$codes" $arg >"$out" 2>&1 ||
		die "wrk failed against $name: $(cat "$out")"
	! grep -q 'Non-2xx or 3xx' "$out" || die "$name answered non-2xx/3xx: $(grep 'Non-2xx' "$out")"
	W_RPS=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$out")
	W_REQ=$(awk '/ requests in / {print $1}' "$out")
	W_P99=$(awk '$1 == "99%" {print $2}' "$out")
	W_P999=$(awk '$1 == "p99.9" {printf "%.2fms", $2 / 1000}' "$out")
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
STARTED=$(date -u +%FT%TZ)
serve big "$BIG_PORT" "$WORK_DB" --debug-addr "127.0.0.1:$BIG_DEBUG_PORT"
cold_ms=$(ready_ms big "$BIG_PORT")
log "big: ready in $cold_ms ms"
serve small "$SMALL_PORT" "$SMALL_DB"
ready_ms small "$SMALL_PORT" >/dev/null
if [[ -n $BASE_REF ]]; then
	serve base "$BASE_PORT" "$BASE_DB"
	ready_ms base "$BASE_PORT" >/dev/null
fi
serve noclick "$NOCLICK_PORT" "$NOCLICK_DB" --analytics=false --debug-addr "127.0.0.1:$NOCLICK_DEBUG_PORT"
ready_ms noclick "$NOCLICK_PORT" >/dev/null

heap0=$(live_heap "$BIG_DEBUG_PORT" "$BIG_PORT")
log "warm-up: Zipf($ZIPF_S) on big, uniform on small, $WARMUP each"
wrk_run big "$BIG_PORT" zipf.lua "$BIG_CODES" "$ZIPF_S" "$WARMUP"
log "warm-up big: $W_RPS req/s"
big_warm_req=$W_REQ big_req=0
wrk_run small "$SMALL_PORT" zipf.lua "$SMALL_CODES" 0 "$WARMUP"
log "warm-up small: $W_RPS req/s"
if [[ -n $BASE_REF ]]; then
	wrk_run base "$BASE_PORT" zipf.lua "$BIG_CODES" "$ZIPF_S" "$WARMUP"
	log "warm-up base: $W_RPS req/s"
	drain "$BASE_PORT"
fi
mem0=$(live_heap "$NOCLICK_DEBUG_PORT" "$NOCLICK_PORT")
wrk_run noclick "$NOCLICK_PORT" zipf.lua "$BIG_CODES" "$ZIPF_S" "$WARMUP"
log "warm-up noclick: $W_RPS req/s"
mem_entries=$(metric "$NOCLICK_PORT" tiny_cache_entries)
mem1=$(live_heap "$NOCLICK_DEBUG_PORT" "$NOCLICK_PORT")
drain "$BIG_PORT"
size0=$(($(stat -c %s "$WORK_DB") + $(stat -c %s "$WORK_DB-wal" 2>/dev/null || echo 0)))
written0=$(metric "$BIG_PORT" tiny_clicks_written_total)

ROWS=()
BIG_RPS=() SMALL_RPS=() BASE_RPS=() NOCLICK_RPS=()
# zipf_round NAME PORT: one measured Zipf run; sets W_* and HIT (the cache
# hit ratio during it).
zipf_round() {
	local h0 m0 h1 m1
	h0=$(metric "$2" tiny_cache_hits_total)
	m0=$(metric "$2" tiny_cache_misses_total)
	wrk_run "$1" "$2" zipf.lua "$BIG_CODES" "$ZIPF_S" "$DURATION"
	h1=$(metric "$2" tiny_cache_hits_total)
	m1=$(metric "$2" tiny_cache_misses_total)
	HIT=$(awk -v h=$((h1 - h0)) -v m=$((m1 - m0)) 'BEGIN {printf "%.1f%%", h / (h + m > 0 ? h + m : 1) * 100}')
}
for ((r = 1; r <= ROUNDS; r++)); do
	zipf_round big "$BIG_PORT"
	BIG_RPS+=("$W_RPS")
	big_req=$((big_req + W_REQ))
	ROWS+=("| $r | $LINKS links, Zipf s=$ZIPF_S | $W_RPS | $W_P99 | $W_P999 | $HIT |")
	log "round $r big: $W_RPS req/s, hit ratio $HIT"
	sleep 2
	if [[ -n $BASE_REF ]]; then
		zipf_round base "$BASE_PORT"
		BASE_RPS+=("$W_RPS")
		ROWS+=("| $r | $LINKS links, Zipf s=$ZIPF_S, tiny-base ($base_desc) | $W_RPS | $W_P99 | $W_P999 | $HIT |")
		log "round $r base: $W_RPS req/s, hit ratio $HIT"
		sleep 2
	fi
	zipf_round noclick "$NOCLICK_PORT"
	NOCLICK_RPS+=("$W_RPS")
	ROWS+=("| $r | $LINKS links, Zipf s=$ZIPF_S, click capture off | $W_RPS | $W_P99 | $W_P999 | $HIT |")
	log "round $r noclick: $W_RPS req/s, hit ratio $HIT"
	sleep 2
	wrk_run small "$SMALL_PORT" zipf.lua "$SMALL_CODES" 0 "$DURATION"
	SMALL_RPS+=("$W_RPS")
	ROWS+=("| $r | $SMALL_LINKS links, uniform | $W_RPS | $W_P99 | $W_P999 | (all cached) |")
	log "round $r small: $W_RPS req/s"
	sleep 2
done
drain "$BIG_PORT"
big_drain=$DRAIN_S big_clicks=$(clicks "$BIG_PORT")
if [[ -n $BASE_REF ]]; then
	drain "$BASE_PORT"
	base_drain=$DRAIN_S base_clicks=$(clicks "$BASE_PORT")
fi
# paced_round NAME PORT PCT: the node at PCT% of the big node's median Zipf
# rate; appends a row to PACED_ROWS.
PACED_ROWS=()
paced_round() {
	local name=$1 port=$2 pct=$3 zipf rate conns w0 f0 d0 w1 f1 d1
	zipf=$(median "${BIG_RPS[@]}" | cut -d. -f1)
	rate=$((zipf * pct / 100))
	# A connection asks at most 1000 / (10 ms + latency) times a second;
	# with wrk's timer slack, 65-83 (wrk -t2 against a 1000-link node:
	# 20.9k/s over 252 connections, 34.9k over 520, 41.8k over 640). The
	# report gives the rate the node was actually served.
	conns=$(((rate + 69) / 70))
	w0=$(metric "$port" tiny_clicks_written_total)
	f0=$(metric "$port" tiny_clicks_failed_total) d0=$(metric "$port" tiny_clicks_dropped_total)
	THREADS=2 CONNECTIONS=$conns wrk_run "$name" "$port" zipf.lua "$BIG_CODES" "$ZIPF_S 10" "$DURATION"
	drain "$port"
	w1=$(metric "$port" tiny_clicks_written_total)
	f1=$(metric "$port" tiny_clicks_failed_total) d1=$(metric "$port" tiny_clicks_dropped_total)
	PACED_ROWS+=("| $pct% ($rate/s aimed at, $conns connections) | $name | $W_RPS ($(div "$((${W_RPS%.*} * 100))" "$zipf" %.0f)%) | $W_REQ | $((w1 - w0)) ($(div "$(((w1 - w0) * 100))" "$W_REQ" %.1f)%) | $((f1 - f0)) | $((d1 - d0)) | $DRAIN_S s |")
	log "paced $pct% $name: $W_RPS req/s, $((w1 - w0)) written, $((f1 - f0)) failed, $((d1 - d0)) dropped"
}
for pct in $PACED; do
	paced_round big "$BIG_PORT" "$pct"
	[[ -z $BASE_REF ]] || paced_round base "$BASE_PORT" "$pct"
done
written1=$(metric "$BIG_PORT" tiny_clicks_written_total)
dropped=$(metric "$BIG_PORT" tiny_clicks_dropped_total)
entries=$(metric "$BIG_PORT" tiny_cache_entries)
queued=$(metric "$BIG_PORT" tiny_click_queue_depth)
heap1=$(live_heap "$BIG_DEBUG_PORT" "$BIG_PORT")
size1=$(($(stat -c %s "$WORK_DB") + $(stat -c %s "$WORK_DB-wal" 2>/dev/null || echo 0)))
stop big
stop small
stop noclick
[[ -z $BASE_REF ]] || stop base
bound=$("$TMP/zipfbound" -n "$LINKS" -s "$ZIPF_S" -warmup "$big_warm_req" -measured "$big_req" -cache "$entries")
unseen=$(awk '$1 == "unseen" {print $2}' <<<"$bound")
top=$(awk '$1 == "top" {print $2}' <<<"$bound")

log "uncached: --cache-size=1, exponent $UNCACHED_S"
serve uncached "$BIG_PORT" "$WORK_DB" --cache-size=1 --debug-addr "127.0.0.1:$BIG_DEBUG_PORT"
ready_ms uncached "$BIG_PORT" >/dev/null
wrk_run uncached "$BIG_PORT" zipf.lua "$BIG_CODES" "$ZIPF_S" "$WARMUP"
if [[ -n $BASE_REF ]]; then
	serve base-uncached "$BASE_PORT" "$BASE_DB" --cache-size=1
	ready_ms base-uncached "$BASE_PORT" >/dev/null
	wrk_run base-uncached "$BASE_PORT" zipf.lua "$BIG_CODES" "$ZIPF_S" "$WARMUP"
fi
UNC_RPS=() BASE_UNC_RPS=()
unc_label=$([[ $UNCACHED_S == 0 ]] && echo uniform || echo "Zipf s=$UNCACHED_S")
for ((r = 1; r <= ROUNDS; r++)); do
	wrk_run uncached "$BIG_PORT" zipf.lua "$BIG_CODES" "$UNCACHED_S" "$DURATION"
	UNC_RPS+=("$W_RPS")
	ROWS+=("| $r | $LINKS links, --cache-size=1, $unc_label | $W_RPS | $W_P99 | $W_P999 | (uncached) |")
	log "round $r uncached: $W_RPS req/s"
	sleep 2
	if [[ -n $BASE_REF ]]; then
		wrk_run base-uncached "$BASE_PORT" zipf.lua "$BIG_CODES" "$UNCACHED_S" "$DURATION"
		BASE_UNC_RPS+=("$W_RPS")
		ROWS+=("| $r | $LINKS links, --cache-size=1, $unc_label, tiny-base ($base_desc) | $W_RPS | $W_P99 | $W_P999 | (uncached) |")
		log "round $r base uncached: $W_RPS req/s"
		sleep 2
	fi
done
stop uncached
[[ -z $BASE_REF ]] || stop base-uncached

# --- the same links on PostgreSQL ---------------------------------------------

PG_RPS=() PG_UNC_RPS=()
if [[ -n $PG_URL ]]; then
	log "PostgreSQL: Zipf($ZIPF_S) with the default cache, then uncached"
	serve pg "$PG_PORT" "$PG_SCALE_URL"
	pg_cold_ms=$(ready_ms pg "$PG_PORT")
	log "pg: ready in $pg_cold_ms ms"
	wrk_run pg "$PG_PORT" zipf.lua "$BIG_CODES" "$ZIPF_S" "$WARMUP"
	log "warm-up pg: $W_RPS req/s"
	for ((r = 1; r <= ROUNDS; r++)); do
		sleep 2
		zipf_round pg "$PG_PORT"
		PG_RPS+=("$W_RPS")
		ROWS+=("| $r | $LINKS links on PostgreSQL, Zipf s=$ZIPF_S | $W_RPS | $W_P99 | $W_P999 | $HIT |")
		log "round $r pg: $W_RPS req/s, hit ratio $HIT"
	done
	drain "$PG_PORT"
	pg_clicks=$(clicks "$PG_PORT") pg_drain=$DRAIN_S
	stop pg
	serve pg-uncached "$PG_PORT" "$PG_SCALE_URL" --cache-size=1
	ready_ms pg-uncached "$PG_PORT" >/dev/null
	wrk_run pg-uncached "$PG_PORT" zipf.lua "$BIG_CODES" "$ZIPF_S" "$WARMUP"
	for ((r = 1; r <= ROUNDS; r++)); do
		sleep 2
		wrk_run pg-uncached "$PG_PORT" zipf.lua "$BIG_CODES" "$UNCACHED_S" "$DURATION"
		PG_UNC_RPS+=("$W_RPS")
		ROWS+=("| $r | $LINKS links on PostgreSQL, --cache-size=1, $unc_label | $W_RPS | $W_P99 | $W_P999 | (uncached) |")
		log "round $r pg uncached: $W_RPS req/s"
	done
	stop pg-uncached
fi

# --- report ------------------------------------------------------------------

big_med=$(median "${BIG_RPS[@]}")
small_med=$(median "${SMALL_RPS[@]}")
noclick_med=$(median "${NOCLICK_RPS[@]}")
unc_med=$(median "${UNC_RPS[@]}")
ratio=$(div "$big_med" "$small_med" %.3f)
verdict=MISS
awk -v x="$ratio" 'BEGIN {exit !(x >= 0.9)}' && verdict=PASS
cold_verdict=MISS
((cold_ms < 5000)) && cold_verdict=PASS
clicks=$((written1 - written0))

report() {
	echo "## Scale: $LINKS links on SQLite$([[ -z $PG_URL ]] || echo " and PostgreSQL"), $STARTED"
	echo
	echo "- machine: \`nproc\` = $(nproc), $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), Linux $(uname -r); shared and noisy"
	echo "- tiny at commit $commit, $(go version | awk '{print $3}'), $(wrk -v 2>&1 | head -n 1 | awk '{print "wrk", $2}')${TINY_EXTRA_ARGS:+, args: $TINY_EXTRA_ARGS}"
	echo "- load average before: $LOAD_BEFORE; after: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- load: \`wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency -s bench/zipf.lua\`, servers and wrk sharing all CPUs; a $WARMUP warm-up of each, then $ROUNDS rounds, big$([[ -z $BASE_REF ]] || echo ", tiny-base"), click capture off and small interleaved"
	echo "- seeded by bench/seedlinks at $seed_at in $(div "$seed_ms" 1000 %.0f) s (load average then $seed_l1 $seed_l5 $seed_l15), reused since"
	echo
	echo "| round | target | requests/s | p99 | p99.9 | cache hit ratio |"
	echo "|---:|---|---:|---:|---:|---:|"
	printf '%s\n' "${ROWS[@]}"
	echo
	if ((${#PACED_ROWS[@]} > 0)); then
		echo "Below saturation: each node paced for $DURATION (\`wrk -t2 -s bench/zipf.lua -- codes $ZIPF_S 10\` over a connection per 70 requests/s aimed at, each pausing 10 ms between its requests), then up to 60 s to write what it accepted. Written counts the clicks of the run's redirects; wrk does not count the few in flight when it stops."
		echo
		echo "| paced at | node | requests/s (of the big node's Zipf rate) | requests | clicks written (of requests) | failed | dropped | all written after |"
		echo "|---|---|---:|---:|---:|---:|---:|---:|"
		printf '%s\n' "${PACED_ROWS[@]}"
		echo
	fi
	echo "| figure | value | target | verdict |"
	echo "|---|---:|---:|---|"
	echo "| median redirects/s, $LINKS links, Zipf s=$ZIPF_S, default cache | $big_med | | |"
	echo "| median redirects/s, $SMALL_LINKS links | $small_med | | |"
	echo "| ratio big / small | $ratio | >= 0.90 | $verdict |"
	echo "| cold start to ready (\`tiny serve\` to /readyz 200, file in page cache) | $cold_ms ms | < 5000 ms | $cold_verdict |"
	echo "| click capture off (--analytics=false, its own copy, rounds interleaved): median redirects/s, Zipf; over the $SMALL_LINKS-link figure | $noclick_med; $(div "$noclick_med" "$small_med" %.3f) | | |"
	echo "| big / click capture off: what writing the clicks costs the Zipf redirects/s at this scale | $(div "$big_med" "$noclick_med" %.3f) | | |"
	echo "| median uncached redirects/s (--cache-size=1, $([[ $UNCACHED_S == 0 ]] && echo "uniform over $LINKS" || echo "Zipf s=$UNCACHED_S")) | $unc_med | | |"
	if [[ -n $BASE_REF ]]; then
		echo "| tiny-base ($BASE_REF, $base_desc): median redirects/s, Zipf / uncached | $(median "${BASE_RPS[@]}") / $(median "${BASE_UNC_RPS[@]}") | | |"
		echo "| tiny-base ($base_desc): ratio big / small | $(div "$(median "${BASE_RPS[@]}")" "$small_med" %.3f) | | |"
		echo "| tree / tiny-base: Zipf redirects/s, uncached redirects/s | $(div "$big_med" "$(median "${BASE_RPS[@]}")" %.3f), $(div "$unc_med" "$(median "${BASE_UNC_RPS[@]}")" %.3f) | | |"
	fi
	if [[ -n $PG_URL ]]; then
		local pg_med pg_unc_med
		pg_med=$(median "${PG_RPS[@]}") pg_unc_med=$(median "${PG_UNC_RPS[@]}")
		echo "| PostgreSQL ($PG_DB, after the SQLite parts, alone): median redirects/s, Zipf s=$ZIPF_S, default cache; over the $SMALL_LINKS-link figure; over SQLite's | $pg_med; $(div "$pg_med" "$small_med" %.3f); $(div "$pg_med" "$big_med" %.3f) | | |"
		echo "| PostgreSQL: median uncached redirects/s; over SQLite's | $pg_unc_med; $(div "$pg_unc_med" "$unc_med" %.3f) | | |"
		echo "| PostgreSQL: cold start to ready | $pg_cold_ms ms | < 5000 ms | $( ((pg_cold_ms < 5000)) && echo PASS || echo MISS) |"
		echo "| PostgreSQL: store bytes per link (the database's size after the move / links) | $(div "$pg_bytes" "$LINKS" %.0f) B | | |"
		echo "| PostgreSQL: the move (\`tiny move-to-postgres\`, verified) at $pg_move_at | $(div "$pg_move_ms" 1000 %.0f) s, $(div "$LINKS" "$(div "$pg_move_ms" 1000 %.3f)" %.0f) links/s | | |"
		echo "| PostgreSQL: clicks of its Zipf runs, as above | $pg_clicks; $pg_drain s | | |"
	fi
	echo "| cache entries after the Zipf runs | $entries | | |"
	echo "| share of the measured Zipf requests that ask for a link not asked for before ($big_warm_req requests of warm-up, $big_req measured; bench/zipfbound): no cache answers them | $(div "$unseen" 0.01 %.1f)% | | |"
	echo "| hit ratio of a cache holding exactly the $entries most requested links (bench/zipfbound) | $(div "$top" 0.01 %.1f)% | | |"
	echo "| cache memory per link (--analytics=false: (live heap after $WARMUP of Zipf load − at ready) / $mem_entries entries) | $(div "$((mem1 - mem0))" "$mem_entries" %.0f) B | | |"
	echo "| live heap of the default tiny: at ready / after the Zipf runs ($entries cached links, $queued clicks still queued) | $((heap0 / 1048576)) / $((heap1 / 1048576)) MiB | | |"
	echo "| store bytes per link (seeded file / links; $SMALL_LINKS-link file: $(div "$small_bytes" "$SMALL_LINKS" %.0f) B) | $(div "$big_bytes" "$LINKS" %.0f) B | | |"
	echo "| store bytes per click (file + WAL growth over $clicks clicks written; $dropped dropped at the full queue) | $(div "$((size1 - size0))" "$clicks" %.1f) B | | |"
	echo "| clicks of the Zipf runs (warm-up and rounds): accepted / written / failed / dropped at the full queue / still queued; seconds until all accepted were written or failed, after the last round | $big_clicks; $big_drain s | | |"
	[[ -z $BASE_REF ]] || echo "| tiny-base ($base_desc): the same | $base_clicks; $base_drain s | | |"
	echo
}
result_file=${RESULT_FILE:-$ROOT/bench/out/scale-$(date -u +%F).md}
mkdir -p "$(dirname "$result_file")"
report | tee -a "$result_file"
log "appended to $result_file"
