package web

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"time"

	"tiny/internal/accounts"
	"tiny/internal/shortener"
	"tiny/internal/tiny"
)

// linkJSON is the API representation of a link.
type linkJSON struct {
	Code         string     `json:"code"`
	Alias        string     `json:"alias,omitempty"`
	ShortURL     string     `json:"short_url"`
	URL          string     `json:"url"`
	Title        string     `json:"title"`
	Tags         []string   `json:"tags"`
	Redirect     int        `json:"redirect"`
	CacheSeconds *int       `json:"cache_seconds"`
	ExpiresAt    *time.Time `json:"expires_at"`
	MaxClicks    *int64     `json:"max_clicks"`
	Clicks       int64      `json:"clicks"`
	// ImportedClicks is the count another shortener had, kept apart.
	ImportedClicks int64     `json:"imported_clicks"`
	HasPassword    bool      `json:"has_password"`
	ForwardQuery   bool      `json:"forward_query"`
	Status         string    `json:"status"`
	OwnerID        int64     `json:"owner_id"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

func (s *Server) linkJSON(l *tiny.Link) linkJSON {
	j := linkJSON{
		Code: l.Code, Alias: l.Alias, ShortURL: s.shortURL(l), URL: l.URL, Title: l.Title,
		Tags: l.Tags, Redirect: l.Redirect, CacheSeconds: l.CacheSeconds, ExpiresAt: l.ExpiresAt,
		Clicks: l.Clicks, ImportedClicks: l.ImportedClicks, HasPassword: l.PasswordHash != "", ForwardQuery: l.ForwardQuery,
		Status: string(l.Status), OwnerID: l.OwnerID, CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt,
	}
	if j.Tags == nil {
		j.Tags = []string{}
	}
	if l.MaxClicks > 0 {
		n := l.MaxClicks
		j.MaxClicks = &n
	}
	return j
}

func (s *Server) createLink(w http.ResponseWriter, r *http.Request) error {
	var in shortener.CreateInput
	if err := decodeJSON(w, r, &in, linkBodyLimit); err != nil {
		return err
	}
	passwords := shortener.CountPasswords(in)
	if err := s.limitCreates(w, r, shortener.CreateCost(1, passwords)); err != nil {
		return err
	}
	ctx, stop := s.costlyContext(r, passwords > 0)
	defer stop()
	l, err := s.links.Create(ctx, currentPrincipal(r), in)
	if err != nil {
		return stoppedOr(ctx, err)
	}
	w.Header().Set("Location", "/api/v1/links/"+l.Code)
	writeJSON(w, http.StatusCreated, s.linkJSON(l))
	return nil
}

// MaxBulkLinks is the most links one bulk request may create.
const MaxBulkLinks = 1000

type bulkResult struct {
	Index int          `json:"index"`
	Link  *linkJSON    `json:"link,omitempty"`
	Error *errorDetail `json:"error,omitempty"`
}

func (s *Server) bulkCreateLinks(w http.ResponseWriter, r *http.Request) error {
	// Who may not create links at all is refused once, not per item.
	p := currentPrincipal(r)
	if err := p.Check(accounts.WriteLinks, accounts.Own(p.User.ID)); err != nil {
		return err
	}
	var in struct {
		Links []shortener.CreateInput `json:"links"`
	}
	if err := decodeJSON(w, r, &in, bulkBodyLimit); err != nil {
		return err
	}
	if len(in.Links) == 0 || len(in.Links) > MaxBulkLinks {
		return tiny.FieldErrorf(tiny.Invalid, "links", "send 1 to %d links", MaxBulkLinks)
	}
	passwords := shortener.CountPasswords(in.Links...)
	if passwords > MaxBulkPasswords {
		return tiny.FieldErrorf(tiny.Invalid, "links", "at most %d links of a bulk request may have a password; this one has %d", MaxBulkPasswords, passwords)
	}
	if err := s.limitCreates(w, r, shortener.CreateCost(len(in.Links), passwords)); err != nil {
		return err
	}
	ctx, stop := s.costlyContext(r, true)
	defer stop()
	// The links are stored in one transaction: all of them, or (when the
	// request runs out of time or the client leaves first) none.
	links, errs, err := s.links.CreateMany(ctx, p, in.Links)
	if err != nil {
		return stoppedOr(ctx, err) // the store is failing: stop rather than fail every item
	}
	out := bulkOutput{Results: make([]bulkResult, 0, len(in.Links))}
	for i, err := range errs {
		switch {
		case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
			out.failed(i, stopped(ctx))
		case err != nil:
			out.failed(i, err)
		default:
			out.created(i, s.linkJSON(links[i]))
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// bulkOutput is the answer to a bulk create.
type bulkOutput struct {
	Created int          `json:"created"`
	Failed  int          `json:"failed"`
	Results []bulkResult `json:"results"`
}

func (o *bulkOutput) created(i int, l linkJSON) {
	o.Results = append(o.Results, bulkResult{Index: i, Link: &l})
	o.Created++
}

func (o *bulkOutput) failed(i int, err error) {
	d := detailOf(err)
	o.Results = append(o.Results, bulkResult{Index: i, Error: &d})
	o.Failed++
}

func (s *Server) getLink(w http.ResponseWriter, r *http.Request) error {
	l, err := s.links.Get(r.Context(), currentPrincipal(r), r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.linkJSON(l))
	return nil
}

func (s *Server) updateLink(w http.ResponseWriter, r *http.Request) error {
	var in shortener.UpdateInput
	if err := decodeJSON(w, r, &in, linkBodyLimit); err != nil {
		return err
	}
	hashes := in.Password.Set && in.Password.Value != ""
	if hashes {
		if err := s.limitCreates(w, r, shortener.PasswordCreateWeight); err != nil {
			return err
		}
	}
	ctx, stop := s.costlyContext(r, hashes)
	defer stop()
	l, err := s.links.Update(ctx, currentPrincipal(r), r.PathValue("code"), in)
	if err != nil {
		return stoppedOr(ctx, err)
	}
	writeJSON(w, http.StatusOK, s.linkJSON(l))
	return nil
}

func (s *Server) deleteLink(w http.ResponseWriter, r *http.Request) error {
	if err := s.links.Delete(r.Context(), currentPrincipal(r), r.PathValue("code")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Page sizes of GET /api/v1/links.
const (
	defaultPageSize = 50
	maxPageSize     = 1000
)

func (s *Server) listLinks(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := intParam(r, "limit", defaultPageSize, 1, maxPageSize)
	if err != nil {
		return err
	}
	f := tiny.LinkFilter{Tag: q.Get("tag"), Query: q.Get("q"), Limit: limit}
	if v := q.Get("cursor"); v != "" {
		id, err := decodeCursor(v)
		if err != nil {
			return err
		}
		f.AfterID = id
	}
	// One extra row tells whether there is a next page.
	want := f.Limit
	f.Limit++
	links, err := s.links.List(r.Context(), currentPrincipal(r), f)
	if err != nil {
		return err
	}
	out := struct {
		Links      []linkJSON `json:"links"`
		NextCursor *string    `json:"next_cursor"`
	}{Links: make([]linkJSON, 0, len(links))}
	if len(links) > want {
		links = links[:want]
		c := encodeCursor(links[want-1].ID)
		out.NextCursor = &c
	}
	for _, l := range links {
		out.Links = append(out.Links, s.linkJSON(l))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// Cursors are opaque to clients: the id of the last link of the page.
func encodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(id, 10)))
}

func decodeCursor(c string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		if id, err := strconv.ParseInt(string(b), 10, 64); err == nil && id > 0 {
			return id, nil
		}
	}
	return 0, tiny.FieldErrorf(tiny.Invalid, "cursor", "cursor is not valid; pass next_cursor from the previous page")
}
