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
	req, err := analytics.ParseReportRequest(r.URL.Query(), s.now())
	if err != nil {
		return err
	}
	var linkID int64
	out := statsJSON{}
	if l != nil {
		linkID, out.Code = l.ID, l.Code
	}
	rep, err := analytics.BuildReport(r.Context(), s.store, linkID, req)
	if err != nil {
		return err
	}
	out.From, out.To, out.Interval, out.TZ, out.IncludeBots = req.From, req.To, string(req.Interval), req.Loc.String(), req.IncludeBots
	out.Totals = statsTotals{Clicks: rep.Clicks, BotClicks: rep.BotClicks, Previews: rep.Previews, UniqueVisitors: rep.UniqueVisitors}
	out.Series = make([]statsPoint, 0, len(rep.Series))
	for _, b := range rep.Series {
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
		counts(rep.Referrers), counts(rep.Countries), counts(rep.Browsers), counts(rep.OS), counts(rep.Devices)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// clicksCSV streams the raw click events of a link as CSV.
func (s *Server) clicksCSV(w http.ResponseWriter, r *http.Request) error {
	l, err := s.links.GetFor(r.Context(), currentPrincipal(r), r.PathValue("code"), accounts.ReadStats)
	if err != nil {
		return err
	}
	req, err := analytics.ParseReportRequest(r.URL.Query(), s.now())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+l.Code+`-clicks.csv"`)
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"time", "kind", "visitor", "referrer", "country", "city", "browser", "os", "device"})
	err = s.store.Clicks(r.Context(), l.ID, req.From, req.To, func(e tiny.ClickEvent) error {
		return cw.Write([]string{
			e.At.UTC().Format(time.RFC3339Nano), string(e.Kind), strconv.FormatUint(e.Visitor, 16),
			tiny.CSVSafe(e.Referrer), tiny.CSVSafe(e.Country), tiny.CSVSafe(e.City), tiny.CSVSafe(e.Browser), tiny.CSVSafe(e.OS), tiny.CSVSafe(e.Device),
		})
	})
	cw.Flush()
	if err != nil {
		// The header is sent; all that is left is to cut the body short.
		s.log.ErrorContext(r.Context(), "exporting clicks failed", "request_id", requestID(r.Context()), "err", err)
	}
	return nil
}
