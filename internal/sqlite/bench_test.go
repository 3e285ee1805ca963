package sqlite

import (
	"testing"

	"tiny/internal/storetest"
	"tiny/internal/tiny"
)

// BenchmarkStore runs the store benchmarks both stores share on SQLite
// files in a temporary directory.
func BenchmarkStore(b *testing.B) {
	storetest.Benchmark(b, func(b *testing.B) tiny.Store {
		db := openTemp(b)
		b.Cleanup(func() { db.Close() })
		return db
	})
}
