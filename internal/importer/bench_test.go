package importer

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"tiny/internal/cputime"
)

// csvRows generates a CSV file of n rows on the fly, each a link with an
// alias, a title and two tags, so the benchmark needs no file on disk.
type csvRows struct {
	n, i int
	buf  bytes.Buffer
}

func (g *csvRows) Read(p []byte) (int, error) {
	for g.buf.Len() < len(p) && g.i <= g.n {
		if g.i == 0 {
			g.buf.WriteString("url,alias,title,tags\n")
		} else {
			fmt.Fprintf(&g.buf, "https://www.example.org/articles/%d/some-title?utm_source=flyer,old-%d,Article %d,\"news,2019\"\n", g.i, g.i, g.i)
		}
		g.i++
	}
	if g.buf.Len() == 0 {
		return 0, io.EOF
	}
	return g.buf.Read(p)
}

// BenchmarkImportCSV imports 1,000,000 generated rows into SQLite with the
// safety check on (the abuse checker's URL model and a blocklist feed),
// and reports links/s, and the CPU time per link, which a machine shared
// with other work does not change as it changes the wall time. Run it
// once: -bench ImportCSV -benchtime=1x.
func BenchmarkImportCSV(b *testing.B) {
	const rows = 1_000_000
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b)
		b.StartTimer()
		start := cputime.Process()
		sum, err := Run(context.Background(), e.links, e.p, NewCSV(&csvRows{n: rows}), Options{Job: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		cpu += cputime.Process() - start
		if sum.Imported != rows {
			b.Fatalf("Imported = %d, want %d (skipped %v)", sum.Imported, rows, sum.Skipped)
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "links/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(rows*b.N), "cpu-µs/link")
}
