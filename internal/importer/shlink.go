package importer

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// Shlink's REST API lists short URLs at /rest/v3/short-urls, a page at a
// time (page, itemsPerPage), authenticated by the X-Api-Key header:
//
//	{"shortUrls": {"data": [{"shortCode", "longUrl", "dateCreated", "tags",
//	  "title", "visitsSummary": {"total"}, "meta": {"validUntil",
//	  "maxVisits"}, "forwardQuery", "domain"}, …],
//	  "pagination": {"currentPage", "pagesCount", "totalItems"}}}
//
// Older servers send visitsCount instead of visitsSummary. A shortCode
// may hold '/' (Shlink allows multi-segment slugs); tiny's aliases cannot,
// so those rows are reported, not changed.

// shlinkPerPage is how many short URLs a page asks for.
const shlinkPerPage = 100

type shlinkShortURL struct {
	ShortCode     string   `json:"shortCode"`
	LongURL       string   `json:"longUrl"`
	DateCreated   string   `json:"dateCreated"`
	Tags          []string `json:"tags"`
	Title         *string  `json:"title"`
	VisitsCount   count    `json:"visitsCount"`
	VisitsSummary *struct {
		Total count `json:"total"`
	} `json:"visitsSummary"`
	Meta struct {
		ValidUntil *string `json:"validUntil"`
		MaxVisits  *count  `json:"maxVisits"`
	} `json:"meta"`
	ForwardQuery *bool `json:"forwardQuery"`
}

type shlinkPage struct {
	ShortURLs struct {
		Data       []shlinkShortURL `json:"data"`
		Pagination struct {
			CurrentPage int   `json:"currentPage"`
			PagesCount  int   `json:"pagesCount"`
			TotalItems  int64 `json:"totalItems"`
		} `json:"pagination"`
	} `json:"shortUrls"`
}

// NewShlinkAPI returns a reader of every short URL of a Shlink server.
func NewShlinkAPI(cfg APIConfig) (Reader, error) {
	a, err := newAPI(cfg, func(h http.Header, token string) { h.Set("X-Api-Key", token) })
	if err != nil {
		return nil, err
	}
	page := 0
	var p *paged
	p = newPaged(func(ctx context.Context) ([]item, bool, error) {
		page++
		var resp shlinkPage
		q := url.Values{"page": {strconv.Itoa(page)}, "itemsPerPage": {strconv.Itoa(shlinkPerPage)}}
		if err := a.get(ctx, a.endpoint("/rest/v3/short-urls", q), &resp); err != nil {
			return nil, false, err
		}
		pg := resp.ShortURLs.Pagination
		p.total.Store(pg.TotalItems)
		items := make([]item, len(resp.ShortURLs.Data))
		for i, s := range resp.ShortURLs.Data {
			items[i] = s.item(p.nextRow())
		}
		return items, pg.CurrentPage < pg.PagesCount, nil
	})
	return p, nil
}

func (s *shlinkShortURL) item(row int64) item {
	rec := &Record{Row: row, Slug: s.ShortCode, URL: s.LongURL, Tags: s.Tags, Clicks: int64(s.VisitsCount), ForwardQuery: true}
	if s.Title != nil {
		rec.Title = *s.Title
	}
	if s.VisitsSummary != nil {
		rec.Clicks = int64(s.VisitsSummary.Total)
	}
	if s.Meta.MaxVisits != nil {
		rec.MaxClicks = int64(*s.Meta.MaxVisits)
	}
	if s.ForwardQuery != nil {
		rec.ForwardQuery = *s.ForwardQuery
	}
	var err error
	if rec.CreatedAt, err = parseTime(s.DateCreated); err != nil {
		return item{err: rowErrorf(row, s.ShortCode, "dateCreated: %v", err)}
	}
	if s.Meta.ValidUntil != nil {
		if rec.ExpiresAt, err = optTime(*s.Meta.ValidUntil); err != nil {
			return item{err: rowErrorf(row, s.ShortCode, "validUntil: %v", err)}
		}
	}
	return item{rec: rec}
}

// ShlinkCSV reads the CSV of short URLs that Shlink's web client exports:
// createdAt, domain, shortCode, shortUrl, longUrl, title, tags (joined
// with '|') and visits.
type ShlinkCSV struct{ t *table }

var shlinkColumns = map[string][]string{
	"created": {"createdat", "datecreated"}, "code": {"shortcode"}, "short": {"shorturl"},
	"url": {"longurl"}, "title": {"title"}, "tags": {"tags"}, "visits": {"visits", "visitscount"},
}

// NewShlinkCSV returns a reader of a Shlink web client export.
func NewShlinkCSV(r io.Reader) *ShlinkCSV { return &ShlinkCSV{t: newTable(r, shlinkColumns)} }

// Next implements Reader.
func (c *ShlinkCSV) Next(ctx context.Context) (*Record, error) {
	t := c.t
	row, err := nextRow(ctx, t, "url")
	if err != nil {
		return nil, err
	}
	rec := &Record{Row: t.row, URL: t.get(row, "url"), Slug: t.get(row, "code"), Title: t.get(row, "title"),
		Tags: splitTags(t.get(row, "tags"), "|,"), ForwardQuery: true}
	if rec.Slug == "" {
		rec.Slug = lastSegment(t.get(row, "short"))
	}
	if rec.CreatedAt, err = parseTime(t.get(row, "created")); err != nil {
		return nil, rowErrorf(rec.Row, rec.Slug, "createdAt: %v", err)
	}
	if rec.Clicks, err = parseCount(t.get(row, "visits")); err != nil {
		return nil, rowErrorf(rec.Row, rec.Slug, "visits: %v", err)
	}
	return rec, nil
}

// nextRow reads the next data row of t, checking first that ctx is live
// and that the header named the required column.
func nextRow(ctx context.Context, t *table, required string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if t.err == nil && !t.has(required) {
		return nil, fmt.Errorf("the CSV header has no %s column", required)
	}
	return t.next()
}
