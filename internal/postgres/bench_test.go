package postgres

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"tiny/internal/storetest"
	"tiny/internal/tiny"
)

const benchLinks = 10_000

// benchDB returns a store on a fresh schema holding benchLinks links with
// ids 1..benchLinks, each with two tags.
func benchDB(b *testing.B) (*DB, *tiny.Codec) {
	b.Helper()
	ctx := context.Background()
	db := openDSN(b, newSchema(b))
	codec, err := tiny.NewCodec([]byte("bench-key-16byte"))
	if err != nil {
		b.Fatal(err)
	}
	first, err := db.LeaseIDs(ctx, benchLinks)
	if err != nil {
		b.Fatal(err)
	}
	for id := first; id < first+benchLinks; id++ {
		if err := db.CreateLink(ctx, benchLink(codec, id)); err != nil {
			b.Fatal(err)
		}
	}
	// Fresh statistics, as autovacuum would have by now in production.
	if _, err := db.pool.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	return db, codec
}

func benchLink(codec *tiny.Codec, id int64) *tiny.Link {
	return &tiny.Link{
		ID:       id,
		Code:     codec.Encode(id),
		OwnerID:  1,
		URL:      fmt.Sprintf("https://example.com/some/longer/path/%d?utm_source=bench", id),
		Title:    "A benchmark link",
		Tags:     []string{"bench", fmt.Sprintf("t%d", id%10)},
		Redirect: tiny.DefaultRedirect,
		Status:   tiny.StatusActive,
	}
}

// BenchmarkLinkByID is the read on the redirect path's cache miss: one
// row by primary key, with its alias and tags, in one round trip.
func BenchmarkLinkByID(b *testing.B) {
	db, _ := benchDB(b)
	ctx := context.Background()
	b.ReportAllocs()
	var id int64
	for b.Loop() {
		id = id%benchLinks + 1
		if _, err := db.LinkByID(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLinkByIDParallel is LinkByID from GOMAXPROCS goroutines, which
// share the pool.
func BenchmarkLinkByIDParallel(b *testing.B) {
	db, _ := benchDB(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var id int64
		for pb.Next() {
			id = id%benchLinks + 1
			if _, err := db.LinkByID(ctx, id); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkCreateLink is one create: a transaction that locks the names,
// checks them, and inserts the row and two tags, in three round trips
// (begin+lock+check, inserts+notify, commit).
func BenchmarkCreateLink(b *testing.B) {
	db, codec := benchDB(b)
	ctx := context.Background()
	id := int64(benchLinks)
	b.ReportAllocs()
	for b.Loop() {
		id++
		if err := db.CreateLink(ctx, benchLink(codec, id)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreateLinkParallel is CreateLink from GOMAXPROCS goroutines.
func BenchmarkCreateLinkParallel(b *testing.B) {
	db, codec := benchDB(b)
	ctx := context.Background()
	first, err := db.LeaseIDs(ctx, 1<<30)
	if err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	next.Store(first - 1)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := db.CreateLink(ctx, benchLink(codec, next.Add(1))); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkListLinks is one page of 50 links, newest first, with a tag
// filter.
func BenchmarkListLinks(b *testing.B) {
	db, _ := benchDB(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		links, err := db.ListLinks(ctx, tiny.LinkFilter{Tag: "t3", Limit: 50})
		if err != nil || len(links) != 50 {
			b.Fatal(len(links), err)
		}
	}
}

// clickBenchDB returns a store on a fresh schema with 100 links, ids
// 1..100, and batches of size click events over them, shaped like real
// traffic (see storetest.ClickBatches).
func clickBenchDB(b *testing.B, size int) (*DB, [][]tiny.ClickEvent) {
	b.Helper()
	ctx := context.Background()
	db := openDSN(b, withParams(b, newSchema(b), "pool_max_conns", "8"))
	codec, err := tiny.NewCodec([]byte("bench-key-16byte"))
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]int64, 100)
	for i := range ids {
		ids[i] = int64(i + 1)
		if err := db.CreateLink(ctx, benchLink(codec, ids[i])); err != nil {
			b.Fatal(err)
		}
	}
	return db, storetest.ClickBatches(1, ids, 60, size, time.Now().Add(-time.Hour).Truncate(time.Hour))
}

// BenchmarkRecordClicks writes batches of 1000 click events over 100
// links: COPY of the raw events, then the rollups and the link counters,
// one transaction per batch.
func BenchmarkRecordClicks(b *testing.B) {
	const size = 1000
	db, batches := clickBenchDB(b, size)
	ctx := context.Background()
	var batch []tiny.ClickEvent
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		batch = storetest.ShiftBatch(batch, batches[n%len(batches)], time.Duration(n/len(batches)*len(batches))*time.Second)
		if err := db.RecordClicks(ctx, batch); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n*size)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkRecordClicksParallel is RecordClicks from four goroutines at
// once, as four nodes flushing their batches: they share the rows of the
// current hour, the instance-wide ones above all.
func BenchmarkRecordClicksParallel(b *testing.B) {
	const size, writers = 1000, 4
	db, batches := clickBenchDB(b, size)
	ctx := context.Background()
	var next atomic.Int64
	b.SetParallelism((writers + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var batch []tiny.ClickEvent
		for pb.Next() {
			n := int(next.Add(1) - 1)
			batch = storetest.ShiftBatch(batch, batches[n%len(batches)], time.Duration(n/len(batches)*len(batches))*time.Second)
			if err := db.RecordClicks(ctx, batch); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(next.Load()*size)/b.Elapsed().Seconds(), "events/s")
}
