package storetest

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"tiny/internal/tiny"
)

// benchLinkCount is how many links the link benchmarks start with.
const benchLinkCount = 10_000

// Benchmark runs the benchmarks every store shares, each on a fresh store
// from open, so both stores are measured on the same work:
//
//   - LinkByID: a whole link, one row by primary key with its alias and tags;
//   - LinkTargetByID: what the redirect cache miss reads instead: the
//     six columns of one row a redirect needs;
//   - LinkTargetByIDDeadline: the same under a 2 s deadline, as the
//     redirect asks for it (a context that can end costs some stores more);
//   - LinkByIDParallel: LinkByID from GOMAXPROCS goroutines;
//   - CreateLink: one create, a write transaction with the namespace checks;
//   - CreateLinkParallel: creates from GOMAXPROCS goroutines;
//   - ListLinks: a page of 50 with a tag filter;
//   - RecordClicks: batches of 1000 click events over 100 links, shaped like
//     real traffic (ClickBatches), reported in events/s;
//   - RecordClicksParallel: the same from four writers, as four nodes;
//   - ClickStatsYear: the statistics of a link with a click in every hour
//     of a year (YearOfClicks), over the year from a mid-day hour, as the
//     link page asks for them.
func Benchmark(b *testing.B, open func(b *testing.B) tiny.Store) {
	b.Run("LinkByID", func(b *testing.B) {
		benchReadByID(b, open, func(ctx context.Context, s tiny.Store, id int64) error {
			_, err := s.LinkByID(ctx, id)
			return err
		})
	})
	b.Run("LinkTargetByID", func(b *testing.B) {
		benchReadByID(b, open, func(ctx context.Context, s tiny.Store, id int64) error {
			_, err := s.LinkTargetByID(ctx, id)
			return err
		})
	})
	b.Run("LinkTargetByIDDeadline", func(b *testing.B) {
		benchReadByID(b, open, func(ctx context.Context, s tiny.Store, id int64) error {
			ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			_, err := s.LinkTargetByID(ctx, id)
			return err
		})
	})
	b.Run("LinkByIDParallel", func(b *testing.B) {
		s, _ := seededStore(b, open)
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			var id int64
			for pb.Next() {
				id = id%benchLinkCount + 1
				if _, err := s.LinkByID(ctx, id); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("CreateLink", func(b *testing.B) {
		s, codec := seededStore(b, open)
		ctx := context.Background()
		id := int64(benchLinkCount)
		b.ReportAllocs()
		for b.Loop() {
			id++
			if err := s.CreateLink(ctx, benchLink(codec, id)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("CreateLinkParallel", func(b *testing.B) {
		s, codec := seededStore(b, open)
		ctx := context.Background()
		first, err := s.LeaseIDs(ctx, 1<<30)
		if err != nil {
			b.Fatal(err)
		}
		var next atomic.Int64
		next.Store(first - 1)
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := s.CreateLink(ctx, benchLink(codec, next.Add(1))); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("ListLinks", func(b *testing.B) {
		s, _ := seededStore(b, open)
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			links, err := s.ListLinks(ctx, tiny.LinkFilter{Tag: "t3", Limit: 50})
			if err != nil || len(links) != 50 {
				b.Fatal(len(links), err)
			}
		}
	})
	b.Run("RecordClicks", func(b *testing.B) { benchRecordClicks(b, open, 1) })
	b.Run("RecordClicksParallel", func(b *testing.B) { benchRecordClicks(b, open, 4) })
	b.Run("ClickStatsYear", func(b *testing.B) { benchClickStatsYear(b, open) })
}

// seededStore opens a store holding benchLinkCount links, each with two
// tags, and returns it with the codec of their codes.
func seededStore(b *testing.B, open func(b *testing.B) tiny.Store) (tiny.Store, *tiny.Codec) {
	b.Helper()
	s := open(b)
	codec, err := tiny.NewCodec([]byte("bench-key-16byte"))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	first, err := s.LeaseIDs(ctx, benchLinkCount)
	if err != nil {
		b.Fatal(err)
	}
	for id := first; id < first+benchLinkCount; id++ {
		if err := s.CreateLink(ctx, benchLink(codec, id)); err != nil {
			b.Fatal(err)
		}
	}
	return s, codec
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

// benchLinks creates n links in s and returns their ids.
func benchLinks(b *testing.B, s tiny.Store, n int) []int64 {
	ctx := context.Background()
	codec, err := tiny.NewCodec([]byte("bench-key-16byte"))
	if err != nil {
		b.Fatal(err)
	}
	first, err := s.LeaseIDs(ctx, int64(n))
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = first + int64(i)
		if err := s.CreateLink(ctx, benchLink(codec, ids[i])); err != nil {
			b.Fatal(err)
		}
	}
	return ids
}

// benchRecordClicks writes batches of 1000 events over 100 links from
// writers goroutines and reports events/s.
func benchRecordClicks(b *testing.B, open func(b *testing.B) tiny.Store, writers int) {
	const size = 1000
	s := open(b)
	ctx := context.Background()
	ids := benchLinks(b, s, 100)
	batches := ClickBatches(1, ids, 60, size, time.Now().Add(-time.Hour).Truncate(time.Hour))
	var next atomic.Int64
	b.SetParallelism((writers + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var batch []tiny.ClickEvent
		for pb.Next() {
			n := int(next.Add(1) - 1)
			batch = ShiftBatch(batch, batches[n%len(batches)], time.Duration(n/len(batches)*len(batches))*time.Second)
			if err := s.RecordClicks(ctx, batch); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(next.Load()*size)/b.Elapsed().Seconds(), "events/s")
}

// benchClickStatsYear reads a year of statistics of a busy link.
func benchClickStatsYear(b *testing.B, open func(b *testing.B) tiny.Store) {
	s := open(b)
	ctx := context.Background()
	id := benchLinks(b, s, 1)[0]
	now := time.Now().UTC()
	for batch := range slices.Chunk(YearOfClicks(id, now), 4000) {
		if err := s.RecordClicks(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	// From 23:00 UTC, a midnight in Amsterdam, as the link page asks.
	from := now.AddDate(-1, 0, 0).Truncate(24 * time.Hour).Add(-time.Hour)
	q := tiny.StatsQuery{LinkID: id, From: from, To: now, Top: 10}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.ClickStats(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
}

// benchReadByID reads the seeded links by id in turn, one read per op.
func benchReadByID(b *testing.B, open func(b *testing.B) tiny.Store, read func(ctx context.Context, s tiny.Store, id int64) error) {
	s, _ := seededStore(b, open)
	ctx := context.Background()
	b.ReportAllocs()
	var id int64
	for b.Loop() {
		id = id%benchLinkCount + 1
		if err := read(ctx, s, id); err != nil {
			b.Fatal(err)
		}
	}
}
