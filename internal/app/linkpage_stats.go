package app

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"tiny/internal/analytics"
	"tiny/internal/tiny"
)

// statsRanges are the ranges the link page offers, the first the default
// after statsDefaultRange.
var statsRanges = []struct {
	Value string
	Days  int
	Label string
}{
	{"7d", 7, "Last 7 days"},
	{"30d", 30, "Last 30 days"},
	{"90d", 90, "Last 90 days"},
	{"365d", 365, "Last year"},
}

const statsDefaultRange = "30d"

var statsIntervals = []struct {
	Value analytics.Interval
	Label string
}{
	{analytics.Hour, "By hour"},
	{analytics.Day, "By day"},
	{analytics.Week, "By week"},
	{analytics.Month, "By month"},
}

// tzCookie keeps the viewer's time zone, which linkpage.js reads from the
// browser, so the next page is drawn in it from the start.
const tzCookie = "tiny_tz"

// choice is an option of a select.
type choice struct {
	Value, Label string
	Selected     bool
}

// statsView is the statistics part of a link's page.
type statsView struct {
	*analytics.Report
	// Range, Interval and TZ are the choices the page was drawn with.
	Range, Interval, TZ string
	Ranges, Intervals   []choice
	// Errors are the messages about a choice that could not be used, by
	// field (range, interval, tz); the page is drawn with the default.
	Errors map[string]string
	// Rows are the series as a table, one row a bucket.
	Rows []statsRow
	// Chart is the series for linkpage.js, embedded as JSON.
	Chart chartData
	// Breakdowns are the top referrers, countries and so on.
	Breakdowns []breakdown
	// CSV is the address of the raw clicks of the range.
	CSV string
	// HasClicks is set when the range holds any event at all.
	HasClicks bool
	// Figures are the totals, written for people.
	Figures []figure
}

// figure is a total with its name.
type figure struct{ Label, Value string }

// statsRow is a bucket of the series, as the table shows it.
type statsRow struct {
	Label                  string
	Humans, Bots, Previews int64
}

// chartData is what linkpage.js draws: bucket starts in unix seconds and
// a count of each kind per bucket.
type chartData struct {
	T        []int64 `json:"t"`
	Humans   []int64 `json:"humans"`
	Bots     []int64 `json:"bots"`
	Previews []int64 `json:"previews"`
	TZ       string  `json:"tz"`
	Interval string  `json:"interval"`
}

// breakdown is a top list of one dimension.
type breakdown struct {
	ID, Title, Column string
	Rows              []barRow
}

// barRow is an entry of a breakdown with its share of the human clicks;
// Bar is the share rounded to 5 for the width class of its bar.
type barRow struct {
	Value          string
	Clicks         int64
	Percent, Bar   int
	ValueIsUnknown bool
}

// linkStats reads the range, interval and time zone the page asks for and
// builds the link's report. A choice that cannot be used is reported and
// replaced by the default, so the page always shows figures.
func (a *App) linkStats(r *http.Request, l *tiny.Link) (*statsView, error) {
	q := r.URL.Query()
	v := &statsView{Range: statsDefaultRange, Interval: string(analytics.Day), TZ: "UTC", Errors: map[string]string{}}
	days := 30
	if s := q.Get("range"); s != "" {
		v.Errors["range"] = "Pick one of the ranges."
		for _, o := range statsRanges {
			if o.Value == s {
				v.Range, days = s, o.Days
				delete(v.Errors, "range")
			}
		}
	}
	interval := analytics.Day
	if s := q.Get("interval"); s != "" {
		if i, ok := analytics.ParseInterval(s); ok {
			interval = i
		} else {
			v.Errors["interval"] = "Pick one of the intervals."
		}
	}
	loc := time.UTC
	tz := q.Get("tz")
	if tz == "" {
		if c, err := r.Cookie(tzCookie); err == nil {
			tz, _ = url.QueryUnescape(c.Value)
		}
	}
	if tz != "" && tz != "UTC" {
		if z, err := analytics.ParseZone(tz); err == nil {
			loc = z
		} else if q.Get("tz") != "" {
			v.Errors["tz"] = "Enter a time zone by its name, such as Europe/Amsterdam or America/New_York."
		}
	}
	now := a.cfg.Now()
	req := analytics.ReportRequest{From: now.AddDate(0, 0, -days), To: now, Interval: interval, Loc: loc}
	if err := req.Check(); err != nil {
		v.Errors["interval"] = "By hour, this range has too many points to draw; pick a shorter range or a longer interval."
		req.Interval = analytics.Day
	}
	v.Interval, v.TZ = string(req.Interval), loc.String()
	rep, err := analytics.BuildReport(r.Context(), a.store, l.ID, req)
	if err != nil {
		return nil, err
	}
	v.Report = rep
	v.fill(l)
	return v, nil
}

// fill derives the table, the chart, the breakdowns and the choices from
// the report.
func (v *statsView) fill(l *tiny.Link) {
	rep := v.Report
	for _, o := range statsRanges {
		v.Ranges = append(v.Ranges, choice{Value: o.Value, Label: o.Label, Selected: o.Value == v.Range})
	}
	for _, o := range statsIntervals {
		v.Intervals = append(v.Intervals, choice{Value: string(o.Value), Label: o.Label, Selected: string(o.Value) == v.Interval})
	}
	v.HasClicks = rep.Clicks+rep.BotClicks+rep.Previews > 0
	v.Figures = []figure{
		{"Human clicks", groupDigits(rep.Clicks)}, {"Unique visitors", groupDigits(rep.UniqueVisitors)},
		{"Bot clicks", groupDigits(rep.BotClicks)}, {"Link previews", groupDigits(rep.Previews)},
	}
	n := len(rep.Kinds)
	v.Rows = make([]statsRow, n)
	v.Chart = chartData{T: make([]int64, n), Humans: make([]int64, n), Bots: make([]int64, n), Previews: make([]int64, n), TZ: v.TZ, Interval: v.Interval}
	for i, b := range rep.Kinds {
		v.Rows[i] = statsRow{Label: bucketLabel(b.Start, rep.Interval), Humans: b.Humans, Bots: b.Bots, Previews: b.Previews}
		v.Chart.T[i], v.Chart.Humans[i], v.Chart.Bots[i], v.Chart.Previews[i] = b.Start.Unix(), b.Humans, b.Bots, b.Previews
	}
	v.Breakdowns = []breakdown{
		bars("referrers", "Referrers", "Site", rep.Referrers, rep.Clicks),
		bars("countries", "Countries", "Country", rep.Countries, rep.Clicks),
		bars("browsers", "Browsers", "Browser", rep.Browsers, rep.Clicks),
		bars("os", "Operating systems", "System", rep.OS, rep.Clicks),
		bars("devices", "Devices", "Device", rep.Devices, rep.Clicks),
	}
	csv := url.Values{"from": {rep.From.UTC().Format(time.RFC3339)}, "to": {rep.To.UTC().Format(time.RFC3339)}}
	v.CSV = "/api/v1/links/" + url.PathEscape(l.Code) + "/clicks.csv?" + csv.Encode()
}

// bars turns a breakdown into rows with their share of total.
func bars(id, title, column string, counts []tiny.Count, total int64) breakdown {
	b := breakdown{ID: id, Title: title, Column: column, Rows: make([]barRow, 0, len(counts))}
	for _, c := range counts {
		row := barRow{Value: c.Value, Clicks: c.Clicks}
		switch {
		case c.Value == "" || c.Value == "unknown":
			row.Value, row.ValueIsUnknown = "Unknown", true
		case id == "referrers" && c.Value == "direct":
			row.Value, row.ValueIsUnknown = "Direct, or not said", true
		}
		if total > 0 {
			row.Percent = int((c.Clicks*100 + total/2) / total)
			row.Bar = min((row.Percent+2)/5*5, 100)
		}
		b.Rows = append(b.Rows, row)
	}
	return b
}

// bucketLabel names the bucket that starts at t, in its zone.
func bucketLabel(t time.Time, i analytics.Interval) string {
	switch i {
	case analytics.Hour:
		return t.Format("Mon 2 Jan, 15:04")
	case analytics.Week:
		return "Week of " + t.Format("2 Jan 2006")
	case analytics.Month:
		return t.Format("January 2006")
	}
	return t.Format("Mon 2 Jan 2006")
}

// groupDigits writes n with a comma between groups of three digits.
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
