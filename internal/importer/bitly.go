package importer

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
)

// Bitly's API v4 lists a group's links at /v4/groups/{guid}/bitlinks,
// authenticated by a bearer token, a page at a time; each page names the
// next in pagination.next (a full URL, "" on the last page):
//
//	{"links": [{"id": "bit.ly/abc", "link": "https://bit.ly/abc",
//	  "long_url", "title", "tags", "created_at": "2019-03-04T10:20:30+0000",
//	  "custom_bitlinks": ["https://go.example/spring"], "archived"}, …],
//	 "pagination": {"next", "size", "page", "total"}}
//
// A link answers under its bitlink and under each custom back-half, so
// each of those names becomes a link of its own (the clicks go with the
// first). Only links on a custom domain can move: bit.ly itself will
// never point at tiny.

// bitlyPageSize is how many links a page asks for (Bitly's most).
const bitlyPageSize = 100

// BitlyConfig configures the Bitly API reader.
type BitlyConfig struct {
	APIConfig // BaseURL is https://api-ssl.bitly.com when empty
	Group     string
	// Clicks asks each link's click summary (all time) as well: one more
	// request per link, so it is off by default.
	Clicks bool
}

type bitlyLink struct {
	ID             string   `json:"id"`
	Link           string   `json:"link"`
	LongURL        string   `json:"long_url"`
	Title          string   `json:"title"`
	Tags           []string `json:"tags"`
	CreatedAt      string   `json:"created_at"`
	CustomBitlinks []string `json:"custom_bitlinks"`
}

type bitlyPage struct {
	Links      []bitlyLink `json:"links"`
	Pagination struct {
		Next  string `json:"next"`
		Total int64  `json:"total"`
	} `json:"pagination"`
}

// NewBitlyAPI returns a reader of every link of a Bitly group.
func NewBitlyAPI(cfg BitlyConfig) (Reader, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = "https://api-ssl.bitly.com"
	}
	a, err := newAPI(cfg.APIConfig, func(h http.Header, token string) { h.Set("Authorization", "Bearer "+token) })
	if err != nil {
		return nil, err
	}
	next := a.endpoint("/v4/groups/"+url.PathEscape(cfg.Group)+"/bitlinks", url.Values{"size": {strconv.Itoa(bitlyPageSize)}})
	var p *paged
	p = newPaged(func(ctx context.Context) ([]item, bool, error) {
		var resp bitlyPage
		if err := a.get(ctx, next, &resp); err != nil {
			return nil, false, err
		}
		p.total.Store(resp.Pagination.Total)
		var items []item
		for _, l := range resp.Links {
			var clicks int64
			if cfg.Clicks {
				var sum struct {
					TotalClicks count `json:"total_clicks"`
				}
				q := url.Values{"unit": {"day"}, "units": {"-1"}}
				if err := a.get(ctx, a.endpoint("/v4/bitlinks/"+l.ID+"/clicks/summary", q), &sum); err != nil {
					return nil, false, err
				}
				clicks = int64(sum.TotalClicks)
			}
			items = append(items, bitlyItems(p.nextRow(), l.Link, l.CustomBitlinks, l.LongURL, l.Title, l.Tags, l.CreatedAt, clicks)...)
		}
		if resp.Pagination.Next == "" {
			return items, false, nil
		}
		if next, err = url.Parse(resp.Pagination.Next); err != nil {
			return nil, false, fatalf("pagination.next is not a URL")
		}
		return items, true, nil
	})
	return p, nil
}

// bitlyItems returns the records of one Bitly link, one per name it
// answers under, all at row.
func bitlyItems(row int64, link string, custom []string, longURL, title string, tags []string, created string, clicks int64) []item {
	at, err := parseTime(created)
	if err != nil {
		return []item{{err: rowErrorf(row, lastSegment(link), "created_at: %v", err)}}
	}
	var slugs []string
	for _, name := range append([]string{link}, custom...) {
		if s := lastSegment(name); s != "" && !slices.Contains(slugs, s) {
			slugs = append(slugs, s)
		}
	}
	if len(slugs) == 0 {
		slugs = []string{""}
	}
	items := make([]item, len(slugs))
	for i, slug := range slugs {
		items[i] = item{rec: &Record{Row: row, Slug: slug, URL: longURL, Title: title, Tags: tags,
			CreatedAt: at, Clicks: clicks, Redirect: 301}}
		clicks = 0 // counted once, on the first name
	}
	return items
}

// BitlyCSV reads the CSV of links that Bitly's web app exports. Its
// column names have changed over the years ("long_url" or "Long URL",
// "link" or "Bitlink", …); the reader takes any of the known spellings.
// Custom back-halves in one field are separated by spaces, commas or '|'.
type BitlyCSV struct {
	t   *table
	buf []item
}

var bitlyColumns = map[string][]string{
	"url":     {"longurl", "destinationurl", "destination", "originalurl"},
	"link":    {"link", "bitlink", "shortlink", "shorturl", "id"},
	"custom":  {"custombitlinks", "custombitlink", "custombackhalf", "custombackhalves"},
	"title":   {"title"},
	"tags":    {"tags"},
	"created": {"createdat", "datecreated", "created", "creationdate"},
	"clicks":  {"clicks", "totalclicks", "engagements", "totalengagements"},
}

// NewBitlyCSV returns a reader of a Bitly link export.
func NewBitlyCSV(r io.Reader) *BitlyCSV { return &BitlyCSV{t: newTable(r, bitlyColumns)} }

// Next implements Reader.
func (c *BitlyCSV) Next(ctx context.Context) (*Record, error) {
	for len(c.buf) == 0 {
		t := c.t
		row, err := nextRow(ctx, t, "url")
		if err != nil {
			return nil, err
		}
		clicks, err := parseCount(t.get(row, "clicks"))
		if err != nil {
			return nil, rowErrorf(t.row, lastSegment(t.get(row, "link")), "clicks: %v", err)
		}
		c.buf = bitlyItems(t.row, t.get(row, "link"), splitTags(t.get(row, "custom"), ", |"), t.get(row, "url"),
			t.get(row, "title"), splitTags(t.get(row, "tags"), ",|"), t.get(row, "created"), clicks)
	}
	it := c.buf[0]
	c.buf = c.buf[1:]
	if it.err != nil {
		return nil, it.err
	}
	return it.rec, nil
}
