package web

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"time"

	"tiny/internal/accounts"
	"tiny/internal/analytics"
	"tiny/internal/tiny"
)

// Stats limits and defaults.
const (
	defaultStatsDays = 30
	statsTop         = 10
)

type statsTotals struct {
	Clicks         int64 `json:"clicks"`
	BotClicks      int64 `json:"bot_clicks"`
	Previews       int64 `json:"previews"`
	UniqueVisitors int64 `json:"unique_visitors"`
}

type statsPoint struct {
	Start  time.Time `json:"start"`
	Clicks int64     `json:"clicks"`
}

type statsCount struct {
	Value  string `json:"value"`
	Clicks int64  `json:"clicks"`
}

type statsJSON struct {
	Code        string       `json:"code,omitempty"`
	From        time.Time    `json:"from"`
	To          time.Time    `json:"to"`
	Interval    string       `json:"interval"`
	TZ          string       `json:"tz"`
	IncludeBots bool         `json:"include_bots"`
	Totals      statsTotals  `json:"totals"`
	Series      []statsPoint `json:"series"`
	Referrers   []statsCount `json:"referrers"`
	Countries   []statsCount `json:"countries"`
	Browsers    []statsCount `json:"browsers"`
	OS          []statsCount `json:"os"`
	Devices     []statsCount `json:"devices"`
}

// statsRequest is a parsed stats query string.
type statsRequest struct {
	from, to    time.Time
	interval    analytics.Interval
	loc         *time.Location
	includeBots bool
}

// parseStatsRequest reads from, to (RFC 3339; default the last 30 days),
// interval (hour, day, week or month; default day), tz (an IANA zone;
// default UTC) and include_bots.
func parseStatsRequest(r *http.Request, now time.Time) (statsRequest, error) {
	q := r.URL.Query()
	req := statsRequest{to: now, interval: analytics.Day, loc: time.UTC}
	parseTime := func(field string, into *time.Time) error {
		t, err := timeParam(r, field)
		if !t.IsZero() {
			*into = t
		}
		return err
	}
	if err := parseTime("to", &req.to); err != nil {
		return req, err
	}
	req.from = req.to.AddDate(0, 0, -defaultStatsDays)
	if err := parseTime("from", &req.from); err != nil {
		return req, err
	}
	if !req.from.Before(req.to) {
		return req, tiny.FieldErrorf(tiny.Invalid, "from", "from must be before to")
	}
	if v := q.Get("interval"); v != "" {
		i, ok := analytics.ParseInterval(v)
		if !ok {
			return req, tiny.FieldErrorf(tiny.Invalid, "interval", "interval must be hour, day, week or month")
		}
		req.interval = i
	}
	if v := q.Get("tz"); v != "" {
		loc, err := time.LoadLocation(v)
		if err != nil || v == "Local" {
			return req, tiny.FieldErrorf(tiny.Invalid, "tz", "tz must be an IANA time zone, like Europe/Amsterdam")
		}
		req.loc = loc
	}
	if v := q.Get("include_bots"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return req, tiny.FieldErrorf(tiny.Invalid, "include_bots", "include_bots must be true or false")
		}
		req.includeBots = b
	}
	if n := req.interval.CountBuckets(req.from, req.to, req.loc); n > analytics.MaxBuckets {
		return req, tiny.FieldErrorf(tiny.Invalid, "interval", "the range holds more than %d %ss; choose a longer interval or a shorter range", analytics.MaxBuckets, req.interval)
	}
	return req, nil
}

func (s *Server) linkStats(w http.ResponseWriter, r *http.Request) error {
	l, err := s.links.GetFor(r.Context(), currentPrincipal(r), r.PathValue("code"), accounts.ReadStats)
	if err != nil {
		return err
	}
	return s.writeStats(w, r, l)
}

// instanceStats is linkStats for every link of the instance: the
// statistics of nobody's resource, which the policy gives to admins.
func (s *Server) instanceStats(w http.ResponseWriter, r *http.Request) error {
	if err := currentPrincipal(r).Check(accounts.ReadStats, accounts.Resource{}); err != nil {
		return err
	}
	return s.writeStats(w, r, nil)
}

func (s *Server) writeStats(w http.ResponseWriter, r *http.Request, l *tiny.Link) error {
	req, err := parseStatsRequest(r, s.now())
	if err != nil {
		return err
	}
	// The rollups are hourly: the hour that holds `to` is included.
	q := tiny.StatsQuery{From: req.from, To: ceilHour(req.to), IncludeBots: req.includeBots, Top: statsTop}
	out := statsJSON{From: req.from, To: req.to, Interval: string(req.interval), TZ: req.loc.String(), IncludeBots: req.includeBots}
	if l != nil {
		q.LinkID, out.Code = l.ID, l.Code
	}
	st, err := s.store.ClickStats(r.Context(), q)
	if err != nil {
		return err
	}
	out.Totals = statsTotals{Clicks: st.Clicks, BotClicks: st.BotClicks, Previews: st.Previews, UniqueVisitors: st.UniqueVisitors}
	for _, b := range analytics.Series(st.Hours, req.from, req.to, req.interval, req.loc) {
		out.Series = append(out.Series, statsPoint{Start: b.Start, Clicks: b.Clicks})
	}
	counts := func(cs []tiny.Count) []statsCount {
		out := make([]statsCount, 0, len(cs))
		for _, c := range cs {
			out = append(out, statsCount{Value: c.Value, Clicks: c.Clicks})
		}
		return out
	}
	out.Referrers, out.Countries, out.Browsers, out.OS, out.Devices =
		counts(st.Referrers), counts(st.Countries), counts(st.Browsers), counts(st.OS), counts(st.Devices)
	if out.Series == nil {
		out.Series = []statsPoint{}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// clicksCSV streams the raw click events of a link as CSV.
func (s *Server) clicksCSV(w http.ResponseWriter, r *http.Request) error {
	l, err := s.links.GetFor(r.Context(), currentPrincipal(r), r.PathValue("code"), accounts.ReadStats)
	if err != nil {
		return err
	}
	req, err := parseStatsRequest(r, s.now())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+l.Code+`-clicks.csv"`)
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"time", "kind", "visitor", "referrer", "country", "city", "browser", "os", "device"})
	err = s.store.Clicks(r.Context(), l.ID, req.from, req.to, func(e tiny.ClickEvent) error {
		return cw.Write([]string{
			e.At.UTC().Format(time.RFC3339Nano), string(e.Kind), strconv.FormatUint(e.Visitor, 16),
			csvSafe(e.Referrer), csvSafe(e.Country), csvSafe(e.City), csvSafe(e.Browser), csvSafe(e.OS), csvSafe(e.Device),
		})
	})
	cw.Flush()
	if err != nil {
		// The header is sent; all that is left is to cut the body short.
		s.log.ErrorContext(r.Context(), "exporting clicks failed", "request_id", requestID(r.Context()), "err", err)
	}
	return nil
}

// csvSafe defuses values a spreadsheet would run as a formula.
func csvSafe(v string) string {
	if v != "" && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@') {
		return "'" + v
	}
	return v
}

// ceilHour rounds t up to a whole hour.
func ceilHour(t time.Time) time.Time {
	if h := t.Truncate(time.Hour); !h.Equal(t) {
		return h.Add(time.Hour)
	}
	return t
}
