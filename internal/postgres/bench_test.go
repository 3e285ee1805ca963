package postgres

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

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
