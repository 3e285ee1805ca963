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
	starts, index := buckets(from, to, interval, loc)
	out := make([]Bucket, len(starts))
	for i, b := range starts {
		out[i].Start = b
	}
	for _, h := range hours {
		if i, ok := index[interval.BucketStart(h.Hour, loc).Unix()]; ok {
			out[i].Clicks += h.Clicks
		}
	}
	return out
}

// KindBucket is one point of a series by kind: the human clicks, bot
// clicks and link previews from Start to the start of the next bucket.
type KindBucket struct {
	Start                  time.Time
	Humans, Bots, Previews int64
}

// KindSeries is Series for hourly counts by kind.
func KindSeries(hours []tiny.HourKinds, from, to time.Time, interval Interval, loc *time.Location) []KindBucket {
	starts, index := buckets(from, to, interval, loc)
	out := make([]KindBucket, len(starts))
	for i, b := range starts {
		out[i].Start = b
	}
	for _, h := range hours {
		if i, ok := index[interval.BucketStart(h.Hour, loc).Unix()]; ok {
			out[i].Humans += h.Humans
			out[i].Bots += h.Bots
			out[i].Previews += h.Previews
		}
	}
	return out
}

// buckets returns the starts of the buckets of interval in loc from the
// one that holds from up to to, and each start's index by unix second.
func buckets(from, to time.Time, interval Interval, loc *time.Location) ([]time.Time, map[int64]int) {
	var starts []time.Time
	index := make(map[int64]int)
	for b := interval.BucketStart(from, loc); b.Before(to) && len(starts) < MaxBuckets; b = interval.next(b) {
		index[b.Unix()] = len(starts)
		starts = append(starts, b)
	}
	return starts, index
}
