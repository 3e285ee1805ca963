package sqlite

import (
	"context"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"tiny/internal/cputime"
	"tiny/internal/tiny"
)

// BenchmarkRecordClicksTenMillion measures the click writer's store work on
// a big file: RecordClicks in batches of 50,000 (the click writer process's
// size), each click's link drawn as bench/zipf.lua draws it (Zipf, s = 1.0,
// rank r being the link with id r), and the rollups they lead to. With ten
// million links most clicks of a batch are of links no other click of it
// shares, so each touches rollup rows of its own all over the tables. The
// clicks are people's (they move the links' counters), each of a visitor
// of its own.
//
// It needs the file bench/scale.sh seeds, named by TINY_BENCH_BIG_DB (for
// example /tmp/redirect-10m/links.db), and works on a copy. Before timing it
// writes TINY_BENCH_BIG_PREFILL clicks (default 1,000,000, about what a
// node's first minute at saturation leaves in the rollups). It reports the
// process's CPU per click (getrusage) and clicks/s.
func BenchmarkRecordClicksTenMillion(b *testing.B) {
	src := os.Getenv("TINY_BENCH_BIG_DB")
	if src == "" {
		b.Skip("TINY_BENCH_BIG_DB is not set: it names a file seeded by bench/scale.sh (bench/seedlinks)")
	}
	prefill := 1_000_000
	if s := os.Getenv("TINY_BENCH_BIG_PREFILL"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			b.Fatalf("TINY_BENCH_BIG_PREFILL=%q: want a count", s)
		}
		prefill = n
	}
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "links.db")
	copyFile(b, src, path)
	db, err := Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var links int
	if err := db.reader.QueryRowContext(ctx, `SELECT max(id) FROM links`).Scan(&links); err != nil {
		b.Fatal(err)
	}
	draw := zipfRanks(links, rand.New(rand.NewPCG(1, 2)))
	const batch = 50_000
	write := func(n int) {
		events := make([]tiny.ClickEvent, 0, batch)
		for n > 0 {
			events = events[:0]
			now := time.Now()
			for range min(n, batch) {
				events = append(events, tiny.ClickEvent{LinkID: int64(draw()), At: now, Kind: tiny.VisitorHuman,
					Visitor: rand.Uint64(), Referrer: "direct", Country: "unknown", Browser: "unknown", OS: "unknown", Device: "unknown"})
			}
			if err := db.RecordClicks(ctx, events); err != nil {
				b.Fatal(err)
			}
			n -= len(events)
		}
		// Statistics roll up first: the clicks' whole cost is counted.
		if _, err := db.ClickStats(ctx, tiny.StatsQuery{LinkID: 1}); err != nil {
			b.Fatal(err)
		}
	}
	write(prefill)
	// A sub-benchmark, so that the copy and the prefill are done once: the
	// framework runs a benchmark function with b.N = 1 before the real b.N.
	b.Run("zipf", func(b *testing.B) {
		cpu0 := cputime.Process()
		write(b.N)
		cpu := cputime.Process() - cpu0
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "clicks/s")
		b.ReportMetric(float64(cpu.Nanoseconds())/1e3/float64(b.N), "cpu-µs/click")
	})
}

// zipfRanks draws ranks 1..n as bench/zipf.lua does: the continuous power
// law of exponent 1 on [1, n+1) inverted and rounded down.
func zipfRanks(n int, r *rand.Rand) func() int {
	return func() int {
		return min(int(math.Pow(float64(n+1), r.Float64())), n)
	}
}

// copyFile copies the file src to dst.
func copyFile(b *testing.B, src, dst string) {
	b.Helper()
	in, err := os.Open(src)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
}
