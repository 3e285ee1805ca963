package analytics

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"tiny/internal/tiny"
)

// Report defaults and limits, the same for the API and the web app.
const (
	// DefaultReportDays is the range of a report that names none.
	DefaultReportDays = 30
	// ReportTop is how many entries each breakdown of a report keeps.
	ReportTop = 10
)

// ReportRequest says which clicks a report covers and how its series is
// grouped.
type ReportRequest struct {
	// From and To bound the clicks, [From, To).
	From, To time.Time
	// Interval is the width of a bucket of the series, in Loc.
	Interval Interval
	// Loc is the time zone the buckets start in.
	Loc *time.Location
	// IncludeBots adds bot clicks to the series and breakdowns.
	IncludeBots bool
}

// ParseReportRequest reads from, to (RFC 3339; default the last 30 days
// up to now), interval (hour, day, week or month; default day), tz (an
// IANA zone; default UTC) and include_bots. Its errors are Invalid, with
// the field they are about.
func ParseReportRequest(q url.Values, now time.Time) (ReportRequest, error) {
	req := ReportRequest{To: now, Interval: Day, Loc: time.UTC}
	parseTime := func(field string, into *time.Time) error {
		if v := q.Get(field); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return tiny.FieldErrorf(tiny.Invalid, field, "%s must be an RFC 3339 time, like 2026-11-01T00:00:00Z", field)
			}
			*into = t
		}
		return nil
	}
	if err := parseTime("to", &req.To); err != nil {
		return req, err
	}
	req.From = req.To.AddDate(0, 0, -DefaultReportDays)
	if err := parseTime("from", &req.From); err != nil {
		return req, err
	}
	if v := q.Get("interval"); v != "" {
		i, ok := ParseInterval(v)
		if !ok {
			return req, tiny.FieldErrorf(tiny.Invalid, "interval", "interval must be hour, day, week or month")
		}
		req.Interval = i
	}
	if v := q.Get("tz"); v != "" {
		loc, err := ParseZone(v)
		if err != nil {
			return req, err
		}
		req.Loc = loc
	}
	if v := q.Get("include_bots"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return req, tiny.FieldErrorf(tiny.Invalid, "include_bots", "include_bots must be true or false")
		}
		req.IncludeBots = b
	}
	return req, req.Check()
}

// ParseZone reads an IANA time zone name; "Local", the server's zone, is
// not one.
func ParseZone(name string) (*time.Location, error) {
	loc, err := time.LoadLocation(name)
	if err != nil || name == "Local" || name == "" {
		return nil, tiny.FieldErrorf(tiny.Invalid, "tz", "tz must be an IANA time zone, like Europe/Amsterdam")
	}
	return loc, nil
}

// Check refuses an empty range and a series of more than MaxBuckets.
func (req ReportRequest) Check() error {
	if !req.From.Before(req.To) {
		return tiny.FieldErrorf(tiny.Invalid, "from", "from must be before to")
	}
	if n := req.Interval.CountBuckets(req.From, req.To, req.Loc); n > MaxBuckets {
		return tiny.FieldErrorf(tiny.Invalid, "interval", "the range holds more than %d %ss; choose a longer interval or a shorter range", MaxBuckets, req.Interval)
	}
	return nil
}

// StatsReader is the query a report is made from; tiny.Store has it.
type StatsReader interface {
	ClickStats(ctx context.Context, q tiny.StatsQuery) (*tiny.ClickStats, error)
}

// Report is the statistics of a link, or of the instance, over a range:
// what the stats API answers and the link page shows.
type Report struct {
	ReportRequest
	// Clicks, BotClicks and Previews are the totals of each kind;
	// UniqueVisitors counts (UTC day, visitor) pairs of human clicks.
	Clicks, BotClicks, Previews, UniqueVisitors int64
	// Series is the clicks per bucket (humans, and bots if asked for).
	Series []Bucket
	// Kinds is the series with every kind apart.
	Kinds []KindBucket
	// The breakdowns, largest first, at most ReportTop each.
	Referrers, Countries, Browsers, OS, Devices []tiny.Count
}

// BuildReport reads the statistics of the link linkID (0: the whole
// instance) that req selects and groups them into its buckets.
func BuildReport(ctx context.Context, stats StatsReader, linkID int64, req ReportRequest) (*Report, error) {
	// The rollups are hourly: the hour that holds To is included.
	st, err := stats.ClickStats(ctx, StatsQuery(linkID, req.From, req.To, req.IncludeBots, ReportTop))
	if err != nil {
		return nil, err
	}
	return &Report{
		ReportRequest: req,
		Clicks:        st.Clicks, BotClicks: st.BotClicks, Previews: st.Previews, UniqueVisitors: st.UniqueVisitors,
		Series:    Series(st.Hours, req.From, req.To, req.Interval, req.Loc),
		Kinds:     KindSeries(st.Kinds, req.From, req.To, req.Interval, req.Loc),
		Referrers: st.Referrers, Countries: st.Countries, Browsers: st.Browsers, OS: st.OS, Devices: st.Devices,
	}, nil
}
