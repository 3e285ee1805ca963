package web

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"tiny/internal/accounts"
	"tiny/internal/tiny"
)

// exportPageSize is how many links the export reads from the store at a
// time: the response streams page by page, so memory stays flat however
// many links there are.
const exportPageSize = 500

// exportColumns are the CSV export's header: the fields of the link JSON,
// in its order, with imported_clicks.
var exportColumns = []string{"code", "alias", "short_url", "url", "title", "tags", "redirect", "cache_seconds",
	"expires_at", "max_clicks", "clicks", "imported_clicks", "has_password", "forward_query", "status",
	"owner_id", "created_at", "updated_at"}

// exportLinks streams every link the caller may read as JSON lines or CSV:
// their own, or with all=true everyone's for those who may read them.
func (s *Server) exportLinks(w http.ResponseWriter, r *http.Request) error {
	format, err := choiceParam(r, "format", "jsonl", "csv")
	if err != nil {
		return err
	}
	all, err := choiceParam(r, "all", "false", "true")
	if err != nil {
		return err
	}
	p := currentPrincipal(r)
	f := tiny.LinkFilter{OwnerID: p.User.ID, Limit: exportPageSize}
	if all == "true" {
		// Everyone's links only for those the policy lets read them.
		if err := p.Check(accounts.ReadLinks, accounts.Resource{}); err != nil {
			return err
		}
		f.OwnerID = 0
	}
	// Check before the first byte, so a refusal is still a JSON error.
	first, err := s.links.List(r.Context(), p, f)
	if err != nil {
		return err
	}
	var write func(l *tiny.Link) error
	var flush func()
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="links.csv"`)
		cw := csv.NewWriter(w)
		_ = cw.Write(exportColumns)
		write = func(l *tiny.Link) error { return cw.Write(s.exportRow(l)) }
		flush = cw.Flush
	} else {
		w.Header().Set("Content-Type", "application/jsonl; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="links.jsonl"`)
		enc := json.NewEncoder(w)
		write = func(l *tiny.Link) error { return enc.Encode(s.linkJSON(l)) }
		flush = func() {}
	}
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	links := first
	for len(links) > 0 {
		// Each page gets the write timeout afresh: a large export takes
		// longer than one, a stalled client is still cut off.
		_ = rc.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
		for _, l := range links {
			if err := write(l); err != nil {
				return nil // the client went away
			}
		}
		flush()
		if len(links) < f.Limit {
			return nil
		}
		f.AfterID = links[len(links)-1].ID
		if links, err = s.links.List(r.Context(), p, f); err != nil {
			// The header is sent; all that is left is to cut the body short.
			s.log.ErrorContext(r.Context(), "exporting links failed", "request_id", requestID(r.Context()), "err", err)
			return nil
		}
	}
	flush()
	return nil
}

// exportRow is a link as a CSV row; text a person typed is defused for
// spreadsheets.
func (s *Server) exportRow(l *tiny.Link) []string {
	j := s.linkJSON(l)
	opt := func(p *int64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatInt(*p, 10)
	}
	cache := ""
	if j.CacheSeconds != nil {
		cache = strconv.Itoa(*j.CacheSeconds)
	}
	expires := ""
	if j.ExpiresAt != nil {
		expires = j.ExpiresAt.UTC().Format(time.RFC3339)
	}
	return []string{j.Code, j.Alias, j.ShortURL, tiny.CSVSafe(j.URL), tiny.CSVSafe(j.Title),
		tiny.CSVSafe(strings.Join(j.Tags, ",")), strconv.Itoa(j.Redirect), cache, expires, opt(j.MaxClicks),
		strconv.FormatInt(j.Clicks, 10), strconv.FormatInt(j.ImportedClicks, 10), strconv.FormatBool(j.HasPassword),
		strconv.FormatBool(j.ForwardQuery), j.Status, strconv.FormatInt(j.OwnerID, 10),
		j.CreatedAt.UTC().Format(time.RFC3339Nano), j.UpdatedAt.UTC().Format(time.RFC3339Nano)}
}
