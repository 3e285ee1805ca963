#!/usr/bin/env bash
# Google Safe Browsing on the create path: the check without and with the
# lists (3 × 1,000,000 prefixes) side by side, the lookup alone, and a full
# update of the three lists from the local protocol server. Appends one
# result block to bench/out/safebrowsing-<UTC date>.md.
#
#   bench/safebrowsing.sh            # ROUNDS=5
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-5}
out=${RESULT_FILE:-bench/out/safebrowsing-$(date -u +%F).md}
tmp=$(mktemp -d /tmp/safebrowsing-bench-XXXX)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/abuse.test" ./internal/abuse
go test -c -o "$tmp/sb.test" ./internal/abuse/safebrowsing
{
	echo "## Google Safe Browsing on the create path, $(date -u '+%F %H:%M') UTC"
	echo
	echo "- machine: nproc=$(nproc), $(go version | cut -d' ' -f3), commit $(git rev-parse --short HEAD)"
	echo "- command: bench/safebrowsing.sh (ROUNDS=$rounds)"
	echo
	echo '```'
	for i in $(seq "$rounds"); do
		echo "## round $i $(date -u +%T) load: $(cut -d' ' -f1-3 /proc/loadavg)"
		(cd internal/abuse && nice -n 10 "$tmp/abuse.test" -test.run '^$' -test.bench 'BenchmarkCheckSafeBrowsing' -test.benchmem | grep '^Benchmark')
		(cd internal/abuse/safebrowsing && nice -n 10 "$tmp/sb.test" -test.run '^$' -test.bench 'BenchmarkLookup' -test.benchmem | grep '^Benchmark')
	done
	echo "## full update $(date -u +%T) load: $(cut -d' ' -f1-3 /proc/loadavg)"
	(cd internal/abuse && nice -n 10 "$tmp/abuse.test" -test.run '^$' -test.bench 'BenchmarkSafeBrowsingFullUpdate' -test.benchtime 3x -test.benchmem | grep '^Benchmark')
	echo '```'
	echo
} | tee -a "$out"
