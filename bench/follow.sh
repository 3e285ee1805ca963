#!/bin/sh
# What the create path pays for following destinations: BenchmarkEnqueue
# (internal/abuse/follow) beside BenchmarkCheck (internal/abuse, the whole
# create-time check), alternated in ROUNDS rounds so the two see the same
# load. Prints the result block for bench/out.
set -eu
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
go test -c -o /tmp/follow-bench-abuse.test ./internal/abuse/
go test -c -o /tmp/follow-bench-follow.test ./internal/abuse/follow/
i=1
while [ "$i" -le "$ROUNDS" ]; do
	echo "## round $i $(date -u +%H:%M:%S) load: $(cut -d' ' -f1-3 /proc/loadavg)"
	(cd internal/abuse && /tmp/follow-bench-abuse.test -test.run '^$' -test.bench 'BenchmarkCheck$' -test.benchmem) | grep '^Benchmark'
	(cd internal/abuse/follow && /tmp/follow-bench-follow.test -test.run '^$' -test.bench 'BenchmarkEnqueue' -test.benchmem) | grep '^Benchmark'
	i=$((i + 1))
done
rm -f /tmp/follow-bench-abuse.test /tmp/follow-bench-follow.test
