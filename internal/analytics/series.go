package analytics

import (
	"time"

	"tiny/internal/tiny"
)

// Interval is the width of one bucket of a click series.
type Interval string

// The intervals a series can be grouped by.
const (
	Hour  Interval = "hour"
	Day   Interval = "day"
	Week  Interval = "week" // ISO weeks, starting on Monday
	Month Interval = "month"
)

// MaxBuckets bounds a series, so a request cannot ask for a million hours.
const MaxBuckets = 2000

// ParseInterval checks an interval name.
func ParseInterval(s string) (Interval, bool) {
	switch i := Interval(s); i {
	case Hour, Day, Week, Month:
		return i, true
	}
	return "", false
}

// Bucket is one point of a series: the clicks from Start (in the series'
// time zone) to the start of the next bucket.
type Bucket struct {
	Start  time.Time
	Clicks int64
}

// BucketStart returns the start of the bucket that holds t, in loc.
func (i Interval) BucketStart(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	y, m, d := t.Date()
	switch i {
	case Hour:
		return time.Date(y, m, d, t.Hour(), 0, 0, 0, loc)
	case Week:
		offset := (int(t.Weekday()) + 6) % 7 // days since Monday
		return time.Date(y, m, d-offset, 0, 0, 0, 0, loc)
	case Month:
		return time.Date(y, m, 1, 0, 0, 0, 0, loc)
	default:
		return time.Date(y, m, d, 0, 0, 0, 0, loc)
	}
}

func (i Interval) next(t time.Time) time.Time {
	y, m, d := t.Date()
	switch i {
	case Hour:
		// By the clock, not by adding an hour to the wall time, so a day
		// with a DST change still has one bucket per real hour.
		return t.Add(time.Hour)
	case Week:
		return time.Date(y, m, d+7, 0, 0, 0, 0, t.Location())
	case Month:
		return time.Date(y, m+1, 1, 0, 0, 0, 0, t.Location())
	default:
		return time.Date(y, m, d+1, 0, 0, 0, 0, t.Location())
	}
}

// CountBuckets returns how many buckets [from, to) spans in loc.
func (i Interval) CountBuckets(from, to time.Time, loc *time.Location) int {
	n := 0
	for b := i.BucketStart(from, loc); b.Before(to) && n <= MaxBuckets; b = i.next(b) {
		n++
	}
	return n
}

// Series groups hourly counts into buckets of interval in loc, from the
// bucket that holds from up to to, with empty buckets included so a chart
// can draw the gaps.
func Series(hours []tiny.HourCount, from, to time.Time, interval Interval, loc *time.Location) []Bucket {
	return group(hours, from, to, interval, loc,
		func(t time.Time) Bucket { return Bucket{Start: t} },
		func(h tiny.HourCount) time.Time { return h.Hour },
		func(b *Bucket, h tiny.HourCount) { b.Clicks += h.Clicks })
}

// KindBucket is one point of a series by kind: the human clicks, bot
// clicks and link previews from Start to the start of the next bucket.
type KindBucket struct {
	Start                  time.Time
	Humans, Bots, Previews int64
}

// KindSeries is Series for hourly counts by kind.
func KindSeries(hours []tiny.HourKinds, from, to time.Time, interval Interval, loc *time.Location) []KindBucket {
	return group(hours, from, to, interval, loc,
		func(t time.Time) KindBucket { return KindBucket{Start: t} },
		func(h tiny.HourKinds) time.Time { return h.Hour },
		func(b *KindBucket, h tiny.HourKinds) {
			b.Humans += h.Humans
			b.Bots += h.Bots
			b.Previews += h.Previews
		})
}

// group makes a bucket (newBucket) for each interval in loc from the one
// that holds from up to to, and adds each hour to the bucket that holds
// it (hourOf, add).
func group[H, B any](hours []H, from, to time.Time, interval Interval, loc *time.Location,
	newBucket func(time.Time) B, hourOf func(H) time.Time, add func(*B, H)) []B {
	var out []B
	index := make(map[int64]int)
	for b := interval.BucketStart(from, loc); b.Before(to) && len(out) < MaxBuckets; b = interval.next(b) {
		index[b.Unix()] = len(out)
		out = append(out, newBucket(b))
	}
	for _, h := range hours {
		if i, ok := index[interval.BucketStart(hourOf(h), loc).Unix()]; ok {
			add(&out[i], h)
		}
	}
	return out
}
