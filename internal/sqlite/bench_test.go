package sqlite

import (
	"context"
	"fmt"
	"testing"

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
