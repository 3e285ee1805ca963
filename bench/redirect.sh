#!/usr/bin/env bash
# bench/redirect.sh: redirect throughput of tiny against four baselines, and
# against tiny built from an earlier commit.
#
#   nginx      `return 302 <url>;` for every path (bench/nginx.conf.tmpl), stock
#              keep-alive (keepalive_requests 1000): the acceptance baseline
#   nginx-ka   the same with keepalive_requests raised (connections never closed)
#   mapserver  a bare net/http handler answering 302 from a Go map (bench/mapserver)
#   fastmap    the same handler on fasthttp (bench/mapserver -engine fasthttp)
#   tiny       `tiny serve` on SQLite, LINKS links created through the bulk API
#   tiny-noclick  the same `tiny serve` with --analytics=false (no click recorded):
#              what recording every click costs, side by side
#   tiny-base  the same, with tiny built from the git ref BASE_REF (not run by
#              default): tiny/tiny-base is what the tree's changes since BASE_REF
#              cost or gain on the redirect, measured side by side
#
# Each target is checked first (one `curl -si`, then every code must answer 302
# with the expected Location, which also warms tiny's cache), then loaded with
# wrk and bench/codes.lua (a random code per request), the targets interleaved
# for ROUNDS rounds with the order rotated each round. The script prints one row
# per run, the median requests/s per target and the ratios, and appends the same
# block to bench/out/redirect-<UTC date>.md. The acceptance target is
# tiny/nginx >= 0.80 (stock nginx, same run); tiny/fastmap is the cost of tiny's
# own work on the same engine; tiny/tiny-base (when run) compares the tree with
# BASE_REF's. DESIGN.md §1 budgets tiny's redirect at "within
# 10% of a bare net/http handler that answers 302 from a Go map", i.e.
# tiny/mapserver >= 0.90. See bench/README.md for the caveats.
#
# Usage: bench/redirect.sh [-P] [-d DURATION] [-r ROUNDS] [-c CONNECTIONS] [-n LINKS] [-T TARGETS] [-B BASE_REF]
#
# Every row reports requests/s, the server's CPU per request (user + system
# time of its process and children from /proc, over the run, divided by the
# requests wrk completed), and p50, p99 and p99.9 latency. The report judges
# tiny against fastmap: CPU per request (target <= 1.3x) and p99 (target
# <= 1.5x pinned, <= 2x unpinned), each with PASS or MISS.
#
# -P (MODE=pinned) is the CPU-cost mode: each server pinned to CPU 0, wrk to
# CPU 1 (taskset), nginx with one worker, `wrk -t1 -c8 -d6s`, 3 rounds, targets
# "nginx fastmap tiny tiny-noclick". Its defaults are overridden by the flags
# and variables below like any other.
#
# Environment (flags win):
#   MODE=""            "pinned": the defaults of -P
#   DURATION=10s       wrk -d per run
#   ROUNDS=2           rounds; every round runs every target once
#   CONNECTIONS=64     wrk -c
#   THREADS=2          wrk -t
#   LINKS=1000         codes per target (links created in tiny, entries in the map)
#   TARGETS="nginx nginx-ka mapserver fastmap tiny"   which targets to run, in round-1 order
#                      (tiny-noclick: tiny with --analytics=false, own port and file);
#                      add tiny-base (e.g. -T "nginx fastmap tiny-base tiny") to compare commits
#   BASE_REF=""        git ref (commit, tag, branch) tiny-base is built from (`git archive`
#                      into the temp dir, then `go build ./cmd/tiny`); needed for tiny-base
#   NGINX_PORT=18081 MAPSERVER_PORT=18082 TINY_PORT=18083 FASTMAP_PORT=18084 NGINX_KA_PORT=18085
#   TINY_BASE_PORT=18086 TINY_NOCLICK_PORT=18087
#   COOLDOWN=2         seconds of idle between runs
#   WARMUP=10s         before round 1, each target takes this much of the same wrk load,
#                      not measured (0: none): tiny's click store starts empty, and its
#                      first seconds of clicks create the rollup rows later ones update
#   PIN=0              1: each server on CPU 0, wrk on CPU 1 (taskset), nginx with one
#                      worker; default: all share every CPU (1 with -P)
#   SETTLE=1           before and after each run of a tiny target that records clicks, wait
#                      until every queued click is written and read its statistics (which
#                      makes SQLite roll them up); the CPU per request is read after it, so
#                      it counts writing the run's clicks (0: read it when wrk stops)
#   NGINX_WORKERS=auto nginx worker_processes (1 when PIN=1)
#   BULK_BATCH=100     links per POST /api/v1/links/bulk
#   TINY_EXPECT_STATUS=302   redirect status tiny (and tiny-base) must answer
#   TINY_EXTRA_ARGS=""       extra words appended to `tiny serve ...`, for both tiny targets:
#                            the script passes only --addr, --database and --base-url, so
#                            tiny-base needs nothing else; extra flags must exist in both builds
#   TINY_CMD=""        run this instead of the tiny binary for the tiny target, not tiny-base
#                      (a simple command, run by `bash -c "exec $TINY_CMD"`) with
#                      TINY_ADDR, TINY_PORT, TINY_DB,
#                      TINY_BASE_URL, TINY_INITIAL_API_KEY, BENCH_BIN and LINKS exported.
#                      Results then go to redirect-<date>-standin.md. To try the script
#                      before `tiny serve` exists:
#                      TINY_CMD='"$BENCH_BIN/mapserver" -addr "$TINY_ADDR" -codes "$LINKS" -seed 2 -fake-bulk-api -base-url "$TINY_BASE_URL"'
#   RESULT_FILE=""    append the report here instead of bench/out/redirect-<date>.md
#   KEEP_TMP=0         1: keep the temp dir (logs, wrk output, codes) and print its path
#   WAIT_SECS=60       how long to wait for each server to become ready
#   NOISY_PCT=20       a run whose "other load" (CPU used by neither wrk nor the target)
#                      is above this % of the machine is counted as noisy in the report
#   QUIET_WAIT=60      before each run, wait up to this many seconds for the machine to be
#                      at most NOISY_PCT busy (0: don't wait); runs anyway after that
set -euo pipefail

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }

# -P is read first: it only changes defaults, so the other flags still win.
MODE=${MODE:-}
for a in "$@"; do [[ $a != -P ]] || MODE=pinned; done
case $MODE in
"") ;;
pinned)
	: "${DURATION:=6s}" "${ROUNDS:=3}" "${CONNECTIONS:=8}" "${THREADS:=1}" "${PIN:=1}"
	: "${TARGETS:=nginx fastmap tiny tiny-noclick}"
	;;
*) echo "MODE must be empty or 'pinned', got '$MODE'" >&2; exit 2 ;;
esac

DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-2}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
LINKS=${LINKS:-1000}
TARGETS=${TARGETS:-nginx nginx-ka mapserver fastmap tiny}
NGINX_PORT=${NGINX_PORT:-18081}
MAPSERVER_PORT=${MAPSERVER_PORT:-18082}
TINY_PORT=${TINY_PORT:-18083}
TINY_BASE_PORT=${TINY_BASE_PORT:-18086}
TINY_NOCLICK_PORT=${TINY_NOCLICK_PORT:-18087}
BASE_REF=${BASE_REF:-}
FASTMAP_PORT=${FASTMAP_PORT:-18084}
NGINX_KA_PORT=${NGINX_KA_PORT:-18085}
COOLDOWN=${COOLDOWN:-2}
WARMUP=${WARMUP:-10s}
PIN=${PIN:-0}
SETTLE=${SETTLE:-1}
NGINX_WORKERS=${NGINX_WORKERS:-}
BULK_BATCH=${BULK_BATCH:-100}
TINY_EXPECT_STATUS=${TINY_EXPECT_STATUS:-302}
TINY_EXTRA_ARGS=${TINY_EXTRA_ARGS:-}
TINY_CMD=${TINY_CMD:-}
KEEP_TMP=${KEEP_TMP:-0}
WAIT_SECS=${WAIT_SECS:-60}
NOISY_PCT=${NOISY_PCT:-20}
RESULT_FILE=${RESULT_FILE:-}
QUIET_WAIT=${QUIET_WAIT:-60}

while getopts 'Pd:r:c:n:T:B:h' opt; do
	case $opt in
	P) ;;
	d) DURATION=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	c) CONNECTIONS=$OPTARG ;;
	n) LINKS=$OPTARG ;;
	T) TARGETS=$OPTARG ;;
	B) BASE_REF=$OPTARG ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[[ $# -eq 0 ]] || { usage >&2; exit 2; }

log() { printf '[%s] %s\n' "$(date -u +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

for v in NOISY_PCT ROUNDS CONNECTIONS THREADS LINKS BULK_BATCH WAIT_SECS NGINX_PORT NGINX_KA_PORT MAPSERVER_PORT FASTMAP_PORT TINY_PORT TINY_BASE_PORT TINY_NOCLICK_PORT TINY_EXPECT_STATUS; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, got '${!v}'"
done
for v in COOLDOWN QUIET_WAIT; do
	[[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number of seconds, got '${!v}'"
done
[[ $DURATION =~ ^[1-9][0-9]*[smh]?$ ]] || die "DURATION must look like 10s, 1m or 30, got '$DURATION'"
((CONNECTIONS >= THREADS)) || die "CONNECTIONS ($CONNECTIONS) must be at least THREADS ($THREADS)"
read -ra TARGET_LIST <<<"$TARGETS"
((${#TARGET_LIST[@]} > 0)) || die "TARGETS is empty"
for t in "${TARGET_LIST[@]}"; do
	case $t in nginx | nginx-ka | mapserver | fastmap | tiny | tiny-noclick | tiny-base) ;; *) die "unknown target '$t' (want nginx, nginx-ka, mapserver, fastmap, tiny, tiny-noclick, tiny-base)" ;; esac
done
has_target() { [[ " ${TARGET_LIST[*]} " == *" $1 "* ]]; }
[[ $(printf '%s\n' "${TARGET_LIST[@]}" | sort | uniq -d) == "" ]] || die "TARGETS names a target twice: $TARGETS"
[[ $(printf '%s\n' "$NGINX_PORT" "$NGINX_KA_PORT" "$MAPSERVER_PORT" "$FASTMAP_PORT" "$TINY_PORT" "$TINY_BASE_PORT" "$TINY_NOCLICK_PORT" | sort | uniq -d) == "" ]] ||
	die "two targets share a port"

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
[[ -f go.mod && -d bench/mapserver ]] || die "run from the tiny repository ($ROOT has no go.mod or bench/mapserver)"

NPROC=$(nproc)
PIN_SERVER=()
PIN_WRK=()
if [[ $PIN == 1 ]]; then
	((NPROC >= 2)) || die "PIN=1 needs at least 2 CPUs"
	command -v taskset >/dev/null || die "PIN=1 needs taskset (util-linux)"
	PIN_SERVER=(taskset -c 0)
	PIN_WRK=(taskset -c 1)
	: "${NGINX_WORKERS:=1}"
fi
: "${NGINX_WORKERS:=auto}"
[[ $NGINX_WORKERS == auto || $NGINX_WORKERS =~ ^[1-9][0-9]*$ ]] || die "NGINX_WORKERS must be auto or a positive integer, got '$NGINX_WORKERS'"

STANDIN=0
if has_target tiny; then
	if [[ -n $TINY_CMD ]]; then
		STANDIN=1
	elif [[ ! -d cmd/tiny ]]; then
		die "cmd/tiny does not exist yet: run with TARGETS='nginx nginx-ka mapserver fastmap', or set TINY_CMD (see -h)"
	fi
fi
# tiny-base's commit, resolved now like the tree's below.
base_commit=""
if has_target tiny-base; then
	[[ -n $BASE_REF ]] || die "target tiny-base needs BASE_REF (or -B REF): the git ref to build it from"
	base_commit=$(git rev-parse --verify --quiet "$BASE_REF^{commit}") || die "BASE_REF '$BASE_REF' is not a commit here"
	git cat-file -e "$base_commit:cmd/tiny" 2>/dev/null || die "BASE_REF '$BASE_REF' has no cmd/tiny"
	base_desc="$(git rev-parse --short "$base_commit") (\"$(git log -1 --format=%s "$base_commit")\", $(git log -1 --format=%cs "$base_commit"))"
fi

# --- tools -------------------------------------------------------------------

ensure_tools() {
	local missing=() pair
	for pair in wrk:wrk nginx:nginx-light jq:jq curl:curl; do
		if ! command -v "${pair%%:*}" >/dev/null && [[ ! -x /usr/sbin/${pair%%:*} ]]; then
			missing+=("${pair#*:}")
		fi
	done
	((${#missing[@]} == 0)) && return
	if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null; then
		die "missing ${missing[*]}; install them (apt-get install -y ${missing[*]}) or run as root on Debian"
	fi
	log "installing ${missing[*]} from Debian"
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}
ensure_tools
command -v go >/dev/null || die "go is not on PATH"
NGINX_BIN=$(command -v nginx || echo /usr/sbin/nginx)

# --- temp dir, processes, cleanup --------------------------------------------

TMP=$(mktemp -d "${TMPDIR:-/tmp}/tiny-bench.XXXXXX")
BIN=$TMP/bin
mkdir -p "$BIN"
PIDS=()
declare -A PID_OF=() LOG_OF=()

cleanup() {
	local rc=$? pid i
	trap - EXIT INT TERM
	for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			log "pid $pid ignored SIGTERM for 10s; sending SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
		fi
		wait "$pid" 2>/dev/null || true
	done
	if ((rc != 0)); then
		for name in "${!LOG_OF[@]}"; do
			[[ -s ${LOG_OF[$name]} ]] || continue
			log "last lines of the $name log:"
			tail -n 20 "${LOG_OF[$name]}" >&2 || true
		done
	fi
	if [[ $KEEP_TMP == 1 ]]; then
		log "kept $TMP"
	else
		rm -rf "$TMP"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start NAME PORT CMD... runs CMD in the background (pinned when PIN=1).
start() {
	local name=$1 port=$2
	shift 2
	port_in_use "$port" && die "port $port (for $name) is already in use; something else would be measured"
	LOG_OF[$name]=$TMP/$name.log
	"${PIN_SERVER[@]}" "$@" >"${LOG_OF[$name]}" 2>&1 &
	PID_OF[$name]=$!
	PIDS+=("$!")
}

# wait_ready NAME URL WANT: poll URL until its status is WANT ("any" = any answer).
wait_ready() {
	local name=$1 url=$2 want=$3 code deadline=$((SECONDS + WAIT_SECS))
	while ((SECONDS < deadline)); do
		kill -0 "${PID_OF[$name]}" 2>/dev/null || die "$name exited during start-up"
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$url" || true)
		if [[ $code != 000 && ($want == any || $code == "$want") ]]; then
			log "$name is ready ($url -> $code)"
			return
		fi
		sleep 0.1
	done
	die "$name not ready after ${WAIT_SECS}s ($url last answered ${code:-nothing})"
}

# --- build -------------------------------------------------------------------

# The commit the binaries are built from, read now: others may commit while
# the rounds run, and the report must name the tree that was measured.
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
# Result blocks in bench/out are not part of the tree measured.
[[ -z $(git status --porcelain -- . ':!bench/out' 2>/dev/null) ]] || commit="$commit + uncommitted changes"

log "building mapserver"
go build -o "$BIN/mapserver" ./bench/mapserver
if (has_target tiny && ((STANDIN == 0))) || has_target tiny-noclick; then
	log "building tiny"
	go build -o "$BIN/tiny" ./cmd/tiny || die "go build ./cmd/tiny failed"
fi
if has_target tiny-base; then
	# git archive, not a worktree: nothing is added to the repository, and the
	# sources go with the temp dir whatever happens.
	log "building tiny-base from $BASE_REF ($base_desc)"
	mkdir -p "$TMP/base-src"
	git archive "$base_commit" | tar -x -C "$TMP/base-src" || die "git archive $BASE_REF failed"
	(cd "$TMP/base-src" && go build -o "$BIN/tiny-base" ./cmd/tiny) || die "go build ./cmd/tiny of $BASE_REF failed"
	rm -rf "$TMP/base-src"
fi

# Codes for nginx, mapserver and fastmap: "code url" lines, deterministic for the seed.
MAP_CODES=$TMP/mapserver-codes.txt
"$BIN/mapserver" -no-serve -codes "$LINKS" -codes-out "$MAP_CODES"
NGINX_LOCATION=https://example.com/1

# --- start the targets -------------------------------------------------------

declare -A PORT_OF=([nginx]=$NGINX_PORT [nginx-ka]=$NGINX_KA_PORT [mapserver]=$MAPSERVER_PORT
	[fastmap]=$FASTMAP_PORT [tiny]=$TINY_PORT [tiny-base]=$TINY_BASE_PORT [tiny-noclick]=$TINY_NOCLICK_PORT)
# READY_OF: the URL and status that say a target is up ("URL STATUS").
declare -A CODES_OF=() DESC_OF=() READY_OF=()
NGINX_VERSION=$("$NGINX_BIN" -v 2>&1 | sed 's/^nginx version: //')

# start_nginx NAME KEEPALIVE: render bench/nginx.conf.tmpl into $TMP/NAME with
# KEEPALIVE (a directive, or a comment for nginx's defaults) and start it.
start_nginx() {
	local name=$1 keepalive=$2 dir=$TMP/$1 port=${PORT_OF[$1]}
	mkdir -p "$dir"
	sed -e "s|@PREFIX@|$dir|g" -e "s|@PORT@|$port|g" -e "s|@LOCATION@|$NGINX_LOCATION|g" \
		-e "s|@KEEPALIVE@|$keepalive|g" -e "s|@WORKERS@|$NGINX_WORKERS|g" bench/nginx.conf.tmpl >"$dir/nginx.conf"
	"$NGINX_BIN" -t -q -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" ||
		die "nginx -t rejected the generated config for $name"
	start "$name" "$port" "$NGINX_BIN" -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf"
	READY_OF[$name]="http://127.0.0.1:$port/ any"
	LOG_OF[$name-error]=$dir/error.log
	# nginx answers every path, so it gets the mapserver's codes: same request shape.
	awk -v loc="$NGINX_LOCATION" '{print $1, loc}' "$MAP_CODES" >"$TMP/$name-codes.txt"
	CODES_OF[$name]=$TMP/$name-codes.txt
}

if has_target nginx; then
	start_nginx nginx '# keep-alive: nginx defaults (keepalive_requests 1000, keepalive_timeout 75s)'
	DESC_OF[nginx]="$NGINX_VERSION, \`return 302\`, worker_processes $NGINX_WORKERS$( [[ $NGINX_WORKERS != auto ]] || echo " ($NPROC)"), access_log off, default keep-alive (keepalive_requests 1000): the acceptance baseline"
fi

if has_target nginx-ka; then
	start_nginx nginx-ka 'keepalive_requests 100000000;'
	DESC_OF[nginx-ka]="the same nginx with keepalive_requests 100000000 (wrk's connections are never closed)"
fi

if has_target mapserver; then
	start mapserver "$MAPSERVER_PORT" "$BIN/mapserver" -addr "127.0.0.1:$MAPSERVER_PORT" -codes "$LINKS"
	CODES_OF[mapserver]=$MAP_CODES
	READY_OF[mapserver]="http://127.0.0.1:$MAPSERVER_PORT/readyz 200"
	DESC_OF[mapserver]="bench/mapserver: net/http, 302 from a map of $LINKS codes"
fi

if has_target fastmap; then
	start fastmap "$FASTMAP_PORT" "$BIN/mapserver" -engine fasthttp -addr "127.0.0.1:$FASTMAP_PORT" -codes "$LINKS"
	CODES_OF[fastmap]=$MAP_CODES
	READY_OF[fastmap]="http://127.0.0.1:$FASTMAP_PORT/readyz 200"
	DESC_OF[fastmap]="bench/mapserver -engine fasthttp: the same handler on fasthttp (tiny's engine), 302 from a map of $LINKS codes"
fi

# tiny and tiny-base: the same `tiny serve` setup, each with its own port,
# SQLite file and links. One API key serves both (each seeds it in its own file).
TINY_INITIAL_API_KEY=${TINY_INITIAL_API_KEY:-bench-key-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')}
export TINY_INITIAL_API_KEY BENCH_BIN=$BIN LINKS
tiny_url() { echo "http://127.0.0.1:${PORT_OF[$1]}"; }

# start_tiny NAME BINARY [ARGS...]: `tiny serve` on a fresh SQLite file in the temp dir.
start_tiny() {
	local name=$1 binary=$2 port=${PORT_OF[$1]} extra=()
	shift 2
	read -ra extra <<<"$TINY_EXTRA_ARGS"
	extra+=("$@")
	start "$name" "$port" "$binary" serve --addr "127.0.0.1:$port" --database "$TMP/$name.db" \
		--base-url "$(tiny_url "$name")" "${extra[@]}"
	READY_OF[$name]="$(tiny_url "$name")/readyz 200"
}

if has_target tiny; then
	if ((STANDIN)); then
		log "tiny target is a STAND-IN: $TINY_CMD"
		start tiny "$TINY_PORT" env TINY_ADDR="127.0.0.1:$TINY_PORT" TINY_PORT="$TINY_PORT" TINY_DB="$TMP/tiny.db" \
			TINY_BASE_URL="$(tiny_url tiny)" bash -c "exec $TINY_CMD"
		READY_OF[tiny]="$(tiny_url tiny)/readyz 200"
		DESC_OF[tiny]="STAND-IN, not tiny: \`$TINY_CMD\`"
	else
		start_tiny tiny "$BIN/tiny"
		DESC_OF[tiny]="\`tiny serve\` at commit $commit on SQLite, $LINKS links via the bulk API, cache warmed${TINY_EXTRA_ARGS:+, args: $TINY_EXTRA_ARGS}"
	fi
fi
if has_target tiny-noclick; then
	start_tiny tiny-noclick "$BIN/tiny" --analytics=false
	DESC_OF[tiny-noclick]="the same \`tiny serve\` with --analytics=false: no click recorded"
fi
if has_target tiny-base; then
	start_tiny tiny-base "$BIN/tiny-base"
	DESC_OF[tiny-base]="the same \`tiny serve\` setup, built from BASE_REF=$BASE_REF = commit $base_desc"
fi

for t in "${TARGET_LIST[@]}"; do
	read -r url want <<<"${READY_OF[$t]}"
	wait_ready "$t" "$url" "$want"
done

# --- create the links in tiny ------------------------------------------------

# create_tiny_links NAME: LINKS links in tiny target NAME, their codes in CODES_OF[NAME].
create_tiny_links() {
	local name=$1 out=$TMP/$1-codes.txt from=1 to n status req=$TMP/$1-bulk-req.json resp=$TMP/$1-bulk-resp.json
	: >"$out"
	while ((from <= LINKS)); do
		to=$((from + BULK_BATCH - 1))
		((to <= LINKS)) || to=$LINKS
		n=$((to - from + 1))
		jq -cn --argjson from "$from" --argjson to "$to" \
			'{links: [range($from; $to + 1) | {url: "https://example.com/\(.)"}]}' >"$req"
		status=$(curl -sS --max-time 120 -o "$resp" -w '%{http_code}' -X POST \
			-H "Authorization: Bearer $TINY_INITIAL_API_KEY" -H 'Content-Type: application/json' \
			--data-binary "@$req" "$(tiny_url "$name")/api/v1/links/bulk") || die "$name: bulk create request failed"
		[[ $status == 2?? ]] || die "$name: bulk create answered $status: $(head -c 500 "$resp")"
		jq -e --argjson n "$n" '.created == $n and .failed == 0 and (.results | length) == $n' "$resp" >/dev/null ||
			die "$name: bulk create did not create all $n links: $(head -c 500 "$resp")"
		jq -r --argjson from "$from" '.results[] | "\(.link.code) https://example.com/\(.index + $from)"' \
			"$resp" >>"$out"
		from=$((to + 1))
	done
	[[ $(wc -l <"$out") -eq $LINKS ]] || die "expected $LINKS codes from $name, got $(wc -l <"$out")"
	CODES_OF[$name]=$out
	log "created $LINKS links in $name"
}
for t in tiny tiny-noclick tiny-base; do
	if has_target "$t"; then create_tiny_links "$t"; fi
done

# --- verify (and warm) every target ------------------------------------------

# verify NAME: one verbose request, then every code must answer the expected
# status with the expected Location. For tiny this pass also warms the cache.
verify() {
	local name=$1 base=http://127.0.0.1:${PORT_OF[$1]} codes=${CODES_OF[$1]} want=302 code headers status bad
	[[ $name == tiny* ]] && want=$TINY_EXPECT_STATUS
	code=$(awk 'NR == 1 {print $1}' "$codes")
	headers=$(curl -sS --max-time 5 -o /dev/null -D - "$base/$code" | tr -d '\r') ||
		die "$name: GET /$code failed"
	status=$(awk 'NR == 1 {print $2}' <<<"$headers")
	log "$name: GET /$code -> $(head -n 1 <<<"$headers"); $(grep -i '^location:' <<<"$headers" || echo 'no Location')"
	[[ $status == "$want" ]] || die "$name answered $status for /$code, want $want"
	grep -qi '^location: ..*' <<<"$headers" || die "$name answered without a Location header"

	awk '{printf "url = \"%s/%s\"\noutput = \"/dev/null\"\n", base, $1}' base="$base" "$codes" >"$TMP/curl-$name.cfg"
	curl -s --max-time 300 -K "$TMP/curl-$name.cfg" -w '%{http_code} %{redirect_url}\n' >"$TMP/verify-$name.txt" ||
		die "$name: verification requests failed"
	bad=$(paste -d ' ' "$codes" "$TMP/verify-$name.txt" |
		awk -v want="$want" '$3 != want || $4 != $2 {n++; if (n <= 5) printf "  /%s -> %s %s (want %s %s)\n", $1, $3, $4, want, $2} END {print n + 0}')
	if [[ $(tail -n 1 <<<"$bad") != 0 ]]; then
		log "$name: $(tail -n 1 <<<"$bad") of $(wc -l <"$codes") codes did not redirect as expected, e.g.:"
		sed '$d' <<<"$bad" >&2
		die "$name failed verification"
	fi
	if [[ $name != nginx* ]]; then
		status=$(curl -s -o /dev/null --max-time 5 -w '%{http_code}' "$base/bench-unknown-code")
		[[ $status == 3?? ]] && die "$name redirects an unknown code ($status): it would redirect anything"
		[[ $status == 404 ]] || log "$name: warning: unknown code answered $status, not 404"
	fi
	log "$name: all $(wc -l <"$codes") codes answer $want with the right Location"
}
for t in "${TARGET_LIST[@]}"; do verify "$t"; done

# --- measure -----------------------------------------------------------------

CLK_TCK=$(getconf CLK_TCK)

# proc_ticks PID: user+system CPU ticks of PID and its children (nginx workers).
proc_ticks() {
	local total=0 p stat f kids=()
	mapfile -t kids < <(pgrep -P "$1" || true)
	for p in "$1" "${kids[@]}"; do
		stat=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		stat=${stat##*) }
		read -ra f <<<"$stat"
		total=$((total + f[11] + f[12]))
	done
	echo "$total"
}

# machine_ticks: busy and total CPU ticks of the whole machine.
machine_ticks() {
	local _cpu u n s idle iow irq sirq steal _rest
	read -r _cpu u n s idle iow irq sirq steal _rest </proc/stat
	echo "$((u + n + s + irq + sirq + steal)) $((u + n + s + idle + iow + irq + sirq + steal))"
}

# wait_quiet: before a run, wait up to QUIET_WAIT seconds for a one-second
# sample in which the machine (our servers idle) is at most NOISY_PCT busy.
wait_quiet() {
	local deadline=$((SECONDS + QUIET_WAIT)) a b pct
	while :; do
		read -r -a a < <(machine_ticks)
		sleep 1
		read -r -a b < <(machine_ticks)
		pct=$(((b[0] - a[0]) * 100 / (b[1] - a[1] > 0 ? b[1] - a[1] : 1)))
		((pct > NOISY_PCT)) || return 0
		if ((SECONDS >= deadline)); then
			log "machine still ${pct}% busy after waiting ${QUIET_WAIT}s for quiet; running anyway"
			return 0
		fi
		log "machine ${pct}% busy with other work; waiting for quiet"
		sleep 2
	done
}

# to_us LATENCY: wrk's "850.00us", "1.25ms" or "1.02s" in microseconds.
to_us() { awk -v v="$1" 'BEGIN {
	if (v ~ /us$/) m = 1; else if (v ~ /ms$/) m = 1000; else if (v ~ /s$/) m = 1e6; else { print ""; exit }
	sub(/[mu]?s$/, "", v); printf "%.0f", v * m }'; }

# fmt_us MICROSECONDS: 850us, 1.25ms or 1.02s.
fmt_us() { awk -v v="$1" 'BEGIN { if (v == "") print "n/a"; else if (v < 1000) printf "%.0fus", v; else if (v < 1e6) printf "%.2fms", v / 1000; else printf "%.2fs", v / 1e6 }'; }

# click_counts NAME: "enqueued dropped" from a tiny target's /metrics ("" for
# the others): a click dropped at a full queue costs the server almost
# nothing, so CPU per request is only "with the click recorded" when none is.
click_counts() {
	[[ $1 == tiny* ]] && ((STANDIN == 0 || $1 != tiny)) || return 0
	curl -s --max-time 5 "http://127.0.0.1:${PORT_OF[$1]}/metrics" |
		awk '$1 == "tiny_clicks_enqueued_total" {e = $2} $1 == "tiny_clicks_dropped_total" {d = $2} END {printf "%.0f %.0f", e, d}'
}

# settle_clicks NAME: for a tiny target that records clicks, waits (at most
# 60 s) until it has written every click it queued, then reads its
# statistics once, which makes a store that rolls clicks up later than it
# writes them (SQLite) roll them up: the CPU read after it counts the
# writing of the run's clicks, which goes on after wrk stops.
settle_clicks() {
	[[ $1 == tiny* ]] && ((STANDIN == 0 || $1 != tiny)) || return 0
	local url=http://127.0.0.1:${PORT_OF[$1]} i m
	for ((i = 0; i < 120; i++)); do
		m=$(curl -s --max-time 5 "$url/metrics" | awk '$1 == "tiny_clicks_enqueued_total" {e = $2} $1 == "tiny_clicks_written_total" {w = $2} $1 == "tiny_clicks_failed_total" {f = $2} END {print (e == w + f) ? "settled" : "queued"}')
		[[ $m == settled ]] && break
		sleep 0.5
	done
	[[ $m == settled ]] || log "$1: clicks still queued after 60 s"
	curl -sf -o /dev/null --max-time 30 -H "Authorization: Bearer $TINY_INITIAL_API_KEY" "$url/api/v1/stats" || log "$1: reading its statistics failed"
}

declare -A RPS=() P50=() P99=() P999=() CPU_US=() SRV_CPU=() WRK_CPU=() OTHER_CPU=() CLICKS=()
run_one() {
	local name=$1 round=$2 url=http://127.0.0.1:${PORT_OF[$1]} out=$TMP/wrk-$1-$2.txt
	local t0 t1 srv0 srv1 m0 m1 c0 c1 wall wrk_s non23 sockerr requests
	((QUIET_WAIT == 0)) || wait_quiet
	log "round $round: $name"
	settle_clicks "$name"
	read -r -a c0 <<<"$(click_counts "$name")"
	srv0=$(proc_ticks "${PID_OF[$name]}")
	read -r -a m0 < <(machine_ticks)
	t0=$(date +%s%N)
	{
		TIMEFORMAT='%3U %3S'
		time "${PIN_WRK[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency \
			-s "$ROOT/bench/codes.lua" "$url" -- "${CODES_OF[$name]}" >"$out" 2>&1
	} 2>"$out.time" || die "wrk failed against $name: $(cat "$out")"
	t1=$(date +%s%N)
	read -r -a m1 < <(machine_ticks)
	srv1=$(proc_ticks "${PID_OF[$name]}") # the run's own, for the CPU % columns
	local srv_settled=$srv1
	if ((SETTLE)); then
		settle_clicks "$name"
		srv_settled=$(proc_ticks "${PID_OF[$name]}")
	fi
	kill -0 "${PID_OF[$name]}" 2>/dev/null || die "$name died during the run"
	read -r -a c1 <<<"$(click_counts "$name")"
	CLICKS[$name:$round]=""
	if ((${#c0[@]} == 2 && ${#c1[@]} == 2)); then
		local enq=$((c1[0] - c0[0])) drop=$((c1[1] - c0[1]))
		if ((enq + drop == 0)); then
			CLICKS[$name:$round]="off"
		else
			CLICKS[$name:$round]=$(awk -v e="$enq" -v d="$drop" 'BEGIN {printf "%.1f%%", e / (e + d) * 100}')
		fi
	fi

	RPS[$name:$round]=$(awk '/^Requests\/sec:/ {print $2}' "$out")
	[[ -n ${RPS[$name:$round]} ]] || die "no Requests/sec in wrk output for $name: $(cat "$out")"
	P50[$name:$round]=$(awk '$1 == "50%" {print $2}' "$out")
	P99[$name:$round]=$(to_us "$(awk '$1 == "99%" {print $2}' "$out")")
	P50[$name:$round]=$(to_us "${P50[$name:$round]}")
	P999[$name:$round]=$(awk '$1 == "p99.9" {print $2}' "$out")
	requests=$(awk '/ requests in / {print $1}' "$out")
	[[ $requests =~ ^[1-9][0-9]*$ ]] || die "no request count in wrk output for $name: $(cat "$out")"
	# The server's CPU time over the run, per completed request: what one
	# redirect costs the server, whatever the load generator could drive.
	CPU_US[$name:$round]=$(awk -v t="$((srv_settled - srv0))" -v hz="$CLK_TCK" -v n="$requests" 'BEGIN {printf "%.1f", t / hz / n * 1e6}')
	non23=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$out")
	sockerr=$(awk '/Socket errors:/ {print}' "$out")
	[[ -z $non23 ]] || die "$name answered $non23 non-2xx/3xx responses in round $round; the number is not valid"
	if [[ -n $sockerr ]]; then
		log "$name: $sockerr"
		[[ $sockerr =~ connect\ 0,\ read\ 0,\ write\ 0, ]] || die "$name had socket errors in round $round"
	fi

	wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN {print (b - a) / 1e9}')
	wrk_s=$(awk '{print $1 + $2}' "$out.time")
	SRV_CPU[$name:$round]=$(awk -v t="$((srv1 - srv0))" -v hz="$CLK_TCK" -v w="$wall" 'BEGIN {printf "%.0f", t / hz / w * 100}')
	WRK_CPU[$name:$round]=$(awk -v s="$wrk_s" -v w="$wall" 'BEGIN {printf "%.0f", s / w * 100}')
	OTHER_CPU[$name:$round]=$(awk -v busy="$((m1[0] - m0[0]))" -v tot="$((m1[1] - m0[1]))" \
		-v srv="$((srv1 - srv0))" -v hz="$CLK_TCK" -v wrk="$wrk_s" \
		'BEGIN {o = (busy - srv) / hz - wrk; if (o < 0) o = 0; printf "%.0f", o / (tot / hz) * 100}')
	log "round $round: $name ${RPS[$name:$round]} req/s, ${CPU_US[$name:$round]} CPU us/req, p50 $(fmt_us "${P50[$name:$round]}"), p99 $(fmt_us "${P99[$name:$round]}"), p99.9 $(fmt_us "${P999[$name:$round]}")"
}

# warm_up: the same load for WARMUP, not measured; only its requests/s is logged.
warm_up() {
	local name=$1 out=$TMP/wrk-$1-warmup.txt
	log "warm-up: $name for $WARMUP"
	"${PIN_WRK[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -s "$ROOT/bench/codes.lua" \
		"http://127.0.0.1:${PORT_OF[$name]}" -- "${CODES_OF[$name]}" >"$out" 2>&1 ||
		die "wrk failed against $name during the warm-up: $(cat "$out")"
	log "warm-up: $name $(awk '/^Requests\/sec:/ {print $2}' "$out") req/s (not counted)"
}

STARTED=$(date -u +%FT%TZ)
LOADAVG_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
n_targets=${#TARGET_LIST[@]}
if [[ $WARMUP != 0 ]]; then
	for t in "${TARGET_LIST[@]}"; do
		warm_up "$t"
		((COOLDOWN == 0)) || sleep "$COOLDOWN"
	done
fi
for ((r = 1; r <= ROUNDS; r++)); do
	for ((i = 0; i < n_targets; i++)); do
		run_one "${TARGET_LIST[$(((i + r - 1) % n_targets))]}" "$r"
		((COOLDOWN == 0)) || sleep "$COOLDOWN"
	done
done

# Nothing may have changed under load: check every code again.
for t in "${TARGET_LIST[@]}"; do verify "$t"; done

# --- report ------------------------------------------------------------------

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
ratio() {
	if [[ -n ${1:-} && -n ${2:-} ]]; then
		awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'
	else
		echo "n/a"
	fi
}

# Medians per target: MED (requests/s), MED_CPU, MED_P50, MED_P99, MED_P999.
declare -A MED=() MED_CPU=() MED_P50=() MED_P99=() MED_P999=()
med_of() {
	local -n arr=$1
	local t=$2 r vals=()
	for ((r = 1; r <= ROUNDS; r++)); do [[ -z ${arr[$t:$r]:-} ]] || vals+=("${arr[$t:$r]}"); done
	((${#vals[@]} == 0)) || median "${vals[@]}"
}
for t in "${TARGET_LIST[@]}"; do
	MED[$t]=$(med_of RPS "$t")
	MED_CPU[$t]=$(med_of CPU_US "$t")
	MED_P50[$t]=$(med_of P50 "$t")
	MED_P99[$t]=$(med_of P99 "$t")
	MED_P999[$t]=$(med_of P999 "$t")
done
# p99 target against fastmap: 1.5x pinned at -c8, 2x shared at -c64.
P99_LIMIT=2
[[ $PIN != 1 ]] || P99_LIMIT=1.5

# verdict RATIO OP LIMIT: PASS or MISS (n/a without a ratio).
verdict() {
	[[ $1 != n/a ]] || { echo "n/a"; return; }
	if awk -v x="$1" -v l="$3" -v op="$2" 'BEGIN {exit !(op == "<=" ? x <= l : x >= l)}'; then echo PASS; else echo MISS; fi
}

cpu_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
pin_desc="servers and wrk share all $NPROC CPUs"
[[ $PIN != 1 ]] || pin_desc="each server pinned to CPU 0 (taskset; nginx with $NGINX_WORKERS worker(s)), wrk to CPU 1"

report() {
	local t r i ratio_tm ratio_tn noisy key
	echo "## Redirect throughput, $STARTED"
	echo
	if ((STANDIN)); then
		echo "**The \"tiny\" target in this run is a stand-in, not tiny.**"
		echo
	fi
	echo "- machine: \`nproc\` = $NPROC, $cpu_model, Linux $(uname -r), Debian $(cat /etc/debian_version 2>/dev/null || echo '?'); shared and noisy"
	echo "- tools: $(go version | awk '{print $3}'), $(wrk -v 2>&1 | head -n 1 | awk '{print "wrk", $2}'), $NGINX_VERSION, built from commit $commit$( [[ -z $base_commit ]] || echo "; tiny-base from BASE_REF=$BASE_REF = $base_desc")"
	echo "- load: \`wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency -s bench/codes.lua\` (uniformly random code of $LINKS per request), HTTP/1.1 keep-alive over loopback; $pin_desc"
	echo "- method: $( [[ $WARMUP == 0 ]] || echo "a $WARMUP warm-up of each target, not counted, then ")$ROUNDS rounds, targets interleaved, order rotated each round, ${COOLDOWN}s idle between runs$( ((QUIET_WAIT == 0)) || echo ", then up to ${QUIET_WAIT}s waiting for the machine to be at most ${NOISY_PCT}% busy"); every code checked for 302 + Location before and after"
	for t in "${TARGET_LIST[@]}"; do echo "- $t: ${DESC_OF[$t]}"; done
	echo
	echo "- load average before the rounds: $LOADAVG_BEFORE; after: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
	echo "| round | target | requests/s | server CPU µs/req | p50 | p99 | p99.9 | clicks queued | server CPU | wrk CPU | other load |"
	echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for ((r = 1; r <= ROUNDS; r++)); do
		for ((i = 0; i < n_targets; i++)); do
			t=${TARGET_LIST[$(((i + r - 1) % n_targets))]}
			printf '| %s | %s | %.0f | %s | %s | %s | %s | %s | %s%% | %s%% | %s%% |\n' "$r" "$t" "${RPS[$t:$r]}" "${CPU_US[$t:$r]}" \
				"$(fmt_us "${P50[$t:$r]}")" "$(fmt_us "${P99[$t:$r]}")" "$(fmt_us "${P999[$t:$r]:-}")" "${CLICKS[$t:$r]:-–}" \
				"${SRV_CPU[$t:$r]}" "${WRK_CPU[$t:$r]}" "${OTHER_CPU[$t:$r]}"
		done
	done
	echo
	echo "server CPU µs/req: user + system time of the server process and its children (/proc) over the run$( ((SETTLE)) && echo " and, for tiny, until the run's queued clicks were written and rolled up"), per request wrk completed. clicks queued: the share of the run's clicks tiny queued for writing rather than dropped at a full queue (off: click capture off); below 100% the CPU per request leaves out the dropped clicks' writes. CPU columns: server and wrk in % of one CPU; other load = everything else on the machine, in % of all $NPROC CPUs."
	noisy=0
	for key in "${!OTHER_CPU[@]}"; do ((OTHER_CPU[$key] <= NOISY_PCT)) || noisy=$((noisy + 1)); done
	if ((noisy > 0)); then
		echo "$noisy of $((ROUNDS * n_targets)) runs had other load above ${NOISY_PCT}%: other work competed for the CPUs, so treat the ratios as rough."
	fi
	echo
	echo "| target | median requests/s | median server CPU µs/req | median p50 | median p99 | median p99.9 |"
	echo "|---|---:|---:|---:|---:|---:|"
	for t in "${TARGET_LIST[@]}"; do
		printf '| %s | %.0f | %s | %s | %s | %s |\n' "$t" "${MED[$t]}" "${MED_CPU[$t]}" "$(fmt_us "${MED_P50[$t]}")" \
			"$(fmt_us "${MED_P99[$t]}")" "$(fmt_us "${MED_P999[$t]:-}")"
	done
	echo
	echo "| ratio of medians | value | what it says |"
	echo "|---|---:|---|"
	ratio_tn=$(ratio "${MED[tiny]:-}" "${MED[nginx]:-}")
	ratio_tm=$(ratio "${MED[tiny]:-}" "${MED[mapserver]:-}")
	if has_target tiny-base; then
		echo "| tiny / tiny-base | $(ratio "${MED[tiny]:-}" "${MED[tiny-base]:-}") | this tree ($commit) against BASE_REF ($(git rev-parse --short "$base_commit")): above 1 faster, below 1 slower |"
	fi
	# The same rows for each tiny target; the target and budget lines below are tiny's alone.
	local notes=()
	for t in tiny tiny-base; do
		[[ $t == tiny ]] || has_target "$t" || continue
		if [[ $t == tiny ]]; then
			notes=("acceptance target: >= 0.80 (stock nginx, default keep-alive)"
				"tiny's own work (cache, metrics, click capture) on the same engine"
				"against nginx with keep-alive tuned" "DESIGN.md §1 budget: >= 0.90 (bare net/http)")
		else
			notes=("BASE_REF's build against stock nginx" "BASE_REF's own work on the same engine"
				"BASE_REF's build against nginx with keep-alive tuned" "BASE_REF's build against bare net/http")
		fi
		echo "| $t / nginx | $(ratio "${MED[$t]:-}" "${MED[nginx]:-}") | ${notes[0]} |"
		echo "| $t / fastmap | $(ratio "${MED[$t]:-}" "${MED[fastmap]:-}") | ${notes[1]} |"
		echo "| $t / nginx-ka | $(ratio "${MED[$t]:-}" "${MED[nginx-ka]:-}") | ${notes[2]} |"
		echo "| $t / mapserver | $(ratio "${MED[$t]:-}" "${MED[mapserver]:-}") | ${notes[3]} |"
	done
	echo "| fastmap / nginx | $(ratio "${MED[fastmap]:-}" "${MED[nginx]:-}") | the engine alone against stock nginx |"
	echo "| mapserver / nginx | $(ratio "${MED[mapserver]:-}" "${MED[nginx]:-}") | net/http alone against stock nginx |"
	echo "| nginx / nginx-ka | $(ratio "${MED[nginx]:-}" "${MED[nginx-ka]:-}") | what nginx's default keepalive_requests costs under this load |"
	if has_target tiny-noclick; then
		echo "| tiny-noclick / fastmap | $(ratio "${MED[tiny-noclick]:-}" "${MED[fastmap]:-}") | tiny without click capture, same engine |"
		echo "| tiny-noclick / nginx | $(ratio "${MED[tiny-noclick]:-}" "${MED[nginx]:-}") | tiny without click capture against stock nginx |"
	fi
	local cpu_tf p99_tf p999_tf
	cpu_tf=$(ratio "${MED_CPU[tiny]:-}" "${MED_CPU[fastmap]:-}")
	p99_tf=$(ratio "${MED_P99[tiny]:-}" "${MED_P99[fastmap]:-}")
	p999_tf=$(ratio "${MED_P999[tiny]:-}" "${MED_P999[fastmap]:-}")
	echo
	echo "| cost and tail, ratio of medians | value | target | verdict |"
	echo "|---|---:|---:|---|"
	local lossy=0
	for ((r = 1; r <= ROUNDS; r++)); do
		[[ -z ${CLICKS[tiny:$r]:-} || ${CLICKS[tiny:$r]} == 100.0% || ${CLICKS[tiny:$r]} == off ]] || lossy=$((lossy + 1))
	done
	echo "| server CPU per request, tiny / fastmap | $cpu_tf | <= 1.3 | $(verdict "$cpu_tf" '<=' 1.3)$( ((lossy == 0)) || echo " (tiny dropped clicks in $lossy of $ROUNDS runs: the cost of recording them is understated)") |"
	for t in tiny-noclick nginx; do
		has_target "$t" || continue
		echo "| server CPU per request, $t / fastmap | $(ratio "${MED_CPU[$t]:-}" "${MED_CPU[fastmap]:-}") | (context) | |"
	done
	echo "| p99, tiny / fastmap | $p99_tf | <= $P99_LIMIT | $(verdict "$p99_tf" '<=' "$P99_LIMIT") |"
	echo "| p99.9, tiny / fastmap | $p999_tf | (reported) | |"
	for t in tiny-noclick nginx; do
		has_target "$t" || continue
		echo "| p99, $t / fastmap | $(ratio "${MED_P99[$t]:-}" "${MED_P99[fastmap]:-}") | (context) | |"
	done
	if has_target tiny && has_target nginx; then
		local k=0 rr
		for ((r = 1; r <= ROUNDS; r++)); do
			rr=$(ratio "${RPS[tiny:$r]}" "${RPS[nginx:$r]}")
			[[ $(verdict "$rr" '>=' 0.8) != PASS ]] || k=$((k + 1))
		done
		echo "| rounds with tiny / nginx >= 0.80 | $k of $ROUNDS | | |"
	fi
	if [[ $ratio_tn != n/a || $ratio_tm != n/a ]]; then echo; fi
	if [[ $ratio_tn != n/a ]]; then
		if awk -v x="$ratio_tn" 'BEGIN {exit !(x >= 0.8)}'; then
			echo "Acceptance target (tiny >= 0.80 x nginx, same run): met in this run ($ratio_tn)."
		else
			echo "Acceptance target (tiny >= 0.80 x nginx, same run): NOT met in this run ($ratio_tn)."
		fi
		if [[ $PIN == 1 || $THREADS != 2 || $CONNECTIONS != 64 ]]; then
			echo "Note: the target is judged under \`wrk -t2 -c64\` unpinned; this run ($pin_desc, -t$THREADS -c$CONNECTIONS) is not that configuration."
		fi
		if [[ -n $TINY_EXTRA_ARGS ]]; then
			echo "Note: tiny ran with extra args ($TINY_EXTRA_ARGS); the target is about tiny's defaults (metrics and click capture on)."
		fi
	fi
	if [[ $ratio_tm != n/a ]]; then
		if awk -v x="$ratio_tm" 'BEGIN {exit !(x >= 0.9)}'; then
			echo "DESIGN.md §1 budget (tiny >= 0.90 x mapserver): met in this run ($ratio_tm)."
		else
			echo "DESIGN.md §1 budget (tiny >= 0.90 x mapserver): NOT met in this run ($ratio_tm)."
		fi
	fi
	echo
}

if [[ -n $RESULT_FILE ]]; then
	result_file=$RESULT_FILE
else
	result_file=$ROOT/bench/out/redirect-$(date -u +%F).md
	((STANDIN == 0)) || result_file=${result_file%.md}-standin.md
fi
mkdir -p "$(dirname "$result_file")"
report | tee -a "$result_file"
log "appended to $result_file"
