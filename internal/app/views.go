package app

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/klauspost/compress/gzhttp"

	"tiny/internal/accounts"
	"tiny/internal/tiny"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed assets
var assetFiles embed.FS

// Page is what the layout of every view needs; each view's data embeds it.
type Page struct {
	// Title is the page's title, before " · tiny".
	Title string
	// Section names the navigation entry to mark as current.
	Section string
	// User is who is signed in; nil for a visitor.
	User *tiny.User
	// CSRF is the token every state-changing form of a signed-in page
	// sends back.
	CSRF string
	// Theme is "light", "dark", or "" to follow the system.
	Theme string
	// Flash is a one-line notice shown above the content.
	Flash string
	// BaseURL is the instance's public address.
	BaseURL string
}

// base lets Render fill the layout's fields of any view's data.
func (p *Page) base() *Page { return p }

// View is the data of a view: a struct that embeds Page, passed by pointer.
type View interface{ base() *Page }

// Views holds the parsed templates; every page of tiny is rendered by it.
type Views struct {
	t       *template.Template
	log     *slog.Logger
	baseURL string
	// csrf derives a signed-in request's CSRF token.
	csrf func(r *http.Request) string
}

// viewNames are the views; each must parse at start.
var viewNames = []string{
	"home.html", "error.html", "password.html", "preview.html", "interstitial.html", "blocked.html",
	"protected.html", "setup.html", "signin.html", "extras.html",
	"moderation.html", "moderation_destinations.html", "moderation_audit.html", "moderation_quality.html", "report.html",
	"created.html", "links.html", "linksdelete.html",
	"linkpage.html",
	"account.html", "account_totp.html", "keys.html", "admin.html", "admin_user.html",
	"imports.html", "import_job.html",
}

// funcs are the helpers the templates may call.
var funcs = template.FuncMap{
	"date":      func(t time.Time) string { return t.UTC().Format("2 Jan 2006") },
	"datetime":  func(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") },
	"isoTime":   func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"join":      strings.Join,
	"pathEsc":   url.PathEscape,
	"queryEsc":  url.QueryEscape,
	"hasPrefix": strings.HasPrefix,
	"add":       func(a, b int) int { return a + b },
	// reportForm is the "Report this link" form of a visitors' page.
	"reportForm": NewReportForm,
}

// NewViews parses the embedded templates; a missing or broken view fails
// here, at start.
func NewViews(baseURL string, log *slog.Logger) (*Views, error) {
	t, err := template.New("").Funcs(funcs).ParseFS(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, name := range viewNames {
		if t.Lookup(name) == nil {
			return nil, tiny.Errorf(tiny.Internal, "template %s is missing", name)
		}
	}
	if log == nil {
		log = slog.Default()
	}
	return &Views{t: t, log: log, baseURL: strings.TrimSuffix(baseURL, "/"), csrf: func(*http.Request) string { return "" }}, nil
}

// themeCookie holds the theme a person picked; it is read by the server so
// the first paint is already in that theme.
const themeCookie = "tiny_theme"

// Render writes view name with data and status. It renders into a buffer
// first, so a template error becomes a clean 500 rather than half a page.
// The layout's fields that data leaves empty are filled from the request:
// the signed-in user, the CSRF token, the theme.
func (v *Views) Render(w http.ResponseWriter, r *http.Request, status int, name string, data View) {
	p := data.base()
	if p.User == nil {
		if who := accounts.FromContext(r.Context()); who != nil && who.Session != nil {
			p.User = who.User
		}
	}
	if p.User != nil && p.CSRF == "" {
		p.CSRF = v.csrf(r)
	}
	if c, err := r.Cookie(themeCookie); err == nil && (c.Value == "light" || c.Value == "dark") {
		p.Theme = c.Value
	}
	p.BaseURL = v.baseURL
	var buf bytes.Buffer
	if err := v.t.ExecuteTemplate(&buf, name, data); err != nil {
		v.log.ErrorContext(r.Context(), "rendering a page failed", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// Assets serves the stylesheet, scripts and vendored libraries, gzipped
// for browsers that take it (pages are not: a page holds a CSRF token, and
// compressing it beside text a visitor chose would let BREACH guess it).
// Their names carry no version, so they are cached for an hour, not for
// ever.
func Assets() http.Handler {
	sub, _ := fs.Sub(assetFiles, "assets")
	fileServer := gzhttp.GzipHandler(http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".sh") || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fileServer.ServeHTTP(w, r)
	})
}
