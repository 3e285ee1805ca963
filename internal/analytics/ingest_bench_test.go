package analytics_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"tiny/internal/analytics"
	"tiny/internal/cputime"
	"tiny/internal/postgres"
	"tiny/internal/sqlite"
	"tiny/internal/testservice"
	"tiny/internal/tiny"
)

var benchBatch = 10_000 // the default --click-batch

// benchLinks creates n links and returns their ids.
func benchLinks(b *testing.B, store tiny.Store, n int) []int64 {
	b.Helper()
	ctx := context.Background()
	first, err := store.LeaseIDs(ctx, int64(n))
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]int64, n)
	for i := range ids {
		id := first + int64(i)
		l := &tiny.Link{ID: id, Code: fmt.Sprintf("b%06d", id), URL: "https://example.com/", Redirect: 302, Status: tiny.StatusActive}
		if err := store.CreateLink(ctx, l); err != nil {
			b.Fatal(err)
		}
		ids[i] = id
	}
	return ids
}

var benchAgents = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0",
	"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36",
	"curl/8.5.0",
	"Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
}

var benchReferrers = []string{"", "https://news.ycombinator.com/item?id=1", "https://www.google.com/", "https://t.co/abc", "https://mail.example.org/inbox"}

func benchClick(i int, ids []int64) analytics.Click {
	return analytics.Click{
		LinkID:    ids[i%len(ids)],
		At:        time.Now(),
		IP:        netip.AddrFrom4([4]byte{198, 51, byte(i >> 8), byte(i)}),
		UserAgent: benchAgents[i%len(benchAgents)],
		Referrer:  benchReferrers[i%len(benchReferrers)],
	}
}

// benchmarkIngest measures the whole click pipeline behind the queue:
// enrichment, batching, and the transaction that appends raw events and
// updates rollups and counters, with clicks spread over links links and
// written in batches of batch. It reports events written per second, and
// the CPU time of the process per event (getrusage: every thread, the
// producer's Record calls included), which unlike the rate does not depend
// on what else the machine runs.
func benchmarkIngest(b *testing.B, store tiny.Store, links, batch int) {
	ids := benchLinks(b, store, links)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	enricher, err := analytics.NewEnricher(analytics.EnricherConfig{Secrets: analytics.SettingSecrets(store), Logger: logger})
	if err != nil {
		b.Fatal(err)
	}
	defer enricher.Close()
	r := analytics.NewRecorder(store, analytics.Config{QueueSize: 1 << 20, BatchSize: batch, FlushInterval: 50 * time.Millisecond, Enricher: enricher, Logger: logger,
		OverloadRest: -1}) // measure the writer's capacity: never rest
	b.ResetTimer()
	cpu0 := cputime.Process()
	r.Start()
	for i := 0; i < b.N; i++ {
		for !r.Record(benchClick(i, ids)) {
			time.Sleep(time.Millisecond) // the queue is full: wait for the writer
		}
	}
	if err := r.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	// A store may roll clicks up after it wrote them (SQLite): statistics
	// make it finish, so its whole cost is counted.
	if _, err := store.ClickStats(context.Background(), tiny.StatsQuery{}); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	cpu := cputime.Process() - cpu0
	st := r.Stats()
	if st.Written != uint64(b.N) || st.Failed != 0 {
		b.Fatalf("written %d, failed %d of %d", st.Written, st.Failed, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/event")
}

// The ingest benchmarks come in two shapes: many clicks per link in a
// batch (200 links, batches of 10,000: a saturated node, whose rollup
// rows are shared by 50 clicks each), and few (1,000 links, batches of
// 2,000: a node paced at 2,000 clicks a second, which writes a batch per
// one-second flush and whose clicks each touch rollup rows of their own).

func BenchmarkIngestSQLite(b *testing.B) {
	benchmarkIngest(b, sqliteForBench(b), 200, benchBatch)
}

func BenchmarkIngestSQLitePaced(b *testing.B) {
	benchmarkIngest(b, sqliteForBench(b), 1000, 10000)
}

func BenchmarkIngestSQLiteFewPerLink(b *testing.B) {
	benchmarkIngest(b, sqliteForBench(b), 1000, 2000)
}

func BenchmarkIngestPostgres(b *testing.B) {
	benchmarkIngest(b, postgresForBench(b), 200, benchBatch)
}

func BenchmarkIngestPostgresFewPerLink(b *testing.B) {
	benchmarkIngest(b, postgresForBench(b), 1000, 2000)
}

func sqliteForBench(b *testing.B) tiny.Store {
	b.Helper()
	store, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "tiny.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	return store
}

// BenchmarkOverload offers clicks ten times faster than the SQLite writer
// takes them, for two seconds, from four producers: the queue stays
// bounded, memory with it, and every click is either enqueued or counted
// as dropped.
func BenchmarkOverload(b *testing.B) {
	store, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "tiny.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	ids := benchLinks(b, store, 200)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	enricher, err := analytics.NewEnricher(analytics.EnricherConfig{Secrets: analytics.SettingSecrets(store), Logger: logger})
	if err != nil {
		b.Fatal(err)
	}
	defer enricher.Close()
	for i := 0; i < b.N; i++ {
		r := analytics.NewRecorder(store, analytics.Config{Enricher: enricher, Logger: logger}) // the default queue of 65,536
		r.Start()
		var before, peak runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		var offered sync.WaitGroup
		var sent [4]int
		deadline := time.Now().Add(2 * time.Second)
		for p := 0; p < 4; p++ {
			offered.Add(1)
			go func(p int) {
				defer offered.Done()
				for n := 0; time.Now().Before(deadline); n++ {
					r.Record(benchClick(n*4+p, ids))
					sent[p]++
				}
			}(p)
		}
		var maxHeap uint64
		for time.Now().Before(deadline) {
			runtime.ReadMemStats(&peak)
			maxHeap = max(maxHeap, peak.HeapInuse)
			time.Sleep(50 * time.Millisecond)
		}
		offered.Wait()
		_ = r.Close(context.Background())
		st := r.Stats()
		total := uint64(sent[0] + sent[1] + sent[2] + sent[3])
		if st.Enqueued+st.Dropped != total {
			b.Fatalf("enqueued %d + dropped %d != offered %d", st.Enqueued, st.Dropped, total)
		}
		b.ReportMetric(float64(total)/2, "offered/s")
		b.ReportMetric(float64(st.Written)/2, "written/s")
		b.ReportMetric(float64(st.Dropped)/float64(total)*100, "%dropped")
		b.ReportMetric(float64(maxHeap-min(maxHeap, before.HeapInuse))/(1<<20), "heap-growth-MB")
	}
}

func postgresForBench(b *testing.B) tiny.Store {
	b.Helper()
	dsn := testservice.PostgresURL(b)
	store, err := postgres.Open(context.Background(), dsn+"&search_path="+benchSchema(b, dsn))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	return store
}

// benchSchema creates an empty schema for one benchmark and drops it after.
func benchSchema(b *testing.B, dsn string) string {
	b.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	schema := fmt.Sprintf("tiny_bench_%d", time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if c, err := pgx.Connect(context.Background(), dsn); err == nil {
			_, _ = c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			c.Close(context.Background())
		}
	})
	return schema
}
