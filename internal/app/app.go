package app

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"tiny/internal/abuse"
	"tiny/internal/abuse/feed"
	"tiny/internal/accounts"
	"tiny/internal/importer"
	"tiny/internal/shortener"
	"tiny/internal/tiny"
)

// Config is what the web app needs: the services it shares with the API.
type Config struct {
	// BaseURL is the public address short links are built on.
	BaseURL *url.URL
	// Links creates, reads, edits and deletes links; required.
	Links *shortener.Service
	// Accounts keeps users, keys and sessions and says who may act;
	// required.
	Accounts *accounts.Service
	// SignIns are the ways of signing in; nil hides what needs them.
	SignIns *accounts.SignIns
	// Store answers the read-only queries that have no service of their
	// own (statistics, the review queue, the audit log). Every handler
	// asks the principal's policy before it reads.
	Store tiny.Store
	// Destinations are the moderators' destination blocks; nil hides them.
	Destinations *abuse.Destinations
	// Feeds reports the state of the blocklist feeds; nil: none loaded.
	Feeds func() []feed.FeedStatus
	// Settings are the instance's effective settings, shown to admins.
	Settings []Setting
	// ClearSession tells the browser to forget its session cookie; package
	// web, which owns the cookie, provides it.
	ClearSession func(http.ResponseWriter)
	// LimitReport counts one report against the client's limit, the one
	// POST /api/v1/reports applies, and returns the rate_limited error
	// when it is spent; nil: reports are not limited.
	LimitReport func(http.ResponseWriter, *http.Request) error
	// LimitCreates counts n against the caller's create limit, the one
	// the API applies, and returns its rate_limited error once it is
	// spent (shortener.CreateCost says what a link costs); nil: no limit.
	LimitCreates func(w http.ResponseWriter, r *http.Request, n int) error
	// Imports runs the import jobs; nil hides the import page.
	Imports *importer.Jobs
	// Views renders the pages; required.
	Views *Views
	// Logger receives the errors of pages.
	Logger *slog.Logger
	// Now is the clock (time.Now).
	Now func() time.Time
}

// App serves the signed-in pages.
type App struct {
	cfg   Config
	views *Views
	links *shortener.Service
	accts *accounts.Service
	store tiny.Store
	log   *slog.Logger
}

// New returns the web app. It gives Views the CSRF tokens of sessions.
func New(cfg Config) (*App, error) {
	if cfg.Links == nil || cfg.Accounts == nil || cfg.Views == nil || cfg.BaseURL == nil {
		return nil, tiny.Errorf(tiny.Invalid, "the web app needs links, accounts, views and a base URL")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Views.csrf = func(r *http.Request) string { return cfg.Accounts.CSRFToken(accounts.FromContext(r.Context())) }
	return &App{cfg: cfg, views: cfg.Views, links: cfg.Links, accts: cfg.Accounts, store: cfg.Store, log: cfg.Logger}, nil
}

// handlerFunc is a page handler: p is the signed-in caller (nil on public
// pages). It returns its error, which wrap renders once as an error page.
type handlerFunc func(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error

// formBodyLimit bounds a form post; bulk forms carry at most a page of
// codes.
const formBodyLimit = 64 << 10

// signedIn serves h to a person signed in with a session; anyone else is
// sent to sign in and brought back here after. A user who must set up a
// second factor first is sent to do that.
func (a *App) signedIn(h handlerFunc) http.Handler { return a.signedInReading(h, readForm) }

// readForm reads a form post of at most formBodyLimit bytes.
func readForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, formBodyLimit)
	if err := r.ParseForm(); err != nil {
		return tiny.Errorf(tiny.Invalid, "the form could not be read")
	}
	return nil
}

// signedInReading is signedIn with the form of a POST read by read, which
// fills r.PostForm (an upload's reads a multipart form).
func (a *App) signedInReading(h handlerFunc, read func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := accounts.FromContext(r.Context())
		if p == nil || p.Session == nil {
			a.toSignIn(w, r)
			return
		}
		if a.cfg.SignIns != nil && a.cfg.SignIns.SecondFactorRequired(p) && !beforeSecondFactor(r.URL.Path) {
			http.Redirect(w, r, accountPath+"?must=two-factor#two-factor", http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost {
			if err := read(w, r); err != nil {
				a.renderError(w, r, err)
				return
			}
			if !a.accts.CheckCSRF(p, r.PostForm.Get("csrf")) {
				a.renderError(w, r, tiny.Errorf(tiny.Forbidden, "this form has expired; go back, reload the page and send it again"))
				return
			}
		}
		if err := h(w, r, p); err != nil {
			a.renderError(w, r, err)
		}
	})
}

// public serves h to anyone; p is the signed-in caller or nil.
func (a *App) public(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := accounts.FromContext(r.Context())
		if p != nil && p.Session == nil {
			p = nil
		}
		if err := h(w, r, p); err != nil {
			a.renderError(w, r, err)
		}
	})
}

// toSignIn sends the browser to the sign-in page, to come back to the page
// it asked for (a GET) or to the page it posted from.
func (a *App) toSignIn(w http.ResponseWriter, r *http.Request) {
	next := r.URL.RequestURI()
	if r.Method != http.MethodGet {
		next = "/"
		if ref, err := url.Parse(r.Referer()); err == nil && ref.Host == r.Host && strings.HasPrefix(ref.Path, "/") {
			next = ref.RequestURI()
		}
	}
	http.Redirect(w, r, "/signin?next="+url.QueryEscape(next), http.StatusSeeOther)
}

// SafeNext returns next if it is a path of this site to go to after
// signing in, else "/": an open redirect to another site is refused.
func SafeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n\t") {
		return "/"
	}
	return next
}

// ErrorView is the data of the error page.
type ErrorView struct {
	Page
	Status  int
	Message string
}

// renderError renders err as the error page with the status of its code.
// The text of internal errors is logged, never shown.
func (a *App) renderError(w http.ResponseWriter, r *http.Request, err error) {
	RenderError(a.views, a.log, w, r, err)
}

// RenderError renders err as the error page with the status of its code;
// the text of an internal error is logged, never shown.
func RenderError(v *Views, log *slog.Logger, w http.ResponseWriter, r *http.Request, err error) {
	code := tiny.ErrorCodeOf(err)
	status := tiny.HTTPStatus(code)
	if code == tiny.Internal {
		log.ErrorContext(r.Context(), "a page failed", "path", r.URL.Path, "err", err)
	}
	if code == tiny.Unavailable {
		w.Header().Set("Retry-After", "5")
	}
	v.Render(w, r, status, "error.html", &ErrorView{Page: Page{Title: http.StatusText(status)}, Status: status, Message: tiny.ErrorMessageOf(err)})
}

// seeOther answers a form post with a redirect to the page that shows
// its result (post/redirect/get), with a notice for that page.
func seeOther(w http.ResponseWriter, r *http.Request, to, flash string) {
	if flash != "" {
		setFlash(w, flash)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}
