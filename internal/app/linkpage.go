package app

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"tiny/internal/accounts"
	"tiny/internal/qr"
	"tiny/internal/shortener"
	"tiny/internal/tiny"
)

// linkPageRoutes registers a link's page: its settings, edit and delete, QR codes and statistics.
func (a *App) linkPageRoutes(rt router) {
	rt.page("GET "+linksPath+"/{code}", a.linkPage)
	rt.page("POST "+linksPath+"/{code}", a.editLink)
	rt.page("POST "+linksPath+"/{code}/delete", a.deleteLink)
	rt.page("POST "+linksPath+"/{code}/appeal", a.appealLink)
}

// QR sizes the page offers, in pixels; the first is the one shown.
var qrSizes = []int{256, 512, 1024}

// maxAppealLength bounds an appeal's message, as the form says.
const maxAppealLength = 2000

// linkPageView is a link's page.
type linkPageView struct {
	Page
	Link     *tiny.Link
	ShortURL string
	// LinkPath is the page's own path, /app/links/<code>.
	LinkPath string
	// RedirectText and CacheText say the redirect type and the cache
	// time in words.
	RedirectText, CacheText string
	// CacheHeader is the Cache-Control the redirect is sent with now.
	CacheHeader string
	// State is what a visitor gets now: active, flagged, blocked, expired
	// or "used up"; StateText says it in a sentence.
	State, StateText string
	// StateClass colours the state: status-active, -flagged or -blocked.
	StateClass string
	// CanEdit shows the edit, delete and appeal forms; CanStats the
	// statistics. A moderator sees other people's links without either.
	CanEdit, CanStats bool
	// Form is the edit form, as the link is or as it was sent back;
	// Errors are its messages by field. EditOpen opens it.
	Form     editForm
	Errors   map[string]string
	EditOpen bool
	// Appeal is an appeal's message sent back with AppealError.
	Appeal, AppealError string
	// QR is the short URL's QR code as an SVG element, drawn by package
	// qr: no text of the link's is in it.
	QR      template.HTML
	QRSizes []int
	// RedirectChoices are the redirect types the edit form offers.
	RedirectChoices []redirectChoice
	Stats           *statsView
}

// linkPage shows a link to whoever may read it; anyone else gets the
// same not-found page as for an unknown code.
func (a *App) linkPage(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	l, err := a.links.GetFor(r.Context(), p, r.PathValue("code"), accounts.ReadLinks)
	if err != nil {
		return err
	}
	v, err := a.linkPageView(r, p, l)
	if err != nil {
		return err
	}
	v.Flash = TakeFlash(w, r)
	a.views.Render(w, r, http.StatusOK, "linkpage.html", v)
	return nil
}

// linkPageView builds the page of l, with its edit form filled from l and
// its statistics as the query asks.
func (a *App) linkPageView(r *http.Request, p *accounts.Principal, l *tiny.Link) (*linkPageView, error) {
	owner := accounts.Own(l.OwnerID)
	v := &linkPageView{
		Page:            Page{Title: linkTitle(l), Section: "links", User: p.User},
		Link:            l,
		ShortURL:        a.cfg.BaseURL.JoinPath(l.ShortName()).String(),
		LinkPath:        linksPath + "/" + url.PathEscape(l.Code),
		CanEdit:         p.Can(accounts.WriteLinks, owner),
		CanStats:        p.Can(accounts.ReadStats, owner) && a.store != nil,
		Form:            formOf(l),
		QRSizes:         qrSizes,
		RedirectChoices: redirectChoices,
	}
	v.State, v.StateText = linkState(l, a.cfg.Now())
	v.StateClass = "status-" + v.State
	if v.State == "expired" || v.State == "used up" {
		v.StateClass = "status-flagged"
	}
	v.RedirectText, v.CacheText, v.CacheHeader = redirectText(l.Redirect), cacheText(l), l.CacheControl(a.cfg.Now())
	code, err := qr.Encode(v.ShortURL)
	if err != nil {
		return nil, err
	}
	svg, err := code.SVG(qrSizes[0])
	if err != nil {
		return nil, err
	}
	v.QR = template.HTML(svg) // drawn by package qr: paths and numbers only
	if v.CanStats {
		if v.Stats, err = a.linkStats(r, l); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// linkTitle is the page's title: the link's own, or its short name.
func linkTitle(l *tiny.Link) string {
	if l.Title != "" {
		return l.Title
	}
	return "Link " + l.ShortName()
}

// redirectText names a redirect status as the edit form does.
func redirectText(status int) string {
	for _, c := range redirectChoices {
		if c.Value == status {
			return c.Label
		}
	}
	return strconv.Itoa(status)
}

// cacheText says how long browsers and proxies may keep the redirect.
func cacheText(l *tiny.Link) string {
	switch {
	case l.CacheSeconds == nil:
		if l.IsPermanent() {
			return "The default: a day (" + strconv.Itoa(tiny.DefaultPermanentCacheSeconds) + " seconds)"
		}
		return "The default: not kept, so every click is seen"
	case *l.CacheSeconds == 0:
		return "Not kept (0 seconds)"
	}
	return strconv.Itoa(*l.CacheSeconds) + " seconds"
}

// linkState says what a visitor of l gets now, as a word and a sentence.
func linkState(l *tiny.Link, now time.Time) (string, string) {
	switch l.Status {
	case tiny.StatusBlocked:
		return "blocked", "Blocked: visitors see a warning page instead of the destination. If you think this is a mistake, ask the moderators to look again."
	case tiny.StatusFlagged:
		return "flagged", "Flagged for review: visitors see a page that shows the destination and asks them to confirm before they go on."
	}
	switch {
	case l.ExpiresAt != nil && !l.ExpiresAt.After(now):
		return "expired", "Expired: visitors are told the link has expired."
	case l.MaxClicks > 0 && l.Clicks >= l.MaxClicks:
		return "used up", "Used up: the click limit is reached, and visitors are told the link is gone."
	}
	return "active", "Active: visitors go straight to the destination."
}

// editLink applies the edit form with the same UpdateInput the API's
// PATCH takes; the service's refusals are shown next to their fields.
func (a *App) editLink(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	l, err := a.links.GetFor(r.Context(), p, r.PathValue("code"), accounts.WriteLinks)
	if err != nil {
		return err
	}
	f := readEditForm(r.PostForm)
	f.HasPassword = l.PasswordHash != ""
	in, errs := f.update(l, r.PostForm.Get("password"))
	if len(errs) == 0 && in.Password.Set && in.Password.Value != "" {
		// A new password costs a hash, counted as the API's PATCH counts it.
		if err := a.limitCreates(w, r, shortener.PasswordCreateWeight); err != nil {
			errs = map[string]string{"password": personMessage(err)}
		}
	}
	if len(errs) == 0 {
		_, err := a.links.Update(r.Context(), p, l.Code, in)
		if err == nil {
			seeOther(w, r, linksPath+"/"+url.PathEscape(l.Code), "Your changes are saved.")
			return nil
		}
		if code := tiny.ErrorCodeOf(err); code != tiny.Invalid && code != tiny.Conflict && code != tiny.Unsafe {
			return err
		}
		errs = map[string]string{formField(tiny.ErrorFieldOf(err)): personMessage(err)}
	}
	v, err := a.linkPageView(r, p, l)
	if err != nil {
		return err
	}
	v.Form, v.Errors, v.EditOpen = f, errs, true
	a.views.Render(w, r, http.StatusUnprocessableEntity, "linkpage.html", v)
	return nil
}

// formField is the form's field an error of the service's field is shown
// next to; an error about no field is shown above the form.
func formField(apiField string) string {
	if apiField == "password" || apiField == "url" || apiField == "title" || apiField == "tags" ||
		apiField == "expires_at" || apiField == "max_clicks" || apiField == "redirect" || apiField == "cache_seconds" {
		return apiField
	}
	return ""
}

// deleteLink deletes the link and goes back to the list.
func (a *App) deleteLink(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	l, err := a.links.GetFor(r.Context(), p, r.PathValue("code"), accounts.WriteLinks)
	if err != nil {
		return err
	}
	if err := a.links.Delete(r.Context(), p, l.Code); err != nil {
		return err
	}
	seeOther(w, r, linksPath, "The link "+l.ShortName()+" is deleted; it now answers that it is gone.")
	return nil
}

// appealLink asks the moderators to look at a blocked link again.
func (a *App) appealLink(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	l, err := a.links.GetFor(r.Context(), p, r.PathValue("code"), accounts.WriteLinks)
	if err != nil {
		return err
	}
	msg := strings.TrimSpace(r.PostForm.Get("message"))
	var problem string
	switch {
	case msg == "":
		problem = "Say why the link should not be blocked."
	case utf8.RuneCountInString(msg) > maxAppealLength:
		problem = "Keep the message under 2,000 characters."
	default:
		err := a.links.Appeal(r.Context(), p, l.Code, msg)
		if err == nil {
			seeOther(w, r, linksPath+"/"+url.PathEscape(l.Code), "Your appeal is sent; a moderator will look at the link.")
			return nil
		}
		if !tiny.IsCode(err, tiny.Conflict) {
			return err
		}
		problem = personMessage(err)
	}
	v, err := a.linkPageView(r, p, l)
	if err != nil {
		return err
	}
	v.Appeal, v.AppealError = msg, problem
	a.views.Render(w, r, http.StatusUnprocessableEntity, "linkpage.html", v)
	return nil
}
