package importer

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// YOURLS keeps its links in the yourls_url table (the prefix is set at
// install): keyword, url, title, timestamp (a SQL datetime, read as UTC),
// ip and clicks. Its API's stats action lists them newest first:
//
//	yourls-api.php?action=stats&filter=last&limit=N&start=S&format=json&signature=…
//	{"links": {"link_1": {"shorturl": "https://sho.rt/abc", "url", "title",
//	  "timestamp", "ip", "clicks"}, …},
//	 "stats": {"total_links": "12", "total_clicks": "34"},
//	 "statusCode": 200, "message": "success"}
//
// Numbers may come as strings. YOURLS redirects with 301, so the links
// keep that.

// yourlsColumns are the columns of yourls_url in the order YOURLS creates
// them, for a dump that does not name them.
var yourlsColumns = []string{"keyword", "url", "title", "timestamp", "ip", "clicks"}

// yourlsRecord makes the record of one yourls_url row.
func yourlsRecord(row int64, keyword, longURL, title, timestamp, clicks string) (*Record, *RowError) {
	rec := &Record{Row: row, Slug: keyword, URL: longURL, Title: title, Redirect: 301}
	var err error
	if rec.CreatedAt, err = parseTime(timestamp); err != nil {
		return nil, rowErrorf(row, keyword, "timestamp: %v", err)
	}
	if rec.Clicks, err = parseCount(clicks); err != nil {
		return nil, rowErrorf(row, keyword, "clicks: %v", err)
	}
	return rec, nil
}

// YOURLSCSV reads the yourls_url table exported as CSV (phpMyAdmin,
// mysql --batch through a converter, …) with a header row.
type YOURLSCSV struct{ t *table }

// NewYOURLSCSV returns a reader of a yourls_url CSV export.
func NewYOURLSCSV(r io.Reader) *YOURLSCSV {
	names := map[string][]string{}
	for _, c := range yourlsColumns {
		names[c] = []string{c}
	}
	return &YOURLSCSV{t: newTable(r, names)}
}

// Next implements Reader.
func (c *YOURLSCSV) Next(ctx context.Context) (*Record, error) {
	t := c.t
	row, err := nextRow(ctx, t, "url")
	if err != nil {
		return nil, err
	}
	rec, rowErr := yourlsRecord(t.row, t.get(row, "keyword"), t.get(row, "url"), t.get(row, "title"), t.get(row, "timestamp"), t.get(row, "clicks"))
	if rowErr != nil {
		return nil, rowErr
	}
	return rec, nil
}

// YOURLSConfig configures the YOURLS API reader. Token is the signature
// token of the passwordless API; BaseURL the install's root or its
// yourls-api.php.
type YOURLSConfig struct {
	APIConfig
	PageSize int // links per request (500)
}

type yourlsLink struct {
	ShortURL  string `json:"shorturl"`
	URL       string `json:"url"`
	Title     string `json:"title"`
	Timestamp string `json:"timestamp"`
	Clicks    count  `json:"clicks"`
}

type yourlsStats struct {
	Links map[string]yourlsLink `json:"links"`
	Stats struct {
		TotalLinks count `json:"total_links"`
	} `json:"stats"`
}

// NewYOURLSAPI returns a reader of every link of a YOURLS install.
func NewYOURLSAPI(cfg YOURLSConfig) (Reader, error) {
	if cfg.PageSize <= 0 {
		cfg.PageSize = 500
	}
	a, err := newAPI(cfg.APIConfig, func(http.Header, string) {}) // the signature goes in the query
	if err != nil {
		return nil, err
	}
	path := ""
	if !strings.HasSuffix(a.base.Path, ".php") {
		path = "/yourls-api.php"
	}
	start := 0
	var p *paged
	p = newPaged(func(ctx context.Context) ([]item, bool, error) {
		q := url.Values{"action": {"stats"}, "filter": {"last"}, "format": {"json"},
			"limit": {strconv.Itoa(cfg.PageSize)}, "start": {strconv.Itoa(start)}, "signature": {cfg.Token}}
		var resp yourlsStats
		if err := a.get(ctx, a.endpoint(path, q), &resp); err != nil {
			return nil, false, err
		}
		total := int64(resp.Stats.TotalLinks)
		p.total.Store(total)
		items := make([]item, 0, len(resp.Links))
		for _, key := range yourlsKeys(resp.Links) {
			l := resp.Links[key]
			row := p.nextRow()
			rec, rowErr := yourlsRecord(row, lastSegment(l.ShortURL), l.URL, l.Title, l.Timestamp, strconv.FormatInt(int64(l.Clicks), 10))
			items = append(items, item{rec: rec, err: rowErr})
		}
		start += len(resp.Links)
		return items, len(resp.Links) == cfg.PageSize && int64(start) < total, nil
	})
	return p, nil
}

// yourlsKeys returns the keys of a stats answer (link_1, link_2, …) in
// their numeric order, which a JSON object does not keep.
func yourlsKeys(links map[string]yourlsLink) []string {
	keys := make([]string, 0, len(links))
	for k := range links {
		keys = append(keys, k)
	}
	num := func(k string) int {
		n, _ := strconv.Atoi(strings.TrimPrefix(k, "link_"))
		return n
	}
	slices.SortFunc(keys, func(a, b string) int {
		if d := num(a) - num(b); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	return keys
}
