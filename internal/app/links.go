package app

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"tiny/internal/accounts"
	"tiny/internal/shortener"
	"tiny/internal/tiny"
)

// linkRoutes registers the shorten result, the list of links and its bulk actions.
func (a *App) linkRoutes(rt router) {
	rt.page("POST "+linksPath, a.createLink)
	rt.page("GET "+linksPath+"/{code}/created", a.created)
	rt.page("GET "+linksPath, a.listLinks)
	rt.page("POST "+linksPath+"/bulk", a.bulkLinks)
}

// linkRow is a link as the pages show it.
type linkRow struct {
	*tiny.Link
	ShortURL string
	// State is what a visitor gets: the status, or "expired" or "used up".
	State string
	// Owner names the owner, on the everyone's-links view.
	Owner string
}

func (a *App) row(l *tiny.Link, now time.Time) linkRow {
	r := linkRow{Link: l, ShortURL: a.cfg.BaseURL.JoinPath(l.ShortName()).String(), State: string(l.Status)}
	if l.Status == tiny.StatusActive {
		switch {
		case l.ExpiresAt != nil && !l.ExpiresAt.After(now):
			r.State = "expired"
		case l.MaxClicks > 0 && l.Clicks >= l.MaxClicks:
			r.State = "used up"
		}
	}
	return r
}

// createdView shows a new link: what to copy and share.
type createdView struct {
	Page
	Link linkRow
}

func (a *App) created(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	l, err := a.links.Get(r.Context(), p, r.PathValue("code"))
	if err != nil {
		return err
	}
	v := &createdView{Page: Page{Title: "Link created", Section: "home", Flash: TakeFlash(w, r)}, Link: a.row(l, a.cfg.Now())}
	a.views.Render(w, r, http.StatusOK, "created.html", v)
	return nil
}

// linksPageSize is how many links a page of the list shows.
const linksPageSize = 50

// linksView is the list of links with its filters.
type linksView struct {
	Page
	Links []linkRow
	// Q, Tag and Sort are the filters as asked; All shows every owner's
	// links, to those who may see them (CanSeeAll).
	Q, Tag, Sort string
	All          bool
	CanSeeAll    bool
	// First is set on the first page; Next is the query of the next page,
	// "" on the last.
	First bool
	Next  string
	// Self is this page's path and query, for the bulk form to come back to.
	Self string
}

// query is the list's path with its filters and the cursor after.
func (v *linksView) query(after string) string {
	q := url.Values{}
	if v.Q != "" {
		q.Set("q", v.Q)
	}
	if v.Tag != "" {
		q.Set("tag", v.Tag)
	}
	if v.Sort != "" {
		q.Set("sort", v.Sort)
	}
	if v.All {
		q.Set("all", "1")
	}
	if after != "" {
		q.Set("after", after)
	}
	if len(q) == 0 {
		return linksPath
	}
	return linksPath + "?" + q.Encode()
}

// FirstPage is the first page with the same filters.
func (v *linksView) FirstPage() string { return v.query("") }

// TagPage is the list filtered by tag, with the other filters kept.
func (v *linksView) TagPage(tag string) string {
	c := *v
	c.Tag = tag
	return c.query("")
}

func (a *App) listLinks(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	q := r.URL.Query()
	v := &linksView{
		Page: Page{Title: "Your links", Section: "links", Flash: TakeFlash(w, r)},
		Q:    strings.TrimSpace(q.Get("q")), Tag: strings.TrimSpace(q.Get("tag")),
		CanSeeAll: p.Can(accounts.ReadLinks, accounts.Resource{}),
	}
	v.All = v.CanSeeAll && q.Get("all") == "1"
	if v.All {
		v.Title = "Everyone's links"
	}
	f := tiny.LinkFilter{Query: v.Q, Tag: v.Tag, Limit: linksPageSize + 1}
	if q.Get("sort") == "clicks" {
		v.Sort, f.Sort = "clicks", tiny.SortClicks
	}
	if !v.All {
		f.OwnerID = p.User.ID
	}
	var ok bool
	if f.AfterID, f.AfterClicks, ok = parseCursor(q.Get("after"), f.Sort); !ok {
		return tiny.FieldErrorf(tiny.Invalid, "after", "this page of links does not exist; start again from the first page")
	}
	v.First = f.AfterID == 0
	links, err := a.links.List(r.Context(), p, f)
	if err != nil {
		return err
	}
	if len(links) > linksPageSize {
		links = links[:linksPageSize]
		v.Next = v.query(cursorOf(links[len(links)-1], f.Sort))
	}
	now := a.cfg.Now()
	owners := map[int64]string{}
	v.Links = make([]linkRow, len(links))
	for i, l := range links {
		v.Links[i] = a.row(l, now)
		if v.All {
			v.Links[i].Owner = a.ownerName(r, owners, l.OwnerID)
		}
	}
	v.Self = r.URL.RequestURI()
	a.views.Render(w, r, http.StatusOK, "links.html", v)
	return nil
}

// ownerName names a link's owner, once per owner and page.
func (a *App) ownerName(r *http.Request, seen map[int64]string, id int64) string {
	if name, ok := seen[id]; ok {
		return name
	}
	name := "user " + strconv.FormatInt(id, 10)
	if a.store != nil {
		if u, err := a.store.UserByID(r.Context(), id); err == nil {
			switch {
			case u.Email != "":
				name = u.Email
			case u.Name != "":
				name = u.Name
			}
		}
	}
	seen[id] = name
	return name
}

// The cursor of the list is the id of the last link shown; sorted by
// clicks, its clicks too ("clicks.id"): readable, and checked on the way in.
func cursorOf(l *tiny.Link, sort tiny.LinkSort) string {
	if sort == tiny.SortClicks {
		return strconv.FormatInt(l.Clicks, 10) + "." + strconv.FormatInt(l.ID, 10)
	}
	return strconv.FormatInt(l.ID, 10)
}

func parseCursor(c string, sort tiny.LinkSort) (id, clicks int64, ok bool) {
	if c == "" {
		return 0, 0, true
	}
	idPart := c
	if sort == tiny.SortClicks {
		var clicksPart string
		var found bool
		if clicksPart, idPart, found = strings.Cut(c, "."); !found {
			return 0, 0, false
		}
		var err error
		if clicks, err = strconv.ParseInt(clicksPart, 10, 64); err != nil || clicks < 0 {
			return 0, 0, false
		}
	}
	id, err := strconv.ParseInt(idPart, 10, 64)
	return id, clicks, err == nil && id > 0
}

// maxBulkCodes bounds the links of one bulk action: a page holds fewer.
const maxBulkCodes = 200

// bulkLinks applies an action to the checked links. Each link goes
// through the service with the caller, so ownership is checked per link:
// a code of someone else's link is counted as not allowed and left alone.
func (a *App) bulkLinks(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	back := linksPath
	if b := SafeNext(r.PostForm.Get("back")); strings.HasPrefix(b, linksPath) {
		back = b
	}
	codes := r.PostForm["code"]
	action := r.PostForm.Get("action")
	if len(codes) == 0 {
		seeOther(w, r, back, "Check the links to act on first.")
		return nil
	}
	if len(codes) > maxBulkCodes {
		return tiny.Errorf(tiny.Invalid, "pick at most %d links at a time", maxBulkCodes)
	}
	tag := strings.TrimSpace(r.PostForm.Get("tag"))
	var (
		act  func(code string) error
		verb string
	)
	switch action {
	case "export":
		return a.exportLinks(w, r, p, codes)
	case "delete":
		if r.PostForm.Get("confirmed") != "1" {
			return a.confirmDelete(w, r, p, codes, back)
		}
		verb = "deleted"
		act = func(code string) error { return a.links.Delete(r.Context(), p, code) }
	case "tag", "untag":
		if tag == "" {
			seeOther(w, r, back, "Enter the tag to add or remove.")
			return nil
		}
		verb = "tagged “" + tag + "”"
		if action == "untag" {
			verb = "untagged “" + tag + "”"
		}
		act = func(code string) error { return a.retag(r, p, code, tag, action == "tag") }
	default:
		return tiny.Errorf(tiny.Invalid, "pick an action: add a tag, remove a tag, delete or export")
	}
	var done, refused, failed int
	var firstErr string
	for _, code := range codes {
		err := act(code)
		switch tiny.ErrorCodeOf(err) {
		case "":
			done++
		case tiny.Forbidden, tiny.NotFound, tiny.Gone:
			refused++
		case tiny.Internal, tiny.Unavailable:
			return err
		default:
			failed++
			if firstErr == "" {
				firstErr = personMessage(err)
			}
		}
	}
	msg := fmt.Sprintf("%d %s", done, verb)
	if refused > 0 {
		msg += fmt.Sprintf(", %d not allowed", refused)
	}
	if failed > 0 {
		msg += fmt.Sprintf(", %d failed: %s", failed, firstErr)
	}
	seeOther(w, r, back, msg+".")
	return nil
}

// confirmDeleteView asks before links are deleted, for browsers without
// JavaScript (links.js asks in a dialog and sends confirmed=1).
type confirmDeleteView struct {
	Page
	Links []linkRow
	Back  string
}

func (a *App) confirmDelete(w http.ResponseWriter, r *http.Request, p *accounts.Principal, codes []string, back string) error {
	v := &confirmDeleteView{Page: Page{Title: "Delete links?", Section: "links"}, Back: back}
	now := a.cfg.Now()
	for _, code := range codes {
		l, err := a.links.GetFor(r.Context(), p, code, accounts.WriteLinks)
		switch tiny.ErrorCodeOf(err) {
		case "":
			v.Links = append(v.Links, a.row(l, now))
		case tiny.Internal, tiny.Unavailable:
			return err
		}
	}
	if len(v.Links) == 0 {
		seeOther(w, r, back, fmt.Sprintf("0 deleted, %d not allowed.", len(codes)))
		return nil
	}
	a.views.Render(w, r, http.StatusOK, "linksdelete.html", v)
	return nil
}

// retag adds tag to or removes it from the link code stands for.
func (a *App) retag(r *http.Request, p *accounts.Principal, code, tag string, add bool) error {
	l, err := a.links.GetFor(r.Context(), p, code, accounts.WriteLinks)
	if err != nil {
		return err
	}
	tags := make([]string, 0, len(l.Tags)+1)
	has := false
	for _, t := range l.Tags {
		if t == tag {
			has = true
			if !add {
				continue
			}
		}
		tags = append(tags, t)
	}
	if add == has {
		return nil // already as asked
	}
	if add {
		tags = append(tags, tag)
	}
	_, err = a.links.Update(r.Context(), p, code, shortener.UpdateInput{Tags: shortener.Optional[[]string]{Set: true, Value: tags}})
	return err
}

// linkCSVHeader is the header of the links export: every field of a link
// the API shows.
var linkCSVHeader = []string{"code", "alias", "short_url", "url", "title", "tags", "redirect", "cache_seconds",
	"expires_at", "max_clicks", "clicks", "has_password", "forward_query", "status", "owner_id", "created_at", "updated_at"}

// exportLinks answers with the checked links the caller may read, as CSV;
// the others are left out.
func (a *App) exportLinks(w http.ResponseWriter, r *http.Request, p *accounts.Principal, codes []string) error {
	var rows [][]string
	for _, code := range codes {
		l, err := a.links.Get(r.Context(), p, code)
		switch tiny.ErrorCodeOf(err) {
		case "":
		case tiny.Internal, tiny.Unavailable:
			return err
		default:
			continue
		}
		rows = append(rows, a.linkCSV(l))
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="links-`+a.cfg.Now().UTC().Format("2006-01-02")+`.csv"`)
	h.Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	_ = cw.Write(linkCSVHeader)
	_ = cw.WriteAll(rows)
	return nil
}

func (a *App) linkCSV(l *tiny.Link) []string {
	opt := func(ok bool, v string) string {
		if ok {
			return v
		}
		return ""
	}
	cache, expires := "", ""
	if l.CacheSeconds != nil {
		cache = strconv.Itoa(*l.CacheSeconds)
	}
	if l.ExpiresAt != nil {
		expires = l.ExpiresAt.UTC().Format(time.RFC3339)
	}
	return []string{
		l.Code, tiny.CSVSafe(l.Alias), a.cfg.BaseURL.JoinPath(l.ShortName()).String(), tiny.CSVSafe(l.URL), tiny.CSVSafe(l.Title),
		tiny.CSVSafe(strings.Join(l.Tags, " ")), strconv.Itoa(l.Redirect), cache, expires,
		opt(l.MaxClicks > 0, strconv.FormatInt(l.MaxClicks, 10)), strconv.FormatInt(l.Clicks, 10),
		strconv.FormatBool(l.PasswordHash != ""), strconv.FormatBool(l.ForwardQuery), string(l.Status),
		strconv.FormatInt(l.OwnerID, 10), l.CreatedAt.UTC().Format(time.RFC3339), l.UpdatedAt.UTC().Format(time.RFC3339),
	}
}
