package web

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"html/template"
	"io/fs"
	"net/http"

	"tiny/internal/shortener"
	"tiny/internal/tiny"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed assets
var assetFiles embed.FS

// pageNames are the views; each must parse at start.
var pageNames = []string{"home.html", "error.html", "password.html", "preview.html", "interstitial.html", "blocked.html", "protected.html", "setup.html", "signin.html"}

func parseTemplates() (*template.Template, error) {
	t, err := template.New("").ParseFS(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, name := range pageNames {
		if t.Lookup(name) == nil {
			return nil, tiny.Errorf(tiny.Internal, "template %s is missing", name)
		}
	}
	return t, nil
}

func staticFiles() http.Handler {
	sub, _ := fs.Sub(assetFiles, "assets")
	fileServer := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fileServer.ServeHTTP(w, r)
	})
}

// The typed data of each view.
type (
	homePage struct {
		BaseURL string
	}
	errorPage struct {
		Status  int
		Title   string
		Message string
	}
	linkPage struct {
		Link     *tiny.Link
		ShortURL string
		// Hidden is set for a one-time or password link, whose destination
		// the page must not show.
		Hidden bool
	}
	passwordPage struct {
		ShortURL string
		Action   string
		CSRF     string
		Error    string
	}
)

// renderPage renders a view into a buffer first, so a template error
// becomes a clean 500 rather than half a page.
func (s *Server) renderPage(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var buf bytes.Buffer
	if err := s.pages.ExecuteTemplate(&buf, name, data); err != nil {
		s.log.ErrorContext(r.Context(), "rendering a page failed", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if w.Header().Get("Cache-Control") == "" {
		w.Header().Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	s.renderPage(w, r, http.StatusOK, "home.html", homePage{BaseURL: s.cfg.BaseURL.String()})
	return nil
}

func (s *Server) preview(w http.ResponseWriter, r *http.Request, t *shortener.Target) error {
	if err := s.checkVisitable(t); err != nil {
		return err
	}
	s.renderPage(w, r, http.StatusOK, "preview.html", s.linkPageOf(t.Link))
	return nil
}

// linkPageOf is the data of a page about l that may show its destination.
func (s *Server) linkPageOf(l *tiny.Link) linkPage {
	return linkPage{Link: l, ShortURL: s.shortURL(l), Hidden: shortener.HidesDestination(l)}
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
	s.renderPage(w, r, status, "password.html", passwordPage{
		ShortURL: s.shortURL(t.Link), Action: "/" + t.Link.ShortName(), CSRF: token, Error: msg,
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
