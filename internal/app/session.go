package app

import (
	"net/http"
	"net/url"
	"time"

	"tiny/internal/accounts"
)

// flashCookie carries a one-line notice across a post/redirect/get.
const flashCookie = "tiny_flash"

func setFlash(w http.ResponseWriter, msg string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(msg), Path: "/", MaxAge: 60, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// TakeFlash returns the notice a redirect left for this page, and clears
// it so a reload does not show it again (nor the next page: the sign-in
// page, which package web renders, takes the notice of a sign-out).
func TakeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	msg, err := url.QueryUnescape(c.Value)
	if err != nil || len(msg) > 300 {
		return ""
	}
	return msg
}

// signOut ends this session and sends the person to the sign-in page.
func (a *App) signOut(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if err := a.accts.EndSession(r.Context(), p, p.Session.ID); err != nil {
		return err
	}
	if a.cfg.ClearSession != nil {
		a.cfg.ClearSession(w)
	}
	seeOther(w, r, "/signin", "You are signed out.")
	return nil
}

// setTheme keeps the theme a person picked, for browsers without
// JavaScript; with it, app.js sets the same cookie itself.
func (a *App) setTheme(w http.ResponseWriter, r *http.Request, _ *accounts.Principal) error {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<10)
	theme := r.PostFormValue("theme")
	c := &http.Cookie{Name: themeCookie, Value: theme, Path: "/", MaxAge: int((365 * 24 * time.Hour).Seconds()), SameSite: http.SameSiteLaxMode}
	if theme != "light" && theme != "dark" {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
	back := "/"
	if ref, err := url.Parse(r.Referer()); err == nil && ref.Host == r.Host {
		back = SafeNext(ref.RequestURI())
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}
