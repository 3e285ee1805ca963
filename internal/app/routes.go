package app

import (
	"net/http"

	"tiny/internal/accounts"
	"tiny/internal/tiny"
)

// Paths the app links to from more than one place.
const (
	accountPath = "/app/account"
	signOutPath = "/app/signout"
	linksPath   = "/app/links"
)

// Routes registers the app's pages on mux; package web's route list calls
// it. identify puts the caller of a session cookie, if any, in the
// request's context and refuses cross-origin posts; it decides nothing
// else, so each page says here whether it needs someone signed in.
func (a *App) Routes(mux *http.ServeMux, identify func(http.Handler) http.Handler) {
	rt := router{mux: mux, a: a, identify: identify}
	rt.public("GET /{$}", a.home)
	rt.page("POST "+signOutPath, a.signOut)
	rt.public("POST /app/theme", a.setTheme)
	a.linkRoutes(rt)
	a.linkPageRoutes(rt)
	a.accountRoutes(rt)
	a.adminRoutes(rt)
	a.moderationRoutes(rt)
	a.extrasRoutes(rt)
	a.importRoutes(rt)
	rt.page("/app/", func(http.ResponseWriter, *http.Request, *accounts.Principal) error {
		return errNoPage
	})
}

// errNoPage is the answer for an /app/ path that names no page.
var errNoPage = tiny.Errorf(tiny.NotFound, "there is no such page")

// router registers pages with the wrapping their kind needs.
type router struct {
	mux      *http.ServeMux
	a        *App
	identify func(http.Handler) http.Handler
}

// page registers a page for signed-in people; a POST must carry the CSRF
// token.
func (rt router) page(pattern string, h handlerFunc) {
	rt.mux.Handle(pattern, rt.identify(rt.a.signedIn(h)))
}

// public registers a page anyone may open.
func (rt router) public(pattern string, h handlerFunc) {
	rt.mux.Handle(pattern, rt.identify(rt.a.public(h)))
}
