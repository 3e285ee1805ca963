package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"tiny/internal/app"

	"tiny/internal/shortener"
	"tiny/internal/tiny"
)

// The typed data of each view.
type (
	linkPage struct {
		app.Page
		Link     *tiny.Link
		ShortURL string
		// Hidden is set for a one-time or password link, whose destination
		// the page must not show.
		Hidden bool
	}
	passwordPage struct {
		app.Page
		ShortURL string
		Action   string
		CSRF     string
		Error    string
	}
)

// renderPage renders a view of the web app's set.
func (s *Server) renderPage(w http.ResponseWriter, r *http.Request, status int, name string, data app.View) {
	s.views.Render(w, r, status, name, data)
}

func (s *Server) preview(w http.ResponseWriter, r *http.Request, t *shortener.Target) error {
	if err := s.checkVisitable(t); err != nil {
		return err
	}
	s.renderPage(w, r, http.StatusOK, "preview.html", s.linkPageOf(t.Link, "Link preview"))
	return nil
}

// linkPageOf is the data of a page about l that may show its destination.
func (s *Server) linkPageOf(l *tiny.Link, title string) *linkPage {
	return &linkPage{Page: app.Page{Title: title}, Link: l, ShortURL: s.shortURL(l), Hidden: shortener.HidesDestination(l)}
}

// csrfCookie holds the double-submit token of the password form.
const csrfCookie = "tiny_csrf"

func (s *Server) renderPasswordForm(w http.ResponseWriter, r *http.Request, t *shortener.Target, msg string, status int) {
	token := ""
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 {
		token = c.Value
	} else {
		var b [24]byte
		_, _ = rand.Read(b[:])
		token = base64.RawURLEncoding.EncodeToString(b[:])
		http.SetCookie(w, &http.Cookie{
			Name: csrfCookie, Value: token, Path: "/", HttpOnly: true,
			SameSite: http.SameSiteStrictMode, Secure: s.cfg.BaseURL.Scheme == "https",
		})
	}
	s.renderPage(w, r, status, "password.html", &passwordPage{
		Page: app.Page{Title: "Password required"}, ShortURL: s.shortURL(t.Link), Action: "/" + t.Link.ShortName(), CSRF: token, Error: msg,
	})
}

// validCSRF checks the form's token against the cookie set with the form.
func validCSRF(r *http.Request) bool {
	c, err := r.Cookie(csrfCookie)
	if err != nil || len(c.Value) < 32 {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostForm.Get("csrf"))) == 1
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.Ping(r.Context()); err != nil {
		return tiny.Errorf(tiny.Unavailable, "the store is not reachable")
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func apiNotFound(http.ResponseWriter, *http.Request) error {
	return tiny.Errorf(tiny.NotFound, "no such API endpoint; see /api/openapi.yaml")
}
