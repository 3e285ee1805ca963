package importer

import (
	"context"
	"fmt"
	"io"
	"strconv"
)

// CSV reads tiny's own import columns, named in a header row in any order:
//
//	url,alias,title,tags,expires_at,max_clicks,redirect
//
// Only url is required. tags are separated by spaces or commas;
// expires_at is RFC 3339 (or "2006-01-02 15:04:05", UTC); redirect is
// 301, 302, 307 or 308. Columns it does not know are ignored; created_at
// and clicks are read when present.
type CSV struct {
	t *table
}

// csvColumns are the columns of CSV and the header spellings accepted.
var csvColumns = map[string][]string{
	"url": {"url"}, "alias": {"alias"}, "title": {"title"}, "tags": {"tags"},
	"expires_at": {"expiresat"}, "max_clicks": {"maxclicks"}, "redirect": {"redirect"},
	"created_at": {"createdat"}, "clicks": {"clicks"},
}

// NewCSV returns a reader of r in tiny's CSV columns.
func NewCSV(r io.Reader) *CSV { return &CSV{t: newTable(r, csvColumns)} }

// Next implements Reader.
func (c *CSV) Next(ctx context.Context) (*Record, error) {
	t := c.t
	row, err := nextRow(ctx, t, "url")
	if err != nil {
		return nil, err
	}
	rec := &Record{Row: t.row, URL: t.get(row, "url"), Slug: t.get(row, "alias"), Title: t.get(row, "title"),
		Tags: splitTags(t.get(row, "tags"), ", \t")}
	bad := func(err error) (*Record, error) { return nil, &RowError{Row: rec.Row, Slug: rec.Slug, Err: err} }
	if rec.ExpiresAt, err = optTime(t.get(row, "expires_at")); err != nil {
		return bad(fmt.Errorf("expires_at: %w", err))
	}
	if rec.CreatedAt, err = parseTime(t.get(row, "created_at")); err != nil {
		return bad(fmt.Errorf("created_at: %w", err))
	}
	if rec.MaxClicks, err = parseCount(t.get(row, "max_clicks")); err != nil {
		return bad(fmt.Errorf("max_clicks: %w", err))
	}
	if rec.Clicks, err = parseCount(t.get(row, "clicks")); err != nil {
		return bad(fmt.Errorf("clicks: %w", err))
	}
	if s := t.get(row, "redirect"); s != "" {
		if rec.Redirect, err = strconv.Atoi(s); err != nil {
			return bad(fmt.Errorf("redirect: %q is not a status", truncate(s)))
		}
	}
	return rec, nil
}
