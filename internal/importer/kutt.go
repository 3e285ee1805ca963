package importer

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// Kutt's API v2 lists the key owner's links at /api/v2/links, a slice at a
// time (skip, limit), authenticated by the X-API-KEY header:
//
//	{"limit": 50, "skip": 0, "total": 123, "data": [{"id", "address",
//	  "target", "description", "visit_count", "created_at", "expire_in",
//	  "password": false, "banned": false, "link"}, …]}
//
// address is the slug. A link behind a password is skipped (the API only
// says that it has one); a link Kutt banned arrives blocked.

// kuttLimit is how many links a request asks for.
const kuttLimit = 50

type kuttLink struct {
	Address     string  `json:"address"`
	Target      string  `json:"target"`
	Description *string `json:"description"`
	VisitCount  count   `json:"visit_count"`
	CreatedAt   string  `json:"created_at"`
	ExpireIn    *string `json:"expire_in"`
	Password    bool    `json:"password"`
	Banned      bool    `json:"banned"`
}

type kuttPage struct {
	Total count      `json:"total"`
	Data  []kuttLink `json:"data"`
}

// NewKuttAPI returns a reader of every link of a Kutt account.
func NewKuttAPI(cfg APIConfig) (Reader, error) {
	a, err := newAPI(cfg, func(h http.Header, token string) { h.Set("X-API-KEY", token) })
	if err != nil {
		return nil, err
	}
	skip := 0
	var p *paged
	p = newPaged(func(ctx context.Context) ([]item, bool, error) {
		var resp kuttPage
		q := url.Values{"skip": {strconv.Itoa(skip)}, "limit": {strconv.Itoa(kuttLimit)}}
		if err := a.get(ctx, a.endpoint("/api/v2/links", q), &resp); err != nil {
			return nil, false, err
		}
		p.total.Store(int64(resp.Total))
		items := make([]item, len(resp.Data))
		for i, l := range resp.Data {
			items[i] = l.item(p.nextRow())
		}
		skip += len(resp.Data)
		return items, int64(skip) < int64(resp.Total), nil
	})
	return p, nil
}

func (l *kuttLink) item(row int64) item {
	rec := &Record{Row: row, Slug: l.Address, URL: l.Target, Clicks: int64(l.VisitCount), Password: l.Password, Banned: l.Banned}
	if l.Description != nil {
		rec.Title = *l.Description
	}
	var err error
	if rec.CreatedAt, err = parseTime(l.CreatedAt); err != nil {
		return item{err: rowErrorf(row, l.Address, "created_at: %v", err)}
	}
	if l.ExpireIn != nil {
		if rec.ExpiresAt, err = optTime(*l.ExpireIn); err != nil {
			return item{err: rowErrorf(row, l.Address, "expire_in: %v", err)}
		}
	}
	return item{rec: rec}
}
