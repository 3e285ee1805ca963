package postgres

import (
	"testing"

	"tiny/internal/storetest"
	"tiny/internal/tiny"
)

// BenchmarkStore runs the store benchmarks both stores share, each on a
// fresh schema of the local PostgreSQL.
func BenchmarkStore(b *testing.B) {
	storetest.Benchmark(b, func(b *testing.B) tiny.Store {
		return openDSN(b, withParams(b, newSchema(b), "pool_max_conns", "8"))
	})
}
