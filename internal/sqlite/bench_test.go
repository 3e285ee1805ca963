package sqlite

import (
	"context"
	"fmt"
	"testing"
	"time"

	"tiny/internal/storetest"
	"tiny/internal/tiny"
)

const benchLinks = 10_000

// benchDB returns a store holding benchLinks links with ids 1..benchLinks,
// each with two tags.
func benchDB(b *testing.B) (*DB, *tiny.Codec) {
	b.Helper()
	ctx := context.Background()
	db := openTemp(b)
	b.Cleanup(func() { db.Close() })
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
// row by primary key, with its alias and tags.
func BenchmarkLinkByID(b *testing.B) {
	db, _ := benchDB(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	var id int64
	for b.Loop() {
		id = id%benchLinks + 1
		if _, err := db.LinkByID(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLinkByIDParallel is LinkByID from GOMAXPROCS goroutines, which
// share the reader pool.
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

// BenchmarkCreateLink is one create: a write transaction with the alias
// checks, the row and two tags, committed to the WAL.
func BenchmarkCreateLink(b *testing.B) {
	db, codec := benchDB(b)
	ctx := context.Background()
	id := int64(benchLinks)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		id++
		if err := db.CreateLink(ctx, benchLink(codec, id)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkListLinks is one page of 50 links, newest first, with a tag
// filter.
func BenchmarkListLinks(b *testing.B) {
	db, _ := benchDB(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		links, err := db.ListLinks(ctx, tiny.LinkFilter{Tag: "t3", Limit: 50})
		if err != nil || len(links) != 50 {
			b.Fatal(len(links), err)
		}
	}
}

// BenchmarkRecordClicks writes batches of 1000 click events, shaped like
// real traffic (see storetest.ClickBatches), over 100 links: the raw
// events, the rollups and the link counters, one transaction per batch.
func BenchmarkRecordClicks(b *testing.B) {
	ctx := context.Background()
	db := openTemp(b)
	b.Cleanup(func() { db.Close() })
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
	const size = 1000
	batches := storetest.ClickBatches(1, ids, 60, size, time.Now().Add(-time.Hour).Truncate(time.Hour))
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
