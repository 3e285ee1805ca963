package analytics

import (
	"context"
	"net/url"
	"testing"
	"time"

	"tiny/internal/tiny"
)

func TestParseReportRequest(t *testing.T) {
	now := time.Date(2026, 11, 20, 15, 30, 0, 0, time.UTC)
	req, err := ParseReportRequest(url.Values{}, now)
	if err != nil || !req.To.Equal(now) || !req.From.Equal(now.AddDate(0, 0, -DefaultReportDays)) || req.Interval != Day || req.Loc != time.UTC {
		t.Errorf("ParseReportRequest() = %+v, %v; want the last 30 days by day in UTC", req, err)
	}
	for query, field := range map[string]string{
		"from=yesterday": "from",
		"to=2026-01-01T00:00:00Z&from=2026-02-01T00:00:00Z": "from",
		"interval=minute":    "interval",
		"tz=Mars/Olympus":    "tz",
		"tz=Local":           "tz",
		"include_bots=maybe": "include_bots",
		"interval=hour&from=2025-01-01T00:00:00Z": "interval", // more than MaxBuckets hours
	} {
		q, _ := url.ParseQuery(query)
		if _, err := ParseReportRequest(q, now); tiny.ErrorFieldOf(err) != field {
			t.Errorf("ParseReportRequest(%s) = %v, want an error about %s", query, err, field)
		}
	}
}

// statsOf is a StatsReader that answers st and keeps the query.
type statsOf struct {
	st *tiny.ClickStats
	q  *tiny.StatsQuery
}

func (s statsOf) ClickStats(_ context.Context, q tiny.StatsQuery) (*tiny.ClickStats, error) {
	*s.q = q
	return s.st, nil
}

func TestBuildReport(t *testing.T) {
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2026, 11, 3, 10, 20, 0, 0, time.UTC)
	st := &tiny.ClickStats{Clicks: 3, BotClicks: 2, Previews: 1, UniqueVisitors: 2,
		Hours: []tiny.HourCount{{Hour: from.Add(time.Hour), Clicks: 1}, {Hour: to.Truncate(time.Hour), Clicks: 2}},
		Kinds: []tiny.HourKinds{{Hour: from.Add(time.Hour), Humans: 1, Bots: 2}, {Hour: to.Truncate(time.Hour), Humans: 2, Previews: 1}},
	}
	var q tiny.StatsQuery
	rep, err := BuildReport(context.Background(), statsOf{st, &q}, 7, ReportRequest{From: from, To: to, Interval: Day, Loc: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	// The hour that holds To is asked for too.
	if q.LinkID != 7 || !q.To.Equal(time.Date(2026, 11, 3, 11, 0, 0, 0, time.UTC)) || q.Top != ReportTop {
		t.Errorf("BuildReport asked %+v, want link 7 up to 11:00 with the top %d", q, ReportTop)
	}
	if len(rep.Series) != 3 || rep.Series[0].Clicks != 1 || rep.Series[2].Clicks != 2 {
		t.Errorf("BuildReport series = %+v, want 1, 0, 2 over three days", rep.Series)
	}
	if len(rep.Kinds) != 3 || rep.Kinds[0] != (KindBucket{Start: from, Humans: 1, Bots: 2}) || rep.Kinds[2].Previews != 1 {
		t.Errorf("BuildReport kinds = %+v", rep.Kinds)
	}
	if rep.Clicks != 3 || rep.BotClicks != 2 || rep.Previews != 1 || rep.UniqueVisitors != 2 {
		t.Errorf("BuildReport totals = %d, %d, %d, %d; want 3, 2, 1, 2", rep.Clicks, rep.BotClicks, rep.Previews, rep.UniqueVisitors)
	}
}
