package analytics

import (
	"testing"
	"time"

	"tiny/internal/tiny"
)

func TestSeries(t *testing.T) {
	amsterdam, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Skipf("no time zone database: %v", err)
	}
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	hours := []tiny.HourCount{
		{Hour: utc("2026-03-28T22:00:00Z"), Clicks: 1}, // 23:00 in Amsterdam, Saturday 28 March
		{Hour: utc("2026-03-28T23:00:00Z"), Clicks: 2}, // 00:00 on Sunday 29 March, the DST day
		{Hour: utc("2026-03-29T12:00:00Z"), Clicks: 4},
		{Hour: utc("2026-03-30T08:00:00Z"), Clicks: 8}, // Monday: a new ISO week
		{Hour: utc("2026-04-01T08:00:00Z"), Clicks: 16},
	}
	from, to := utc("2026-03-28T00:00:00Z"), utc("2026-04-02T00:00:00Z")
	tests := []struct {
		interval Interval
		loc      *time.Location
		want     map[string]int64 // bucket start (RFC 3339 in loc) → clicks, for non-empty buckets
		buckets  int
	}{
		{Day, time.UTC, map[string]int64{"2026-03-28T00:00:00Z": 3, "2026-03-29T00:00:00Z": 4, "2026-03-30T00:00:00Z": 8, "2026-04-01T00:00:00Z": 16}, 5},
		{Day, amsterdam, map[string]int64{"2026-03-28T00:00:00+01:00": 1, "2026-03-29T00:00:00+01:00": 6, "2026-03-30T00:00:00+02:00": 8, "2026-04-01T00:00:00+02:00": 16}, 6},
		{Week, amsterdam, map[string]int64{"2026-03-23T00:00:00+01:00": 7, "2026-03-30T00:00:00+02:00": 24}, 2},
		{Month, time.UTC, map[string]int64{"2026-03-01T00:00:00Z": 15, "2026-04-01T00:00:00Z": 16}, 2},
		{Hour, time.UTC, map[string]int64{"2026-03-28T22:00:00Z": 1, "2026-03-28T23:00:00Z": 2, "2026-03-29T12:00:00Z": 4, "2026-03-30T08:00:00Z": 8, "2026-04-01T08:00:00Z": 16}, 120},
	}
	for _, tt := range tests {
		got := Series(hours, from, to, tt.interval, tt.loc)
		if len(got) != tt.buckets {
			t.Errorf("Series(%s, %s) = %d buckets, want %d", tt.interval, tt.loc, len(got), tt.buckets)
		}
		var total int64
		for _, b := range got {
			total += b.Clicks
			key := b.Start.Format(time.RFC3339)
			if b.Clicks != tt.want[key] {
				t.Errorf("Series(%s, %s)[%s] = %d, want %d", tt.interval, tt.loc, key, b.Clicks, tt.want[key])
			}
		}
		if total != 31 {
			t.Errorf("Series(%s, %s) totals %d, want 31", tt.interval, tt.loc, total)
		}
	}
}

func TestParseInterval(t *testing.T) {
	for _, s := range []string{"hour", "day", "week", "month"} {
		if _, ok := ParseInterval(s); !ok {
			t.Errorf("ParseInterval(%q) = false, want true", s)
		}
	}
	for _, s := range []string{"", "Day", "year", "minute"} {
		if _, ok := ParseInterval(s); ok {
			t.Errorf("ParseInterval(%q) = true, want false", s)
		}
	}
}
